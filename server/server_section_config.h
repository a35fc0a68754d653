#ifndef JWTAUTH_SERVER_SERVER_SECTION_CONFIG_H_
#define JWTAUTH_SERVER_SERVER_SECTION_CONFIG_H_

// ServerSection: the `server:` section of the config file (listeners, TLS,
// shutdown, threading), parsed by the rules of ConfigNode
// (server/config_reader.h). Checks that need other sections (the public
// port needs a signing key) are ServerConfig's (server/config.h).

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "server/config_reader.h"

namespace jwtauth::server {

struct TlsConfig {
  std::string cert_file;       // absolute
  std::string key_file;        // absolute
  std::string client_ca_file;  // absolute; "" = no client certs requested
  bool require_client_cert = false;
  Location location;
};

// How the gRPC services are driven (server.threading).
enum class ServerThreading {
  kAsync,     // completion queues, each polled by dedicated threads
  kCallback,  // gRPC's callback API on its own thread pool
};

// `server.connection`: the HTTP/2 connection policy of the gRPC port
// (server/connection_options.h explains each value).
struct ConnectionConfig {
  // GOAWAY after this age so clients reconnect and spread over the current
  // replicas (gRPC adds ±10% jitter); 0 = never.
  absl::Duration max_age = absl::Minutes(5);
  // How long calls in flight on a closing connection may still run.
  absl::Duration max_age_grace = absl::Seconds(30);
  // Ping a connection idle this long; close it when the ping is not
  // answered within keepalive_timeout.
  absl::Duration keepalive_time = absl::Minutes(1);
  absl::Duration keepalive_timeout = absl::Seconds(20);
  // Clients may ping (also without calls) this often; faster is abuse.
  absl::Duration min_client_ping_interval = absl::Seconds(10);
};

struct ServerSection {
  std::string listen = "127.0.0.1:50051";
  std::string admin_listen = "127.0.0.1:9090";  // "" = no admin server
  // /readyz shows full source ids (file paths, env var names, JWKS URLs
  // with query) and fetch errors. Only for an admin port that untrusted
  // callers cannot reach; /metrics and ListKeys stay redacted regardless.
  bool admin_verbose = false;
  // The public JWKS and OpenID discovery port (server/public_http_server.h);
  // "" = none.
  std::string public_listen;
  // Where public_listen is reached from outside ("https://auth.example.com",
  // no trailing slash): jwks_uri = this + "/.well-known/jwks.json". ""
  // means signing.issuer, which must then be an http(s) URL.
  std::string public_base_url;
  std::optional<TlsConfig> tls;
  ConnectionConfig connection;
  absl::Duration shutdown_grace = absl::Seconds(20);
  // After SIGTERM: keep serving (health NOT_SERVING, /readyz 503) this long
  // so load balancers stop routing here, then stop accepting and drain.
  absl::Duration drain_delay = absl::ZeroDuration();
  // Poll interval of the config/secret file watcher; 0 = no watching.
  absl::Duration watch_interval = absl::Seconds(2);
  ServerThreading threading = ServerThreading::kAsync;
  // Async only: completion queues (0 = one per CPU core) and the threads
  // polling each; handlers run inline on the polling thread.
  int async_queues = 0;
  int async_threads_per_queue = 2;
};

// Reads `node` (the `server:` map) into `out`, keeping defaults for absent
// keys.
absl::Status ParseServerSection(const ConfigNode& node, ServerSection& out);

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_SERVER_SECTION_CONFIG_H_
