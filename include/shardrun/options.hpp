// A job's command-line options, as `shardrun run NAME --help` shows them.
// The engine parses the command line; a job only names its options and the
// variables they fill. No third-party type crosses this boundary, so a
// plugin never depends on the engine's command-line library or its version.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace shardrun {

struct OptionHandle;  // the engine's own option object; opaque to jobs
struct OptionsHandle;

// One declared option. Each call returns the option itself, for chaining:
//   options.add("--bins", bins_, "Number of bins").show_default().range(1, 1 << 24);
class Option {
 public:
  explicit Option(OptionHandle* handle) : handle_(handle) {}
  Option& required();                   // the run is refused without it
  Option& show_default();               // --help shows the variable's value before parsing
  Option& positive();                   // a number > 0
  Option& non_negative();               // a number >= 0
  Option& range(double lo, double hi);  // lo <= number <= hi
  // Given together with `other`: refused (excludes), or needs `other` too (needs).
  Option& excludes(const Option& other);
  Option& needs(const Option& other);

 private:
  OptionHandle* handle_;
};

// The options of one job's subcommand. Variables must outlive parsing: make
// them members of the job. Names are "--long" or "--long,-s".
class Options {
 public:
  explicit Options(OptionsHandle* handle) : handle_(handle) {}
  Option add(const std::string& name, std::string& value, const std::string& help);
  Option add(const std::string& name, std::vector<std::string>& values, const std::string& help);
  Option add(const std::string& name, std::uint64_t& value, const std::string& help);
  Option add(const std::string& name, std::int64_t& value, const std::string& help);
  Option add(const std::string& name, int& value, const std::string& help);
  Option add(const std::string& name, unsigned& value, const std::string& help);
  Option add(const std::string& name, double& value, const std::string& help);
  // A switch without a value: true when given.
  Option flag(const std::string& name, bool& value, const std::string& help);
  // Text --help prints after the options (exit statuses, file formats, ...).
  void footer(const std::string& text);

 private:
  OptionsHandle* handle_;
};

}  // namespace shardrun
