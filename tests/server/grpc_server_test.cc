// GrpcServer on 127.0.0.1:0: TLS credential errors, the services it
// registers, and the health thread that follows readiness. (Health answers
// over the wire: tests/e2e/server_process_test.cc.)

#include "server/grpc_server.h"

#include <atomic>
#include <string>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "jwtauth/v1/auth.grpc.pb.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/wait.h"

namespace jwtauth::server {
namespace {

using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::StatusIs;
using ::jwtauth::testutil::WaitUntil;
using ::testing::HasSubstr;

TEST(GrpcServerTest, CredentialsNameTheTlsEntryOfAnUnreadableFile) {
  ServerSection server;
  EXPECT_THAT(GrpcServer::Credentials(server), IsOk());  // plaintext

  server.tls = TlsConfig{.cert_file = "/nonexistent/cert.pem",
                         .key_file = "/nonexistent/key.pem",
                         .client_ca_file = "",
                         .require_client_cert = false,
                         .location = {"config.yaml", 4, 3, "server.tls"}};
  auto creds = GrpcServer::Credentials(server);
  ASSERT_THAT(creds, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(creds.status().message(),
              HasSubstr("config.yaml:4:3: server.tls: cannot read "
                        "/nonexistent/cert.pem"));
}

TEST(GrpcServerTest, ServesAuthServiceAndFollowsReadiness) {
  absl::Mutex mu;
  std::string log;
  Logger logger(LogLevel::kInfo, [&](absl::string_view line) {
    absl::MutexLock lock(&mu);
    log += std::string(line);
  });
  auto logged = [&](absl::string_view event) {
    absl::MutexLock lock(&mu);
    return absl::StrContains(log, absl::StrCat("\"event\":\"", event, "\""));
  };
  ServingStateHolder holder;  // nothing published: Verify is UNAVAILABLE
  ServerSection section;
  section.listen = "127.0.0.1:0";
  auto server = GrpcServer::Start(section, grpc::InsecureServerCredentials(),
                                  ServiceContext{.state = &holder});
  ASSERT_THAT(server, IsOk()) << server.status();
  ASSERT_GT((*server)->port(), 0);

  auto stub = v1::AuthService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*server)->port()),
                          grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::VerifyResponse response;
  grpc::Status status = stub->Verify(&ctx, v1::VerifyRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);

  std::atomic<bool> ready{false};
  (*server)->FollowReadiness([&] { return ready.load(); }, &logger);
  ready = true;
  EXPECT_TRUE(WaitUntil([&] { return logged("ready"); }));
  ready = false;
  EXPECT_TRUE(WaitUntil([&] { return logged("not_ready"); }));
  (*server)->Shutdown(absl::ZeroDuration());
}

TEST(GrpcServerTest, ListenFailureIsUnavailable) {
  ServerSection section;
  section.listen = "256.0.0.1:1";  // not an address
  ServingStateHolder holder;
  auto server = GrpcServer::Start(section, grpc::InsecureServerCredentials(),
                                  ServiceContext{.state = &holder});
  EXPECT_THAT(server, StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace jwtauth::server
