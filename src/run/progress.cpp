#include "run/progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace shardrun::run {

ProgressMode choose_progress_mode(bool quiet) {
  if (quiet) return ProgressMode::off;
  if (::isatty(STDERR_FILENO)) return ProgressMode::live;
  if (std::getenv("OMPI_COMM_WORLD_SIZE")) {
    // Under mpirun our stderr is a pipe; look at where the launcher's goes.
    std::error_code ec;
    const auto target =
        std::filesystem::read_symlink("/proc/" + std::to_string(::getppid()) + "/fd/2", ec);
    const std::string name = target.string();
    if (!ec && (name.starts_with("/dev/pts/") || name.starts_with("/dev/tty")))
      return ProgressMode::live;
  }
  return ProgressMode::lines;
}

namespace {

std::string format_duration(double seconds) {
  const auto total = static_cast<long long>(seconds + 0.5);
  char text[32];
  if (total >= 3600)
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", total / 3600, total / 60 % 60,
                  total % 60);
  else
    std::snprintf(text, sizeof text, "%lld:%02lld", total / 60, total % 60);
  return text;
}

}  // namespace

std::string format_progress(const ProgressState& s) {
  const double fraction =
      s.shards_total ? static_cast<double>(s.shards_done) / static_cast<double>(s.shards_total) : 0;
  char text[160];
  int n = std::snprintf(text, sizeof text, "%5.1f%% %llu/%llu shards", 100.0 * fraction,
                        static_cast<unsigned long long>(s.shards_done),
                        static_cast<unsigned long long>(s.shards_total));
  std::string line(text, static_cast<std::size_t>(n));
  if (s.elapsed_s > 0 && s.items_done > 0) {
    const double items_per_s = static_cast<double>(s.items_done) / s.elapsed_s;
    if (s.bytes_per_item > 0)
      n = std::snprintf(text, sizeof text, "  %.2f GB/s", items_per_s * s.bytes_per_item / 1e9);
    else
      n = std::snprintf(text, sizeof text, "  %.3g items/s", items_per_s);
    line.append(text, static_cast<std::size_t>(n));
    if (fraction > 0 && fraction < 1)
      line += "  ETA " + format_duration(s.elapsed_s * (1 - fraction) / fraction);
  }
  return line;
}

Progress::Progress(ProgressMode mode, double lines_every_s)
    : mode_(mode), lines_every_s_(lines_every_s) {}

std::chrono::milliseconds Progress::tick_interval() const {
  const double seconds = mode_ == ProgressMode::lines ? lines_every_s_ : 0.5;
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

void Progress::update(const ProgressState& state) {
  if (mode_ == ProgressMode::off) return;
  if (mode_ == ProgressMode::live) {
    std::fprintf(stderr, "\r\033[Kshardrun: %s", format_progress(state).c_str());
    line_open_ = true;
  } else if (!printed_ || state.elapsed_s - last_print_s_ >= lines_every_s_) {
    printed_ = true;
    last_print_s_ = state.elapsed_s;
    std::fprintf(stderr, "shardrun: progress %s\n", format_progress(state).c_str());
  }
  std::fflush(stderr);
}

void Progress::finish(const ProgressState& state) {
  if (mode_ == ProgressMode::lines) {
    std::fprintf(stderr, "shardrun: progress %s\n", format_progress(state).c_str());
  } else if (line_open_) {
    std::fprintf(stderr, "\r\033[K");
  }
  line_open_ = false;
  std::fflush(stderr);
}

}  // namespace shardrun::run
