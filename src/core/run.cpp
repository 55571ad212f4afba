#include "core/run.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <memory>
#include <optional>
#include <thread>

#include "balance/shard_source.hpp"
#include "balance/steal_source.hpp"
#include "balance/weights.hpp"
#include "core/executor.hpp"
#include "core/shape_runner.hpp"
#include "core/shard_plan.hpp"
#include "core/threads.hpp"
#include "io/dataset_reader.hpp"
#include "io/result_file.hpp"
#include "mpi/atomic_window.hpp"
#include "report/progress.hpp"
#include "report/run_record.hpp"

namespace shardrun {
namespace {

class DatasetShardContext : public ShardContext {
 public:
  DatasetShardContext(const io::DatasetReader& reader, const Shard& shard)
      : reader_(reader), shard_(shard) {}
  const Shard& shard() const override { return shard_; }
  void for_each_block(const std::function<void(const Block&)>& fn) override {
    static thread_local Bytes buffer;  // one bounded buffer per worker thread
    const std::uint64_t row_bytes = reader_.row_bytes();
    const std::uint64_t rows_per_block =
        std::max<std::uint64_t>(1, io::kReadBlockBytes / row_bytes);
    const std::uint64_t block_bytes = std::min(rows_per_block, shard_.items()) * row_bytes;
    if (buffer.size() < block_bytes) buffer.resize(block_bytes);
    const InputInfo& info = reader_.info();
    for (std::uint64_t row = shard_.begin; row < shard_.end; row += rows_per_block) {
      const std::uint64_t rows = std::min(rows_per_block, shard_.end - row);
      reader_.read_rows(row, rows, buffer.data());
      fn(Block{info.type, buffer.data(), row, rows, info.cols});
    }
  }

 private:
  const io::DatasetReader& reader_;
  Shard shard_;
};

class IndexShardContext : public ShardContext {
 public:
  explicit IndexShardContext(const Shard& shard) : shard_(shard) {}
  const Shard& shard() const override { return shard_; }
  void for_each_block(const std::function<void(const Block&)>&) override {
    throw std::logic_error("for_each_block called by a job without a dataset domain");
  }

