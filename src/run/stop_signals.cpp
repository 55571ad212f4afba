#include "run/stop_signals.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>

namespace shardrun::run {
namespace {

volatile std::sig_atomic_t g_first = 0;
volatile std::sig_atomic_t g_count = 0;
std::atomic<bool> g_api{false};
constexpr int kSignals[] = {SIGTERM, SIGINT, SIGUSR1, SIGXCPU};
struct sigaction g_previous[4];

void on_signal(int signo) {
  if (g_first == 0) g_first = signo;
  g_count = g_count + 1;
  if (g_count > 1 && (signo == SIGINT || signo == SIGTERM)) ::_exit(128 + signo);
}

}  // namespace

StopSignals::StopSignals() {
  g_first = 0;
  g_count = 0;
  g_api.store(false);
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (int i = 0; i < 4; ++i) ::sigaction(kSignals[i], &action, &g_previous[i]);
  // A file-size limit (ulimit -f) then fails the write instead of killing us.
  std::signal(SIGXFSZ, SIG_IGN);
}

StopSignals::~StopSignals() {
  for (int i = 0; i < 4; ++i) ::sigaction(kSignals[i], &g_previous[i], nullptr);
}

int StopSignals::received() { return g_first; }

void StopSignals::request_stop() { g_api.store(true, std::memory_order_relaxed); }

bool StopSignals::stop_requested() { return g_first != 0 || g_api.load(std::memory_order_relaxed); }

std::string StopSignals::stop_reason() {
  if (g_first != 0) return std::string("stopped (") + sigabbrev_np(g_first) + ")";
  if (g_api.load(std::memory_order_relaxed)) return "stopped (status API)";
  return "";
}

}  // namespace shardrun::run
