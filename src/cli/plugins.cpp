#include "cli/plugins.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include "base/checksum.hpp"
#include "shardrun/errors.hpp"
#include "shardrun/plugin.hpp"

namespace shardrun::cli {
namespace fs = std::filesystem;
namespace {

std::string content_digest(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  base::Checksum sum;
  sum.add(bytes.data(), bytes.size());
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(sum.value()));
  return hex;
}

// The library stays loaded until the process ends: its jobs' code runs
// until then, and unloading buys nothing.
void load_one(Registry& registry, const std::string& file) {
  auto fail = [&](const std::string& why) { throw UsageError("plugin " + file + ": " + why); };
  std::error_code ec;
  if (!fs::exists(file, ec)) fail("no such file");
  if (!fs::is_regular_file(file, ec)) fail("not a file");
  void* library = ::dlopen(fs::absolute(file).c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library) fail(std::string("cannot be loaded as a shared object: ") + ::dlerror());
  using Version = int (*)();
  using Register = void (*)(Registry&);
  auto version = reinterpret_cast<Version>(::dlsym(library, "shardrun_plugin_api_version"));
  auto add_jobs = reinterpret_cast<Register>(::dlsym(library, "shardrun_plugin_register"));
  if (!version || !add_jobs)
    fail(
        "not a shardrun plugin (no shardrun_plugin_register: it needs SHARDRUN_PLUGIN from "
        "<shardrun/plugin.hpp> in one source file)");
  if (const int built = version(); built != SHARDRUN_API_VERSION)
    fail("built for shardrun API version " + std::to_string(built) + ", this shardrun has " +
         std::to_string(SHARDRUN_API_VERSION) + ": rebuild it against this shardrun");
  Registry own;
  try {
    add_jobs(own);
  } catch (const std::exception& e) {
    fail(std::string("registering its jobs failed: ") + e.what());
  } catch (...) {
    fail("registering its jobs failed (an exception that is not a std::exception)");
  }
  if (own.jobs().empty()) fail("registers no job");
  const std::string digest = content_digest(file);
  for (JobInfo info : own.jobs()) {
    info.origin = file;
    info.plugin_digest = digest;
    try {
      registry.add(std::move(info));
    } catch (const std::invalid_argument& e) {
      fail(e.what());
    }
  }
}

// The *.so files of dir, in name order; a directory that cannot be listed
// (no permission) is a warning like a missing one.
std::vector<std::string> plugins_in(const std::string& dir, std::vector<std::string>& warnings) {
  std::vector<std::string> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().extension() == ".so" && it->is_regular_file(ec))
      files.push_back(it->path().string());
  if (ec) warnings.push_back("SHARDRUN_PLUGIN_PATH: cannot list " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

std::vector<std::string> plugin_arguments(int argc, char** argv) {
  std::vector<std::string> files;
  const std::string flag = "--plugin";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") break;
    if (arg == flag && i + 1 < argc)
      files.push_back(argv[++i]);
    else if (arg.rfind(flag + "=", 0) == 0)
      files.push_back(arg.substr(flag.size() + 1));
  }
  return files;
}

void load_plugins(Registry& registry, const std::vector<std::string>& files,
                  const std::string& search_path, std::vector<std::string>& warnings) {
  std::vector<std::string> all = files;
  std::stringstream dirs(search_path);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) continue;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      warnings.push_back("SHARDRUN_PLUGIN_PATH: " + dir + " is not a directory; skipped");
      continue;
    }
    for (std::string& file : plugins_in(dir, warnings)) all.push_back(std::move(file));
  }
  std::set<std::string> loaded;
  for (const std::string& file : all) {
    std::error_code ec;
    const fs::path key = fs::weakly_canonical(file, ec);
    if (!loaded.insert(ec ? file : key.string()).second) continue;
    load_one(registry, file);
  }
}

}  // namespace shardrun::cli
