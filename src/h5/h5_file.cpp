#include "h5/h5_file.hpp"

#include <array>
#include <cstring>
#include <fstream>
#include <vector>

namespace shardrun::h5 {

File File::open_read(const std::string& path) {
  Lock lock(library_mutex());
  hid_t id = check(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "cannot open " + path);
  return File(Handle(id, H5Fclose), path);
}

File File::open_write(const std::string& path) {
  Lock lock(library_mutex());
  hid_t id = check(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), "cannot open " + path);
  return File(Handle(id, H5Fclose), path);
}

File File::create(const std::string& path) {
  Lock lock(library_mutex());
  hid_t id = check(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                   "cannot create " + path);
  return File(Handle(id, H5Fclose), path);
}

File File::create_new(const std::string& path, std::uint64_t userblock) {
  Lock lock(library_mutex());
  Handle fcpl(check(H5Pcreate(H5P_FILE_CREATE), "H5Pcreate"), H5Pclose);
  if (userblock) check_status(H5Pset_userblock(fcpl.get(), userblock), "H5Pset_userblock");
  hid_t id = check(H5Fcreate(path.c_str(), H5F_ACC_EXCL, fcpl.get(), H5P_DEFAULT),
                   "cannot create " + path + " (does it exist already?)");
  return File(Handle(id, H5Fclose), path);
}

