#include "core/run.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <memory>
#include <optional>
#include <thread>

#include "balance/shard_source.hpp"
#include "core/executor.hpp"
#include "core/partial_store.hpp"
#include "core/shard_plan.hpp"
#include "core/threads.hpp"
#include "io/dataset_reader.hpp"
#include "io/result_file.hpp"
#include "mpi/counter_window.hpp"
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
  std::uint64_t item_bytes = 0;
  std::string input;
};

Setup prepare(ReduceJob& job, const RunOptions& options, const mpi::Comm& comm) {
  Setup setup;
  setup.threads = options.threads > 0 ? options.threads : default_threads();
  const auto& strategies = balance_strategies();
  if (std::find(strategies.begin(), strategies.end(), options.balance) == strategies.end())
    throw UsageError("--balance: unknown strategy '" + options.balance + "'");
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

// Counters every rank adds to on rank 0 (progress and the end of execution).
enum Counter { kShardsDone, kItemsDone, kRanksFinished, kCounters };

}  // namespace

int run_reduce_job(const std::string& name, ReduceJob& job, const RunOptions& options,
                   const mpi::Comm& comm) {
  const double started = wall_seconds();
  const bool root = comm.rank() == 0;
  Setup setup;
  std::exception_ptr error;
  try {
    setup = prepare(job, options, comm);
  } catch (...) {
    error = std::current_exception();
  }
  if (int status = settle(comm, error)) return status;
  const ShardPlan& plan = *setup.plan;

  Progress progress(root ? choose_progress_mode(options.quiet) : ProgressMode::off,
                    options.progress_every_s);
  PartialStore store(plan.count());
  ExecutorStats stats;
  {
    mpi::CounterWindow counters(comm, kCounters);
    std::vector<std::uint64_t> now(kCounters, 0);
    auto state = [&]() -> ProgressState {
      return {now[kShardsDone], plan.count(), now[kItemsDone],
              static_cast<double>(setup.item_bytes), wall_seconds() - started};
    };
    auto show_progress = [&] {
      now = counters.read();
      progress.update(state());
      return now[kRanksFinished];
    };
    if (root) progress.update(state());
    try {
      std::unique_ptr<ShardSource> source = make_shard_source(options.balance, comm, plan.count());
      auto work = [&](const Shard& shard) -> PartialPtr {
        if (setup.reader) {
          DatasetShardContext context(*setup.reader, shard);
          return job.process(context);
        }
        IndexShardContext context(shard);
        return job.process(context);
      };
      auto on_done = [&](ShardOutcome&& outcome) {
        const std::uint64_t delta[] = {1, outcome.shard.items()};
        counters.add(delta);
        store.add_leaf(outcome.shard.id, std::move(outcome.partial));
      };
      auto tick = [&] {
        if (root) show_progress();
      };
      stats =
          Executor(setup.threads).run(plan, *source, work, on_done, tick, progress.tick_interval());
    } catch (...) {
      error = std::current_exception();
    }
    const std::uint64_t finished[] = {0, 0, 1};
    counters.add(finished);
    // Rank 0 keeps the progress line alive until every rank is through.
    if (root && !options.quiet) {
      while (show_progress() < static_cast<std::uint64_t>(comm.size()))
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (root) progress.finish(state());
  }
  if (int status = settle(comm, error)) return status;

  // Fold every rank's partials on rank 0 along the fixed tree.
  const std::vector<Bytes> parts = comm.gather_bytes(store.encode());
  RunRecord record;
  record.rank_shards = comm.gather(stats.shards);
  record.rank_busy_s = comm.gather(stats.busy_s);
  const double first_start =
      comm.min(stats.shards ? stats.first_start_s : std::numeric_limits<double>::max());
  const double last_end = comm.max(stats.last_end_s);

  if (root) {
    try {
      PartialStore total(plan.count());
      for (const Bytes& part : parts)
        total.add_encoded(part, [&](Decoder& in) { return job.decode(in); });
      const Partial* result = total.root();
      if (!result) throw RuntimeError("internal error: shards missing from the reduction");

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

      io::ResultFile output(options.output);
      const std::string summary = job.finalize(*result, output);
      Encoder encoded;
      result->encode(encoded);
      const Bytes bytes = encoded.take();
      record.wall_s = wall_seconds() - started;
      write_run_record(output.file(), record);
      output.commit();
      std::printf("%s",
                  format_summary(record, summary, digest_hex(bytes.data(), bytes.size())).c_str());
      std::fflush(stdout);
    } catch (...) {
      error = std::current_exception();
    }
  }
  return settle(comm, error);
}

}  // namespace shardrun
