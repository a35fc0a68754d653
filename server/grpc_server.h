#ifndef JWTAUTH_SERVER_GRPC_SERVER_H_
#define JWTAUTH_SERVER_GRPC_SERVER_H_

// GrpcServer: the gRPC listener of jwtauth-server. Serves AuthService and
// Envoy's ext_authz Check, the standard grpc.health.v1 service and
// reflection, on `server.listen` with the TLS / mTLS settings of
// `server.tls`. `server.threading` picks how AuthService and Check are
// driven: `async` (AsyncTransport: completion queues with dedicated polling
// threads, server/async_transport.h) or `callback` (gRPC's callback API);
// either way the handlers never block. `server.connection` (maximum
// connection age, keepalive; server/connection_options.h) applies to both.
//
// Health starts NOT_SERVING; FollowReadiness() runs one thread that mirrors
// a readiness predicate into it (checked every 100 ms, transitions logged
// as "ready"/"not_ready"). The status is set for "" and, by name, for
// jwtauth.v1.AuthService and envoy.service.auth.v3.Authorization, so probes
// that name a service get its status rather than NOT_FOUND.
//
// StopServing() sets NOT_SERVING for good (the health thread stops) while
// RPCs are still served, so load balancers stop routing here first;
// Shutdown(grace) does that too, then stops accepting and waits up to `grace`
// for in-flight RPCs (async: then drains and joins its polling threads);
// the destructor does the same with no grace. Not copyable
// or movable; StopServing and Shutdown are not thread-safe (call them from one
// thread).
//
//   auto creds = GrpcServer::Credentials(config.server);
//   auto server = GrpcServer::Start(config.server, *creds, app->context());
//   (*server)->FollowReadiness([&] { return app->Ready(); }, &logger);

#include <functional>
#include <memory>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "server/async_transport.h"
#include "server/auth_service.h"
#include "server/config.h"
#include "server/ext_authz_service.h"
#include "server/logging.h"
#include "server/service_context.h"

namespace jwtauth::server {

class GrpcServer final {
 public:
  // ServerCredentialsFor(server) (server/tls_credentials.h): plaintext
  // without `server.tls`; else the certificate, key and optional client CA
  // from their files, re-read when they change. InvalidArgument naming the
  // tls entry when a file cannot be read.
  static absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(
      const ServerSection& server);

  // Unavailable when it cannot listen on `server.listen`.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(
      const ServerSection& server,
      std::shared_ptr<grpc::ServerCredentials> credentials,
      ServiceContext context);
  ~GrpcServer();
  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  int port() const { return port_; }

  // `ready` is called from the health thread; `logger` must outlive it.
  void FollowReadiness(std::function<bool()> ready, Logger* logger);
  void StopServing();
  void Shutdown(absl::Duration grace);

 private:
  explicit GrpcServer(ServiceContext context);
  void SetHealth(bool serving);

  AuthService auth_service_;
  ExtAuthzService ext_authz_service_;
  std::unique_ptr<AsyncTransport> async_;  // null with threading: callback
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  absl::Notification stop_health_;
  std::thread health_thread_;
};

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_GRPC_SERVER_H_