File File::create_parallel(const std::string& path, MPI_Comm comm, bool truncate) {
  Lock lock(library_mutex());
  Handle fapl(check(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate"), H5Pclose);
  check_status(H5Pset_fapl_mpio(fapl.get(), comm, MPI_INFO_NULL), "H5Pset_fapl_mpio");
  hid_t id = check(
      H5Fcreate(path.c_str(), truncate ? H5F_ACC_TRUNC : H5F_ACC_EXCL, H5P_DEFAULT, fapl.get()),
      "cannot create " + path + (truncate ? "" : " (does it exist already?)"));
  return File(Handle(id, H5Fclose), path);
}

File File::open_image(std::span<const std::byte> image, const std::string& name) {
  // An empty image would make the core driver read `name` from disk.
  if (image.empty()) throw Error("cannot open " + name + ": an empty image");
  Lock lock(library_mutex());
  Handle fapl(check(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate"), H5Pclose);
  check_status(H5Pset_fapl_core(fapl.get(), 64 * 1024, /*backing_store=*/false),
               "H5Pset_fapl_core");
  // HDF5 copies the image (no callbacks given) and never writes to it.
  check_status(H5Pset_file_image(fapl.get(), const_cast<std::byte*>(image.data()), image.size()),
               "H5Pset_file_image");
  // Not `name` itself: the core driver refuses a name that exists on disk.
  const std::string internal = "shardrun-image:" + name;
  hid_t id = check(H5Fopen(internal.c_str(), H5F_ACC_RDONLY, fapl.get()), "cannot open " + name);
  return File(Handle(id, H5Fclose), name);
}

bool File::is_hdf5(const std::string& path) {
  // The superblock sits at offset 0 (or 512, 1024, … with a user block).
  static constexpr std::array<unsigned char, 8> kSignature = {0x89, 'H',  'D',  'F',
                                                              '\r', '\n', 0x1a, '\n'};
  std::ifstream in(path, std::ios::binary);
  std::array<char, 8> head{};
  for (std::streamoff offset = 0; in && offset <= (1 << 20); offset = offset ? offset * 2 : 512) {
    in.seekg(offset);
    if (!in.read(head.data(), head.size())) return false;
    if (std::memcmp(head.data(), kSignature.data(), head.size()) == 0) return true;
  }
  return false;
}

bool File::has_link(const std::string& name) const {
  Lock lock(library_mutex());
  // H5Lexists fails on a missing intermediate group, so test each component.
  std::string prefix;
  std::size_t pos = 0;
  while (pos < name.size()) {
    std::size_t next = name.find('/', pos + 1);
    prefix = name.substr(0, next);
    pos = next == std::string::npos ? name.size() : next;
    if (prefix == "/" || prefix.empty()) continue;
    if (H5Lexists(handle_.get(), prefix.c_str(), H5P_DEFAULT) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
  }
  return true;
}

void File::create_group(const std::string& name) {
  Lock lock(library_mutex());
  Handle group(check(H5Gcreate2(handle_.get(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                     "cannot create group " + name + " in " + path_),
               H5Gclose);
}

void File::remove_link(const std::string& name) {
  Lock lock(library_mutex());
  check_status(H5Ldelete(handle_.get(), name.c_str(), H5P_DEFAULT),
               "cannot remove " + name + " from " + path_);
}

namespace {

void write_attr(hid_t file, const std::string& object, const std::string& name, hid_t type,
                const void* value, const std::string& path) {
  Handle space(check(H5Screate(H5S_SCALAR), "H5Screate"), H5Sclose);
  Handle attr(check(H5Acreate_by_name(file, object.c_str(), name.c_str(), type, space.get(),
                                      H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                    "cannot create attribute " + object + "@" + name + " in " + path),
              H5Aclose);
  check_status(H5Awrite(attr.get(), type, value), "cannot write attribute " + name);
}

}  // namespace

void File::write_attribute(const std::string& object, const std::string& name,
                           const std::string& value) {
  Lock lock(library_mutex());
  Handle type(check(H5Tcopy(H5T_C_S1), "H5Tcopy"), H5Tclose);
  check_status(H5Tset_size(type.get(), H5T_VARIABLE), "H5Tset_size");
  check_status(H5Tset_cset(type.get(), H5T_CSET_UTF8), "H5Tset_cset");
  const char* text = value.c_str();  // variable-length: h5py reads it as str
  write_attr(handle_.get(), object, name, type.get(), &text, path_);
}

void File::write_attribute(const std::string& object, const std::string& name, double value) {
  Lock lock(library_mutex());
  write_attr(handle_.get(), object, name, H5T_NATIVE_DOUBLE, &value, path_);
}

void File::write_attribute(const std::string& object, const std::string& name,
                           std::uint64_t value) {
  Lock lock(library_mutex());
  write_attr(handle_.get(), object, name, H5T_NATIVE_UINT64, &value, path_);
}

void File::flush() {
  Lock lock(library_mutex());
  check_status(H5Fflush(handle_.get(), H5F_SCOPE_GLOBAL), "cannot flush " + path_);
}

void File::close() {
  Lock lock(library_mutex());
  if (!handle_.valid()) return;
  check_status(H5Fflush(handle_.get(), H5F_SCOPE_GLOBAL), "cannot flush " + path_);
  check_status(H5Fclose(handle_.release()), "cannot close " + path_);
}

void File::abandon() noexcept { handle_.reset(); }

File File::open_parallel_write(const std::string& path, MPI_Comm comm) {
  Lock lock(library_mutex());
  Handle fapl(check(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate"), H5Pclose);
  check_status(H5Pset_fapl_mpio(fapl.get(), comm, MPI_INFO_NULL), "H5Pset_fapl_mpio");
  hid_t id = check(H5Fopen(path.c_str(), H5F_ACC_RDWR, fapl.get()), "cannot open " + path);
  return File(Handle(id, H5Fclose), path);
}

bool File::has_attribute(const std::string& object, const std::string& name) const {
  Lock lock(library_mutex());
  const htri_t exists = H5Aexists_by_name(handle_.get(), object.c_str(), name.c_str(), H5P_DEFAULT);
  H5Eclear2(H5E_DEFAULT);
  return exists > 0;
}

namespace {

Handle open_attribute(hid_t file, const std::string& object, const std::string& name,
                      const std::string& path) {
  return Handle(check(H5Aopen_by_name(file, object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT),
                      "no attribute " + object + "@" + name + " in " + path),
                H5Aclose);
}

}  // namespace

std::string File::read_string_attribute(const std::string& object, const std::string& name) const {
  Lock lock(library_mutex());
  Handle attr = open_attribute(handle_.get(), object, name, path_);
  Handle type(check(H5Aget_type(attr.get()), "H5Aget_type"), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_STRING)
    throw Error("attribute " + object + "@" + name + " in " + path_ + " is not a string");
  Handle memtype(check(H5Tcopy(H5T_C_S1), "H5Tcopy"), H5Tclose);
  check_status(H5Tset_cset(memtype.get(), H5Tget_cset(type.get())), "H5Tset_cset");
  if (H5Tis_variable_str(type.get()) > 0) {
    check_status(H5Tset_size(memtype.get(), H5T_VARIABLE), "H5Tset_size");
    char* text = nullptr;
    check_status(H5Aread(attr.get(), memtype.get(), &text), "cannot read " + object + "@" + name);
    std::string out = text ? text : "";
    Handle space(check(H5Aget_space(attr.get()), "H5Aget_space"), H5Sclose);
    H5Dvlen_reclaim(memtype.get(), space.get(), H5P_DEFAULT, &text);
    return out;
  }
  const std::size_t size = H5Tget_size(type.get());
  std::string out(size, '\0');
  check_status(H5Tset_size(memtype.get(), size), "H5Tset_size");
  check_status(H5Aread(attr.get(), memtype.get(), out.data()),
               "cannot read " + object + "@" + name);
  out.resize(out.find('\0') == std::string::npos ? size : out.find('\0'));
  return out;
}

double File::read_double_attribute(const std::string& object, const std::string& name) const {
  Lock lock(library_mutex());
  Handle attr = open_attribute(handle_.get(), object, name, path_);
  double value = 0;
  check_status(H5Aread(attr.get(), H5T_NATIVE_DOUBLE, &value),
               "cannot read " + object + "@" + name);
  return value;
}

std::uint64_t File::read_u64_attribute(const std::string& object, const std::string& name) const {
  Lock lock(library_mutex());
  Handle attr = open_attribute(handle_.get(), object, name, path_);
  std::uint64_t value = 0;
  check_status(H5Aread(attr.get(), H5T_NATIVE_UINT64, &value),
               "cannot read " + object + "@" + name);
  return value;
}

namespace {

herr_t collect_name(hid_t, const char* name, const H5L_info_t*, void* out) {
  static_cast<std::vector<std::string>*>(out)->emplace_back(name);
  return 0;
}

}  // namespace

std::vector<std::string> File::list(const std::string& group) const {
  Lock lock(library_mutex());
  std::vector<std::string> names;
  check_status(H5Literate_by_name(handle_.get(), group.c_str(), H5_INDEX_NAME, H5_ITER_INC, nullptr,
                                  collect_name, &names, H5P_DEFAULT),
               "cannot list " + group + " in " + path_);
  return names;
}

}  // namespace shardrun::h5
