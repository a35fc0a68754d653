#ifndef JWTAUTH_SERVER_BOUNDED_HTTP_SERVER_H_
#define JWTAUTH_SERVER_BOUNDED_HTTP_SERVER_H_

// BoundedHttpServer: a cpp-httplib server whose every request is bounded in
// time and size, shared by the admin port (server/admin_http_server.h) and
// the public JWKS port (server/public_http_server.h). The owner registers
// its routes on routes(), then calls Start(); non-GET methods get 405
// unless a route says otherwise, unknown paths 404.
//
// Slow clients (slowloris): each connection serves one request
// (Connection: close) and the whole request — head and any body — must
// arrive within HttpServerOptions::request_timeout and max_request_bytes,
// however slowly the client dribbles bytes; then the connection is closed.
// `workers` connections are served at once, so a handful of slow clients
// cannot starve the others, and none holds a worker for longer than
// request_timeout.
//
// Owns its listener thread. Stop() (also run by the destructor) stops
// accepting, waits for in-flight requests and joins; thread-safe. Not
// copyable or movable.
//
//   BoundedHttpServer http(options);
//   http.routes().Get("/x", handler);
//   JWTAUTH_RETURN_IF_ERROR(http.Start("127.0.0.1:0", "admin server"));

#include <cstddef>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace httplib {
class Server;
}

namespace jwtauth::server {

// Route patterns of the well-known documents, for every server that serves
// them. httplib routes are regular expressions: the dots are escaped, so only
// the exact path matches (an unescaped "." let /_well-known/jwks_json serve
// the keys).
inline constexpr char kJwksRoute[] = R"(/\.well-known/jwks\.json)";
inline constexpr char kOpenIdConfigurationRoute[] =
    R"(/\.well-known/openid-configuration)";

struct HttpServerOptions {
  size_t workers = 32;  // connections served concurrently
  // Time for a whole request to arrive, from when a worker takes the
  // connection; the connection is closed when it runs out.
  absl::Duration request_timeout = absl::Seconds(5);
  size_t max_request_bytes = 16 * 1024;  // request line + headers + body
  absl::Duration write_timeout = absl::Seconds(5);  // per send
};

class BoundedHttpServer final {
 public:
  explicit BoundedHttpServer(const HttpServerOptions& options);
  ~BoundedHttpServer();
  BoundedHttpServer(const BoundedHttpServer&) = delete;
  BoundedHttpServer& operator=(const BoundedHttpServer&) = delete;

  // Register routes here before Start().
  httplib::Server& routes() { return *server_; }

  // Binds `listen_address` and starts serving. InvalidArgument for a
  // malformed address or bad options, Unavailable when the port cannot be
  // bound; `name` prefixes the message ("admin server: cannot bind ...").
  absl::Status Start(absl::string_view listen_address, absl::string_view name);
  int port() const { return port_; }
  void Stop();

 private:
  class Server;  // httplib::Server with bounded requests (.cc)
  const HttpServerOptions options_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

// Splits "host:port" / "[v6]:port". InvalidArgument if malformed.
absl::StatusOr<std::pair<std::string, int>> SplitHostPort(
    absl::string_view address);

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_BOUNDED_HTTP_SERVER_H_
