#include "python_script.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "shardrun/digest.hpp"

namespace shardrun::jobs::python {

// What `shardrun.Input` holds.
struct InputView {
  py::tuple shape;
  py::dtype dtype;
  std::uint64_t rows;
  py::tuple row_shape;
  std::uint64_t files;
  py::list fill_values;
};

namespace {

namespace fs = std::filesystem;

std::string read_text(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    throw UsageError("--script: " + path +
                     (fs::exists(path, ec) ? " is not a file" : ": no such file"));
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) throw UsageError("--script: cannot read " + path);
  return text.str();
}

// "3.11" from a venv's pyvenv.cfg (its `version` or `version_info` line).
std::string venv_python_version(const std::string& venv) {
  std::ifstream cfg(fs::path(venv) / "pyvenv.cfg");
  if (!cfg)
    throw UsageError("--venv: " + venv +
                     " is not a Python venv (no pyvenv.cfg); make one with "
                     "python3 -m venv");
  for (std::string line; std::getline(cfg, line);) {
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    key.erase(key.find_last_not_of(" \t") + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    if (key != "version" && key != "version_info") continue;
    const auto second_dot = value.find('.', value.find('.') + 1);
    return value.substr(0, second_dot);
  }
  return "";
}

// Once per process: the interpreter, as `python3` (or the venv's python)
// would start, without its signal handlers (the engine owns SIGINT/SIGTERM).
void start_interpreter(const std::string& venv, const std::string& script) {
  static std::string started_venv;
  if (Py_IsInitialized()) {
    if (venv != started_venv)
      throw UsageError("--venv: this process already runs Python from another environment");
    return;
  }
  // numpy's BLAS would start a thread per core in every shard's thread.
  for (const char* name : {"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"})
    setenv(name, "1", 0);
  PyConfig config;
  PyConfig_InitPythonConfig(&config);
  config.install_signal_handlers = 0;
  config.parse_argv = 0;
  if (!venv.empty()) {
    const std::string version = venv_python_version(venv);
    const std::string embedded =
        std::to_string(PY_MAJOR_VERSION) + "." + std::to_string(PY_MINOR_VERSION);
    if (version != embedded)
      throw UsageError("--venv: " + venv + " was made with Python " +
                       (version.empty() ? "of an unknown version" : version) +
                       "; shardrun embeds Python " + embedded + ": make the venv with python" +
                       embedded + " -m venv");
    // As if the venv's python ran: sys.prefix and site-packages are the venv's.
    const std::string program = (fs::absolute(venv) / "bin" / "python").string();
    PyConfig_SetBytesString(&config, &config.program_name, program.c_str());
  }
  const char* argv[] = {script.c_str()};
  try {
    py::initialize_interpreter(&config, 1, argv, false);
  } catch (const std::exception& e) {
    throw UsageError(std::string("python: cannot start the interpreter: ") + e.what());
  }
  started_venv = venv;
  PyEval_SaveThread();  // the GIL is taken by whoever calls in
}

py::object attribute(const py::module_& module, const char* name) {
  return py::hasattr(module, name) ? py::object(module.attr(name)) : py::object(py::none());
}

}  // namespace

std::map<std::string, std::string> parse_args(const std::vector<std::string>& args) {
  std::map<std::string, std::string> pairs;
  for (const std::string& arg : args) {
    const auto eq = arg.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UsageError("--arg: expected KEY=VALUE, got '" + arg + "'");
    if (!pairs.emplace(arg.substr(0, eq), arg.substr(eq + 1)).second)
      throw UsageError("--arg: " + arg.substr(0, eq) + " given twice");
  }
  return pairs;
}

std::unique_ptr<Script> Script::load(const ScriptOptions& options) {
  std::unique_ptr<Script> script(new Script);
  script->path_ = options.script;
  const std::string source = read_text(options.script);
  script->digest_ = digest_hex(source.data(), source.size());
  script->args_ = parse_args(options.args);
  start_interpreter(options.venv, options.script);

  py::gil_scoped_acquire gil;
  const std::string& path = options.script;
  const auto fail = [&](const std::string& what) {
    return UsageError("--script " + path + ": " + what);
  };
  try {
    // Like `python3 script.py`: its directory first on sys.path.
    py::module_::import("sys").attr("path").attr("insert")(
        0, fs::absolute(path).parent_path().string());
    py::module_::import("numpy");
    py::module_::import("shardrun");  // registers the Shard and Input types
  } catch (py::error_already_set& e) {
    throw fail("cannot import numpy: " + script->describe(e) +
               (options.venv.empty() ? ""
                                     : " (install numpy in the venv " + options.venv +
                                           ", or make it with --system-site-packages)"));
  }
  py::module_ module;
  try {
    module = py::module_::import("types").attr("ModuleType")("shardrun_script");
    module.attr("__file__") = fs::absolute(path).string();
    // Registered, so that pickle finds classes the script defines.
    py::module_::import("sys").attr("modules")["shardrun_script"] = module;
    const py::object code = py::module_::import("builtins").attr("compile")(source, path, "exec");
    py::module_::import("builtins").attr("exec")(code, module.attr("__dict__"));
  } catch (py::error_already_set& e) {
    throw fail(script->describe(e));
  }

  script->process = attribute(module, "process");
  script->combine = attribute(module, "combine");
  script->finalize = attribute(module, "finalize");
  script->outputs = attribute(module, "outputs");
  const bool map = !script->outputs.is_none(), reduce = !script->combine.is_none();
  if (script->process.is_none() || !py::isinstance<py::function>(script->process))
    throw fail("defines no function process(block, shard)");
  if (map && reduce)
    throw fail("defines both outputs (a map job) and combine (a reduce job); keep one");
  if (!map && !reduce)
    throw fail(script->finalize.is_none()
                   ? "defines neither combine(a, b) (a reduce job) nor outputs (a map job)"
                   : "defines finalize but no combine(a, b), which a reduce job needs");
  if (map && !script->finalize.is_none())
    throw fail("a map job (it defines outputs) has no finalize; remove it");
  script->shape_ = map ? JobShape::map : JobShape::reduce;

  const py::object setup = attribute(module, "setup");
  if (!setup.is_none()) {
    try {
      py::dict args;
      for (const auto& [key, value] : script->args_) args[py::str(key)] = value;
      setup(args);
    } catch (py::error_already_set& e) {
      throw fail("setup: " + script->describe(e));
    }
  }
  return script;
}

Script::~Script() {
  if (!Py_IsInitialized()) return;  // refused before the interpreter started
  py::gil_scoped_acquire gil;
  process = combine = finalize = outputs = py::object();
  // The interpreter is never finalized: what the script printed is flushed here.
  try {
    const py::module_ sys = py::module_::import("sys");
    sys.attr("stdout").attr("flush")();
    sys.attr("stderr").attr("flush")();
  } catch (py::error_already_set&) {
  }
}

std::string Script::describe(const py::error_already_set& error) const {
  const py::object value = error.value();
  std::string type = py::str(error.type().attr("__name__"));
  std::string where;
  if (py::isinstance(value, py::module_::import("builtins").attr("SyntaxError"))) {
    const py::object file = value.attr("filename"), line = value.attr("lineno");
    if (!file.is_none()) where = text(file) + ":" + text(line);
    return where + (where.empty() ? "" : ": ") + type + ": " + text(value.attr("msg"));
  }
  if (error.trace()) {
    const py::list frames = py::module_::import("traceback").attr("extract_tb")(error.trace());
    // The innermost frame in the script, else the innermost one.
    for (const py::handle frame : frames) {
      const std::string file = py::str(frame.attr("filename"));
      if (where.empty() || file == path_) where = file + ":" + text(frame.attr("lineno"));
    }
  }
  std::string message = py::str(value);
  return where + (where.empty() ? "" : ": ") + type + (message.empty() ? "" : ": " + message);
}

py::dtype numpy_dtype(ElementType type) {
  static const char* const names[] = {"i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f4", "f8"};
  return py::dtype(names[static_cast<int>(type)]);
}

ElementType element_type(const py::dtype& dtype, const std::string& what) {
  const char kind = dtype.kind();
  const auto size = dtype.itemsize();
  const bool native = dtype.attr("isnative").cast<bool>();
  if (native && kind == 'b') return ElementType::u8;
  if (native && (kind == 'i' || kind == 'u') &&
      (size == 1 || size == 2 || size == 4 || size == 8)) {
    const int log = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
    return static_cast<ElementType>((kind == 'u' ? 4 : 0) + log);
  }
  if (native && kind == 'f' && size == 4) return ElementType::f32;
  if (native && kind == 'f' && size == 8) return ElementType::f64;
  throw RuntimeError(what + ": dtype " + text(dtype) +
                     " cannot be stored; use a native integer, float32, float64 or bool");
}

py::object shard_object(const Shard& shard) { return py::cast(shard); }

py::object input_object(const InputInfo& info) {
  py::tuple shape(info.shape.size()), row_shape(info.row_shape().size());
  for (std::size_t i = 0; i < info.shape.size(); ++i) shape[i] = info.shape[i];
  for (std::size_t i = 0; i < info.row_shape().size(); ++i) row_shape[i] = info.row_shape()[i];
  const py::dtype dtype = numpy_dtype(info.type);
  py::list fills;
  for (std::uint64_t bits : info.fill_values) {
    // The value's bytes, zero-extended: read back in the dataset's dtype.
    fills.append(py::module_::import("numpy")
                     .attr("frombuffer")(
                         py::bytes(reinterpret_cast<const char*>(&bits), dtype.itemsize()), dtype)
                     .attr("item")(0));
  }
  return py::cast(InputView{shape, dtype, info.rows, row_shape, info.files, fills});
}

void* BlockBuffer::reserve(std::size_t bytes) {
  py::gil_scoped_acquire gil;
  // A script that kept the last block (or a view of it) holds a reference.
  if (!arena_ || Py_REFCNT(arena_) > 1 || bytes_ < bytes) {
    py::array arena(
        py::dtype("u1"),
        std::vector<py::ssize_t>{static_cast<py::ssize_t>(std::max<std::size_t>(bytes, 1))});
    arena.attr("setflags")(py::arg("write") = false);  // views of it are read-only
    Py_XDECREF(arena_);
    arena_ = arena.release().ptr();
    bytes_ = std::max<std::size_t>(bytes, 1);
  }
  return const_cast<void*>(py::reinterpret_borrow<py::array>(arena_).data());
}

py::array BlockBuffer::view(const InputInfo& info, const Shard& shard) const {
  std::vector<py::ssize_t> shape{static_cast<py::ssize_t>(shard.items())};
  for (std::uint64_t d : info.row_shape()) shape.push_back(static_cast<py::ssize_t>(d));
  const auto arena = py::reinterpret_borrow<py::array>(arena_);
  return py::array(numpy_dtype(info.type), shape, {}, arena.data(), arena);
}

BlockBuffer& BlockBuffer::of_this_thread() {
  // Never destroyed: a thread's exit must not touch Python without the GIL.
  static thread_local BlockBuffer* buffer = new BlockBuffer;
  return *buffer;
}

}  // namespace shardrun::jobs::python

PYBIND11_EMBEDDED_MODULE(shardrun, m) {
  namespace py = pybind11;
  using shardrun::Shard;
  using View = shardrun::jobs::python::InputView;
  m.doc() = "What shardrun passes to a Python job (docs/python-jobs.md)";
  py::class_<Shard>(m, "Shard")
      .def_readonly("id", &Shard::id)
      .def_readonly("begin", &Shard::begin)
      .def_readonly("end", &Shard::end)
      .def("__len__", &Shard::items)
      .def("__repr__", [](const Shard& s) {
        return "Shard(id=" + std::to_string(s.id) + ", begin=" + std::to_string(s.begin) +
               ", end=" + std::to_string(s.end) + ")";
      });
  py::class_<View>(m, "Input")
      .def_readonly("shape", &View::shape)
      .def_readonly("dtype", &View::dtype)
      .def_readonly("rows", &View::rows)
      .def_readonly("row_shape", &View::row_shape)
      .def_readonly("files", &View::files)
      .def_readonly("fill_values", &View::fill_values);
}
