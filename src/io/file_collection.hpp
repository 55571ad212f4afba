// The files an --input names: one file, a glob, a directory or @list.txt.
#pragma once

#include <string>
#include <vector>

namespace shardrun::io {

// `pattern` is
//   - an existing file: that file alone (even if its name has glob characters);
//   - a glob (*, ? or [...]): every match, in byte order of the names;
//   - a directory: every regular file in it whose name does not start with
//     '.', in byte order;
//   - @LIST: the files named one a line in LIST, in the list's order (blank
//     lines and lines starting with '#' skipped; relative names are relative
//     to the current directory, as a shell would read them).
// Throws UsageError naming `option` when nothing matches or a listed file is
// missing. Files are not opened.
std::vector<std::string> collection_files(const std::string& pattern, const std::string& option);

// Whether `pattern` names (or may name) more than one file.
bool is_collection(const std::string& pattern);

}  // namespace shardrun::io
