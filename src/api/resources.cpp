#include "shardrun/resources.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "shardrun/errors.hpp"

namespace shardrun {

std::uint64_t parse_memory_size(std::string_view text, const std::string& what) {
  const std::string shown(text);
  const auto bad = [&](const std::string& why) {
    return UsageError(what + ": '" + shown + "' " + why +
                      " (a size such as 512M, 8G or 1.5T; a bare number is megabytes)");
  };
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || !std::isfinite(value)) throw bad("is not a size");
  if (value < 0) throw bad("is negative");
  std::string unit(end, text.data() + text.size());
  std::transform(unit.begin(), unit.end(), unit.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (unit.size() > 2 && unit.ends_with("IB"))
    unit.resize(unit.size() - 2);
  else if (unit.size() == 2 && unit.ends_with("B"))
    unit.resize(1);
  double scale = 0;
  if (unit.empty() || unit == "M")
    scale = 1024.0 * 1024;
  else if (unit == "K")
    scale = 1024.0;
  else if (unit == "G")
    scale = 1024.0 * 1024 * 1024;
  else if (unit == "T")
    scale = 1024.0 * 1024 * 1024 * 1024;
  else if (unit == "B")
    scale = 1;
  else
    throw bad("has an unknown unit");
  const double bytes = std::ceil(value * scale);
  if (bytes >= 18e18) throw bad("is too large");
  return static_cast<std::uint64_t>(bytes);
}

std::vector<std::uint32_t> parse_gpu_list(std::string_view text, const std::string& what) {
  const std::string shown(text);
  const auto bad = [&] {
    return UsageError(what + ": '" + shown +
                      "' is neither a GPU count (2) nor a list of device ids (0:2:3)");
  };
  std::vector<std::uint32_t> ids;
  const bool list = text.find(':') != std::string_view::npos;
  while (true) {
    const std::size_t colon = text.find(':');
    const std::string_view part = text.substr(0, colon);
    std::uint32_t n = 0;
    const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), n);
    if (part.empty() || ec != std::errc{} || end != part.data() + part.size()) throw bad();
    ids.push_back(n);
    if (colon == std::string_view::npos) break;
    text.remove_prefix(colon + 1);
  }
  if (!list) {
    const std::uint32_t count = ids.front();
    ids.clear();
    for (std::uint32_t i = 0; i < count; ++i) ids.push_back(i);
    return ids;
  }
  std::vector<std::uint32_t> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
    throw UsageError(what + ": '" + shown + "' names a device twice");
  return ids;
}

}  // namespace shardrun
