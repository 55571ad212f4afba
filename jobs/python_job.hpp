// The `python` job: a script's numpy functions over the shards of a dataset
// or an index range (docs/python-jobs.md). It is a reduce job when the script
// defines combine(), a map job when it defines outputs: the engine resolves
// it once the options are parsed.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "python_script.hpp"
#include "shardrun/job.hpp"

namespace shardrun::jobs {

namespace python {

// What the reduce and the map shape share: the options, the script, the input.
class Common {
 public:
  Common(ScriptOptions options, std::unique_ptr<Script> script);
  std::string parameters() const;
  DomainSpec domain() const;
  void prepare(const InputInfo& input);
  const Script& script() const { return *script_; }
  // The script's name and the shards in an error message's head.
  std::string where(const std::string& function, const std::string& shards) const;
  // Calls process(block, shard) and hands its result to `use`, with the GIL
  // held; the shard's rows are read with it released.
  void run_process(ShardContext& ctx, const std::function<void(py::object)>& use) const;
  // The input as the script sees it (`shardrun.Input`); GIL held.
  py::object input_object() const;

 private:
  ScriptOptions options_;
  std::unique_ptr<Script> script_;
  InputInfo input_;
};

// The job a script resolves to (python_shapes.cpp).
std::unique_ptr<Job> make_reduce(std::shared_ptr<Common> common);
std::unique_ptr<Job> make_map(std::shared_ptr<Common> common);

}  // namespace python

class PythonJob : public DeferredJob {
 public:
  JobShape shape() const override;
  void add_options(Options& options) override;
  std::string parameters() const override;
  DomainSpec domain() const override;
  Job& resolve() override;

 private:
  python::ScriptOptions options_;
  std::unique_ptr<Job> resolved_;
};

}  // namespace shardrun::jobs
