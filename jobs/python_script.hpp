// A Python job's script, loaded into this rank's embedded CPython
// (docs/python-jobs.md). One interpreter per process, started on first use
// and never finalized (numpy and thread states make Py_Finalize unsafe while
// engine threads live); every call into it holds the GIL, which the engine's
// threads take in turn.
#pragma once

#include <pybind11/embed.h>
#include <pybind11/numpy.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "shardrun/job.hpp"

namespace shardrun::jobs::python {

namespace py = pybind11;

// str(value), as C++ text; GIL held.
inline std::string text(py::handle value) { return py::str(value).cast<std::string>(); }

struct ScriptOptions {
  std::string script;
  std::string input;
  std::uint64_t items = 0;
  std::vector<std::string> args;  // KEY=VALUE
  std::string venv;               // default: $VIRTUAL_ENV
};

// "KEY=VALUE" pairs; throws UsageError naming --arg for a pair without '=',
// an empty key or a key given twice.
std::map<std::string, std::string> parse_args(const std::vector<std::string>& args);

// The script's functions: a reduce job has combine(), a map job outputs.
class Script {
 public:
  // Starts the interpreter (in the venv, if any) and runs the script as the
  // module `shardrun_script`; throws UsageError naming the script (and the
  // file:line of a syntax error or of an exception while it ran, or in setup()).
  static std::unique_ptr<Script> load(const ScriptOptions& options);
  ~Script();

  JobShape shape() const { return shape_; }
  const std::string& path() const { return path_; }  // as the user gave it
  const std::string& digest() const { return digest_; }
  const std::map<std::string, std::string>& args() const { return args_; }

  // The functions; call with the GIL held. finalize and outputs may be None.
  py::object process, combine, finalize, outputs;

  // "file:line: Type: message" of the exception in flight, naming the frame
  // in the script where there is one. Call with the GIL held.
  std::string describe(const py::error_already_set& error) const;

 private:
  Script() = default;
  std::string path_;
  std::string digest_;
  std::map<std::string, std::string> args_;
  JobShape shape_ = JobShape::reduce;
};

// numpy's dtype of an element type, and back: throws RuntimeError (with
// `what` at its start) for a dtype shardrun cannot store (bool is stored as
// uint8).
py::dtype numpy_dtype(ElementType type);
ElementType element_type(const py::dtype& dtype, const std::string& what);

// `shardrun.Shard` (id, begin, end, len()) and `shardrun.Input` (shape,
// dtype, rows, row_shape, files, fill_values) objects for the script.
py::object shard_object(const Shard& shard);
py::object input_object(const InputInfo& info);

// The shard's rows as a read-only array of shape (rows, ...row shape) in
// the dataset's dtype over a buffer of this thread that the rows are read
// into; a buffer the script kept a reference to is never reused.
class BlockBuffer {
 public:
  // A buffer for `bytes` (GIL held), then the read into it (GIL released).
  void* reserve(std::size_t bytes);
  py::array view(const InputInfo& info, const Shard& shard) const;
  static BlockBuffer& of_this_thread();

 private:
  PyObject* arena_ = nullptr;  // a uint8 numpy array, never freed while in use
  std::size_t bytes_ = 0;
};

}  // namespace shardrun::jobs::python
