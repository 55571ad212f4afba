// The two shapes a Python job takes: reduce (partials are the script's
// objects, pickled between ranks and into checkpoints) and map (the script
// returns each shard's rows of its declared outputs).
#include <cstring>

#include "python_job.hpp"

namespace shardrun::jobs::python {
namespace {

std::string shard_range(std::uint64_t first, std::uint64_t last) {
  return first == last ? "shard " + std::to_string(first)
                       : "shards " + std::to_string(first) + "-" + std::to_string(last);
}

// A result name: a dataset at the root of the output file, beside /run.
std::string check_name(const py::handle key, const std::string& what) {
  if (!py::isinstance<py::str>(key))
    throw RuntimeError(what + ": names must be str, got " + text(py::repr(key)));
  std::string name = py::str(key);
  if (name.empty() || name.find('/') != std::string::npos || name == "run" || name == "." ||
      name.find('\0') != std::string::npos)
    throw RuntimeError(what + ": '" + name +
                       "' cannot name a dataset (empty, '/', or 'run', which shardrun writes)");
  return name;
}

// Whether every element is a str (a list of them is written as strings).
bool all_strings(const py::handle value) {
  if (!py::isinstance<py::list>(value) && !py::isinstance<py::tuple>(value)) return false;
  for (const py::handle item : value)
    if (!py::isinstance<py::str>(item)) return false;
  return py::len(value) > 0;
}

// `value` as a C-contiguous numpy array (a number: 0-d).
py::array contiguous(const py::handle value) {
  const py::module_ np = py::module_::import("numpy");
  py::array array = np.attr("asarray")(value);
  if (!(array.flags() & py::array::c_style)) array = np.attr("ascontiguousarray")(array);
  return array;
}

// Arrays that must be let go with the GIL held, whenever they are.
struct HeldArrays {
  std::vector<py::array> arrays;
  ~HeldArrays() {
    py::gil_scoped_acquire gil;
    arrays.clear();
  }
};

// Writes one finalize() value: a number, an array (bool as uint8), a str
// or a list of them.
void write_value(ResultWriter& out, const std::string& name, const py::handle value,
                 const std::string& what) {
  if (py::isinstance<py::str>(value)) return out.write_strings(name, {py::str(value)});
  const auto strings = [](const py::handle list) {
    std::vector<std::string> values;
    for (const py::handle item : list) values.push_back(py::str(item));
    return values;
  };
  if (all_strings(value)) return out.write_strings(name, strings(value));
  py::array array = contiguous(value);
  if (array.dtype().kind() == 'U' && array.ndim() == 1)
    return out.write_strings(name, strings(array.attr("tolist")()));
  const ElementType type = element_type(array.dtype(), what + ": '" + name + "'");
  if (array.dtype().kind() == 'b') array = array.attr("astype")("u1");
  std::vector<std::uint64_t> dims(array.shape(), array.shape() + array.ndim());
  out.write(name, type, array.data(), dims);
}

class PythonPartial : public Partial {
 public:
  PythonPartial(const Common& job, py::object value, std::uint64_t first, std::uint64_t last)
      : job_(job), value_(std::move(value)), first_(first), last_(last) {}
  ~PythonPartial() override {
    py::gil_scoped_acquire gil;
    value_ = py::object();
  }
  void combine(const Partial& right) override {
    const auto& r = static_cast<const PythonPartial&>(right);
    py::gil_scoped_acquire gil;
    try {
      value_ = job_.script().combine(value_, r.value_);
    } catch (py::error_already_set& e) {
      throw RuntimeError(job_.where("combine", shard_range(first_, last_) + " with " +
                                                   shard_range(r.first_, r.last_)) +
                         job_.script().describe(e));
    }
    last_ = r.last_;
    pickled_.clear();
  }
  void encode(Encoder& out) const override {
    if (pickled_.empty()) pickle();
    out.put(first_);
    out.put(last_);
    out.put<std::uint64_t>(pickled_.size());
    out.put_bytes(pickled_.data(), pickled_.size());
  }
  // Pickled as soon as a shard made it, so that a partial pickle cannot
  // carry fails at every rank count, not only where one travels.
  void pickle() const {
    py::gil_scoped_acquire gil;
    try {
      const py::bytes bytes = py::module_::import("pickle").attr("dumps")(value_, 5);
      const std::string_view view = bytes;
      pickled_.resize(view.size());
      std::memcpy(pickled_.data(), view.data(), view.size());
    } catch (py::error_already_set& e) {
      throw RuntimeError(job_.where("process", shard_range(first_, last_)) +
                         "the partial cannot be pickled: " + job_.script().describe(e));
    }
  }
  static PartialPtr decode(const Common& job, Decoder& in) {
    const auto first = in.get<std::uint64_t>(), last = in.get<std::uint64_t>();
    const auto size = in.get<std::uint64_t>();
    if (size > in.remaining()) throw RuntimeError("corrupt partial: truncated pickle");
    std::string bytes(size, '\0');
    in.get_bytes(bytes.data(), size);
    py::gil_scoped_acquire gil;
    try {
      py::object value = py::module_::import("pickle").attr("loads")(py::bytes(bytes));
      return std::make_unique<PythonPartial>(job, std::move(value), first, last);
    } catch (py::error_already_set& e) {
      throw RuntimeError(job.where("unpickling", shard_range(first, last)) +
                         job.script().describe(e));
    }
  }
  const py::object& value() const { return value_; }

