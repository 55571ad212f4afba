// The task farm's part of a run: each item of a shard is a shell command,
// tried up to 1 + --retries times; every attempt becomes a record that
// travels to rank 0 and ends in /tasks of the result file and the joblog.
// With more than one rank, a failed task's retry waits for the end of the
// stage's pass and then runs on another rank (redo()); a rank whose last
// --quarantine-after tasks, all different, failed takes no more tasks.
#pragma once

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "shapes/process.hpp"
#include "shapes/resource_pool.hpp"
#include "shapes/shape_runner.hpp"
#include "shapes/tagged_output.hpp"
#include "shapes/task_journal.hpp"
#include "shapes/task_record.hpp"

namespace shardrun::shapes {

class TaskRunner : public ShapeRunner {
 public:
  // Where a task stands before an attempt: attempts made, crashes so far,
  // attempts it may still make in this run.
  struct TaskState {
    std::uint32_t before = 0;
    std::uint32_t crashes = 0;
    std::uint32_t left = 1;
  };
  // A task whose next attempt waits for the next pass (see redo()).
  struct Deferred {
    std::uint64_t shard;
    std::uint64_t item;
    TaskState state;
    std::int32_t rank;  // where it failed, or was handed back untried
  };
  // Tasks: the plan's items, or its shards when the job runs one task per
  // shard. Throws UsageError when --joblog cannot be written.
  TaskRunner(TaskJob& job, const core::ShardPlan& plan, int rank);

  int threads(int chosen) const override { return options_.slots > 0 ? options_.slots : chosen; }
  // The rank's pool (a job with TaskResources): detected or from --pool,
  // checked against every task's request across the ranks. Threads: one a
  // pool cpu (or --slots).
  int prepare(int threads, const mpi::Comm& comm) override;
  bool threads_want_cores() const override { return false; }
  std::uint64_t shards_in_flight_per_thread() const override { return 1; }
  // With a pool, a rank takes a task only once every task it took holds its
  // resources: a task waiting for room stays in the source, where an idle
  // rank can steal it.
  bool limits_taking() const override { return pool_ != nullptr; }
  bool may_take(std::uint64_t in_flight) const override { return in_flight <= running_.load(); }
  void set_wake(std::function<void()> wake) override { wake_ = std::move(wake); }
  std::unique_ptr<core::ShardOutput> process(ShardContext& context) override;
  void done(core::ShardOutcome& outcome, io::ResultFile& output) override;
  Bytes take_delta() override;
  void add_delta(std::span<const std::byte> delta) override;
  Bytes save() const override;
  bool halt_requested() const override { return halted_.load(); }
  std::uint64_t failed_attempts() const override { return failed_attempts_; }
  Redo redo(const mpi::Comm& comm, bool stopping) override;
  bool quarantined() const override { return quarantined_.load(); }
  JobResult finish(io::ResultFile& output) override;
  void abandon() override;
  // A task that succeeded never runs again; with --retry-failed, one that
  // failed does, and a shard holding such a task runs again.
  Bytes plan_resume(std::span<const std::byte> saved, const core::ShardPlan& plan,
                    std::vector<std::uint8_t>& done) const override;
  void set_resume(Bytes resume) override { previous_ = std::move(resume); }
  // Every task that succeeded is journaled before its slot takes another.
  std::vector<std::string> journal_files(const std::string& prefix) const override;
  Bytes recover(Bytes saved, const std::string& prefix) const override;
  void open_journal(const std::string& prefix, int run, int rank) override;

 private:
  // Task indices (0-based) of a shard: its items, or the shard itself.
  std::pair<std::uint64_t, std::uint64_t> tasks_of(const Shard& shard) const;
  CommandSpec spec_for(const Shard& shard, std::uint64_t task, int slot, std::uint32_t attempt,
                       const Grant* grant, std::vector<std::string>& env) const;
  // The number users know a task by (SHARDRUN_TASK, /tasks): item + 1 unless
  // the job orders its tasks otherwise than listed.
  std::uint64_t number(std::uint64_t item) const {
    return resources_ ? resources_->task_number(item) : item + 1;
  }
  std::uint64_t item_of(std::uint64_t number) const {
    return item_of_number_.empty() ? number - 1 : item_of_number_[number - 1];
  }
  const TaskRequest& request(std::uint64_t item) const {
    return resources_ ? resources_->request(item) : one_cpu_;
  }
  // nullopt: skip the task (done before, or not part of this redo pass).
  std::optional<TaskState> state_of(std::uint64_t item) const;
  // After every attempt: counts the rank's failing streak, and quarantines
  // it at --quarantine-after distinct failed tasks.
  void note_end(std::uint64_t task, bool ok);
  void write_joblog(const std::vector<TaskRecord>& sorted) const;
  void wait_for_stop() const;
  int acquire_slot();  // the lowest slot number not in use, from 1
  void release_slot(int slot);

  TaskJob& job_;
  const TaskResources* resources_;  // null: one slot a task, as before pools
  TaskRequest one_cpu_;
  std::vector<std::uint64_t> item_of_number_;  // empty: number = item + 1
  std::unique_ptr<ResourcePool> pool_;         // after prepare(), with resources_
  bool per_shard_;
  TaskOptions options_;
  std::uint64_t tasks_;
  int rank_;
  std::string host_;
  int ranks_ = 1;
  std::vector<std::string> base_env_;
  // Per task, from plan_resume(): 0 to run it, kSkipTask to skip it, k to run
  // it after k earlier attempts; then, from tasks_ on, its crashes; then,
  // from 2 * tasks_ on, 1 when --retry-failed gives it a whole new budget.
  // Empty when nothing was resumed.
  static constexpr std::uint8_t kSkipTask = 255;
  Bytes previous_;
  // Redo passes: the tasks each pass runs (set by redo() between passes,
  // read by the workers during one), and those handed back in this one.
  bool redo_pass_ = false;
  std::unordered_map<std::uint64_t, Deferred> redo_;  // by item
  std::vector<Deferred> deferred_;                    // main thread, from done()
  // Quarantine: the distinct tasks that failed here since the last success.
  std::mutex streak_mutex_;
  std::set<std::uint64_t> failing_;
  std::atomic<bool> quarantined_{false};
  std::atomic<bool> succeeded_{false};       // a task of this rank's succeeded in this run
  std::atomic<bool> quarantine_off_{false};  // lifted by redo(): the tasks are at fault
  std::vector<TaskRecord> records_;          // rank 0: all so far; others: since the last delta
  std::uint64_t failed_attempts_ = 0;        // in records_ ever added (rank 0: all of them)
  LiveGroups live_;
  std::atomic<std::uint64_t> running_{0};  // attempts holding their resources
  std::function<void()> wake_;             // the executor's: may_take() may say yes now
  std::mutex slots_mutex_;                 // guards busy_slots_
  std::set<int> busy_slots_;               // slots of the shards running now
  std::atomic<bool> halted_{false};
  std::unique_ptr<TaskJournal> journal_;  // this rank's, when checkpointed
  std::unique_ptr<TaggedOutput> tagged_;  // with --output-mode tagged
};

}  // namespace shardrun::shapes
