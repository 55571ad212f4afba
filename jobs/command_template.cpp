#include "command_template.hpp"

#include <array>
#include <string_view>
#include <vector>

#include "shardrun/errors.hpp"

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

namespace {

enum class Quote { none, single, open_double };

// Where a replacement string sits in the command, as /bin/sh reads it: the
// quotes around it, and whether it is inside $(...), `...` or ${...} (where
// quoting for the outer context would not hold).
class ShellContext {
 public:
  Quote quote() const { return frames_.back().quote; }
  bool nested() const { return frames_.size() > 1; }
  // Consumes the text at command[i] that is not a replacement string;
  // returns how many characters it took.
  std::size_t step(const std::string& command, std::size_t i) {
    Frame& top = frames_.back();
    const char c = command[i];
    const bool dollar_open =
        c == '$' && i + 1 < command.size() && (command[i + 1] == '(' || command[i + 1] == '{');
    if (top.quote == Quote::single) {
      if (c == '\'') top.quote = Quote::none;
      return 1;
    }
    if (c == '\\') return std::min<std::size_t>(2, command.size() - i);
    if (dollar_open) {
      frames_.push_back({command[i + 1] == '(' ? ')' : '}', Quote::none, 0});
      return 2;
    }
    if (c == '`' && top.closer == '`' && top.quote == Quote::none) {
      frames_.pop_back();
      return 1;
    }
    if (c == '`') {
      frames_.push_back({'`', Quote::none, 0});
      return 1;
    }
    if (top.quote == Quote::open_double) {
      if (c == '"') top.quote = Quote::none;
      return 1;
    }
    if (c == '\'') top.quote = Quote::single;
    if (c == '"') top.quote = Quote::open_double;
    if (c == '(' && top.closer == ')') ++top.parens;
    if (c == top.closer && frames_.size() > 1 && top.closer != '`') {
      if (c == ')' && top.parens > 0)
        --top.parens;
      else
        frames_.pop_back();
    }
    return 1;
  }

 private:
  struct Frame {
    char closer;  // what ends it: ')' for $( ), '}' for ${ }, '`'; 0 for the command itself
    Quote quote;
    int parens;  // ( ) pairs open inside $( )
  };
  std::vector<Frame> frames_{{0, Quote::none, 0}};
};

// `value` as /bin/sh must read it where `context` says it is.
std::string quote_for(const ShellContext& context, const std::string& value) {
  std::string out;
  switch (context.quote()) {
    case Quote::none:
      return shell_quote(value);
    case Quote::single:  // close the quotes for each ', escape it, reopen
      for (char c : value) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
      return out;
    case Quote::open_double:
      for (char c : value) {
        if (c == '$' || c == '`' || c == '"' || c == '\\') out += '\\';
        out += c;
      }
      return out;
  }
  return out;
}

}  // namespace

namespace {

// A replacement string and its value; digits need no quoting anywhere.
struct Replacement {
  std::string_view name;
  std::string value;
  bool digits = false;
};

std::string expand(const std::string& full, const std::vector<Replacement>& strings) {
  std::string out;
  ShellContext context;
  for (std::size_t i = 0; i < full.size();) {
    const Replacement* found = nullptr;
    for (const Replacement& r : strings)
      if (full.compare(i, r.name.size(), r.name) == 0) found = &r;
    if (!found) {
      const std::size_t taken = context.step(full, i);
      out.append(full, i, taken);
      i += taken;
      continue;
    }
    const std::string name(found->name);
    i += name.size();
    if (found->digits) {
      out += found->value;
      continue;
    }
    if (context.nested())
      throw UsageError("--command: " + name +
                       " inside $(...), `...` or ${...} cannot be quoted safely; set a variable "
                       "first, e.g. 'f=" +
                       name + "; wc -l \"$(basename \"$f\")\"'");
    out += quote_for(context, found->value);
  }
  return out;
}

}  // namespace

std::string expand_template(const std::string& command, const std::string& argument,
                            std::uint64_t task, int slot) {
  bool uses_argument = false;
  for (std::string_view s : kArgumentStrings) uses_argument |= command.find(s) != std::string::npos;
  return expand(uses_argument ? command : command + " {}",
                {{"{}", argument},
                 {"{.}", without_extension(argument)},
                 {"{/.}", without_extension(basename_of(argument))},
                 {"{//}", dirname_of(argument)},
                 {"{/}", basename_of(argument)},
                 {"{#}", std::to_string(task), true},
                 {"{%}", std::to_string(slot), true}});
}

bool uses_shard_strings(const std::string& command) {
  for (std::string_view s : {"{begin}", "{end}", "{rows}", "{shard}"})
    if (command.find(s) != std::string::npos) return true;
  return false;
}

std::string expand_shard_template(const std::string& command, const ShardStrings& shard,
                                  std::uint64_t task, int slot) {
  const std::string begin = std::to_string(shard.begin), end = std::to_string(shard.end);
  return expand(command, {{"{input}", shard.input},
                          {"{file}", shard.file},
                          {"{dataset}", shard.dataset},
                          {"{begin}", begin, true},
                          {"{end}", end, true},
                          {"{rows}", begin + ":" + end, true},
                          {"{shard}", std::to_string(shard.id), true},
                          {"{#}", std::to_string(task), true},
                          {"{%}", std::to_string(slot), true}});
}

}  // namespace shardrun::jobs
