#include "shapes/tagged_output.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "shardrun/errors.hpp"

namespace shardrun::shapes {
namespace {

void write_all(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw RuntimeError(path + ": " + std::strerror(errno));
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

std::string TaggedOutput::path(const std::string& dir, int rank, int stream) {
  return dir + "/rank-" + std::to_string(rank) + (stream == 1 ? ".out" : ".err");
}

TaggedOutput::TaggedOutput(const std::string& dir, int rank) {
  for (int s = 0; s < 2; ++s) {
    paths_[s] = path(dir, rank, s + 1);
    fds_[s] = ::open(paths_[s].c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fds_[s] < 0) {
      const int err = errno;
      if (s == 1) ::close(fds_[0]);
      throw UsageError("--output-mode tagged: " + paths_[s] + ": " + std::strerror(err));
    }
  }
}

TaggedOutput::~TaggedOutput() {
  for (const int fd : fds_) ::close(fd);
}

void TaggedOutput::write(int stream, std::string_view lines) {
  std::lock_guard lock(mutex_);
  write_all(fds_[stream - 1], lines, paths_[stream - 1]);
}

LinePump::LinePump(TaggedOutput& out, std::string tag) : out_(out), tag_(std::move(tag) + '\t') {
  for (int s = 0; s < 2; ++s) {
    int ends[2];
    if (::pipe2(ends, O_CLOEXEC) != 0) {
      const int err = errno;
      close_child_ends();
      for (const int fd : read_ends_)
        if (fd >= 0) ::close(fd);
      throw RuntimeError(std::string("pipe: ") + std::strerror(err));
    }
    read_ends_[s] = ends[0];
    write_ends_[s] = ends[1];
  }
}

LinePump::~LinePump() {
  close_child_ends();
  for (const int fd : read_ends_)
    if (fd >= 0) ::close(fd);
}

void LinePump::close_child_ends() {
  for (int& fd : write_ends_) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
}

bool LinePump::read(int stream) {
  int& fd = read_ends_[stream - 1];
  if (fd < 0) return false;
  char buffer[65536];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) < 0 && errno == EINTR) {
  }
  if (n < 0 && errno == EAGAIN) return false;
  if (n <= 0) {  // its end (or an error: nothing more to read either way)
    ::close(fd);
    fd = -1;
    emit(stream, true);
    return false;
  }
  pending_[stream - 1].append(buffer, static_cast<std::size_t>(n));
  emit(stream, false);
  return true;
}

void LinePump::drain() {
  for (int stream = 1; stream <= 2; ++stream) {
    int& fd = read_ends_[stream - 1];
    if (fd < 0) continue;
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    while (read(stream)) {
    }
    if (fd >= 0) ::close(fd), fd = -1;
    emit(stream, true);
  }
}

// Whole lines, each with the tag in front, in one write; with `all`, a last
// line without its newline as well (given one).
void LinePump::emit(int stream, bool all) {
  std::string& text = pending_[stream - 1];
  const std::size_t end = all ? text.size() : text.rfind('\n') + 1;  // npos + 1 == 0
  if (end == 0) return;
  std::string lines;
  lines.reserve(end + end / 8 + tag_.size());
  std::size_t at = 0;
  while (at < end) {
    std::size_t nl = text.find('\n', at);
    if (nl == std::string::npos || nl >= end) nl = end - 1;
    lines += tag_;
    lines.append(text, at, nl + 1 - at);
    if (text[nl] != '\n') lines += '\n';
    at = nl + 1;
  }
  text.erase(0, end);
  out_.write(stream, lines);
}

}  // namespace shardrun::shapes
