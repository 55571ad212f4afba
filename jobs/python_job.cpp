#include "python_job.hpp"

#include <algorithm>
#include <cstdlib>

namespace shardrun::jobs {
namespace python {
namespace {

// Worker threads keep their Python thread state from shard to shard.
void keep_thread_state(py::gil_scoped_acquire& gil) {
  static thread_local bool kept = false;
  if (!kept) gil.inc_ref();
  kept = true;
}

}  // namespace

Common::Common(ScriptOptions options, std::unique_ptr<Script> script)
    : options_(std::move(options)), script_(std::move(script)) {}

std::string Common::parameters() const {
  // The script's content and the --arg values: a resume with another
  // script or other arguments is refused (its file name may change).
  std::string text = "script=" + script_->digest() + ";args=";
  for (const auto& [key, value] : script_->args()) text += key + "=" + value + ";";
  if (options_.items) text += "items=" + std::to_string(options_.items);
  return text;
}

DomainSpec Common::domain() const {
  if (!options_.input.empty()) return DatasetDomain{options_.input};
  // About a thousand shards, at most 1 Mi items each.
  const std::uint64_t per_shard = std::clamp<std::uint64_t>(options_.items / 1024, 1, 1 << 20);
  return IndexDomain{options_.items, per_shard, 0};
}

void Common::prepare(const InputInfo& input) { input_ = input; }

std::string Common::where(const std::string& function, const std::string& shards) const {
  return "python job " + script_->path() + ": " + function + " (" + shards + "): ";
}

py::object Common::input_object() const {
  if (!options_.input.empty()) return python::input_object(input_);
  InputInfo range;  // an index range: items of int64
  range.type = ElementType::i64;
  range.rows = options_.items;
  range.shape = {options_.items};
  return python::input_object(range);
}

void Common::run_process(ShardContext& ctx, const std::function<void(py::object)>& use) const {
  const Shard& shard = ctx.shard();
  const bool dataset = !options_.input.empty();
  BlockBuffer& buffer = BlockBuffer::of_this_thread();
  if (dataset) {
    void* rows = buffer.reserve(shard.items() * input_.cols * element_size(input_.type));
    ctx.read_shard(rows);
  }
  py::gil_scoped_acquire gil;
  keep_thread_state(gil);
  try {
    py::object block =
        dataset ? py::object(buffer.view(input_, shard))
                : py::object(py::module_::import("builtins").attr("range")(shard.begin, shard.end));
    py::object result = script_->process(block, shard_object(shard));
    block = py::object();  // the buffer is free again unless the script kept it
    use(std::move(result));
  } catch (py::error_already_set& e) {
    throw RuntimeError(where("process", "shard " + std::to_string(shard.id)) +
                       script_->describe(e));
  }
}

}  // namespace python

JobShape PythonJob::shape() const { return resolved_ ? resolved_->shape() : JobShape::reduce; }

void PythonJob::add_options(Options& options) {
  options.add("--script", options_.script, "The job's Python file (docs/python-jobs.md)")
      .required();
  auto input = options.add("--input", options_.input,
                           "Dataset FILE.h5:/path (also a glob, a directory or @list.txt of "
                           "files, and #fields of a table): process(block, shard) gets each "
                           "shard's rows as a read-only numpy array");
  auto items = options.add("--items", options_.items,
                           "No input data: items 0..N-1, each shard's block a range()");
  items.positive().excludes(input);
  options.add("--arg", options_.args,
              "KEY=VALUE for the script's setup(args) (repeat it); part of the job's parameters");
  options.add("--venv", options_.venv,
              "A venv (made with the same Python version as shardrun embeds) whose packages "
              "the script imports (default: $VIRTUAL_ENV)");
  options.footer(
      "The script defines process(block, shard) and either combine(a, b) with an optional "
      "finalize(total) returning {name: array} (a reduce job), or outputs = {name: (dtype, "
      "row_shape)} (or outputs(input) returning it) with process returning {name: rows} (a map "
      "job); setup(args) is optional. See docs/python-jobs.md.\n"
      "The threads of a rank share one interpreter and take turns holding its lock (the GIL): "
      "run one rank per core, with one thread each (mpirun's default binding does).\n"
      "Errors in the script exit 1 naming the shard and the file:line; a script that cannot "
      "load exits 2.");
}

std::string PythonJob::parameters() const {
  if (!resolved_) throw std::logic_error("python job used before resolve()");
  return resolved_->parameters();
}

DomainSpec PythonJob::domain() const {
  if (!resolved_) throw std::logic_error("python job used before resolve()");
  return resolved_->domain();
}

Job& PythonJob::resolve() {
  if (resolved_) return *resolved_;
  if (options_.input.empty() && options_.items == 0)
    throw UsageError("python: give --input DATASET or --items N");
  if (options_.venv.empty())
    if (const char* venv = std::getenv("VIRTUAL_ENV")) options_.venv = venv;
  auto script = python::Script::load(options_);
  const JobShape shape = script->shape();
  auto common = std::make_shared<python::Common>(options_, std::move(script));
  resolved_ = shape == JobShape::map ? python::make_map(common) : python::make_reduce(common);
  return *resolved_;
}

}  // namespace shardrun::jobs
