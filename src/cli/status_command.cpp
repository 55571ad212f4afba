// `shardrun status ADDR:PORT [--watch S] [--json]`: a running job's status
// service, as one table in a terminal.
#include <httplib.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/commands.hpp"
#include "status/status_server.hpp"

namespace shardrun::cli {
namespace {

std::string clock_text(const nlohmann::json& seconds) {
  if (!seconds.is_number()) return "-";
  const auto s = static_cast<long>(seconds.get<double>() + 0.5);
  char text[32];
  if (s >= 3600)
    std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(text, sizeof text, "%ld:%02ld", s / 60, s % 60);
  return text;
}

std::string rate_text(double bytes_per_s, double items_per_s) {
  char text[64];
  if (bytes_per_s > 0)
    std::snprintf(text, sizeof text, "%.2f GB/s", bytes_per_s / 1e9);
  else
    std::snprintf(text, sizeof text, "%.3g items/s", items_per_s);
  return text;
}

std::string table(const nlohmann::json& st) {
  char line[256];
  const auto& p = st["progress"];
  std::string out;
  std::snprintf(line, sizeof line, "job        %s  %s\n", st["job"].get<std::string>().c_str(),
                st["parameters"].get<std::string>().c_str());
  out += line;
  const double bytes = st["throughput"]["bytes_per_s"].get<double>();
  std::snprintf(
      line, sizeof line,
      "state      %s, %.1f%% %llu/%llu shards, %s, elapsed %s, ETA %s, checkpoint %s\n",
      st["state"].get<std::string>().c_str(), 100 * p["fraction"].get<double>(),
      p["shards_done"].get<unsigned long long>(), p["shards_total"].get<unsigned long long>(),
      rate_text(bytes, st["throughput"]["items_per_s"].get<double>()).c_str(),
      clock_text(st["elapsed_s"]).c_str(), clock_text(st["eta_s"]).c_str(),
      st["checkpoint_age_s"].is_null() ? "none"
                                       : (clock_text(st["checkpoint_age_s"]) + " ago").c_str());
  out += line;
  const bool farm = !st["tasks"].is_null();
  std::snprintf(line, sizeof line, "running    %llu %s",
                p["shards_running"].get<unsigned long long>(), farm ? "tasks" : "shards");
  out += line;
  if (farm)
    out += ", " + std::to_string(st["tasks"]["failed_attempts"].get<unsigned long long>()) +
           " attempt(s) failed";
  out += "\n rank   shards   busy   steals   stolen\n";
  for (const auto& r : st["per_rank"]) {
    std::snprintf(line, sizeof line, "%5llu %8llu %5.0f%% %8llu %8llu\n",
                  r["rank"].get<unsigned long long>(), r["shards_done"].get<unsigned long long>(),
                  100 * r["busy_fraction"].get<double>(), r["steals"].get<unsigned long long>(),
                  r["stolen_shards"].get<unsigned long long>());
    out += line;
  }
  return out;
}

class StatusCommand : public Command {
 public:
  explicit StatusCommand(CLI::App* app) : Command(app) {
    app->add_option("address", address_, "ADDR:PORT that a run's --status printed")->required();
    app->add_option("--watch", watch_s_, "Refresh every this many seconds until the run ends")
        ->check(CLI::PositiveNumber);
    app->add_flag("--json", json_, "Print /api/status as it is");
    app->footer("Exit 0; 1 when nothing answers at ADDR:PORT; 2 for a malformed address.");
  }
  bool needs_mpi() const override { return false; }

  int run() override {
    const status::Address a = status::parse_address(address_, true);
    httplib::Client client(a.host, a.port);
    client.set_connection_timeout(2, 0);
    client.set_read_timeout(5, 0);
    for (;;) {
      const auto res = client.Get("/api/status");
      if (!res || res->status != 200)
        throw RuntimeError("status: nothing answers at " + address_ +
                           (res ? " (HTTP " + std::to_string(res->status) + ")" : ""));
      if (json_) {
        std::printf("%s\n", res->body.c_str());
      } else {
        const nlohmann::json st = nlohmann::json::parse(res->body, nullptr, false);
        if (st.is_discarded()) throw RuntimeError("status: " + address_ + " sent no JSON");
        if (watch_s_ > 0) std::printf("\033[H\033[2J");
        std::printf("%s", table(st).c_str());
        if (watch_s_ > 0 && st["state"] == "finished") return kExitOk;
      }
      std::fflush(stdout);
      if (watch_s_ <= 0) return kExitOk;
      std::this_thread::sleep_for(std::chrono::duration<double>(watch_s_));
    }
  }

 private:
  std::string address_;
  double watch_s_ = 0;
  bool json_ = false;
};

}  // namespace

std::unique_ptr<Command> setup_status(CLI::App& app) {
  CLI::App* sub =
      app.add_subcommand("status", "A running job's live status (its --status address)");
  return std::make_unique<StatusCommand>(sub);
}

}  // namespace shardrun::cli
