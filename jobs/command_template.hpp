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

// What `exec --over` puts into a command for one shard of a domain.
struct ShardStrings {
  std::string input;    // {input}: the dataset reference FILE.h5:/path ("" for --over-range)
  std::string file;     // {file}
  std::string dataset;  // {dataset}
  std::uint64_t begin = 0, end = 0;  // {begin}, {end} (exclusive), {rows} = begin:end
  std::uint64_t id = 0;              // {shard}, 0-based
};

// True when the command names one of {begin} {end} {rows} {shard}.
bool uses_shard_strings(const std::string& command);

// The command of one shard: the strings above, and {#} (task number) and
// {%} (slot), quoted for where each stands as expand_template() does.
std::string expand_shard_template(const std::string& command, const ShardStrings& shard,
                                  std::uint64_t task, int slot);

}  // namespace shardrun::jobs