 private:
  const Common& job_;
  py::object value_;
  mutable Bytes pickled_;  // value_'s pickle, until a combine changes it
  std::uint64_t first_, last_;
};

// A Python shard is held whole, and numpy makes temporaries of its size:
// shards of 2 MiB keep them in cache (4 MiB ones ran 10-30 % slower in
// bench/python.py's moments.py on this machine).
constexpr std::uint64_t kPythonShardBytes = 2ull << 20;

class PythonReduce : public ReduceJob, public PrefersShardBytes {
 public:
  std::uint64_t default_shard_bytes() const override { return kPythonShardBytes; }
  explicit PythonReduce(std::shared_ptr<Common> common) : common_(std::move(common)) {}
  void add_options(Options&) override {}
  std::string parameters() const override { return common_->parameters(); }
  DomainSpec domain() const override { return common_->domain(); }
  void prepare(const InputInfo& input) override { common_->prepare(input); }

  PartialPtr process(ShardContext& ctx) const override {
    std::unique_ptr<PythonPartial> partial;
    const std::uint64_t id = ctx.shard().id;
    common_->run_process(ctx, [&](py::object result) {
      partial = std::make_unique<PythonPartial>(*common_, std::move(result), id, id);
    });
    partial->pickle();
    return partial;
  }
  PartialPtr decode(Decoder& in) const override { return PythonPartial::decode(*common_, in); }

  std::string finalize(const Partial& total, ResultWriter& out) const override {
    const Script& script = common_->script();
    py::gil_scoped_acquire gil;
    const std::string what = "python job " + script.path() + ": finalize";
    py::object result;
    try {
      const py::object& value = static_cast<const PythonPartial&>(total).value();
      result = script.finalize.is_none() ? value : script.finalize(value);
    } catch (py::error_already_set& e) {
      throw RuntimeError(what + ": " + script.describe(e));
    }
    std::string names;
    const auto write = [&](const py::handle key, const py::handle value) {
      const std::string name = check_name(key, what);
      try {
        write_value(out, name, value, what);
      } catch (py::error_already_set& e) {
        throw RuntimeError(what + ": '" + name + "': " + script.describe(e));
      }
      names += (names.empty() ? "/" : ", /") + name;
    };
    if (py::isinstance<py::dict>(result)) {
      for (const auto& [key, value] : py::reinterpret_borrow<py::dict>(result)) write(key, value);
    } else if (script.finalize.is_none()) {
      write(py::str("result"), result);  // no finalize: the total itself
    } else {
      throw RuntimeError(what + ": returned " + text(py::type::of(result).attr("__name__")) +
                         "; expected a dict of names to arrays, numbers or strings");
    }
    return "wrote " + (names.empty() ? "nothing" : names);
  }

 private:
  std::shared_ptr<Common> common_;
};

// One declared output: dtype and shape of a row.
struct Declared {
  std::string name;
  py::dtype dtype;
  ElementType type;
  std::vector<std::uint64_t> row_shape;
};

class PythonMap : public MapJob, public PrefersShardBytes {
 public:
  std::uint64_t default_shard_bytes() const override { return kPythonShardBytes; }
  explicit PythonMap(std::shared_ptr<Common> common) : common_(std::move(common)) {
    if (std::holds_alternative<IndexDomain>(common_->domain())) declare(InputInfo{});
  }
  ~PythonMap() override {
    py::gil_scoped_acquire gil;
    declared_.clear();
  }
  void add_options(Options&) override {}
  std::string parameters() const override { return common_->parameters(); }
  DomainSpec domain() const override { return common_->domain(); }
  void prepare(const InputInfo& input) override {
    common_->prepare(input);
    declare(input);
  }

  std::vector<OutputSpec> outputs() const override {
    std::vector<OutputSpec> specs;
    for (const Declared& d : declared_) {
      std::vector<std::uint64_t> dims{rows_};
      dims.insert(dims.end(), d.row_shape.begin(), d.row_shape.end());
      specs.push_back({d.name, d.type, dims});
    }
    return specs;
  }

