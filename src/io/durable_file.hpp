// Making a finished file durable and putting it in place atomically.
#pragma once

#include <string>

namespace shardrun::io {

// fsyncs `temp`, renames it over `path`, and fsyncs their directory: after it
// returns, `path` is the new file even if the machine loses power; before,
// `path` is still the old one. Throws RuntimeError naming the files.
void replace_file(const std::string& temp, const std::string& path);

// fsyncs a file (its data and metadata). Throws RuntimeError naming it.
void sync_file(const std::string& path);

// Writes `text` to "<path>.tmp" (created anew: a file or symlink left there is
// removed, never followed) and replace_file()s it over `path`. Throws
// RuntimeError naming `option` and the file.
void write_file_atomically(const std::string& path, const std::string& text,
                           const std::string& option);

}  // namespace shardrun::io
