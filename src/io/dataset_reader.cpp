#include "io/dataset_reader.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>

#include "io/file_collection.hpp"

namespace shardrun::io {
namespace fs = std::filesystem;
namespace {

h5::File open_file(const std::string& path, const std::string& option) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw UsageError(option + ": no such file: " + path);
  if (fs::is_directory(path, ec))
    throw UsageError(option + ": " + path + " is a directory, not an HDF5 file");
  if (::access(path.c_str(), R_OK) != 0)
    throw UsageError(option + ": cannot read " + path + ": " + std::strerror(errno));
  if (!h5::File::is_hdf5(path)) throw UsageError(option + ": " + path + " is not an HDF5 file");
  try {
    return h5::File::open_read(path);
  } catch (const h5::Error& e) {
    throw UsageError(option + ": " + e.what());
  }
}

h5::Dataset open_dataset(const h5::File& file, const std::string& name, const std::string& where) {
  if (!file.has_link(name))
    throw UsageError(where + ": " + file.path() + " has no dataset " + name);
  try {
    return h5::Dataset::open(file, name);
  } catch (const h5::Error&) {
    throw UsageError(where + ": " + file.path() + ":" + name + " is not a dataset");
  }
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::string shape_text(const std::vector<std::uint64_t>& dims) {
  std::string out;
  for (std::uint64_t d : dims) out += (out.empty() ? "" : "x") + std::to_string(d);
  return out.empty() ? "scalar" : out;
}

// What a file's dataset gives: element type, shape (fields as a last axis).
struct Layout {
  ElementType type = ElementType::f64;
  std::vector<std::uint64_t> shape;
};

Layout layout_of(const h5::DatasetShape& shape, const std::vector<std::string>& fields,
                 const std::string& where) {
  std::vector<std::string> names;
  for (const h5::Member& f : shape.fields) names.push_back(f.name);
  Layout layout;
  layout.shape = shape.dims;
  if (fields.empty()) {
    if (!shape.type)
      throw UsageError(
          where + " has type " + shape.type_description +
          (shape.fields.empty()
               ? std::string("; shardrun reads integer and float datasets")
               : "; pick its numeric fields with #FIELD (fields: " + join(names) + ")"));
    layout.type = *shape.type;
    return layout;
  }
  if (shape.fields.empty())
    throw UsageError(where +
                     ": '#' picks fields of a table (a compound dataset), but it has type " +
                     shape.type_description);
  std::optional<ElementType> common;
  bool mixed = false;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (std::find(fields.begin(), fields.begin() + static_cast<long>(i), fields[i]) !=
        fields.begin() + static_cast<long>(i))
      throw UsageError(where + " names the field " + fields[i] + " twice");
    const auto it = std::find_if(shape.fields.begin(), shape.fields.end(),
                                 [&](const h5::Member& f) { return f.name == fields[i]; });
    if (it == shape.fields.end())
      throw UsageError(where + ": the table has no field " + fields[i] +
                       " (fields: " + join(names) + ")");
    if (!it->type)
      throw UsageError(where + ": the field " + fields[i] + " has type " + it->type_description +
                       "; shardrun reads integer and float fields");
    if (common && *common != *it->type) mixed = true;
    common = it->type;
  }
  // Fields of one type keep it; a mix is read as float64, the type every
  // integer and float converts to without surprise.
  layout.type = mixed ? ElementType::f64 : *common;
  if (fields.size() > 1) layout.shape.push_back(fields.size());
  return layout;
}

// Where HDF5 looks for a virtual dataset's source: "." is the file itself;
// a relative name, beside the file, then in the current directory.
std::string resolve_source(const std::string& name, const std::string& file) {
  if (name == ".") return file;
  const fs::path path(name);
  if (path.is_absolute()) return name;
  const fs::path beside = fs::path(file).parent_path() / path;
  std::error_code ec;
  if (fs::exists(beside, ec) || !fs::exists(path, ec)) return beside.string();
  return name;
}

// External storage is found from the current directory (HDF5's default,
// with no prefix set), else beside the file.
std::string resolve_external(const std::string& name, const std::string& file) {
  const fs::path path(name);
  std::error_code ec;
  if (path.is_absolute() || fs::exists(path, ec)) return name;
  return (fs::path(file).parent_path() / path).string();
}

std::vector<std::string> check_sources(const h5::DatasetShape& shape, const std::string& file,
                                       const std::string& where) {
  std::vector<std::string> sources;
  std::error_code ec;
  for (const h5::SourceFile& source : shape.virtual_sources) {
    if (source.file.find('%') != std::string::npos)
      throw UsageError(where + " is a virtual dataset whose source file name " + source.file +
                       " is a printf-style pattern, which shardrun cannot check");
    const std::string path = resolve_source(source.file, file);
    if (!fs::exists(path, ec))
      throw UsageError(where + " is a virtual dataset whose source " + source.file +
                       " is missing (HDF5 would read fill values in its place)");
    if (path != file) {
      const h5::File source_file = open_file(path, where);
      if (!source_file.has_link(source.dataset))
        throw UsageError(where + " is a virtual dataset whose source " + path + ":" +
                         source.dataset + " is missing (HDF5 would read fill values in its place)");
    }
    if (std::find(sources.begin(), sources.end(), path) == sources.end()) sources.push_back(path);
  }
  for (const h5::SourceFile& external : shape.external_files) {
    const std::string path = resolve_external(external.file, file);
    if (!fs::exists(path, ec))
      throw UsageError(where + " keeps its values in the external file " + external.file +
                       ", which is missing");
    if (std::find(sources.begin(), sources.end(), path) == sources.end()) sources.push_back(path);
  }
  return sources;
}

// A part opened through HDF5: its file and dataset.
std::shared_ptr<OpenPart> open_hdf5(const std::string& path, const std::string& dataset,
                                    const std::string& option) {
  auto open = std::make_shared<OpenPart>();
  open->file.emplace(open_file(path, option));
  open->dataset.emplace(open_dataset(*open->file, dataset, option));
  return open;
}

std::vector<std::uint64_t> fill_values_of(const h5::Dataset& dataset, ElementType type) {
  std::vector<std::uint64_t> values;
  auto add = [&](std::uint64_t v) {
    if (std::find(values.begin(), values.end(), v) == values.end()) values.push_back(v);
  };
  for (const char* name : {"_FillValue", "missing_value"})
    for (std::uint64_t v : dataset.numeric_attribute(name, type)) add(v);
  if (auto v = dataset.fill_value(type)) add(*v);
  return values;
}

}  // namespace

