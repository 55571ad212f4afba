#include "status/status_server.hpp"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include <cstdio>
#include <cstring>
#include <random>

#include "shardrun/errors.hpp"

namespace shardrun::status {
namespace {

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

// Constant time: a token guessed byte by byte is not told how close it was.
bool same_token(const std::string& given, const std::string& token) {
  if (given.size() != token.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < token.size(); ++i)
    diff |= static_cast<unsigned char>(given[i] ^ token[i]);
  return diff == 0;
}

}  // namespace

// libmicrohttpd's callback: a request's headers, then its body in pieces
// (ignored, at most the connection's memory limit), then the reply.
struct Dispatch {
  static MHD_Result on_request(void* cls, MHD_Connection* connection, const char* url,
                               const char* method, const char*, const char*, size_t* upload_size,
                               void** state) {
    static int seen;
    if (*state == nullptr) {  // headers only so far
      *state = &seen;
      return MHD_YES;
    }
    if (*upload_size != 0) {  // a body: read and dropped
      *upload_size = 0;
      return MHD_YES;
    }
    const char* auth = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Authorization");
    auto* server = static_cast<StatusServer*>(cls);
    const StatusServer::Reply reply = server->answer(method, url, auth ? auth : "");
    MHD_Response* response = MHD_create_response_from_buffer(
        reply.body.size(), const_cast<char*>(reply.body.data()), MHD_RESPMEM_MUST_COPY);
    if (!response) return MHD_NO;
    MHD_add_response_header(response, "Content-Type", reply.type);
    MHD_add_response_header(response, "Cache-Control", "no-store");
    const MHD_Result queued = MHD_queue_response(connection, reply.code, response);
    MHD_destroy_response(response);
    return queued;
  }
};

Address parse_address(const std::string& text, bool allow_public) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos)
    throw UsageError("--status: expected ADDR:PORT (127.0.0.1:0 picks a free port), got '" + text +
                     "'");
  Address a;
  a.host = text.substr(0, colon);
  if (a.host.size() >= 2 && a.host.front() == '[' && a.host.back() == ']')
    a.host = a.host.substr(1, a.host.size() - 2);
  if (a.host.empty() || a.host == "localhost") a.host = "127.0.0.1";
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, a.host.c_str(), &v4) != 1 && inet_pton(AF_INET6, a.host.c_str(), &v6) != 1)
    throw UsageError("--status: '" + a.host + "' is not an IP address (127.0.0.1, ::1, ...)");
  const std::string port = text.substr(colon + 1);
  std::size_t used = 0;
  long value = -1;
  try {
    value = std::stol(port, &used);
  } catch (...) {
    used = 0;
  }
  if (port.empty() || used != port.size() || value < 0 || value > 65535)
    throw UsageError("--status: port must be 0..65535, got '" + port + "'");
  a.port = static_cast<int>(value);
  if (!is_loopback(a.host) && !allow_public)
    throw UsageError("--status: " + a.host +
                     " is not a loopback address; add --status-public to serve it beyond this "
                     "host (the stop endpoint still needs the token)");
  return a;
}

StatusServer::StatusServer(const Address& address, std::string token)
    : address_(address), token_(std::move(token)) {
  sockaddr_in v4{};
  sockaddr_in6 v6{};
  const bool is_v6 = address.host.find(':') != std::string::npos;
  const auto port = htons(static_cast<std::uint16_t>(address.port));
  if (is_v6) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = port;
    inet_pton(AF_INET6, address.host.c_str(), &v6.sin6_addr);
  } else {
    v4.sin_family = AF_INET;
    v4.sin_port = port;
    inet_pton(AF_INET, address.host.c_str(), &v4.sin_addr);
  }
  const sockaddr* where =
      is_v6 ? reinterpret_cast<const sockaddr*>(&v6) : reinterpret_cast<const sockaddr*>(&v4);
  // One thread polling every connection; at most 64 connections, 32 KiB
  // and 10 s each.
  unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD;
  if (is_v6) flags |= MHD_USE_IPv6;
  daemon_ = MHD_start_daemon(
      flags, static_cast<std::uint16_t>(address.port), nullptr, nullptr, &Dispatch::on_request,
      this, MHD_OPTION_SOCK_ADDR, where, MHD_OPTION_CONNECTION_LIMIT, 64u,
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, 64u, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<size_t>(32 << 10), MHD_OPTION_END);
  if (!daemon_)
    throw UsageError("--status: cannot listen on " + address.host + ":" +
                     std::to_string(address.port) + " (in use, or not an address of this host)");
  const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
  port_ = info ? info->port : address.port;
}

StatusServer::~StatusServer() {
  if (daemon_) MHD_stop_daemon(daemon_);
}

StatusServer::Reply StatusServer::answer(const std::string& method, const std::string& path,
                                         const std::string& authorization) {
  const char* json = "application/json";
  if (path == "/api/stop") {
    if (method != "POST") return {405, json, "{\"error\": \"POST /api/stop\"}\n"};
    const std::string prefix = "Bearer ";
    if (authorization.rfind(prefix, 0) != 0 ||
        !same_token(authorization.substr(prefix.size()), token_))
      return {403, json, "{\"error\": \"forbidden: the token is in OUTPUT.status\"}\n"};
    stop_.store(true, std::memory_order_relaxed);
    return {202, json, "{\"stopping\": true}\n"};
  }
  if (path != "/" && path != "/api/status" && path != "/metrics")
    return {404, json, "{\"error\": \"not found: /, /api/status, /metrics, POST /api/stop\"}\n"};
  if (method != "GET" && method != "HEAD") return {405, json, "{\"error\": \"GET only\"}\n"};
  if (path == "/") return {200, "text/html; charset=utf-8", status_page()};
  if (path == "/api/status") return {200, json, to_json(current())};
  return {200, "text/plain; version=0.0.4; charset=utf-8", to_prometheus(current())};
}

std::string StatusServer::url() const {
  const bool v6 = address_.host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + address_.host + "]" : address_.host) + ":" +
         std::to_string(port_) + "/";
}

void StatusServer::publish(Snapshot snapshot) {
  const std::lock_guard<std::mutex> lock(mutex_);
  snapshot_ = std::move(snapshot);
}

Snapshot StatusServer::current() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return snapshot_;
}

std::string new_token() {
  std::random_device entropy;
  std::string token;
  char hex[9];
  for (int i = 0; i < 4; ++i) {
    std::snprintf(hex, sizeof hex, "%08x", entropy());
    token += hex;
  }
  return token;
}

}  // namespace shardrun::status
