#include "run/run_setup.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "balance/make_source.hpp"
#include "balance/weights.hpp"
#include "base/clock.hpp"
#include "base/exit_status.hpp"
#include "base/machine.hpp"
#include "checkpoint/fingerprint.hpp"
#include "h5/h5_file.hpp"
#include "mpi/mpi_env.hpp"
#include "run/run_record.hpp"

namespace shardrun::run {
namespace {

namespace fs = std::filesystem;

// What rank 0 tells every rank about a checkpointed run, in one broadcast.
struct ResumeState {
  bool failed = false;  // rank 0 could not open the checkpoint (it prints why)
  bool complete = false;
  bool output_kept = false;        // the working output file holds done shards' rows
  std::uint64_t run_index = 0;     // this run's place in the checkpoint's history
  std::vector<std::uint8_t> done;  // one per shard
  std::vector<double> weights;     // the last run's rank speeds, or empty
  Bytes shape_resume;              // ShapeRunner::plan_resume()
  std::string working;             // the working output file's name (rank 0's cwd)

  Bytes encode() const {
    Encoder out;
    out.put<std::uint64_t>(std::uint64_t{failed} | std::uint64_t{complete} << 1 |
                           std::uint64_t{output_kept} << 2);
    out.put<std::uint64_t>(run_index);
    put_vector(out, done);
    put_vector(out, weights);
    put_vector(out, shape_resume);
    put_vector(out, std::vector<char>(working.begin(), working.end()));
    return out.take();
  }
  static ResumeState decode(const Bytes& bytes) {
    Decoder in(bytes);
    ResumeState s;
    const auto flags = in.get<std::uint64_t>();
    s.failed = flags & 1;
    s.complete = flags & 2;
    s.output_kept = flags & 4;
    s.run_index = in.get<std::uint64_t>();
    get_vector(in, s.done);
    get_vector(in, s.weights);
    get_vector(in, s.shape_resume);
    std::vector<char> working;
    get_vector(in, working);
    s.working.assign(working.begin(), working.end());
    return s;
  }

