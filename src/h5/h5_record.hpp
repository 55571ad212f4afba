// A struct stored as the attributes of one HDF5 group, through one table of
// its fields: the table names each attribute once, for writing and reading.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "h5/h5_file.hpp"

namespace shardrun::h5 {

// One field of T: its attribute name and member. Integers are stored as
// uint64 attributes (int64 members bit for bit), so h5py reads them as numbers.
template <class T>
struct Field {
  const char* name;
  std::variant<std::string T::*, double T::*, std::uint64_t T::*, std::int64_t T::*, int T::*>
      member;
};

// Calls fn(name, member value) for every field, in table order.
template <class T, class Fn>
void for_each_field(const T& value, const std::vector<Field<T>>& fields, Fn&& fn) {
  for (const Field<T>& f : fields)
    std::visit([&](auto member) { fn(f.name, value.*member); }, f.member);
}

template <class T>
void write_fields(File& file, const std::string& group, const T& value,
                  const std::vector<Field<T>>& fields) {
  for (const Field<T>& f : fields)
    std::visit(
        [&](auto member) {
          using M = std::remove_cvref_t<decltype(value.*member)>;
          if constexpr (std::is_same_v<M, std::string> || std::is_same_v<M, double>)
            file.write_attribute(group, f.name, value.*member);
          else
            file.write_attribute(group, f.name, static_cast<std::uint64_t>(value.*member));
        },
        f.member);
}

template <class T>
void read_fields(const File& file, const std::string& group, T& value,
                 const std::vector<Field<T>>& fields) {
  for (const Field<T>& f : fields)
    std::visit(
        [&](auto member) {
          using M = std::remove_cvref_t<decltype(value.*member)>;
          if constexpr (std::is_same_v<M, std::string>)
            value.*member = file.read_string_attribute(group, f.name);
          else if constexpr (std::is_same_v<M, double>)
            value.*member = file.read_double_attribute(group, f.name);
          else
            value.*member = static_cast<M>(file.read_u64_attribute(group, f.name));
        },
        f.member);
}

}  // namespace shardrun::h5
