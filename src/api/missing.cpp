#include "shardrun/missing.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "shardrun/errors.hpp"

namespace shardrun {
namespace {

template <class T>
std::uint64_t bits_of(T value) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof value);
  return bits;
}

template <class T>
std::uint64_t parse_value(const std::string& text, const std::string& where) {
  if constexpr (std::is_floating_point_v<T>) {
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0' || std::isnan(v))
      throw UsageError(where + "expected fill, none or a number, got '" + text + "'");
    return bits_of(static_cast<T>(v));
  } else {
    T v{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec == std::errc::result_out_of_range)
      throw UsageError(where + text + " is outside the range of the input's integer type");
    if (ec != std::errc() || end != text.data() + text.size())
      throw UsageError(where +
                       "expected fill, none or an integer (the input holds integers), got '" +
                       text + "'");
    return bits_of(v);
  }
}

}  // namespace

MissingValues MissingValues::parse(const std::string& text, const InputInfo& info,
                                   const std::string& input, const std::string& option) {
  MissingValues out;
  if (text.empty() || text == "none") return out;
  const std::string where = option + ": ";
  if (text == "fill") {
    if (info.fill_values.empty())
      throw UsageError(where + input +
                       " has no fill value (no _FillValue or missing_value attribute, no HDF5 fill "
                       "value set at creation); name the value: --missing VALUE");
    if (!info.fill_values_differ.empty())
      throw UsageError(where + info.fill_values_differ +
                       " marks other fill values than the first file of " + input +
                       "; name the value: --missing VALUE");
    out.bits_ = info.fill_values;
    return out;
  }
  out.bits_.push_back(visit_element_type(
      info.type, [&](auto tag) { return parse_value<decltype(tag)>(text, where); }));
  return out;
}

std::vector<double> MissingValues::values(ElementType type) const {
  std::vector<double> out;
  for (std::uint64_t bits : bits_)
    out.push_back(visit_element_type(type, [&](auto tag) {
      decltype(tag) v;
      std::memcpy(&v, &bits, sizeof v);
      return static_cast<double>(v);
    }));
  return out;
}

}  // namespace shardrun
