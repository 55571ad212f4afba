// The numeric element types a dataset may hold, and a visitor over them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace shardrun {

enum class ElementType : std::uint8_t { i8, i16, i32, i64, u8, u16, u32, u64, f32, f64 };

// Calls fn(T{}) with a value of the C++ type that `type` names and returns its result.
template <class Fn>
decltype(auto) visit_element_type(ElementType type, Fn&& fn) {
  switch (type) {
    case ElementType::i8:
      return fn(std::int8_t{});
    case ElementType::i16:
      return fn(std::int16_t{});
    case ElementType::i32:
      return fn(std::int32_t{});
    case ElementType::i64:
      return fn(std::int64_t{});
    case ElementType::u8:
      return fn(std::uint8_t{});
    case ElementType::u16:
      return fn(std::uint16_t{});
    case ElementType::u32:
      return fn(std::uint32_t{});
    case ElementType::u64:
      return fn(std::uint64_t{});
    case ElementType::f32:
      return fn(float{});
    case ElementType::f64:
      break;
  }
  return fn(double{});
}

template <class T>
constexpr ElementType element_type_of();
template <>
constexpr ElementType element_type_of<std::int8_t>() {
  return ElementType::i8;
}
template <>
constexpr ElementType element_type_of<std::int16_t>() {
  return ElementType::i16;
}
template <>
constexpr ElementType element_type_of<std::int32_t>() {
  return ElementType::i32;
}
template <>
constexpr ElementType element_type_of<std::int64_t>() {
  return ElementType::i64;
}
template <>
constexpr ElementType element_type_of<std::uint8_t>() {
  return ElementType::u8;
}
template <>
constexpr ElementType element_type_of<std::uint16_t>() {
  return ElementType::u16;
}
template <>
constexpr ElementType element_type_of<std::uint32_t>() {
  return ElementType::u32;
}
template <>
constexpr ElementType element_type_of<std::uint64_t>() {
  return ElementType::u64;
}
template <>
constexpr ElementType element_type_of<float>() {
  return ElementType::f32;
}
template <>
constexpr ElementType element_type_of<double>() {
  return ElementType::f64;
}

inline std::size_t element_size(ElementType type) {
  return visit_element_type(type, [](auto v) { return sizeof(v); });
}

inline bool is_integer(ElementType type) {
  return type != ElementType::f32 && type != ElementType::f64;
}

std::string_view element_type_name(ElementType type);  // "int8" … "float64", as numpy names them

}  // namespace shardrun