 private:
  template <class T>
  static void put_vector(Encoder& out, const std::vector<T>& v) {
    out.put<std::uint64_t>(v.size());
    out.put_bytes(v.data(), v.size() * sizeof(T));
  }
  template <class T>
  static void get_vector(Decoder& in, std::vector<T>& v) {
    v.resize(in.get<std::uint64_t>());
    in.get_bytes(v.data(), v.size() * sizeof(T));
  }
};

// Whether `output` is the result a run of this checkpoint published (its
// /run@run_id is that run's): the run was killed after the rename that
// publishes the result and before it marked the checkpoint complete.
bool published_by_a_run(const std::string& output, const std::vector<checkpoint::RunEntry>& runs) {
  const std::string id = run_id_of(output);
  return !id.empty() && std::any_of(runs.begin(), runs.end(),
                                    [&](const checkpoint::RunEntry& r) { return r.run_id == id; });
}

// Rank 0: opens (or starts) the checkpoint and decides what is left to do.
ResumeState open_checkpoint(const std::string& name, Job& job, const RunOptions& options,
                            const mpi::Comm& comm, RunSetup& setup) {
  std::error_code same;
  if (fs::absolute(options.checkpoint).lexically_normal() ==
          fs::absolute(options.output).lexically_normal() ||
      fs::equivalent(options.checkpoint, options.output, same))
    throw UsageError("--checkpoint: " + options.checkpoint + " is the output file");
  checkpoint::RunEntry run;
  run.started_s = base::wall_seconds();
  run.ranks = static_cast<std::uint64_t>(comm.size());
  run.threads = static_cast<std::uint64_t>(setup.threads);
  run.host = base::host_name();
  if (const char* id = std::getenv("SLURM_JOB_ID")) run.slurm_job_id = id;
  run.run_id = setup.run_id;
  auto now = checkpoint::Fingerprint::of(name, options.job_revision, job.parameters(),
                                         setup.reader.get(), *setup.plan, options.plan);
  const auto* farm = dynamic_cast<const TaskJob*>(&job);
  if (farm) now.tasks = farm->task_per_shard() ? setup.plan->count() : setup.plan->items();
  auto appended = [farm](const checkpoint::Fingerprint& saved) {
    return farm && farm->appends_to(saved.parameters);
  };
  setup.checkpoint = std::make_unique<checkpoint::CheckpointSession>(
      options.checkpoint, options.restart, now, run, appended);
  // What finished since the last save is in the shape's journals: take it
  // in (and remove them once a save holds it); journals without a checkpoint
  // to resume are stale (a --restart, a deleted checkpoint): remove them now.
  const std::string journals = checkpoint::journal_prefix(options.checkpoint);
  if (setup.checkpoint->resumed()) {
    setup.checkpoint->set_shape_state(
        setup.runner->recover(setup.checkpoint->state().shape_state, journals));
    setup.checkpoint->remove_after_next_save(setup.runner->journal_files(journals));
  } else {
    for (const std::string& stale : setup.runner->journal_files(journals)) fs::remove(stale);
  }
  const checkpoint::CheckpointState& saved = setup.checkpoint->state();

  ResumeState resume;
  resume.run_index = saved.runs.size() - 1;
  resume.done = saved.done;
  if (const std::uint64_t before = setup.checkpoint->appended_to()) {
    // The plan changed: what is done follows from the tasks' records alone.
    std::printf("shardrun: %s: the task list grew from %llu to %llu tasks; the new ones run\n",
                options.checkpoint.c_str(), static_cast<unsigned long long>(before),
                static_cast<unsigned long long>(now.tasks));
    resume.done.assign(resume.done.size(), 1);
  }
  resume.shape_resume = setup.runner->plan_resume(saved.shape_state, *setup.plan, resume.done);
  if (setup.checkpoint->appended_to() && resume.shape_resume.empty())
    resume.done.assign(resume.done.size(), 0);  // no records: nothing is done
  resume.complete = saved.complete && resume.done == saved.done;
  // "Done" means the result is at --output: if it is not (moved, deleted,
  // another --output), write it again from the saved state, or refuse.
  if (resume.complete && !saved.result_run_id.empty() &&
      run_id_of(options.output) != saved.result_run_id) {
    if (!setup.runner->result_from_state())
      throw UsageError("--checkpoint: " + options.checkpoint +
                       " is complete, but its result is not at " + options.output +
                       " (it was written to " + saved.result_path +
                       "); use that file, or --restart to compute it again");
    std::printf(
        "shardrun: %s is complete; writing its result to %s again from the checkpoint "
        "(no shard runs)\n",
        options.checkpoint.c_str(), options.output.c_str());
    resume.complete = false;
  }
  // Initial blocks sized by the speeds the last run measured on as many ranks.
  const auto& runs = saved.runs;
  if (options.weights.empty() && runs.size() >= 2) {
    const std::vector<double>& speed = runs[runs.size() - 2].rank_speed;
    if (speed.size() == static_cast<std::size_t>(comm.size()) &&
        std::all_of(speed.begin(), speed.end(), [](double s) { return s > 0; }))
      resume.weights = speed;
  }
  const std::string working = io::ResultFile::kept_name(options.output, options.checkpoint);
  resume.working = working;
  setup.checkpoint->set_output_working(working);
  // What finished shards wrote survives in the working file only for shapes
  // that keep it, and only once some are done (the file was flushed before
  // any shard ran); anything else there is rebuilt from scratch.
  const bool rows_done = setup.runner->output_survives_runs() && !options.restart &&
                         std::count(saved.done.begin(), saved.done.end(), 1) > 0;
  std::error_code ec;
  resume.output_kept = rows_done && fs::exists(working, ec) && h5::File::is_hdf5(working);
  if (rows_done && !resume.output_kept && !saved.complete) {
    if (!published_by_a_run(options.output, saved.runs))
      throw UsageError("--checkpoint: " + options.checkpoint + " records rows already written to " +
                       working + ", which is missing or damaged; use --restart to start over");
    std::printf("shardrun: %s is the result an earlier run of %s published; marking it complete\n",
                options.output.c_str(), options.checkpoint.c_str());
    resume.done.assign(saved.done.size(), 1);
    setup.checkpoint->complete(
        {resume.done, saved.shard_seconds, saved.shape_state, "completed", {}},
        options.checkpoint_keep, fs::absolute(options.output).lexically_normal(),
        run_id_of(options.output));
    resume.complete = true;
  }
  if (!resume.output_kept) fs::remove(working, ec);
  setup.resumed_done = resume.done;
  return resume;
}

}  // namespace

RunSetup prepare(Job& job, const RunOptions& options, const mpi::Comm& comm) {
  RunSetup setup;
  if (!options.weights.empty())
    setup.weights = balance::parse_weights(options.weights, comm.size());
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
    default_shard_items = core::ShardPlan::shard_items_for_bytes(setup.item_bytes);
    if (const auto* prefers = dynamic_cast<const PrefersShardBytes*>(&job))
      default_shard_items =
          std::max<std::uint64_t>(1, prefers->default_shard_bytes() / setup.item_bytes);
    setup.input = ref.text();
    input_file = ref.file;
  } else {
    const auto& index = std::get<IndexDomain>(domain);
    items = index.items;
    default_shard_items = index.default_shard_items;
    setup.item_bytes = static_cast<std::uint64_t>(index.bytes_per_item);
  }
  if (comm.rank() == 0) io::check_output_path(options.output, "--output", input_file);
  if (comm.rank() == 0 && !options.checkpoint.empty())
    io::check_output_path(options.checkpoint, "--checkpoint", input_file);
  setup.plan.emplace(items, options.plan, default_shard_items);
  balance::check_balance(options.balance, setup.plan->count());
  setup.balance = options.balance;
  // Without windows across the ranks (a one-sided component forced that
  // cannot span the hosts) only the static strategy works: it needs none.
  if (!mpi::Environment::transport().windows_work && setup.balance != "static") {
    if (comm.rank() == 0)
      std::fprintf(stderr,
                   "shardrun: warning: one-sided MPI: %s; "
                   "balancing with --balance static instead of %s, progress by messages\n",
                   mpi::Environment::transport().one_sided.c_str(), setup.balance.c_str());
    setup.balance = "static";
  }
  setup.runner = shapes::make_shape_runner(job, *setup.plan, comm.rank());
  if (comm.rank() == 0) setup.run_id = new_run_id();
  setup.threads =
      setup.runner->threads(options.threads > 0 ? options.threads : base::default_threads());
  job.setup_rank(comm.rank(), comm.size());
  return setup;
}

