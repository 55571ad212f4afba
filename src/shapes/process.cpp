#include "shapes/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <optional>
#include <thread>

#include "base/clock.hpp"
#include "shardrun/errors.hpp"

extern char** environ;

namespace shardrun::shapes {
namespace {

// Owns one file descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// posix_spawn's attribute and file-action objects, destroyed on every path.
struct SpawnSetup {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  SpawnSetup() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

// Waits until the process behind pidfd has ended (not reaped), at most
// timeout_s (negative: no limit), meanwhile pumping its output when tagged.
// True when it has ended.
bool wait_ended(int pidfd, double timeout_s, LinePump* pump) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  for (;;) {
    int ms = -1;
    if (timeout_s >= 0) {
      const double left =
          std::chrono::duration<double>(deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) return false;
      ms = static_cast<int>(std::ceil(left * 1000));
    }
    pollfd p[3] = {{pidfd, POLLIN, 0}, {-1, POLLIN, 0}, {-1, POLLIN, 0}};
    if (pump) p[1].fd = pump->fd(1), p[2].fd = pump->fd(2);  // -1: ignored by poll
    const int n = ::poll(p, 3, ms);
    if (n < 0 && errno != EINTR) throw RuntimeError(std::string("poll: ") + std::strerror(errno));
    if (n <= 0) continue;
    for (int stream = 1; stream <= 2; ++stream)
      if (p[stream].revents) pump->read(stream);
    if (p[0].revents) return true;
  }
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

void LiveGroups::add(pid_t group) {
  std::lock_guard lock(mutex_);
  groups_.insert(group);
}

void LiveGroups::remove(pid_t group) {
  std::lock_guard lock(mutex_);
  groups_.erase(group);
}

std::size_t LiveGroups::size() {
  std::lock_guard lock(mutex_);
  return groups_.size();
}

void LiveGroups::terminate_all(double grace_s) {
  {
    std::lock_guard lock(mutex_);
    for (pid_t g : groups_) ::kill(-g, SIGTERM);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(grace_s);
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (groups_.empty()) return;
      if (std::chrono::steady_clock::now() >= deadline) {
        for (pid_t g : groups_) ::kill(-g, SIGKILL);
        return;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::vector<std::string> task_base_environment() {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    const std::string entry = *e;
    const bool launcher = starts_with(entry, "OMPI_") || starts_with(entry, "PMIX_");
    if (!launcher || starts_with(entry, "OMPI_ALLOW_RUN_AS_ROOT")) env.push_back(entry);
  }
  return env;
}

CommandResult run_command(const CommandSpec& spec, LiveGroups& live) {
  CommandResult result;
  SpawnSetup setup;
  // Own process group (the timeout signals the whole tree); default signal
  // dispositions and an empty mask whatever this process ignores or blocks.
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setflags(&setup.attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  posix_spawnattr_setpgroup(&setup.attr, 0);
  posix_spawnattr_setsigdefault(&setup.attr, &all);
  posix_spawnattr_setsigmask(&setup.attr, &none);
  const int out_flags = O_WRONLY | O_CREAT | O_TRUNC;
  posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
  std::optional<LinePump> pump;
  if (spec.tagged) {
    pump.emplace(*spec.tagged, spec.tag);
    posix_spawn_file_actions_adddup2(&setup.actions, pump->child_end(1), 1);
    posix_spawn_file_actions_adddup2(&setup.actions, pump->child_end(2), 2);
  } else {
    posix_spawn_file_actions_addopen(
        &setup.actions, 1, spec.stdout_path.empty() ? "/dev/null" : spec.stdout_path.c_str(),
        out_flags, 0644);
    posix_spawn_file_actions_addopen(
        &setup.actions, 2, spec.stderr_path.empty() ? "/dev/null" : spec.stderr_path.c_str(),
        out_flags, 0644);
  }
  if (!spec.workdir.empty())
    posix_spawn_file_actions_addchdir_np(&setup.actions, spec.workdir.c_str());
  // No descriptor of ours (MPI sockets, HDF5 files, the checkpoint lock) leaks.
  posix_spawn_file_actions_addclosefrom_np(&setup.actions, 3);

  std::vector<char*> envp;
  envp.reserve(spec.env->size() + 1);
  for (const std::string& e : *spec.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const char* argv[] = {"/bin/sh", "-c", spec.command.c_str(), nullptr};

  // posix_spawn has no affinity attribute: the child inherits the calling
  // thread's, so this thread takes the task's cores for the spawn.
  cpu_set_t before, cores;
  const bool pin = !spec.cores.empty() && sched_getaffinity(0, sizeof before, &before) == 0;
  if (pin) {
    CPU_ZERO(&cores);
    for (const int c : spec.cores) CPU_SET(c, &cores);
    sched_setaffinity(0, sizeof cores, &cores);
  }
  result.start_s = base::wall_seconds();
  const auto started = std::chrono::steady_clock::now();
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, "/bin/sh", &setup.actions, &setup.attr,
                                    const_cast<char* const*>(argv), envp.data());
  if (pin) sched_setaffinity(0, sizeof before, &before);
  if (pump) pump->close_child_ends();  // its end of file comes when the task's side closes
  if (spawned != 0) {
    result.exit_code = 127;
    result.spawn_failed = true;
    result.error = std::string("could not start /bin/sh: ") + std::strerror(spawned);
    return result;
  }
  live.add(pid);
  const Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (pidfd.get() < 0) {
    const int err = errno;
    ::kill(-pid, SIGKILL);
    live.remove(pid);
    ::waitpid(pid, nullptr, 0);
    throw RuntimeError(std::string("pidfd_open: ") + std::strerror(err) +
                       " (the task farm needs Linux 5.3 or later)");
  }
  LinePump* lines = pump ? &*pump : nullptr;
  if (!wait_ended(pidfd.get(), spec.timeout_s > 0 ? spec.timeout_s : -1, lines)) {
    result.timed_out = true;
    ::kill(-pid, SIGTERM);
    wait_ended(pidfd.get(), spec.kill_after_s, lines);
  }
  if (result.timed_out) ::kill(-pid, SIGKILL);  // the rest of the tree; the zombie holds the id
  wait_ended(pidfd.get(), -1, lines);
  if (pump) pump->drain();
  live.remove(pid);
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED) != 0 && errno == EINTR) {
  }
  result.duration_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (info.si_code == CLD_EXITED) {
    result.exit_code = info.si_status;
  } else {
    result.exit_code = -1;
    result.signal = info.si_status;
  }
  return result;
}

}  // namespace shardrun::shapes
