// The live status service on rank 0 (`--status ADDR:PORT`): GET /,
// /api/status, /metrics; POST /api/stop with the bearer token. GNU
// libmicrohttpd serves it from a thread of its own (non-blocking, so a slow
// client holds nothing), with bounded connections, memory and time per
// connection; it reads only the last published snapshot, under a lock held
// for a copy: no client can stall the job.
#pragma once

#include <atomic>
#include <mutex>
#include <string>

#include "status/status_snapshot.hpp"

struct MHD_Daemon;

namespace shardrun::status {

struct Address {
  std::string host;
  int port = 0;
};

// "127.0.0.1:0", "localhost:8080", "[::1]:9000", ":0" (loopback); throws
// UsageError naming --status. A host other than loopback needs `allow_public`.
Address parse_address(const std::string& text, bool allow_public);

class StatusServer {
 public:
  // Binds (port 0: a free one) and starts serving; throws UsageError naming
  // --status when the address cannot be bound (in use, not local).
  StatusServer(const Address& address, std::string token);
  ~StatusServer();
  StatusServer(const StatusServer&) = delete;
  StatusServer& operator=(const StatusServer&) = delete;

  int port() const { return port_; }
  std::string url() const;
  void publish(Snapshot snapshot);
  // A client asked, with the token, for a graceful stop.
  bool stop_requested() const { return stop_.load(std::memory_order_relaxed); }

 private:
  Snapshot current() const;
  // The reply to one request: status code, content type, body.
  struct Reply {
    unsigned code;
    const char* type;
    std::string body;
  };
  Reply answer(const std::string& method, const std::string& path,
               const std::string& authorization);
  friend struct Dispatch;

  Address address_;
  std::string token_;
  int port_ = 0;
  MHD_Daemon* daemon_ = nullptr;
  mutable std::mutex mutex_;
  Snapshot snapshot_;
  std::atomic<bool> stop_{false};
};

// 32 random hex digits, for the token file.
std::string new_token();

// The page served at GET /: one self-updating page, no external assets.
const std::string& status_page();

}  // namespace shardrun::status
