// GNU parallel's replacement strings, for `--command TEMPLATE --args FILE`.
#pragma once

#include <cstdint>
#include <string>

namespace shardrun::jobs {

// `value` as one word for /bin/sh: unchanged when it holds only characters
// the shell leaves alone, else in single quotes (' becomes '\'').
std::string shell_quote(const std::string& value);

// The command for one argument: {} the argument, {.} without its extension,
// {/} its basename, {//} its dirname, {/.} the basename without extension,
// {#} the task number, {%} the slot. A template with none of the argument's
// strings gets " {}" appended, as in GNU parallel. Anything else in braces
// is kept as written. Each string is quoted for where it stands: bare, in
// '...' or in "...", /bin/sh reads exactly the value (GNU parallel quotes
// only for the bare case, so that '{}' or "{}" can run the argument's $(...)).
// Throws UsageError for an argument string inside $(...), `...` or ${...},
// where no quoting of the outer context holds.
std::string expand_template(const std::string& command, const std::string& argument,
                            std::uint64_t task, int slot);

}  // namespace shardrun::jobs