 private:
  Shard shard_;
};

struct Setup {
  int threads = 1;
  std::unique_ptr<io::DatasetReader> reader;
  std::optional<ShardPlan> plan;
  std::vector<double> weights;
  std::uint64_t item_bytes = 0;
  std::string input;
  std::unique_ptr<ShapeRunner> runner;
};

Setup prepare(Job& job, const RunOptions& options, const mpi::Comm& comm) {
  Setup setup;
  setup.threads = options.threads > 0 ? options.threads : default_threads();
  const auto& strategies = balance_strategies();
  if (std::find(strategies.begin(), strategies.end(), options.balance) == strategies.end())
    throw UsageError("--balance: unknown strategy '" + options.balance + "'");
  if (!options.weights.empty()) setup.weights = parse_weights(options.weights, comm.size());
  const DomainSpec domain = job.domain();
  std::uint64_t items = 0;
  std::uint64_t default_shard_items = 1;
  std::string input_file;
  if (const auto* dataset = std::get_if<DatasetDomain>(&domain)) {
    const io::DatasetRef ref = io::parse_dataset_ref(dataset->input, "--input");
    setup.reader = std::make_unique<io::DatasetReader>(ref, "--input");
    job.prepare(setup.reader->info());
    items = setup.reader->info().rows;
    setup.item_bytes = setup.reader->row_bytes();
    default_shard_items = ShardPlan::shard_items_for_bytes(setup.item_bytes);
    setup.input = ref.text();
    input_file = ref.file;
  } else {
    const auto& index = std::get<IndexDomain>(domain);
    items = index.items;
    default_shard_items = index.default_shard_items;
  }
  if (comm.rank() == 0) io::check_output_path(options.output, "--output", input_file);
  setup.plan.emplace(items, options.plan, default_shard_items);
  if (options.balance == "steal" && setup.plan->count() >= StealSource::kMaxShards)
    throw UsageError("--balance steal: at most 2^32-1 shards; use fewer (--shards)");
  setup.runner = make_shape_runner(job, setup.plan->count());
  job.setup_rank(comm.rank(), comm.size());
  return setup;
}

// Collective: every rank says how its last phase ended; all return the first
// failure's exit status (0 when none), and rank 0 prints its message.
int settle(const mpi::Comm& comm, std::exception_ptr error) {
  int status = kExitOk;
  std::string message;
  if (error) {
    try {
      std::rethrow_exception(error);
    } catch (const UsageError& e) {
      status = kExitUsageError;
      message = e.what();
    } catch (const std::exception& e) {
      status = kExitRuntimeError;
      message = e.what();
    } catch (...) {
      status = kExitRuntimeError;
      message = "unknown error";
    }
  }
  const std::optional<mpi::RankError> first = comm.first_error(status, message);
  if (!first) return kExitOk;
  if (comm.rank() == 0) {
    const bool name_rank = first->exit_status == kExitRuntimeError && comm.size() > 1;
    std::fprintf(stderr, "shardrun: error: %s%s\n",
                 name_rank ? ("rank " + std::to_string(first->rank) + ": ").c_str() : "",
                 first->message.c_str());
  }
  return first->exit_status;
}

// Runs f and returns what it threw, if anything.
template <class F>
std::exception_ptr attempt(F&& f) {
  try {
    f();
  } catch (...) {
    return std::current_exception();
  }
  return nullptr;
}

// Counters every rank adds to on rank 0 (progress and the end of execution).
enum Counter { kShardsDone, kItemsDone, kRanksFinished, kCounters };

// Runs this rank's shards; rank 0 also shows the progress of all ranks.
ExecutorStats execute(const Job& job, Setup& setup, io::ResultFile& output,
                      ShardSource& source, const RunOptions& options, const mpi::Comm& comm,
                      double started, double& work_done, std::exception_ptr& error) {
  const bool root = comm.rank() == 0;
  const ShardPlan& plan = *setup.plan;
  Progress progress(root ? choose_progress_mode(options.quiet) : ProgressMode::off,
                    options.progress_every_s);
  mpi::AtomicWindow counters(comm, root ? kCounters : 0);
  std::vector<std::uint64_t> now(kCounters, 0);
  auto state = [&]() -> ProgressState {
    return {now[kShardsDone], plan.count(), now[kItemsDone], static_cast<double>(setup.item_bytes),
            wall_seconds() - started};
  };
  auto show_progress = [&] {
    for (int c = 0; c < kCounters; ++c) now[c] = counters.load(0, c);
    progress.update(state());
    return now[kRanksFinished];
  };
  if (root) progress.update(state());
  ExecutorStats stats;
  error = attempt([&] {
    auto work = [&](const Shard& shard) -> std::unique_ptr<ShardOutput> {
      if (setup.reader) {
        DatasetShardContext context(*setup.reader, shard);
        return setup.runner->process(context);
      }
      IndexShardContext context(shard);
      return setup.runner->process(context);
    };
    auto on_done = [&](ShardOutcome&& outcome) {
      setup.runner->done(outcome, output);
      work_done += job.work(outcome.shard);
      counters.fetch_add(0, kShardsDone, 1);
      counters.fetch_add(0, kItemsDone, outcome.shard.items());
    };
    auto tick = [&] {
      if (root) show_progress();
    };
    stats =
        Executor(setup.threads).run(plan, source, work, on_done, tick, progress.tick_interval());
  });
  counters.fetch_add(0, kRanksFinished, 1);
  // Rank 0 keeps the progress line alive until every rank is through.
  if (root && !options.quiet) {
    while (show_progress() < static_cast<std::uint64_t>(comm.size()))
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (root) progress.finish(state());
  return stats;
}

}  // namespace

int run_job(const std::string& name, Job& job, const RunOptions& options, const mpi::Comm& comm) {
  const double started = wall_seconds();
  const bool root = comm.rank() == 0;
  Setup setup;
  if (int status = settle(comm, attempt([&] { setup = prepare(job, options, comm); })))
    return status;
  const ShardPlan& plan = *setup.plan;

  std::optional<io::ResultFile> output;
  if (int status = settle(comm, attempt([&] {
                            output.emplace(options.output, comm);
                            setup.runner->start(*output);
                          })))
    return status;

  ExecutorStats stats;
  SourceStats source_stats;
  double work = 0;
  std::exception_ptr error;
  {
    std::unique_ptr<ShardSource> source =
        make_shard_source(options.balance, comm, plan.count(), setup.weights);
    stats = execute(job, setup, *output, *source, options, comm, started, work, error);
    source_stats = source->stats();
  }
  if (int status = settle(comm, error)) return status;

  if (int status = settle(comm, attempt([&] {
                            setup.runner->collect(comm);
                            output->close_collective();
                          })))
    return status;
  RunRecord record;
  record.rank_shards = comm.gather(stats.shards);
  record.rank_busy_s = comm.gather(stats.busy_s);
  record.rank_steals = comm.gather(source_stats.steals);
  record.rank_stolen_shards = comm.gather(source_stats.stolen_shards);
  const std::vector<double> rank_work = comm.gather(work);
  const double first_start =
      comm.min(stats.shards ? stats.first_start_s : std::numeric_limits<double>::max());
  const double last_end = comm.max(stats.last_end_s);
  const double longest_shard = comm.max(stats.longest_shard_s);

  if (root) {
    error = attempt([&] {
      output->reopen();
      const JobResult result = setup.runner->finish(*output);
      record.job = name;
      record.parameters = job.parameters();
      record.input = setup.input;
      record.balance = options.balance;
      record.ranks = comm.size();
      record.threads = setup.threads;
      record.shards = plan.count();
      record.items = plan.items();
      record.bytes = plan.items() * setup.item_bytes;
      record.makespan_s = last_end - first_start;
      derive_efficiency(record, rank_work, longest_shard);
      record.wall_s = wall_seconds() - started;
      write_run_record(output->file(), record);
      output->commit();
      std::printf("%s", format_summary(record, result.summary, result.digest).c_str());
      std::fflush(stdout);
    });
  }
  return settle(comm, error);
}

}  // namespace shardrun
