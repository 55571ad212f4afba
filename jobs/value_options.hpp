// What `stats` and `histogram` share about the values they reduce: --all
// (every value as one column instead of one result per element of a row)
// and --missing (values counted apart). See docs/inputs.md.
#pragma once

#include <cstdint>
#include <string>

#include "shardrun/job.hpp"
#include "shardrun/missing.hpp"

namespace shardrun::jobs {

class ValueOptions {
 public:
  // `result` names what one element gets: "One figure", "One histogram".
  void add(Options& options, const std::string& result);
  // ";all;missing=TEXT", the part of the job's parameters these options make.
  std::string parameters() const;
  // Resolves --missing against the input (a UsageError naming it when it cannot).
  void prepare(const InputInfo& input, const std::string& input_text);

  bool all() const { return all_; }
  const MissingValues& missing() const { return missing_; }
  // Columns a partial keeps: 1 with --all, else the values in a row.
  std::uint64_t columns(const InputInfo& input) const { return all_ ? 1 : input.cols; }
  // The block as the reduction sees it: with --all, its values as one column
  // in row-major order.
  Block view(const Block& block) const {
    if (!all_) return block;
    Block values = block;
    values.rows = block.rows * block.cols;
    values.cols = 1;
    return values;
  }

 private:
  bool all_ = false;
  std::string missing_text_;
  MissingValues missing_;
};

}  // namespace shardrun::jobs