  void process(ShardContext& ctx, OutputSink& out) const override {
    const Shard& shard = ctx.shard();
    const std::string what = common_->where("process", "shard " + std::to_string(shard.id));
    HeldArrays rows;
    common_->run_process(ctx, [&](py::object result) {
      if (!py::isinstance<py::dict>(result) && declared_.size() == 1) {
        py::dict one;
        one[py::str(declared_[0].name)] = result;
        result = one;
      }
      if (!py::isinstance<py::dict>(result))
        throw RuntimeError(what + "returned " + text(py::type::of(result).attr("__name__")) +
                           "; expected a dict of the outputs' rows");
      const auto dict = py::reinterpret_borrow<py::dict>(result);
      for (const auto& [key, value] : dict)
        if (!py::isinstance<py::str>(key) || !declared(py::str(key)))
          throw RuntimeError(what + "returned " + text(py::repr(key)) +
                             ", which outputs does not declare");
      for (const Declared& d : declared_) rows.arrays.push_back(check_rows(dict, d, shard, what));
    });
    // Without the GIL: the arrays are held, their data cannot move.
    for (std::size_t i = 0; i < declared_.size(); ++i)
      out.write_rows(declared_[i].name, shard.begin, shard.items(), rows.arrays[i].data());
  }

 private:
  bool declared(const std::string& name) const {
    for (const Declared& d : declared_)
      if (d.name == name) return true;
    return false;
  }

  // The shard's rows of one output, as a C-contiguous array of its dtype.
  static py::array check_rows(const py::dict& result, const Declared& d, const Shard& shard,
                              const std::string& what) {
    if (!result.contains(d.name)) throw RuntimeError(what + "returned no '" + d.name + "'");
    const py::array array = contiguous(result[py::str(d.name)]);
    std::string expected = "(" + std::to_string(shard.items());
    for (std::uint64_t n : d.row_shape) expected += ", " + std::to_string(n);
    expected += d.row_shape.empty() ? ",)" : ")";
    bool shape_ok = array.ndim() == static_cast<py::ssize_t>(d.row_shape.size() + 1) &&
                    static_cast<std::uint64_t>(array.shape(0)) == shard.items();
    for (std::size_t i = 0; shape_ok && i < d.row_shape.size(); ++i)
      shape_ok = static_cast<std::uint64_t>(array.shape(i + 1)) == d.row_shape[i];
    if (!shape_ok)
      throw RuntimeError(what + "'" + d.name + "' has shape " +
                         text(py::tuple(array.attr("shape"))) + ", expected " + expected +
                         " (the shard's rows)");
    if (!array.dtype().equal(d.dtype))  // same kind, size and byte order
      throw RuntimeError(what + "'" + d.name + "' has dtype " + text(array.dtype()) +
                         ", expected " + text(d.dtype) + " (use .astype)");
    return array;
  }

  // outputs, or outputs(input): {name: dtype or (dtype, row_shape)}.
  void declare(const InputInfo& input) {
    rows_ = std::holds_alternative<IndexDomain>(common_->domain())
                ? std::get<IndexDomain>(common_->domain()).items
                : input.rows;
    const Script& script = common_->script();
    const std::string what = "--script " + script.path() + ": outputs";
    py::gil_scoped_acquire gil;
    try {
      py::object spec = script.outputs;
      if (PyCallable_Check(spec.ptr())) spec = spec(common_->input_object());
      if (!py::isinstance<py::dict>(spec) || py::len(spec) == 0)
        throw UsageError(what + ": expected a non-empty dict {name: (dtype, row_shape)}");
      const py::module_ np = py::module_::import("numpy");
      for (const auto& [key, value] : py::reinterpret_borrow<py::dict>(spec)) {
        Declared d;
        try {
          d.name = check_name(key, what);
        } catch (const RuntimeError& e) {
          throw UsageError(e.what());
        }
        py::object dtype = py::reinterpret_borrow<py::object>(value), shape = py::tuple();
        if (py::isinstance<py::tuple>(value) && py::len(value) == 2) {
          dtype = value[py::int_(0)];
          shape = value[py::int_(1)];
        }
        d.dtype = np.attr("dtype")(dtype);
        try {
          d.type = element_type(d.dtype, what + ": '" + d.name + "'");
        } catch (const RuntimeError& e) {
          throw UsageError(e.what());
        }
        if (py::isinstance<py::int_>(shape)) shape = py::make_tuple(shape);
        for (const py::handle n : shape) {
          const auto extent = n.cast<std::int64_t>();
          if (extent <= 0)
            throw UsageError(what + ": '" + d.name + "' has a row shape with an extent below 1");
          d.row_shape.push_back(static_cast<std::uint64_t>(extent));
        }
        declared_.push_back(std::move(d));
      }
    } catch (py::error_already_set& e) {
      throw UsageError(what + ": " + script.describe(e));
    } catch (const py::cast_error& e) {
      throw UsageError(what + ": expected {name: (dtype, row_shape)}: " + e.what());
    }
  }

  std::shared_ptr<Common> common_;
  std::vector<Declared> declared_;
  std::uint64_t rows_ = 0;
};

}  // namespace

std::unique_ptr<Job> make_reduce(std::shared_ptr<Common> common) {
  return std::make_unique<PythonReduce>(std::move(common));
}

std::unique_ptr<Job> make_map(std::shared_ptr<Common> common) {
  return std::make_unique<PythonMap>(std::move(common));
}

}  // namespace shardrun::jobs::python
