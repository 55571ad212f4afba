#include "entry_list.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "shardrun/errors.hpp"

namespace shardrun::jobs {

std::vector<NumberedEntry> read_numbered_entries(const std::string& path, const std::string& option,
                                                 bool skip_comments) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw UsageError(option + ": " + path + " is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(option + ": cannot open " + path + ": " + std::strerror(errno));
  std::vector<NumberedEntry> entries;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    if (skip_comments && line[first] == '#') continue;
    entries.push_back({number, std::move(line)});
  }
  if (in.bad()) throw UsageError(option + ": cannot read " + path);
  if (entries.empty())
    throw UsageError(option + ": " + path + " has no entries" +
                     (skip_comments ? " (blank lines and # comments are skipped)"
                                    : " (blank lines are skipped)"));
  return entries;
}

}  // namespace shardrun::jobs

namespace shardrun::jobs {

std::vector<std::string> read_entries(const std::string& path, const std::string& option,
                                      bool skip_comments) {
  std::vector<std::string> entries;
  for (NumberedEntry& e : read_numbered_entries(path, option, skip_comments))
    entries.push_back(std::move(e.text));
  return entries;
}

}  // namespace shardrun::jobs
