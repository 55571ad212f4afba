// Plugins: shared libraries of jobs, loaded before the command line is
// parsed (their jobs become subcommands of `shardrun run`).
#pragma once

#include <string>
#include <vector>

#include "shardrun/registry.hpp"

namespace shardrun::cli {

// The plugin files a command line names: every `--plugin FILE` and
// `--plugin=FILE`, in order, wherever they stand.
std::vector<std::string> plugin_arguments(int argc, char** argv);

// Loads each file, then every *.so of the colon-separated directories in
// `search_path` (in name order), and adds their jobs to `registry`. A file
// named twice loads once. Throws UsageError naming the plugin file and the
// problem; a search-path directory that does not exist is only a warning,
// appended to `warnings` (a path set for many machines may name one absent here).
void load_plugins(Registry& registry, const std::vector<std::string>& files,
                  const std::string& search_path, std::vector<std::string>& warnings);

}  // namespace shardrun::cli