DatasetReader::DatasetReader(const DatasetRef& ref, const std::string& option) : ref_(ref) {
  for (const std::string& path : collection_files(ref.file, option))
    parts_.push_back({path, 0, 0, std::nullopt, {}});
  open_ = std::make_unique<OpenParts>(OpenParts::default_capacity(), [this, option](std::size_t i) {
    return open_part(i, option);
  });
  for (std::size_t i = 0; i < parts_.size(); ++i) check_part(i, option);
  info_.files = parts_.size();
  if (info_.rows == 0)
    throw UsageError(option + ": " + ref.text() + " is empty" +
                     (parts_.size() > 1 ? " in every file" : ""));
}

void DatasetReader::check_part(std::size_t index, const std::string& option) {
  InputPart& part = parts_[index];
  DatasetRef one = ref_;
  one.file = part.path;
  const std::string where = option + ": " + one.text();
  std::shared_ptr<OpenPart> open = open_hdf5(part.path, ref_.dataset, option);
  const h5::DatasetShape shape = open->dataset->shape();
  const Layout layout = layout_of(shape, ref_.fields, where);
  const auto& dims = layout.shape;
  if (dims.empty()) throw UsageError(where + " is a scalar; shardrun reads arrays");
  if (dims.size() > kMaxRank)
    throw UsageError(where + " is " + std::to_string(dims.size()) +
                     "-D; shardrun reads datasets of 1 to " + std::to_string(kMaxRank) +
                     " dimensions");
  if (std::find(dims.begin() + 1, dims.end(), 0) != dims.end())
    throw UsageError(where + " has a zero-length dimension (shape " + shape_text(dims) +
                     "): its rows hold no values");
  // Crafted (or merely huge, never written) dimensions must not wrap the
  // byte counts every read and shard size is computed from.
  const std::uint64_t size = element_size(layout.type);
  std::uint64_t cols = 1;
  for (std::size_t d = 1; d < dims.size(); ++d) {
    if (dims[d] > kMaxRowBytes / size / cols)
      throw UsageError(where + ": one row is " + shape_text({dims.begin() + 1, dims.end()}) +
                       " x " + std::to_string(size) +
                       " bytes; shardrun reads a row whole, at most " +
                       std::to_string(kMaxRowBytes) + " bytes");
    cols *= dims[d];
  }
  if (index == 0) {
    info_.type = layout.type;
    info_.cols = cols;
    info_.rank = static_cast<int>(dims.size());
    info_.shape = dims;
    info_.shape[0] = 0;
    if (ref_.fields.empty()) info_.fill_values = fill_values_of(*open->dataset, info_.type);
  } else {
    const std::string differs =
        option + ": " + part.path + " differs from " + parts_[0].path + ": ";
    if (layout.type != info_.type)
      throw UsageError(differs + ref_.dataset + " is " +
                       std::string(element_type_name(layout.type)) + ", not " +
                       std::string(element_type_name(info_.type)));
    if (!std::equal(dims.begin() + 1, dims.end(), info_.shape.begin() + 1, info_.shape.end()))
      throw UsageError(differs + "its rows have shape " +
                       shape_text({dims.begin() + 1, dims.end()}) + ", not " +
                       shape_text({info_.shape.begin() + 1, info_.shape.end()}));
    if (ref_.fields.empty() && info_.fill_values_differ.empty() &&
        fill_values_of(*open->dataset, info_.type) != info_.fill_values)
      info_.fill_values_differ = part.path;
  }
  if (dims[0] > std::numeric_limits<std::uint64_t>::max() / row_bytes() - info_.rows)
    throw UsageError(where + " takes the input to more than 2^64 bytes in all");
  part.first_row = info_.rows;
  part.rows = dims[0];
  info_.rows += dims[0];
  info_.shape[0] = info_.rows;
  part.sources = check_sources(shape, part.path, where);
  if (ref_.fields.empty()) part.raw_offset = shape.raw_offset;
  if (part.raw_offset) {
    if (auto file = base::ReadOnlyFile::open(part.path)) {
      open->raw.emplace(std::move(*file));
      open->dataset.reset();
      open->file.reset();
    } else {
      part.raw_offset.reset();  // HDF5 could open it; fall back to HDF5 reads
    }
  }
  if (!ref_.fields.empty()) open->dataset->select_fields(ref_.fields, info_.type);
  open_->put(index, std::move(open));
}

