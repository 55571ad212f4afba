// --command templates and their quoting, checked by the shell itself: for a
// template with {} bare, in double quotes, in single quotes or between
// literal text, and any argument (bytes other than NUL and newline, the
// --args line), expand_template either refuses the template (UsageError) or
// gives a command whose output under /bin/sh -c is exactly the argument
// with the template's literal text around it.
//
// The shell runs what the expansion gives, so it runs confined: as nobody
// when we are root, in /, with PATH empty (only builtins such as printf
// exist), stdin from /dev/null, no file writes (RLIMIT_FSIZE 0), 2 s of CPU
// and few processes.
//
// Input: the template (one byte, over kTemplates), then the argument.
#include <fcntl.h>
#include <grp.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>

#include "fuzz_common.hpp"
#include "jobs/command_template.hpp"

namespace {

struct Template {
  const char* text;
  const char* before;  // printed before the argument
  const char* after;   // and after it
};

constexpr std::array<Template, 6> kTemplates = {{
    {"printf %s {}", "", ""},
    {"printf %s \"{}\"", "", ""},
    {"printf %s '{}'", "", ""},
    {"printf %s x{}y", "x", "y"},
    {"printf %s \"a{}b\"", "a", "b"},
    {"printf %s 'a'{}\"b\"", "a", "b"},
}};

struct Run {
  std::string out;
  int status = 0;
};

[[noreturn]] void confined_shell(const std::string& command, int out_fd) {
  const int null = ::open("/dev/null", O_RDWR);
  if (null < 0 || ::dup2(null, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(null, 2) < 0) _exit(126);
  const rlimit cpu{2, 2}, fsize{0, 0}, nproc{64, 64};
  ::setrlimit(RLIMIT_CPU, &cpu);
  ::setrlimit(RLIMIT_FSIZE, &fsize);
  if (::geteuid() == 0) {
    const gid_t nogroup = 65534;
    if (::setgroups(1, &nogroup) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) _exit(126);
  }
  ::setrlimit(RLIMIT_NPROC, &nproc);
  if (::chdir("/") != 0) _exit(126);
  const char* argv[] = {"sh", "-c", command.c_str(), nullptr};
  const char* env[] = {"PATH=/nonexistent", "LC_ALL=C", nullptr};
  ::execve("/bin/sh", const_cast<char* const*>(argv), const_cast<char* const*>(env));
  _exit(127);
}

Run run_shell(const std::string& command) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) shardrun::fuzz::fail("pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) shardrun::fuzz::fail("fork failed");
  if (pid == 0) confined_shell(command, fds[1]);
  ::close(fds[1]);
  Run run;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (run.out.size() < (1 << 20)) run.out.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  while (::waitpid(pid, &run.status, 0) < 0 && errno == EINTR) {
  }
  return run;
}

std::string visible(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace shardrun;
  fuzz::Input input(data, size);
  const Template& t = kTemplates[input.byte() % kTemplates.size()];
  const std::string argument(input.rest());
  if (argument.find_first_of(std::string_view("\0\n", 2)) != std::string::npos) return 0;
  std::string command;
  try {
    command = jobs::expand_template(t.text, argument, 1, 0);
  } catch (const UsageError&) {
    return 0;  // a template it cannot quote safely: refused
  }
  const Run run = run_shell(command);
  const std::string want = t.before + argument + t.after;
  if (run.out != want || !WIFEXITED(run.status) || WEXITSTATUS(run.status) != 0)
    fuzz::fail("template " + visible(t.text) + ", argument " + visible(argument) + "\n  command  " +
               visible(command) + "\n  printed  " + visible(run.out) + "\n  expected " +
               visible(want) + "\n  status   " + std::to_string(run.status));
  return 0;
}
