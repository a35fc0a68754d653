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
// Requests are bounded in time and size (slowloris) by BoundedHttpServer
// (server/bounded_http_server.h): one request per connection, the whole
// request within request_timeout and max_request_bytes, `workers` (default
// 32) connections at once. Stop() (also run by the destructor) stops
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
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/bounded_http_server.h"

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

using AdminServerOptions = HttpServerOptions;

class AdminHttpServer final {
 public:
  static absl::StatusOr<std::unique_ptr<AdminHttpServer>> Start(
      absl::string_view listen_address, AdminHandlers handlers,
      AdminServerOptions options = {});
  ~AdminHttpServer();
  AdminHttpServer(const AdminHttpServer&) = delete;
  AdminHttpServer& operator=(const AdminHttpServer&) = delete;

  int port() const;
  void Stop();

 private:
  AdminHttpServer() = default;
  std::unique_ptr<BoundedHttpServer> http_;
};

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_ADMIN_HTTP_SERVER_H_
