#ifndef JWTAUTH_SERVER_ADMIN_HTTP_SERVER_H_
#define JWTAUTH_SERVER_ADMIN_HTTP_SERVER_H_

// AdminHttpServer: the operator-facing HTTP port (cpp-httplib), serving
//   GET /metrics                Prometheus text format 0.0.4
//   GET /healthz                200 "ok" while the process is alive (liveness)
//   GET /readyz                 200 when every required key source has
//                               loaded, else 503; JSON body with per-provider
//                               (per-issuer) key freshness either way
//   GET /.well-known/jwks.json  the own public JWKS (= ListKeys.jwks_json, no
//   provider)
// Anything else is 404; non-GET methods get 405.
//
// The server knows nothing about the key store or config: it calls the
// handlers given at Start(), which must be thread-safe (they run on the
// server's worker pool) and must never return secrets.
//
// Slow clients (slowloris): each connection serves one request
// (Connection: close) and the whole request — head and any body — must
// arrive within AdminServerOptions::request_timeout and
// max_request_bytes, however slowly the client dribbles bytes; then the
// connection is closed. `workers` connections are served at once (default
// 32), so a handful of slow clients cannot starve /healthz, and none holds a
// worker for longer than request_timeout.
//
// Owns its listener thread. Stop() (also run by the destructor) stops
// accepting, waits for in-flight requests and joins. Thread-safe to Stop()
// from any thread. Not copyable or movable.
//
// Failure modes: Start() returns InvalidArgument for a malformed address
// and Unavailable when the port cannot be bound.
//
//   auto admin = AdminHttpServer::Start("127.0.0.1:0", handlers);
//   int port = (*admin)->port();

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace httplib {
class Server;
}

namespace jwtauth::server {

// One key source as shown on /readyz.
struct SourceReadiness {
  // Public id ("jwks:https://idp/keys", "file:#1a2b3c4d"; see
  // server/source_redaction.h), the full id only with server.admin_verbose.
  std::string source_id;
  bool required = true;  // readiness waits for it
  bool loaded = false;   // has keys (or loaded once)
  size_t key_count = 0;
  // Age of the key set (now - last successful load); nullopt = never.
  std::optional<absl::Duration> age;
  // Empty, "fetch failed", or (admin_verbose) the refresher's last error.
  std::string last_error;
};

struct ProviderReadiness {
  std::string name;
  std::vector<std::string> issuers;
  std::vector<SourceReadiness> sources;
};

struct ReadinessReport {
  bool ready = false;          // all required sources loaded + serving
  bool shutting_down = false;  // draining: report not ready
  uint64_t generation = 0;     // config generation
  std::vector<ProviderReadiness> providers;

  // {"ready":bool,"generation":N,"providers":[{"name":..,"issuers":[..],
  //   "sources":[{"source":..,"loaded":..,"keys":N,"age_seconds":x|null}]}]}
  std::string ToJson() const;
};

struct AdminHandlers {
  std::function<std::string()> metrics;  // Prometheus text
  std::function<ReadinessReport()> readiness;
  std::function<std::string()> jwks;  // JWKS JSON text
};

struct AdminServerOptions {
  size_t workers = 32;  // connections served concurrently
  // Time for a whole request to arrive, from when a worker takes the
  // connection; the connection is closed when it runs out.
  absl::Duration request_timeout = absl::Seconds(5);
  size_t max_request_bytes = 16 * 1024;  // request line + headers + body
  absl::Duration write_timeout = absl::Seconds(5);  // per send
};

class AdminHttpServer final {
 public:
  static absl::StatusOr<std::unique_ptr<AdminHttpServer>> Start(
      absl::string_view listen_address, AdminHandlers handlers,
      AdminServerOptions options = {});
  ~AdminHttpServer();
  AdminHttpServer(const AdminHttpServer&) = delete;
  AdminHttpServer& operator=(const AdminHttpServer&) = delete;

  int port() const { return port_; }
  void Stop();

 private:
  class BoundedServer;  // httplib::Server with bounded requests (.cc)
  AdminHttpServer() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

// Splits "host:port" / "[v6]:port". InvalidArgument if malformed.
absl::StatusOr<std::pair<std::string, int>> SplitHostPort(
    absl::string_view address);

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_ADMIN_HTTP_SERVER_H_
