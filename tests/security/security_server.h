#ifndef JWTAUTH_TESTS_SECURITY_SECURITY_SERVER_H_
#define JWTAUTH_TESTS_SECURITY_SECURITY_SERVER_H_

// SecurityServer: the production wiring, started for real, for the attack
// suite. A YAML config (as an operator writes it) → Application (the same
// ServingState builder, TokenVerifier, cache and issuer production uses) →
// AuthService + ExtAuthzService on a real gRPC server on 127.0.0.1:<free>.
// Attack tests then talk to it through generated stubs, so every case runs
// through the path a caller reaches, not a side door.
//
//   auto s = SecurityServer::Start(R"(
//   providers:
//     - {name: p, issuers: [https://iss.test], audiences: [api],
//        keys: [{kid: k1, alg: HS256, secret_file: "{dir}/hs.txt"}]}
//   )", {{"hs.txt", "0123456789abcdef0123456789abcdef"}});
//   v1::VerifyResponse r = (*s)->Verify(token);
//
// "{dir}" in the config text is replaced by the server's temp directory,
// where `files` are written first. The config gets a default `server:`
// section (gRPC on 127.0.0.1:0, no admin port) unless it has its own; with
// its own `server: {admin_listen: "127.0.0.1:0"}` the admin HTTP server is
// started too (the handlers main() serves; admin_port()).
// The JWKS refresher runs (real curl fetcher) unless start_refresher=false.

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "envoy/service/auth/v3/external_auth.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "jwtauth/v1/auth.grpc.pb.h"
#include "server/admin_http_server.h"
#include "server/application.h"
#include "server/auth_service.h"
#include "server/ext_authz_service.h"
#include "server/logging.h"
#include "server/metrics.h"

namespace jwtauth::testing {

struct SecurityServerOptions {
  bool start_refresher = true;
};

class SecurityServer final {
 public:
  static absl::StatusOr<std::unique_ptr<SecurityServer>> Start(
      absl::string_view config_yaml,
      const std::map<std::string, std::string>& files = {},
      SecurityServerOptions options = {});
  ~SecurityServer();

  // Unary calls with a 10 s deadline. A non-OK gRPC status is returned as
  // is; `response` is filled on OK.
  grpc::Status Verify(const v1::VerifyRequest& request,
                      v1::VerifyResponse* response);
  // Shorthand: Verify(token) with optional provider/audience; on a non-OK
  // gRPC status the response has valid=false and detail = the status text.
  v1::VerifyResponse Verify(absl::string_view token,
                            absl::string_view audience = "",
                            absl::string_view provider = "");
  grpc::Status IssueToken(const v1::IssueTokenRequest& request,
                          v1::IssueTokenResponse* response,
                          const std::multimap<std::string, std::string>&
                              metadata = {});
  grpc::Status ListKeys(const v1::ListKeysRequest& request,
                        v1::ListKeysResponse* response);
  grpc::Status Check(const envoy::service::auth::v3::CheckRequest& request,
                     envoy::service::auth::v3::CheckResponse* response);

  server::Application& app() { return *app_; }
  const std::string& dir() const { return dir_; }
  int port() const { return port_; }
  // The admin HTTP port, 0 when the config has no admin_listen.
  int admin_port() const { return admin_ == nullptr ? 0 : admin_->port(); }
  std::string logs() const;

 private:
  SecurityServer() = default;
  std::string dir_;
  int port_ = 0;
  std::unique_ptr<server::Logger> logger_;
  server::Metrics metrics_;
  std::unique_ptr<server::Application> app_;
  std::unique_ptr<server::AuthService> auth_service_;
  std::unique_ptr<server::ExtAuthzService> ext_authz_service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<server::AdminHttpServer> admin_;
  std::unique_ptr<v1::AuthService::Stub> auth_stub_;
  std::unique_ptr<envoy::service::auth::v3::Authorization::Stub> ext_stub_;
  struct LogSink;
  std::shared_ptr<LogSink> log_sink_;
};

}  // namespace jwtauth::testing

#endif  // JWTAUTH_TESTS_SECURITY_SECURITY_SERVER_H_
