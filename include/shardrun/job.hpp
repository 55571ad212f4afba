// The job interface: what a job author implements. Three shapes share one
// engine (see docs/architecture.md): reduce (shard → partial → combined
// result), map (shard → its slice of output datasets) and tasks (shard → shell
// commands).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "shardrun/element_type.hpp"
#include "shardrun/options.hpp"
#include "shardrun/partial.hpp"
#include "shardrun/result_writer.hpp"
#include "shardrun/shard.hpp"

namespace shardrun {

// The rows of a numeric HDF5 dataset: "FILE.h5:/path", where FILE may also
// be a glob, a directory or @list.txt (many files, one domain) and a
// "#field,..." suffix picks members of a compound table (docs/inputs.md).
struct DatasetDomain {
  std::string input;
};
// A plain index range 0..items-1 with no input data.
struct IndexDomain {
  std::uint64_t items = 0;
  std::uint64_t default_shard_items = 1;  // the job's choice of shard size
  double bytes_per_item = 0;  // input bytes an item stands for (progress in GB/s); 0: none
};
using DomainSpec = std::variant<DatasetDomain, IndexDomain>;

// What the engine found at the job's dataset domain. A dataset of any rank
// (1 to 8) is sharded along its first axis: a row is everything under one
// index of axis 0, `cols` values in row-major order.
struct InputInfo {
  ElementType type = ElementType::f64;
  std::uint64_t rows = 0;
  std::uint64_t cols = 1;  // values in a row: the product of shape[1..]; 1 for a 1-D dataset
  int rank = 1;            // shape.size()
  // The full shape: shape[0] == rows, shape[1..] the shape of a row. Fields
  // picked from a table count as a last axis when there are two or more.
  std::vector<std::uint64_t> shape;
  // The values the dataset marks as missing, in `type`: its _FillValue and
  // missing_value attributes (netCDF's conventions) and the HDF5 fill value
  // it was created with, each one's bytes zero-extended to 64 bits. See
  // shardrun/missing.hpp to use them.
  std::vector<std::uint64_t> fill_values;
  std::string
      fill_values_differ;   // a file of a collection whose fill values differ from the first's
  std::uint64_t files = 1;  // files the domain spans
  // The shape of a row (shape[1..]), for per-element results: {} for a
  // 1-D dataset. (Without `shape`, from rank and cols.)
  std::vector<std::uint64_t> row_shape() const {
    if (shape.empty()) return rank == 1 ? std::vector<std::uint64_t>{} : std::vector{cols};
    return {shape.begin() + 1, shape.end()};
  }
};

enum class JobShape { reduce, map, tasks };

// A job instance lives for one run. Every rank builds its own from the same
// command line, so jobs must not depend on per-rank state.
class Job {
 public:
  virtual ~Job() = default;
  virtual JobShape shape() const = 0;
  // Declares the job's options on its subcommand (`shardrun run NAME`).
  virtual void add_options(Options& options) = 0;
  // Canonical text of the job's parameters, recorded with its results.
  virtual std::string parameters() const = 0;
  // Where the items come from. Called after parsing; throws UsageError on bad options.
  virtual DomainSpec domain() const = 0;
  // Called on every rank before any shard runs; throws UsageError when the
  // input does not suit the job. Only for dataset domains.
  virtual void prepare(const InputInfo& input) { (void)input; }
  // The work in a shard, in any unit the job likes (default: its items). Only
  // for the run record: rank speeds (work per busy second) and the lower
  // bound of the makespan, which mislead when items cost unequal amounts.
  virtual double work(const Shard& shard) const { return static_cast<double>(shard.items()); }
  // Called on every rank before any shard runs, for per-rank preparation such
  // as calibrating a cost model. Results must not depend on the rank.
  virtual void setup_rank(int rank, int ranks) {
    (void)rank;
    (void)ranks;
  }
};

// A job whose shape follows from its options (the Python job: from the
// functions its script defines). After parsing, on every rank, the engine
// calls resolve() once and runs the job it returns in this one's place; that
// job must stay valid while this one lives. Throws UsageError on bad options.
class DeferredJob : public Job {
 public:
  virtual Job& resolve() = 0;
};

// Mixed into a job that prefers another default shard size than the
// engine's (shards of about 4 MiB of input): one that holds each shard whole
// (read_shard) and makes temporaries of its size does best when they stay in
// cache. Used only when the user gives neither --shards nor --shard-rows.
class PrefersShardBytes {
 public:
  virtual ~PrefersShardBytes() = default;
  virtual std::uint64_t default_shard_bytes() const = 0;
};

class ReduceJob : public Job {
 public:
  JobShape shape() const final { return JobShape::reduce; }
  // Computes one shard's partial. Called concurrently for different shards;
  // may use nested TBB parallelism, but its result must not depend on the
  // thread count.
  virtual PartialPtr process(ShardContext& ctx) const = 0;
  virtual PartialPtr decode(Decoder& in) const = 0;
  // Rank 0, once, with the combination of every shard's partial. Writes the
  // result datasets and returns a one-line human summary.
  virtual std::string finalize(const Partial& total, ResultWriter& out) const = 0;
};

// A map job writes each shard's slice of output datasets whose first
// dimension is the domain. The engine creates the datasets at the start (all
// ranks, allocated at once) and a shard counts as done once its rows are written.
struct OutputSpec {
  std::string name;
  ElementType type = ElementType::f64;
  std::vector<std::uint64_t> dims;  // dims[0] == domain items
};
class OutputSink {
 public:
  virtual ~OutputSink() = default;
  virtual void write_rows(const std::string& dataset, std::uint64_t first_row, std::uint64_t rows,
                          const void* data) = 0;
};
class MapJob : public Job {
 public:
  JobShape shape() const final { return JobShape::map; }
  virtual std::vector<OutputSpec> outputs() const = 0;
  // Called concurrently for different shards; writes the shard's rows to out.
  virtual void process(ShardContext& ctx, OutputSink& out) const = 0;
};

// How the engine runs a task job's commands (see the exec job's --help).
struct TaskOptions {
  int slots = 0;               // commands at once per rank; 0: the rank's threads
  double timeout_s = 0;        // per attempt; 0: none
  double kill_after_s = 2;     // after the timeout's SIGTERM, SIGKILL to the group
  int retries = 0;             // further attempts after a failed one
  bool halt_on_error = false;  // stop the farm at the first task that failed after retries
  bool retry_failed = false;   // on resume, run tasks that failed in earlier runs again
  // A rank whose last this-many tasks, all different ones, failed takes no
  // more (a bad node); 0: never. Not with one rank.
  int quarantine_after = 3;
  std::string workdir;  // empty: the current directory
  std::string logdir;   // empty: output discarded; else TASK.out and TASK.err there
  std::string joblog;   // empty: none; else GNU parallel's joblog format
  // Where task output goes: "files" (TASK.out, TASK.err in logdir), "tagged"
  // (logdir/rank-R.out and .err, lines prefixed with the task number) or
  // "none"; empty: see mode().
  std::string output_mode;
  // output_mode, or its default: files with a logdir, else none.
  std::string mode() const {
    return !output_mode.empty() ? output_mode : logdir.empty() ? "none" : "files";
  }
};

// A task job turns each item into one shell command, run by /bin/sh -c in a
// process group of its own. A task succeeds when its command exits 0.
class TaskJob : public Job {
 public:
  JobShape shape() const final { return JobShape::tasks; }
  // The command of item `item` (0-based) when it runs in slot `slot` (1-based).
  virtual std::string command(std::uint64_t item, int slot) const = 0;
  // One task per shard instead of one per item (`exec --over`): task k is
  // shard k, whose command is shard_command(); command() is then unused.
  virtual bool task_per_shard() const { return false; }
  virtual std::string shard_command(const Shard& shard, int slot) const {
    (void)slot;
    return command(shard.begin, slot);
  }
  virtual const TaskOptions& task_options() const = 0;
  // Whether this farm's task list is the one `saved` (an earlier run's
  // parameters()) described with tasks appended and nothing else changed:
  // a resume then runs the new tasks too.
  virtual bool appends_to(const std::string& saved) const {
    (void)saved;
    return false;
  }
};

}  // namespace shardrun
