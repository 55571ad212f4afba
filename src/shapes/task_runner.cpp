#include "shapes/task_runner.hpp"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <thread>

#include "base/machine.hpp"
#include "io/durable_file.hpp"

namespace shardrun::shapes {
namespace {

struct RecordsOutput : core::ShardOutput {
  std::vector<TaskRecord> records;
  std::vector<TaskRunner::Deferred> deferred;
};

// SIGTERM, SIGINT, SIGHUP: what a scheduler sends every process of a job it
// stops, this rank included.
bool ended_by_stop_signal(const CommandResult& result) {
  return result.signal == SIGTERM || result.signal == SIGINT || result.signal == SIGHUP;
}

}  // namespace

// The task may have seen the scheduler's signal before this rank did: give
// the rank's own a moment to arrive before the task counts as failed.
void TaskRunner::wait_for_stop() const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  while (!stopping() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

TaskRunner::TaskRunner(TaskJob& job, const core::ShardPlan& plan, int rank)
    : job_(job),
      resources_(dynamic_cast<const TaskResources*>(&job)),
      per_shard_(job.task_per_shard()),
      options_(job.task_options()),
      tasks_(per_shard_ ? plan.count() : plan.items()),
      rank_(rank),
      host_(base::host_name()),
      base_env_(task_base_environment()) {
  // Inherited SIGCHLD ignored would reap every task before waitid() sees how
  // it ended (all would count as failed).
  struct sigaction child {};
  child.sa_handler = SIG_DFL;
  sigemptyset(&child.sa_mask);
  ::sigaction(SIGCHLD, &child, nullptr);
  if (!options_.joblog.empty()) io::check_output_path(options_.joblog, "--joblog");
  options_.output_mode = options_.mode();  // from here on, never empty
  if (options_.output_mode == "tagged")
    tagged_ = std::make_unique<TaggedOutput>(options_.logdir, rank_);
  if (resources_) {
    item_of_number_.assign(tasks_, 0);
    bool identity = true;
    for (std::uint64_t item = 0; item < tasks_; ++item) {
      const std::uint64_t n = resources_->task_number(item);
      if (n == 0 || n > tasks_) throw RuntimeError("a task's number is out of range");
      item_of_number_[n - 1] = item;
      identity = identity && n == item + 1;
    }
    if (identity) item_of_number_.clear();
  }
}

int TaskRunner::prepare(int threads, const mpi::Comm& comm) {
  ranks_ = comm.size();
  if (!resources_) return threads;
  // Every rank joins the collectives, a rank whose pool is bad included.
  std::exception_ptr error;
  Pool pool;
  try {
    pool = detect_pool(resources_->pool_options(), pool_sources(threads));
  } catch (...) {
    error = std::current_exception();
  }
  const double cpus = comm.max(static_cast<double>(pool.cores.size()));
  const double mem = comm.max(static_cast<double>(pool.mem_bytes));
  const double gpus = comm.max(static_cast<double>(pool.gpus.size()));
  if (error) std::rethrow_exception(error);
  for (std::uint64_t item = 0; item < tasks_; ++item) {
    const TaskRequest& r = request(item);
    std::string what;
    if (r.cpus > cpus)
      what = std::to_string(r.cpus) + " cpus";
    else if (static_cast<double>(r.mem_bytes) > mem)
      what = std::to_string(r.mem_bytes >> 20) + "M of memory";
    else if (r.gpus > gpus)
      what = std::to_string(r.gpus) + " GPUs";
    if (what.empty()) continue;
    const std::string where = resources_->task_where(item);
    throw UsageError((where.empty() ? "" : where + ": ") + "task " + std::to_string(number(item)) +
                     (r.name.empty() ? "" : " (" + r.name + ")") + " asks for " + what +
                     ", more than any rank's pool has (the largest: cpus=" +
                     std::to_string(static_cast<std::uint64_t>(cpus)) +
                     " mem=" + std::to_string(static_cast<std::uint64_t>(mem) >> 20) +
                     "M gpus=" + std::to_string(static_cast<std::uint64_t>(gpus)) +
                     "); see --pool, --mem, --gpus");
  }
  pool_ = std::make_unique<ResourcePool>(std::move(pool));
  return options_.slots > 0 ? options_.slots : static_cast<int>(pool_->pool().cores.size());
}

std::pair<std::uint64_t, std::uint64_t> TaskRunner::tasks_of(const Shard& shard) const {
  return per_shard_ ? std::pair{shard.id, shard.id + 1} : std::pair{shard.begin, shard.end};
}

CommandSpec TaskRunner::spec_for(const Shard& shard, std::uint64_t item, int slot,
                                 std::uint32_t attempt, const Grant* grant,
                                 std::vector<std::string>& env) const {
  const std::string task = std::to_string(number(item));
  const TaskRequest& wants = request(item);
  env = base_env_;
  env.push_back("SHARDRUN_TASK=" + task);
  env.push_back("SHARDRUN_RANK=" + std::to_string(rank_));
  env.push_back("SHARDRUN_SLOT=" + std::to_string(slot));
  env.push_back("SHARDRUN_ATTEMPT=" + std::to_string(attempt));
  CommandSpec spec;
  if (grant && resources_->pool_options().place) {
    // Its cores as its affinity, as many OpenMP threads, and only its GPUs.
    const std::string devices = pool_->device_list(*grant);
    std::erase_if(env, [](const std::string& e) {
      return e.starts_with("OMP_NUM_THREADS=") || e.starts_with("CUDA_VISIBLE_DEVICES=") ||
             e.starts_with("ROCR_VISIBLE_DEVICES=");
    });
    env.push_back("OMP_NUM_THREADS=" + std::to_string(wants.cpus));
    env.push_back("CUDA_VISIBLE_DEVICES=" + devices);
    if (std::getenv("ROCR_VISIBLE_DEVICES")) env.push_back("ROCR_VISIBLE_DEVICES=" + devices);
    for (const std::uint32_t c : grant->cpus) spec.cores.push_back(pool_->pool().cores[c]);
    std::sort(spec.cores.begin(), spec.cores.end());
    spec.cores.erase(std::unique(spec.cores.begin(), spec.cores.end()), spec.cores.end());
  }
  for (const auto& [name, value] : wants.env) {
    const std::string prefix = name + "=";
    std::erase_if(env, [&prefix](const std::string& e) { return e.starts_with(prefix); });
    env.push_back(prefix + value);
  }
  spec.command = per_shard_ ? job_.shard_command(shard, slot) : job_.command(item, slot);
  spec.env = &env;
  spec.workdir = wants.cwd.empty() ? options_.workdir : wants.cwd;
  if (tagged_) {
    spec.tagged = tagged_.get();
    spec.tag = attempt > 1 ? task + "." + std::to_string(attempt) : task;
  } else if (options_.output_mode == "files") {
    const std::string path = options_.logdir + "/" + task;
    spec.stdout_path = path + ".out";
    spec.stderr_path = path + ".err";
    // TASK.out stays the last attempt's; an earlier one's is kept aside.
    if (attempt > 1)
      for (const char* ext : {".out", ".err"})
        std::rename((path + ext).c_str(), (path + "." + std::to_string(attempt - 1) + ext).c_str());
  }
  spec.timeout_s = wants.timeout_s >= 0 ? wants.timeout_s : options_.timeout_s;
  spec.kill_after_s = options_.kill_after_s;
  return spec;
}

std::optional<TaskRunner::TaskState> TaskRunner::state_of(std::uint64_t item) const {
  if (redo_pass_) {
    const auto it = redo_.find(item);
    if (it == redo_.end()) return std::nullopt;
    return it->second.state;
  }
  const TaskRequest& wants = request(item);
  const std::uint32_t budget =
      1 + static_cast<std::uint32_t>(wants.retries >= 0 ? wants.retries : options_.retries);
  if (previous_.empty()) return TaskState{0, 0, budget};
  const auto before = static_cast<std::uint8_t>(previous_[item]);
  if (before == kSkipTask) return std::nullopt;
  // A task --retry-failed runs again gets a whole budget; one whose retries
  // an earlier run did not reach, what is left of it.
  const bool fresh = previous_[2 * tasks_ + item] != std::byte{0};
  return TaskState{before, static_cast<std::uint8_t>(previous_[tasks_ + item]),
                   fresh             ? budget
                   : budget > before ? budget - before
                                     : 0};
}

void TaskRunner::note_end(std::uint64_t task, bool ok) {
  const int limit = options_.quarantine_after;
  if (limit <= 0 || ranks_ < 2) return;
  std::lock_guard lock(streak_mutex_);
  if (ok) {
    failing_.clear();
    succeeded_ = true;
    return;
  }
  failing_.insert(task);
  if (static_cast<int>(failing_.size()) < limit || quarantine_off_ || quarantined_) return;
  quarantined_ = true;
  std::fprintf(stderr,
               "shardrun: rank %d (%s): its last %d tasks, all different, failed: it takes no "
               "more tasks (quarantined; the other ranks run the rest)\n",
               rank_, host_.c_str(), limit);
}

std::unique_ptr<core::ShardOutput> TaskRunner::process(ShardContext& context) {
  auto out = std::make_unique<RecordsOutput>();
  const int slot = acquire_slot();
  struct Release {
    TaskRunner* runner;
    int slot;
    ~Release() { runner->release_slot(slot); }
  } release{this, slot};
  std::vector<std::string> env;
  const Shard& shard = context.shard();
  const auto [first, last] = tasks_of(shard);
  const int crash_limit = resources_ ? resources_->pool_options().crash_limit : 0;
  bool stopped = false;
  for (std::uint64_t item = first; item < last && !stopped; ++item) {
    const std::optional<TaskState> known = state_of(item);
    // Skipped: done before, or the farm is halting (an item without a record
    // counts as not run, and a resume runs it).
    if (!known || halted_) continue;
    TaskState state = *known;
    // A quarantined rank hands its tasks back untried; the next pass runs
    // them elsewhere.
    if (quarantined_) {
      out->deferred.push_back({shard.id, item, state, rank_});
      continue;
    }
    bool ok = false, deferred = false;
    const TaskRequest& wants = request(item);
    auto may_try = [&] {
      return state.left > 0 && !(crash_limit > 0 && static_cast<int>(state.crashes) >= crash_limit);
    };
    while (!ok && !deferred && may_try()) {
      // No task starts once the run stops; one that fails during the stop
      // was most likely ended by it (Slurm signals every process of the job):
      // neither is recorded, and the resume runs them.
      if (stopping()) {
        stopped = true;
        break;
      }
      const std::uint32_t attempt = state.before + 1;
      std::optional<Grant> grant;
      if (pool_) {
        grant = pool_->acquire(wants, item, [this] { return stopping(); });
        if (!grant) {
          stopped = true;
          break;
        }
        running_.fetch_add(1);
        if (wake_) wake_();
      }
      struct Give {
        TaskRunner* runner;
        const std::optional<Grant>& grant;
        ~Give() {
          if (!grant) return;
          runner->pool_->release(*grant);
          runner->running_.fetch_sub(1);
        }
      } give{this, grant};
      const CommandSpec spec = spec_for(shard, item, slot, attempt, grant ? &*grant : nullptr, env);
      const CommandResult result = run_command(spec, live_);
      ok = result.succeeded();
      // (A timeout's own SIGTERM is not the scheduler's.)
      if (!ok && !result.timed_out && ended_by_stop_signal(result)) wait_for_stop();
      if (!ok && stopping()) {
        stopped = true;
        break;
      }
      if (result.spawn_failed)
        std::fprintf(stderr, "shardrun: rank %d: task %llu: %s\n", rank_,
                     static_cast<unsigned long long>(number(item)), result.error.c_str());
      TaskRecord record{number(item),
                        attempt,
                        rank_,
                        slot,
                        result.start_s,
                        result.duration_s,
                        result.exit_code,
                        result.signal,
                        result.timed_out,
                        host_,
                        spec.command};
      record.name = wants.name;
      record.cpus = wants.cpus;
      record.mem_bytes = wants.mem_bytes;
      record.gpus = wants.gpus;
      if (grant) {
        record.cores = ResourcePool::cpu_list(*grant);
        record.devices = pool_->device_list(*grant);
      }
      state.before += 1;
      state.left -= 1;
      state.crashes += record.crashed();
      out->records.push_back(std::move(record));
      if (ok && journal_) journal_->append(out->records.back());
      note_end(number(item), ok);
      // With other ranks, a retry runs on one of them, in the next pass.
      if (!ok && ranks_ > 1 && may_try()) {
        out->deferred.push_back({shard.id, item, state, rank_});
        deferred = true;
      }
    }
    if (!ok && !deferred && !stopped && options_.halt_on_error) halted_ = true;
  }
  // Not done yet: a resume, or the next pass, runs what is left of it.
  out->interrupted = stopped || !out->deferred.empty();
  return out;
}

int TaskRunner::acquire_slot() {
  std::lock_guard lock(slots_mutex_);
  int slot = 1;
  while (busy_slots_.count(slot)) ++slot;
  busy_slots_.insert(slot);
  return slot;
}

void TaskRunner::release_slot(int slot) {
  std::lock_guard lock(slots_mutex_);
  busy_slots_.erase(slot);
}

void TaskRunner::done(core::ShardOutcome& outcome, io::ResultFile&) {
  auto& out = static_cast<RecordsOutput&>(*outcome.output);
  for (TaskRecord& r : out.records) {
    failed_attempts_ += !r.succeeded();
    records_.push_back(std::move(r));
  }
  deferred_.insert(deferred_.end(), out.deferred.begin(), out.deferred.end());
}

ShapeRunner::Redo TaskRunner::redo(const mpi::Comm& comm, bool stopping) {
  redo_pass_ = false;
  redo_.clear();
  Encoder mine;
  mine.put(static_cast<std::uint8_t>(stopping));
  mine.put(static_cast<std::uint8_t>(quarantined_.load()));
  mine.put(static_cast<std::uint8_t>(succeeded_.load()));
  mine.put(static_cast<std::uint64_t>(deferred_.size()));
  for (const Deferred& d : deferred_) mine.put(d);
  deferred_.clear();
  const Bytes sent = mine.take();
  const std::vector<std::string> parts =
      comm.all_gather(std::string(reinterpret_cast<const char*>(sent.data()), sent.size()));
  Redo out;
  std::vector<int> healthy;
  bool quarantines = false, others_succeed = false;
  std::map<std::uint64_t, std::vector<Deferred>> by_shard;  // ordered: the same plan everywhere
  for (std::size_t r = 0; r < parts.size(); ++r) {
    Decoder in(std::as_bytes(std::span(parts[r].data(), parts[r].size())));
    out.stop = in.get<std::uint8_t>() != 0 || out.stop;
    const bool quarantined = in.get<std::uint8_t>() != 0;
    const bool succeeded = in.get<std::uint8_t>() != 0;
    quarantines = quarantines || quarantined;
    if (!quarantined) healthy.push_back(static_cast<int>(r));
    others_succeed = others_succeed || (succeeded && !quarantined);
    for (auto n = in.get<std::uint64_t>(); n > 0; --n) {
      const auto d = in.get<Deferred>();
      by_shard[d.shard].push_back(d);
    }
  }
  if (out.stop || by_shard.empty()) return out;
  if (quarantines && !others_succeed) {
    // No rank that is not quarantined has run a task successfully (or none
    // is left): the tasks are at fault (or flaky everywhere), not the nodes.
    if (rank_ == 0)
      std::fprintf(stderr,
                   "shardrun: the ranks not quarantined fail their tasks too: the tasks fail, "
                   "not the nodes; quarantine is off for the rest of the run\n");
    quarantine_off_ = true;
    quarantined_ = false;
    healthy.clear();
    for (int r = 0; r < comm.size(); ++r) healthy.push_back(r);
  }
  // Each shard to the healthy rank with the fewest so far, not the one it
  // failed on when there is another.
  std::vector<std::uint64_t> load(static_cast<std::size_t>(comm.size()), 0);
  for (const auto& [shard, tasks] : by_shard) {
    int to = -1;
    for (const int r : healthy)
      if (r != tasks.front().rank && (to < 0 || load[r] < load[to])) to = r;
    if (to < 0) to = healthy.front();
    load[to] += tasks.size();
    if (to != rank_) continue;
    out.shards.push_back(shard);
    for (const Deferred& d : tasks) redo_.emplace(d.item, d);
  }
  redo_pass_ = true;
  out.more = true;
  return out;
}

Bytes TaskRunner::take_delta() {
  Bytes delta = save();
  records_.clear();
  return delta;
}

void TaskRunner::add_delta(std::span<const std::byte> delta) {
  const std::size_t before = records_.size();
  decode_records(delta, records_);
  for (std::size_t i = before; i < records_.size(); ++i)
    failed_attempts_ += !records_[i].succeeded();
}

Bytes TaskRunner::save() const {
  Encoder out;
  encode_records(records_, out);
  return out.take();
}

Bytes TaskRunner::plan_resume(std::span<const std::byte> saved, const core::ShardPlan& plan,
                              std::vector<std::uint8_t>& done) const {
  std::vector<TaskRecord> records;
  decode_records(saved, records);
  if (records.empty()) return {};
  sort_records(records);
  // Per task: attempts before (or kSkipTask), then, from tasks_ on, its
  // crashes so far (attempts ended by a signal, not a timeout's), then, from
  // 2 * tasks_ on, 1 when --retry-failed gives it a whole new budget.
  Bytes tasks(3 * tasks_, std::byte{0});
  const int limit = resources_ ? resources_->pool_options().crash_limit : 0;
  std::uint8_t crashes = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const TaskRecord& r = records[i];
    if (r.task == 0 || r.task > tasks_)
      throw RuntimeError("checkpoint: a task record is out of range");
    if (i == 0 || records[i - 1].task != r.task) crashes = 0;
    if (r.crashed() && crashes < kSkipTask - 1) ++crashes;
    const bool last = i + 1 == records.size() || records[i + 1].task != r.task;
    if (!last) continue;
    const bool crashed_out = limit > 0 && crashes >= limit;
    const std::uint64_t item = item_of(r.task);
    const TaskRequest& wants = request(item);
    const auto budget =
        1 + static_cast<std::uint64_t>(wants.retries >= 0 ? wants.retries : options_.retries);
    // Retries the run did not reach (they wait for the next pass) still run.
    const bool cut_short = r.attempt < budget;
    const bool again = !r.succeeded() && !crashed_out && (options_.retry_failed || cut_short);
    tasks[item] = std::byte(again ? std::min<std::uint32_t>(r.attempt, kSkipTask - 1) : kSkipTask);
    tasks[tasks_ + item] = std::byte(crashes);
    tasks[2 * tasks_ + item] = std::byte(again && options_.retry_failed);
  }
  for (std::uint64_t id = 0; id < plan.count(); ++id) {
    const auto [first, last] = tasks_of(plan.shard(id));
    for (std::uint64_t item = first; item < last && done[id]; ++item)
      if (tasks[item] != std::byte{kSkipTask}) done[id] = 0;
  }
  return tasks;
}

std::vector<std::string> TaskRunner::journal_files(const std::string& prefix) const {
  return TaskJournal::files(prefix);
}

Bytes TaskRunner::recover(Bytes saved, const std::string& prefix) const {
  std::vector<TaskRecord> records;
  decode_records(saved, records);
  std::set<std::pair<std::uint64_t, std::uint32_t>> known;  // (task, attempt)
  for (const TaskRecord& r : records) known.emplace(r.task, r.attempt);
  const std::size_t before = records.size();
  for (const std::string& path : TaskJournal::files(prefix))
    for (TaskRecord& r : TaskJournal::read(path))
      if (r.task >= 1 && r.task <= tasks_ && known.emplace(r.task, r.attempt).second)
        records.push_back(std::move(r));
  if (records.size() == before) return saved;
  Encoder out;
  encode_records(records, out);
  return out.take();
}

void TaskRunner::open_journal(const std::string& prefix, int run, int rank) {
  journal_ = std::make_unique<TaskJournal>(TaskJournal::file_name(prefix, run, rank));
}

void TaskRunner::write_joblog(const std::vector<TaskRecord>& sorted) const {
  io::write_file_atomically(options_.joblog, joblog_text(sorted), "--joblog");
}

JobResult TaskRunner::finish(io::ResultFile& output) {
  sort_records(records_);
  write_records(output.file(), "/tasks", records_);
  const FarmTally t = tally(records_, tasks_);
  output.file().write_attribute("/tasks", "tasks", t.tasks);
  output.file().write_attribute("/tasks", "succeeded", t.succeeded);
  output.file().write_attribute("/tasks", "failed", t.failed);
  output.file().write_attribute("/tasks", "not_run", t.pending);
  // For `shardrun inspect --output`: where each task's output went.
  output.file().write_attribute("/tasks", "output_mode", options_.output_mode);
  std::error_code ec;
  const std::filesystem::path logdir =
      options_.logdir.empty() ? "" : std::filesystem::absolute(options_.logdir, ec);
  output.file().write_attribute("/tasks", "logdir", logdir.string());
  if (!options_.joblog.empty()) write_joblog(records_);

  JobResult result;
  result.summary = std::to_string(t.tasks) + " tasks: " + std::to_string(t.succeeded) +
                   " succeeded, " + std::to_string(t.failed) + " failed";
  if (t.pending) result.summary += ", " + std::to_string(t.pending) + " not run";
  if (t.failed == 0 && t.pending == 0) return result;
  result.exit_status = kExitTasksFailed;
  std::string which;
  for (std::size_t i = 0; i < t.failures.size() && i < 10; ++i)
    which += (i ? ", " : "") + std::string("task ") + std::to_string(t.failures[i]->task) + " (" +
             describe_end(*t.failures[i]) + ")";
  if (t.failures.size() > 10) which += ", ...";
  std::string where = output.path() + ":/tasks";
  if (!options_.joblog.empty()) where += ", " + options_.joblog;
  if (options_.output_mode == "files") where += ", " + options_.logdir + "/TASK.err";
  if (tagged_) where += ", " + TaggedOutput::path(options_.logdir, 0, 2) + " (one a rank)";
  std::fprintf(stderr,
               "shardrun: %llu of %llu tasks failed%s%s%s; see %s (with --checkpoint, "
               "--retry-failed runs them again)\n",
               static_cast<unsigned long long>(t.failed), static_cast<unsigned long long>(t.tasks),
               options_.retries ? " after retries" : "", which.empty() ? "" : ": ", which.c_str(),
               where.c_str());
  if (t.pending)
    std::fprintf(stderr, "shardrun: halted on error: %llu tasks not run\n",
                 static_cast<unsigned long long>(t.pending));
  return result;
}

void TaskRunner::abandon() { live_.terminate_all(1.0); }

}  // namespace shardrun::shapes
