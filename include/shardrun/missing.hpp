// Values a job treats as missing (the --missing option of stats and
// histogram): none, the input's fill values, or a value the user names.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "shardrun/job.hpp"

namespace shardrun {

class MissingValues {
 public:
  MissingValues() = default;
  // "" (or "none"): none. "fill": the input's fill values (InputInfo::
  // fill_values); a UsageError naming `option` and `input` when it has none,
  // or when the files of a collection disagree on them. Anything else: one
  // number, converted to the input's type; a UsageError when it is not a
  // number or (for integers) out of the type's range.
  static MissingValues parse(const std::string& text, const InputInfo& info,
                             const std::string& input, const std::string& option = "--missing");

  bool empty() const { return bits_.empty(); }
  // Whether v, a value of the input's type T, is missing. NaN never equals
  // a missing value: NaNs stay NaNs.
  template <class T>
  bool contains(T v) const {
    for (std::uint64_t bits : bits_) {
      T m;
      std::memcpy(&m, &bits, sizeof m);
      if (v == m) return true;
    }
    return false;
  }
  // The values as doubles (for a result's attributes or a summary line).
  std::vector<double> values(ElementType type) const;
  const std::vector<std::uint64_t>& bits() const { return bits_; }

 private:
  std::vector<std::uint64_t> bits_;
};

}  // namespace shardrun
