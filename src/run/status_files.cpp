#include "run/status_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "shardrun/errors.hpp"

namespace shardrun::run {
namespace {

// Replaces `path` with `text`, readable by the owner only: written under a
// temporary name and renamed, so a reader never sees it empty or half
// written; never follows a symlink planted at either name.
void write_private(const std::string& path, const std::string& text) {
  const std::string partial = path + ".partial";
  ::unlink(partial.c_str());
  const int fd =
      ::open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) throw UsageError("--status: cannot write " + partial + ": " + std::strerror(errno));
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!ok || ::rename(partial.c_str(), path.c_str()) != 0) {
    ::unlink(partial.c_str());
    throw UsageError("--status: cannot write " + path);
  }
}

}  // namespace

StatusFiles::StatusFiles(const std::string& output, const std::string& url,
                         const std::string& token)
    : token_path_(output + ".status"), url_path_(output + ".status.url") {
  write_private(token_path_, token + "\n");
  write_private(url_path_, url + "\n");
}

StatusFiles::~StatusFiles() {
  ::unlink(token_path_.c_str());
  ::unlink(url_path_.c_str());
}

}  // namespace shardrun::run