std::shared_ptr<OpenPart> DatasetReader::open_part(std::size_t index,
                                                   const std::string& option) const {
  const InputPart& part = parts_[index];
  if (part.raw_offset) {
    auto open = std::make_shared<OpenPart>();
    open->raw.emplace(part.path);
    return open;
  }
  std::shared_ptr<OpenPart> open = open_hdf5(part.path, ref_.dataset, option);
  if (!ref_.fields.empty()) open->dataset->select_fields(ref_.fields, info_.type);
  return open;
}

std::vector<std::string> DatasetReader::files() const {
  std::vector<std::string> out;
  for (const InputPart& part : parts_) {
    out.push_back(part.path);
    for (const std::string& source : part.sources)
      if (source != part.path) out.push_back(source);
  }
  return out;
}

std::optional<std::uint64_t> DatasetReader::raw_offset() const {
  return parts_.size() == 1 ? parts_[0].raw_offset : std::nullopt;
}

void DatasetReader::read_rows(std::uint64_t first, std::uint64_t rows, void* out) const {
  auto* bytes = static_cast<std::byte*>(out);
  // The last part that starts at or before `first` (parts of no rows are passed over).
  auto it =
      std::upper_bound(parts_.begin(), parts_.end(), first,
                       [](std::uint64_t row, const InputPart& p) { return row < p.first_row; });
  std::size_t index = static_cast<std::size_t>(it - parts_.begin()) - 1;
  while (rows > 0) {
    const InputPart& part = parts_[index];
    const std::uint64_t local = first - part.first_row;
    const std::uint64_t n = std::min(rows, part.rows - local);
    if (n > 0) {
      const std::shared_ptr<OpenPart> open = open_->get(index);
      if (open->raw) {
        const std::uint64_t size = n * row_bytes();
        const std::uint64_t offset = *part.raw_offset + local * row_bytes();
        if (open->raw->read(bytes, size, offset) != size)
          throw RuntimeError("cannot read " + part.path + ":" + ref_.dataset + " at byte " +
                             std::to_string(offset) + ": unexpected end of file");
      } else {
        open->dataset->read_rows(local, n, info_.type, bytes);
      }
      bytes += n * row_bytes();
      first += n;
      rows -= n;
    }
    ++index;
  }
}

}  // namespace shardrun::io
