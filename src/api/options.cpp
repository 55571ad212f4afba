// shardrun::Options over CLI11: the handles are CLI11's own objects.
#include "shardrun/options.hpp"

#include <CLI/CLI.hpp>

#include "api/options_handle.hpp"

namespace shardrun {
namespace {

CLI::Option* cli(OptionHandle* handle) { return reinterpret_cast<CLI::Option*>(handle); }
CLI::App* cli(OptionsHandle* handle) { return reinterpret_cast<CLI::App*>(handle); }
OptionHandle* handle(CLI::Option* option) { return reinterpret_cast<OptionHandle*>(option); }

template <typename T>
Option add_to(OptionsHandle* app, const std::string& name, T& value, const std::string& help) {
  return Option(handle(cli(app)->add_option(name, value, help)));
}

}  // namespace

OptionsHandle* options_handle(CLI::App& app) { return reinterpret_cast<OptionsHandle*>(&app); }

Option& Option::required() {
  cli(handle_)->required();
  return *this;
}
Option& Option::show_default() {
  cli(handle_)->capture_default_str();
  return *this;
}
Option& Option::positive() {
  cli(handle_)->check(CLI::PositiveNumber);
  return *this;
}
Option& Option::non_negative() {
  cli(handle_)->check(CLI::NonNegativeNumber);
  return *this;
}
Option& Option::range(double lo, double hi) {
  cli(handle_)->check(CLI::Range(lo, hi));
  return *this;
}
Option& Option::excludes(const Option& other) {
  cli(handle_)->excludes(cli(other.handle_));
  return *this;
}
Option& Option::needs(const Option& other) {
  cli(handle_)->needs(cli(other.handle_));
  return *this;
}

Option Options::add(const std::string& name, std::string& value, const std::string& help) {
  return add_to(handle_, name, value, help);
}
Option Options::add(const std::string& name, std::vector<std::string>& values,
                    const std::string& help) {
  return add_to(handle_, name, values, help);
}
Option Options::add(const std::string& name, std::uint64_t& value, const std::string& help) {
  return add_to(handle_, name, value, help);
}
Option Options::add(const std::string& name, std::int64_t& value, const std::string& help) {
  return add_to(handle_, name, value, help);
}
Option Options::add(const std::string& name, int& value, const std::string& help) {
  return add_to(handle_, name, value, help);
}
Option Options::add(const std::string& name, unsigned& value, const std::string& help) {
  return add_to(handle_, name, value, help);
}
Option Options::add(const std::string& name, double& value, const std::string& help) {
  return add_to(handle_, name, value, help);
}
Option Options::flag(const std::string& name, bool& value, const std::string& help) {
  return Option(handle(cli(handle_)->add_flag(name, value, help)));
}
void Options::footer(const std::string& text) { cli(handle_)->footer(text); }

}  // namespace shardrun
