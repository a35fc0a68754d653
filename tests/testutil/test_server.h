#ifndef JWTAUTH_TESTS_TESTUTIL_TEST_SERVER_H_
#define JWTAUTH_TESTS_TESTUTIL_TEST_SERVER_H_

// TestServer: the production wiring, started in-process, for every test
// that needs a serving state. A YAML config (as an operator writes it) →
// Application (the same builder, TokenVerifier, cache and issuer production
// uses) → AuthService + ExtAuthzService on the production GrpcServer on
// 127.0.0.1:<free> (the config's `server.threading`, default async; TLS
// settings are ignored: always plaintext). Tests talk to it through generated
// stubs, or hand state() to a service they construct themselves.
//
//   auto s = TestServer::Start(R"(
//   providers:
//     - {name: p, issuers: [https://iss.test], audiences: [api],
//        keys: [{kid: k1, alg: HS256, secret_file: "{dir}/hs.txt"}]}
//   )", {{"hs.txt", "0123456789abcdef0123456789abcdef"}});
//   v1::VerifyResponse r = (*s)->Verify(token);
//
// "{dir}" in the config text is replaced by the server's TempDir, where
// `files` are written first. The config gets a default `server:` section
// (gRPC on 127.0.0.1:0, no admin port) unless it has its own; with its own
// `server: {admin_listen: "127.0.0.1:0"}` the admin HTTP server is started
// too (the handlers main() serves; admin_port()). The JWKS refresher runs
// (real curl fetcher) unless start_refresher=false.
//
// Owns everything (temp dir, logger, metrics, Application, services, gRPC
// and admin servers); the destructor stops the servers first. Calls are
// thread-safe; not copyable or movable.

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/clock.h"
#include "envoy/service/auth/v3/external_auth.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "jwtauth/v1/auth.grpc.pb.h"
#include "server/admin_http_server.h"
#include "server/application.h"
#include "server/config.h"
#include "server/grpc_server.h"
#include "server/logging.h"
#include "server/metrics.h"
#include "tests/testutil/temp_dir.h"

namespace jwtauth::testutil {

struct TestServerOptions {
  bool start_refresher = true;
  // The Application's clock (not owned); null = the real clock.
  const Clock* clock = nullptr;
  // Overrides the config's server.threading (tests that run on both).
  std::optional<server::ServerThreading> threading = std::nullopt;
};

class TestServer final {
 public:
  static absl::StatusOr<std::unique_ptr<TestServer>> Start(
      absl::string_view config_yaml,
      const std::map<std::string, std::string>& files = {},
      TestServerOptions options = {});
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  // Unary calls with a 10 s deadline. A non-OK gRPC status is returned as
  // is; `response` is filled on OK.
  grpc::Status Verify(const v1::VerifyRequest& request,
                      v1::VerifyResponse* response);
  // Shorthand: Verify(token) with optional provider/audience; on a non-OK
  // gRPC status the response has valid=false and detail = the status text.
  v1::VerifyResponse Verify(absl::string_view token,
                            absl::string_view audience = "",
                            absl::string_view provider = "");
  grpc::Status IssueToken(
      const v1::IssueTokenRequest& request, v1::IssueTokenResponse* response,
      const std::multimap<std::string, std::string>& metadata = {});
  grpc::Status ListKeys(const v1::ListKeysRequest& request,
                        v1::ListKeysResponse* response);
  grpc::Status Check(const envoy::service::auth::v3::CheckRequest& request,
                     envoy::service::auth::v3::CheckResponse* response);

  server::Application& app() { return *app_; }
  // The published ServingState (what the services read once per RPC).
  server::ServingStateHolder* state() { return app_->context().state; }
  server::Metrics& metrics() { return metrics_; }
  const std::string& dir() const { return dir_.path(); }
  int port() const { return port_; }
  // "127.0.0.1:<port>".
  std::string target() const;
  // The admin HTTP port, 0 when the config has no admin_listen.
  int admin_port() const { return admin_ == nullptr ? 0 : admin_->port(); }
  // Every log line the Application and services wrote (debug level).
  std::string logs() const;

 private:
  TestServer() : dir_("server") {}
  absl::Status StartServing(server::ServerSection section);

  TempDir dir_;
  int port_ = 0;
  struct LogSink;
  std::shared_ptr<LogSink> log_sink_;
  std::unique_ptr<server::Logger> logger_;
  server::Metrics metrics_;
  std::unique_ptr<server::Application> app_;
  std::unique_ptr<server::GrpcServer> server_;
  std::unique_ptr<server::AdminHttpServer> admin_;
  std::unique_ptr<v1::AuthService::Stub> auth_stub_;
  std::unique_ptr<envoy::service::auth::v3::Authorization::Stub> ext_stub_;
};

}  // namespace jwtauth::testutil

#endif  // JWTAUTH_TESTS_TESTUTIL_TEST_SERVER_H_
