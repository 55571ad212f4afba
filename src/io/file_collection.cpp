#include "io/file_collection.hpp"

#include <glob.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "shardrun/errors.hpp"

namespace shardrun::io {
namespace fs = std::filesystem;
namespace {

bool has_glob_characters(const std::string& text) {
  return text.find_first_of("*?[") != std::string::npos;
}

std::vector<std::string> glob_matches(const std::string& pattern, const std::string& option) {
  glob_t found{};
  const int status = ::glob(pattern.c_str(), GLOB_ERR | GLOB_NOSORT, nullptr, &found);
  std::vector<std::string> files(found.gl_pathv, found.gl_pathv + found.gl_pathc);
  ::globfree(&found);
  if (status == GLOB_NOMATCH || (status == 0 && files.empty()))
    throw UsageError(option + ": no file matches " + pattern);
  if (status != 0) throw UsageError(option + ": cannot read the directories of " + pattern);
  std::erase_if(files, [](const std::string& f) {
    std::error_code ec;
    return fs::is_directory(f, ec);
  });
  if (files.empty()) throw UsageError(option + ": " + pattern + " matches only directories");
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::string> directory_files(const std::string& dir, const std::string& option) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    std::error_code type_ec;
    if (entry.is_regular_file(type_ec)) files.push_back(entry.path().string());
  }
  if (ec) throw UsageError(option + ": cannot list the directory " + dir + ": " + ec.message());
  if (files.empty()) throw UsageError(option + ": the directory " + dir + " holds no files");
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::string> listed_files(const std::string& list, const std::string& option) {
  std::ifstream in(list);
  if (!in) throw UsageError(option + ": cannot read the file list " + list);
  std::vector<std::string> files;
  std::string line;
  for (std::uint64_t number = 1; std::getline(in, line); ++number) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    std::error_code ec;
    if (!fs::exists(line, ec))
      throw UsageError(option + ": " + list + " line " + std::to_string(number) +
                       ": no such file: " + line);
    files.push_back(line);
  }
  if (files.empty()) throw UsageError(option + ": the file list " + list + " names no files");
  return files;
}

}  // namespace

bool is_collection(const std::string& pattern) {
  std::error_code ec;
  if (fs::is_regular_file(pattern, ec)) return false;
  return (!pattern.empty() && pattern[0] == '@') || has_glob_characters(pattern) ||
         fs::is_directory(pattern, ec);
}

std::vector<std::string> collection_files(const std::string& pattern, const std::string& option) {
  std::error_code ec;
  if (fs::is_regular_file(pattern, ec) || !is_collection(pattern)) return {pattern};
  if (pattern[0] == '@') return listed_files(pattern.substr(1), option);
  if (fs::is_directory(pattern, ec)) return directory_files(pattern, option);
  return glob_matches(pattern, option);
}

}  // namespace shardrun::io
