// The `exec` job: a task farm. Each item is one shell command, from a task
// file (--tasks) or a template applied to each line of an argument file
// (--command with --args, GNU parallel's replacement strings).
#pragma once

#include <string>
#include <vector>

#include "shardrun/job.hpp"
#include "shardrun/resources.hpp"
#include "task_list.hpp"

namespace shardrun::jobs {

class ExecJob : public TaskJob, public TaskResources {
 public:
  void add_options(Options& options) override;
  std::string parameters() const override;
  bool appends_to(const std::string& saved) const override;
  DomainSpec domain() const override;
  std::string command(std::uint64_t item, int slot) const override;
  bool task_per_shard() const override;
  std::string shard_command(const Shard& shard, int slot) const override;
  const TaskOptions& task_options() const override { return options_; }
  const TaskRequest& request(std::uint64_t item) const override;
  std::uint64_t task_number(std::uint64_t item) const override;
  std::string task_where(std::uint64_t item) const override;
  const PoolOptions& pool_options() const override { return pool_; }

 private:
  void load() const;
  void load_json_list() const;
  void check_over() const;

  std::string tasks_file_;
  std::string template_;
  std::string args_file_;
  std::string over_;              // --over FILE.h5:/path
  std::uint64_t over_range_ = 0;  // --over-range N
  mutable bool loaded_over_ = false;
  TaskOptions options_;
  mutable PoolOptions pool_;  // .place decided by load()
  std::uint32_t cpus_per_task_ = 1;
  std::string mem_per_task_;
  std::uint32_t gpus_per_task_ = 0;
  mutable TaskRequest defaults_;
  // Task lines or arguments, loaded by domain(); for a JSON-lines list in
  // the farm's order (stage, priority, line), with each task's request and
  // its place in the list.
  mutable std::vector<std::string> entries_;
  mutable std::vector<TaskRequest> requests_;
  mutable std::vector<std::uint64_t> numbers_;
  mutable std::vector<std::size_t> lines_;  // of each task in the file
  mutable std::string list_text_;           // a JSON-lines list's tasks as listed, for the digest
  mutable std::vector<std::size_t> text_ends_;  // where each listed task's text ends in it
  // parameters() of the list's first `tasks` tasks as listed.
  std::string parameters_of_first(std::size_t tasks) const;
};

}  // namespace shardrun::jobs
