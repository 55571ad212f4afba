// The `exec` job: a task farm. Each item is one shell command, from a task
// file (--tasks) or a template applied to each line of an argument file
// (--command with --args, GNU parallel's replacement strings).
#pragma once

#include <string>
#include <vector>

#include "shardrun/job.hpp"

namespace shardrun::jobs {

class ExecJob : public TaskJob {
 public:
  void add_options(Options& options) override;
  std::string parameters() const override;
  DomainSpec domain() const override;
  std::string command(std::uint64_t item, int slot) const override;
  bool task_per_shard() const override;
  std::string shard_command(const Shard& shard, int slot) const override;
  const TaskOptions& task_options() const override { return options_; }

 private:
  void load() const;
  void check_over() const;

  std::string tasks_file_;
  std::string template_;
  std::string args_file_;
  std::string over_;              // --over FILE.h5:/path
  std::uint64_t over_range_ = 0;  // --over-range N
  mutable bool loaded_over_ = false;
  TaskOptions options_;
  mutable std::vector<std::string> entries_;  // task lines or arguments, loaded by domain()
};

}  // namespace shardrun::jobs
