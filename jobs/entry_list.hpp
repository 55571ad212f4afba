// Reading a task list or an argument list: one entry per line.
#pragma once

#include <string>
#include <vector>

namespace shardrun::jobs {

// The lines of `path` without their line ends (\n or \r\n); empty lines are
// skipped, and with skip_comments so are lines whose first non-blank
// character is '#'. Throws UsageError naming `option` when the file cannot be
// read or has no entries.
std::vector<std::string> read_entries(const std::string& path, const std::string& option,
                                      bool skip_comments);

// The same, each entry with its line number (1-based).
struct NumberedEntry {
  std::size_t line;
  std::string text;
};
std::vector<NumberedEntry> read_numbered_entries(const std::string& path, const std::string& option,
                                                 bool skip_comments);

}  // namespace shardrun::jobs
