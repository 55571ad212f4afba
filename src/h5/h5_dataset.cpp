#include "h5/h5_dataset.hpp"

#include <H5FDmpio.h>

#include <algorithm>
#include <cstring>

namespace shardrun::h5 {

hid_t native_type(ElementType type) {
  switch (type) {
    case ElementType::i8:
      return H5T_NATIVE_INT8;
    case ElementType::i16:
      return H5T_NATIVE_INT16;
    case ElementType::i32:
      return H5T_NATIVE_INT32;
    case ElementType::i64:
      return H5T_NATIVE_INT64;
    case ElementType::u8:
      return H5T_NATIVE_UINT8;
    case ElementType::u16:
      return H5T_NATIVE_UINT16;
    case ElementType::u32:
      return H5T_NATIVE_UINT32;
    case ElementType::u64:
      return H5T_NATIVE_UINT64;
    case ElementType::f32:
      return H5T_NATIVE_FLOAT;
    case ElementType::f64:
      break;
  }
  return H5T_NATIVE_DOUBLE;
}

namespace {

std::optional<ElementType> element_type(hid_t type, std::string& description) {
  const H5T_class_t cls = H5Tget_class(type);
  const std::size_t size = H5Tget_size(type);
  if (cls == H5T_INTEGER) {
    const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
    description = std::string(is_signed ? "int" : "uint") + std::to_string(size * 8);
    switch (size) {
      case 1:
        return is_signed ? ElementType::i8 : ElementType::u8;
      case 2:
        return is_signed ? ElementType::i16 : ElementType::u16;
      case 4:
        return is_signed ? ElementType::i32 : ElementType::u32;
      case 8:
        return is_signed ? ElementType::i64 : ElementType::u64;
      default:
        return std::nullopt;
    }
  }
  if (cls == H5T_FLOAT) {
    description = "float" + std::to_string(size * 8);
    if (size == 4) return ElementType::f32;
    if (size == 8) return ElementType::f64;
    return std::nullopt;
  }
  switch (cls) {
    case H5T_STRING:
      description = "string";
      break;
    case H5T_COMPOUND:
      description = "compound";
      break;
    case H5T_ENUM:
      description = "enum";
      break;
    case H5T_ARRAY:
      description = "array";
      break;
    case H5T_VLEN:
      description = "variable-length";
      break;
    case H5T_OPAQUE:
      description = "opaque";
      break;
    case H5T_REFERENCE:
      description = "reference";
      break;
    case H5T_BITFIELD:
      description = "bitfield";
      break;
    default:
      description = "unknown";
      break;
  }
  return std::nullopt;
}

}  // namespace

Dataset Dataset::open(const File& file, const std::string& name) {
  Lock lock(library_mutex());
  hid_t id = check(H5Dopen2(file.id(), name.c_str(), H5P_DEFAULT),
                   "cannot open dataset " + name + " in " + file.path());
  return Dataset(Handle(id, H5Dclose), name);
}

Dataset Dataset::create(const File& file, const std::string& name, ElementType type,
                        const std::vector<std::uint64_t>& dims, const CreateOptions& options) {
  Lock lock(library_mutex());
  std::vector<hsize_t> hdims(dims.begin(), dims.end());
  Handle space(
      check(hdims.empty() ? H5Screate(H5S_SCALAR)
                          : H5Screate_simple(static_cast<int>(hdims.size()), hdims.data(), nullptr),
            "cannot make the dataspace of " + name),
      H5Sclose);
  Handle dcpl(check(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate"), H5Pclose);
  if (options.chunk_rows > 0 && !dims.empty()) {
    std::vector<hsize_t> chunk = hdims;
    chunk[0] = std::min<hsize_t>(options.chunk_rows, std::max<hsize_t>(hdims[0], 1));
    check_status(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()),
                 "H5Pset_chunk");
    if (options.deflate > 0)
      check_status(H5Pset_deflate(dcpl.get(), static_cast<unsigned>(options.deflate)),
                   "H5Pset_deflate");
  }
  // Allocate at creation so a file whose writers die stays readable.
  check_status(H5Pset_alloc_time(dcpl.get(), H5D_ALLOC_TIME_EARLY), "H5Pset_alloc_time");
  // No fill pass over the whole dataset: every element is written later, and
  // unwritten space in a new file reads back as zeros anyway.
  check_status(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER), "H5Pset_fill_time");
  Handle lcpl(check(H5Pcreate(H5P_LINK_CREATE), "H5Pcreate"), H5Pclose);
  check_status(H5Pset_create_intermediate_group(lcpl.get(), 1), "H5Pset_create_intermediate_group");
  hid_t id = check(H5Dcreate2(file.id(), name.c_str(), native_type(type), space.get(), lcpl.get(),
                              dcpl.get(), H5P_DEFAULT),
                   "cannot create dataset " + name + " in " + file.path());
  return Dataset(Handle(id, H5Dclose), name);
}

namespace {

std::string owned_name(char* name) {
  std::string text = name ? name : "";
  if (name) H5free_memory(name);
  return text;
}

std::vector<Member> compound_fields(hid_t type) {
  std::vector<Member> fields;
  if (H5Tget_class(type) != H5T_COMPOUND) return fields;
  const int members = H5Tget_nmembers(type);
  for (int i = 0; i < members; ++i) {
    Member field;
    field.name = owned_name(H5Tget_member_name(type, static_cast<unsigned>(i)));
    Handle member(check(H5Tget_member_type(type, static_cast<unsigned>(i)), "H5Tget_member_type"),
                  H5Tclose);
    field.type = element_type(member.get(), field.type_description);
    fields.push_back(std::move(field));
  }
  return fields;
}

// H5Pget_virtual_filename and _dsetname: the length first, then the text.
template <class Get>
std::string property_text(Get get) {
  const ssize_t size = get(nullptr, 0);
  if (size < 0) throw Error("cannot read a virtual dataset's mapping");
  std::string text(static_cast<std::size_t>(size) + 1, '\0');
  get(text.data(), text.size());
  text.resize(static_cast<std::size_t>(size));
  return text;
}

void list_source_files(hid_t dcpl, DatasetShape& shape) {
  const H5D_layout_t layout = H5Pget_layout(dcpl);
  if (layout == H5D_VIRTUAL) {
    std::size_t count = 0;
    check_status(H5Pget_virtual_count(dcpl, &count), "H5Pget_virtual_count");
    for (std::size_t i = 0; i < count; ++i) {
      SourceFile source;
      source.file = property_text(
          [&](char* out, std::size_t n) { return H5Pget_virtual_filename(dcpl, i, out, n); });
      source.dataset = property_text(
          [&](char* out, std::size_t n) { return H5Pget_virtual_dsetname(dcpl, i, out, n); });
      shape.virtual_sources.push_back(std::move(source));
    }
  }
  const int external = H5Pget_external_count(dcpl);
  for (int i = 0; i < external; ++i) {
    std::string name(4096, '\0');
    off_t offset = 0;
    hsize_t size = 0;
    check_status(
        H5Pget_external(dcpl, static_cast<unsigned>(i), name.size(), name.data(), &offset, &size),
        "H5Pget_external");
    name.resize(std::strlen(name.c_str()));
    shape.external_files.push_back({name, ""});
  }
}

}  // namespace

DatasetShape Dataset::shape() const {
  Lock lock(library_mutex());
  DatasetShape shape;
  Handle type(check(H5Dget_type(handle_.get()), "H5Dget_type"), H5Tclose);
  shape.type = element_type(type.get(), shape.type_description);
  shape.fields = compound_fields(type.get());
  Handle space(check(H5Dget_space(handle_.get()), "H5Dget_space"), H5Sclose);
  const auto ndims = static_cast<int>(
      check(H5Sget_simple_extent_ndims(space.get()), "H5Sget_simple_extent_ndims"));
  std::vector<hsize_t> dims(static_cast<std::size_t>(ndims));
  if (ndims > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  shape.dims.assign(dims.begin(), dims.end());

  Handle dcpl(check(H5Dget_create_plist(handle_.get()), "H5Dget_create_plist"), H5Pclose);
  list_source_files(dcpl.get(), shape);
  const bool contiguous = H5Pget_layout(dcpl.get()) == H5D_CONTIGUOUS;
  const bool unfiltered = H5Pget_nfilters(dcpl.get()) == 0;
  const bool native = shape.type && H5Tequal(type.get(), native_type(*shape.type)) > 0;
  const haddr_t offset = H5Dget_offset(handle_.get());
  H5Eclear2(H5E_DEFAULT);  // H5Dget_offset "fails" on unallocated data; that is an answer
  if (contiguous && unfiltered && native && offset != HADDR_UNDEF) shape.raw_offset = offset;
  return shape;
}

Handle Dataset::select_rows(std::uint64_t first, std::uint64_t rows, Handle& memspace) const {
  Handle space(check(H5Dget_space(handle_.get()), "H5Dget_space"), H5Sclose);
  const int ndims = std::max(1, H5Sget_simple_extent_ndims(space.get()));
  std::vector<hsize_t> dims(static_cast<std::size_t>(ndims), 1);
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  std::vector<hsize_t> start(dims.size(), 0), count = dims;
  start[0] = first;
  count[0] = rows;
  if (rows == 0) {
    check_status(H5Sselect_none(space.get()), "H5Sselect_none");
  } else {
    check_status(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start.data(), nullptr,
                                     count.data(), nullptr),
                 "cannot select rows of " + name_);
  }
  memspace =
      Handle(check(H5Screate_simple(ndims, count.data(), nullptr), "H5Screate_simple"), H5Sclose);
  if (rows == 0) check_status(H5Sselect_none(memspace.get()), "H5Sselect_none");
  return space;
}

void Dataset::select_fields(const std::vector<std::string>& names, ElementType type) {
  Lock lock(library_mutex());
  const std::size_t size = element_size(type);
  Handle compound(check(H5Tcreate(H5T_COMPOUND, names.size() * size), "H5Tcreate"), H5Tclose);
  for (std::size_t i = 0; i < names.size(); ++i)
    check_status(H5Tinsert(compound.get(), names[i].c_str(), i * size, native_type(type)),
                 "cannot select field " + names[i] + " of " + name_);
  field_type_ = std::move(compound);
}

std::optional<std::uint64_t> Dataset::fill_value(ElementType type) const {
  Lock lock(library_mutex());
  Handle dcpl(check(H5Dget_create_plist(handle_.get()), "H5Dget_create_plist"), H5Pclose);
  H5D_fill_value_t status{};
  check_status(H5Pfill_value_defined(dcpl.get(), &status), "H5Pfill_value_defined");
  if (status != H5D_FILL_VALUE_USER_DEFINED) return std::nullopt;
  std::uint64_t bits = 0;
  check_status(H5Pget_fill_value(dcpl.get(), native_type(type), &bits),
               "cannot read the fill value of " + name_);
  return bits;
}

std::vector<std::uint64_t> Dataset::numeric_attribute(const std::string& name,
                                                      ElementType type) const {
  Lock lock(library_mutex());
  const htri_t exists = H5Aexists(handle_.get(), name.c_str());
  H5Eclear2(H5E_DEFAULT);
  if (exists <= 0) return {};
  Handle attr(check(H5Aopen(handle_.get(), name.c_str(), H5P_DEFAULT), "H5Aopen " + name),
              H5Aclose);
  Handle file_type(check(H5Aget_type(attr.get()), "H5Aget_type"), H5Tclose);
  const H5T_class_t cls = H5Tget_class(file_type.get());
  if (cls != H5T_INTEGER && cls != H5T_FLOAT) return {};
  Handle space(check(H5Aget_space(attr.get()), "H5Aget_space"), H5Sclose);
  const hssize_t count = H5Sget_simple_extent_npoints(space.get());
  if (count <= 0 || count > 64) return {};
  // Read into 8-byte slots one value at a time: a packed read of a 1-byte
  // type would put every value into the first slot.
  const std::size_t size = element_size(type);
  std::vector<std::byte> packed(static_cast<std::size_t>(count) * size);
  check_status(H5Aread(attr.get(), native_type(type), packed.data()),
               "cannot read attribute " + name + " of " + name_);
  std::vector<std::uint64_t> values(static_cast<std::size_t>(count), 0);
  for (std::size_t i = 0; i < values.size(); ++i)
    std::memcpy(&values[i], packed.data() + i * size, size);
  return values;
}

void Dataset::read_rows(std::uint64_t first, std::uint64_t rows, ElementType type,
                        void* out) const {
  Lock lock(library_mutex());
  Handle memspace;
  Handle filespace = select_rows(first, rows, memspace);
  const hid_t memtype = field_type_.valid() ? field_type_.get() : native_type(type);
  check_status(H5Dread(handle_.get(), memtype, memspace.get(), filespace.get(), H5P_DEFAULT, out),
               "cannot read rows " + std::to_string(first) + ".." + std::to_string(first + rows) +
                   " of " + name_);
}

void Dataset::write_rows(std::uint64_t first, std::uint64_t rows, ElementType type,
                         const void* data, bool collective) {
  Lock lock(library_mutex());
  Handle memspace;
  Handle filespace = select_rows(first, rows, memspace);
  Handle dxpl(check(H5Pcreate(H5P_DATASET_XFER), "H5Pcreate"), H5Pclose);
  if (collective)
    check_status(H5Pset_dxpl_mpio(dxpl.get(), H5FD_MPIO_COLLECTIVE), "H5Pset_dxpl_mpio");
  check_status(
      H5Dwrite(handle_.get(), native_type(type), memspace.get(), filespace.get(), dxpl.get(), data),
      "cannot write rows of " + name_);
}

void Dataset::write_all(ElementType type, const void* data) {
  Lock lock(library_mutex());
  check_status(H5Dwrite(handle_.get(), native_type(type), H5S_ALL, H5S_ALL, H5P_DEFAULT, data),
               "cannot write " + name_);
}

void Dataset::read_all(ElementType type, void* out) const {
  Lock lock(library_mutex());
  check_status(H5Dread(handle_.get(), native_type(type), H5S_ALL, H5S_ALL, H5P_DEFAULT, out),
               "cannot read " + name_);
}

namespace {

Handle utf8_string_type() {
  Handle type(check(H5Tcopy(H5T_C_S1), "H5Tcopy"), H5Tclose);
  check_status(H5Tset_size(type.get(), H5T_VARIABLE), "H5Tset_size");
  check_status(H5Tset_cset(type.get(), H5T_CSET_UTF8), "H5Tset_cset");
  return type;
}

}  // namespace

void write_strings(const File& file, const std::string& name,
                   const std::vector<std::string>& values) {
  Lock lock(library_mutex());
  const Handle type = utf8_string_type();
  const hsize_t dims[1] = {values.size()};
  Handle space(check(H5Screate_simple(1, dims, nullptr), "cannot make the dataspace of " + name),
               H5Sclose);
  Handle set(check(H5Dcreate2(file.id(), name.c_str(), type.get(), space.get(), H5P_DEFAULT,
                              H5P_DEFAULT, H5P_DEFAULT),
                   "cannot create " + name + " in " + file.path()),
             H5Dclose);
  std::vector<const char*> pointers;
  pointers.reserve(values.size());
  for (const std::string& v : values) pointers.push_back(v.c_str());
  if (!values.empty())
    check_status(H5Dwrite(set.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()),
                 "cannot write " + name);
}

std::vector<std::string> read_strings(const File& file, const std::string& name) {
  Lock lock(library_mutex());
  Handle set(check(H5Dopen2(file.id(), name.c_str(), H5P_DEFAULT),
                   "cannot open dataset " + name + " in " + file.path()),
             H5Dclose);
  Handle space(check(H5Dget_space(set.get()), "H5Dget_space"), H5Sclose);
  const hssize_t count = H5Sget_simple_extent_npoints(space.get());
  if (count < 0) throw Error("cannot read the size of " + name);
  const Handle type = utf8_string_type();
  std::vector<char*> pointers(static_cast<std::size_t>(count), nullptr);
  if (!pointers.empty())
    check_status(H5Dread(set.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()),
                 name + " is not a dataset of strings");
  std::vector<std::string> values;
  values.reserve(pointers.size());
  for (const char* p : pointers) values.emplace_back(p ? p : "");
  if (!pointers.empty()) H5Dvlen_reclaim(type.get(), space.get(), H5P_DEFAULT, pointers.data());
  return values;
}

}  // namespace shardrun::h5