namespace {

// What this rank computed the plan from, in words (items, shards, bytes per
// item, the job's parameters: for a farm, its task list's digest).
std::string plan_view(const Job& job, const RunSetup& setup) {
  return std::to_string(setup.plan->items()) + " items in " + std::to_string(setup.plan->count()) +
         " shards of " + std::to_string(setup.item_bytes) + " bytes an item, " + job.parameters();
}

}  // namespace

void check_ranks_agree(const Job& job, const RunSetup& setup, const mpi::Comm& comm) {
  const std::string mine = plan_view(job, setup);
  const std::string root = comm.broadcast(mine);
  if (mine == root) return;
  auto shorten = [](const std::string& s) { return s.size() > 300 ? s.substr(0, 300) + "..." : s; };
  throw UsageError("rank " + std::to_string(comm.rank()) + " sees another input than rank 0 (" +
                   shorten(mine) + "; rank 0: " + shorten(root) +
                   "): a file changed while the ranks started, or a path names other files on "
                   "another node; every rank must see the same input");
}

void plan_work(const std::string& name, Job& job, const RunOptions& options, const mpi::Comm& comm,
               RunSetup& setup) {
  const std::uint64_t shards = setup.plan->count();
  if (options.checkpoint.empty()) {
    setup.todo.resize(shards);
    for (std::uint64_t id = 0; id < shards; ++id) setup.todo[id] = id;
    setup.output = io::ResultFile::temporary_name(options.output, comm.broadcast(setup.run_id));
    return;
  }
  // Rank 0's errors travel in the broadcast too, so no rank waits in a
  // broadcast that rank 0 never reaches.
  ResumeState resume;
  std::exception_ptr error;
  if (comm.rank() == 0) {
    error = base::attempt([&] { resume = open_checkpoint(name, job, options, comm, setup); });
    if (error) {
      resume = ResumeState();
      resume.failed = true;
    }
  }
  resume = ResumeState::decode(comm.broadcast(resume.encode()));
  if (resume.failed) {
    if (error) std::rethrow_exception(error);
    throw UsageError("rank 0 could not open the checkpoint");  // rank 0's message wins
  }
  setup.complete = resume.complete;
  if (!resume.weights.empty()) setup.weights = resume.weights;
  setup.runner->set_resume(std::move(resume.shape_resume));
  setup.runner->open_journal(checkpoint::journal_prefix(options.checkpoint),
                             static_cast<int>(resume.run_index), comm.rank());
  setup.todo.clear();
  for (std::uint64_t id = 0; id < shards; ++id)
    if (resume.done[id] == 0) setup.todo.push_back(id);
  setup.output = {resume.working, resume.output_kept, false};
}

}  // namespace shardrun::run
