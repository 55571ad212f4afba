#include "value_options.hpp"

namespace shardrun::jobs {

void ValueOptions::add(Options& options, const std::string& result) {
  options.flag("--all", all_,
               result +
                   " over every value instead of one per element of a row (a column of a 2-D "
                   "dataset, a grid cell of a 3-D one)");
  options.add("--missing", missing_text_,
              "Values to count as missing (missing_count), left out of every other figure: "
              "'fill' for the dataset's _FillValue/missing_value attributes or HDF5 fill value, "
              "or a number");
}

std::string ValueOptions::parameters() const {
  std::string text;
  if (all_) text += ";all";
  if (!missing_text_.empty()) text += ";missing=" + missing_text_;
  return text;
}

void ValueOptions::prepare(const InputInfo& input, const std::string& input_text) {
  missing_ = MissingValues::parse(missing_text_, input, input_text);
}

}  // namespace shardrun::jobs
