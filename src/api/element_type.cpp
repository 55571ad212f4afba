#include "shardrun/element_type.hpp"

namespace shardrun {

std::string_view element_type_name(ElementType type) {
  switch (type) {
    case ElementType::i8:
      return "int8";
    case ElementType::i16:
      return "int16";
    case ElementType::i32:
      return "int32";
    case ElementType::i64:
      return "int64";
    case ElementType::u8:
      return "uint8";
    case ElementType::u16:
      return "uint16";
    case ElementType::u32:
      return "uint32";
    case ElementType::u64:
      return "uint64";
    case ElementType::f32:
      return "float32";
    case ElementType::f64:
      break;
  }
  return "float64";
}

}  // namespace shardrun
