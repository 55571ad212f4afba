#include "command_template.hpp"

#include <array>
#include <string_view>

namespace shardrun::jobs {
namespace {

std::string without_extension(const std::string& path) {
  const std::size_t dot = path.rfind('.');
  const std::size_t slash = path.rfind('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return path;
  return path.substr(0, dot);
}

std::string basename_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string dirname_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// The argument's replacement strings, longest first where one is a prefix.
constexpr std::array<std::string_view, 5> kArgumentStrings = {"{}", "{.}", "{/.}", "{//}", "{/}"};

}  // namespace

std::string shell_quote(const std::string& value) {
  auto plain = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("_-./:=+,@%").find(c) != std::string_view::npos;
  };
  bool all_plain = !value.empty();
  for (char c : value) all_plain = all_plain && plain(c);
  if (all_plain) return value;
  std::string quoted = "'";
  for (char c : value) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string expand_template(const std::string& command, const std::string& argument,
                            std::uint64_t task, int slot) {
  bool uses_argument = false;
  for (std::string_view s : kArgumentStrings) uses_argument |= command.find(s) != std::string::npos;
  const std::string full = uses_argument ? command : command + " {}";
  std::string out;
  for (std::size_t i = 0; i < full.size();) {
    auto at = [&](std::string_view s) { return full.compare(i, s.size(), s) == 0; };
    std::string value;
    std::size_t length = 0;
    if (at("{}")) {
      value = shell_quote(argument), length = 2;
    } else if (at("{.}")) {
      value = shell_quote(without_extension(argument)), length = 3;
    } else if (at("{/.}")) {
      value = shell_quote(without_extension(basename_of(argument))), length = 4;
    } else if (at("{//}")) {
      value = shell_quote(dirname_of(argument)), length = 4;
    } else if (at("{/}")) {
      value = shell_quote(basename_of(argument)), length = 3;
    } else if (at("{#}")) {
      value = std::to_string(task), length = 3;
    } else if (at("{%}")) {
      value = std::to_string(slot), length = 3;
    }
    if (length) {
      out += value;
      i += length;
    } else {
      out += full[i++];
    }
  }
  return out;
}

}  // namespace shardrun::jobs
