#ifndef JWTAUTH_SERVER_PUBLIC_HTTP_SERVER_H_
#define JWTAUTH_SERVER_PUBLIC_HTTP_SERVER_H_

// PublicHttpServer: the port meant for the outside world
// (`server.public_listen`, e.g. behind an Ingress), serving only
//   GET /.well-known/jwks.json               the own public JWKS (the same
//                                            document as the admin port's)
//   GET /.well-known/openid-configuration    OpenID Connect Discovery 1.0
//                                            metadata for the signing issuer
// and 404 for everything else (/metrics, /readyz, /healthz stay on the
// admin port), 405 for non-GET methods. Both documents carry
// `Cache-Control: public, max-age=<max_age>` so caches in front of the
// port absorb the load; relying parties refetch on an unknown kid anyway.
//
// The discovery document has the fields a JWT-only issuer can honestly
// publish (the set the Kubernetes API server's service-account issuer
// discovery serves): issuer, jwks_uri, response_types_supported
// ["id_token"], subject_types_supported ["public"] and
// id_token_signing_alg_values_supported (the distinct `alg` of the
// published keys).
//
// Requests are bounded like the admin port's (BoundedHttpServer). The
// handlers run on the worker pool: thread-safe, never returning secrets.
// Not copyable or movable; Stop() (also run by the destructor) is
// thread-safe.
//
//   auto pub = PublicHttpServer::Start("0.0.0.0:8080", handlers);

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/bounded_http_server.h"

namespace jwtauth::server {

struct PublicHandlers {
  std::function<std::string()> jwks;      // JWKS JSON text
  std::function<std::string()> issuer;    // signing.issuer
  std::function<std::string()> jwks_uri;  // absolute URL of the JWKS
};

struct PublicServerOptions {
  HttpServerOptions http;
  absl::Duration max_age = absl::Minutes(5);  // Cache-Control max-age
};

class PublicHttpServer final {
 public:
  // InvalidArgument for a malformed address, Unavailable when the port
  // cannot be bound.
  static absl::StatusOr<std::unique_ptr<PublicHttpServer>> Start(
      absl::string_view listen_address, PublicHandlers handlers,
      PublicServerOptions options = {});
  ~PublicHttpServer();
  PublicHttpServer(const PublicHttpServer&) = delete;
  PublicHttpServer& operator=(const PublicHttpServer&) = delete;

  int port() const { return http_->port(); }
  void Stop() { http_->Stop(); }

 private:
  explicit PublicHttpServer(const HttpServerOptions& options);
  std::unique_ptr<BoundedHttpServer> http_;
};

// The discovery document for `issuer` whose keys are the JWKS text `jwks`
// (algs from its keys' "alg", sorted, each once). Never throws: a JWKS that
// does not parse contributes no algs.
std::string OpenIdConfigurationJson(absl::string_view issuer,
                                    absl::string_view jwks_uri,
                                    absl::string_view jwks);

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_PUBLIC_HTTP_SERVER_H_
