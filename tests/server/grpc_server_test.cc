// GrpcServer on 127.0.0.1:0: TLS credential errors, the services it
// registers, and the health thread that follows readiness. (Health answers
// over the wire: tests/e2e/server_process_test.cc.)

#include "server/grpc_server.h"

#include <atomic>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "jwtauth/v1/auth.grpc.pb.h"
#include "server/metrics.h"
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
  for (ServerThreading threading :
       {ServerThreading::kAsync, ServerThreading::kCallback}) {
    ServerSection section;
    section.listen = "256.0.0.1:1";  // not an address
    section.threading = threading;
    ServingStateHolder holder;
    auto server = GrpcServer::Start(section, grpc::InsecureServerCredentials(),
                                    ServiceContext{.state = &holder});
    EXPECT_THAT(server, StatusIs(absl::StatusCode::kUnavailable));
  }
}

// Shutdown(grace) under load: every call that reached a handler (here
// UNAVAILABLE "no configuration loaded yet", counted by the RPC metric) gets
// its answer; calls gRPC had not dispatched yet are refused or cancelled by
// the server's shutdown (UNAVAILABLE / CANCELLED, never DEADLINE_EXCEEDED);
// Shutdown returns.
void ExpectShutdownUnderLoadAnswersHandledCalls(ServerThreading threading) {
  ServerSection section;
  section.listen = "127.0.0.1:0";
  section.threading = threading;
  section.async_queues = 1;
  section.async_threads_per_queue = 1;
  ServingStateHolder holder;  // nothing published
  Metrics metrics;
  auto server =
      GrpcServer::Start(section, grpc::InsecureServerCredentials(),
                        ServiceContext{.state = &holder, .metrics = &metrics});
  ASSERT_THAT(server, IsOk()) << server.status();
  auto stub = v1::AuthService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*server)->port()),
                          grpc::InsecureChannelCredentials()));

  constexpr size_t kCalls = 120;
  struct Call {
    grpc::ClientContext ctx;
    v1::VerifyResponse response;
  };
  std::vector<Call> calls(kCalls);
  const v1::VerifyRequest request;
  absl::Mutex mu;
  std::vector<grpc::Status> done;
  absl::Notification first;
  for (Call& call : calls) {
    call.ctx.set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(30));
    stub->async()->Verify(&call.ctx, &request, &call.response,
                          [&](grpc::Status s) {
                            absl::MutexLock lock(&mu);
                            done.push_back(std::move(s));
                            if (!first.HasBeenNotified()) first.Notify();
                          });
  }
  first.WaitForNotification();  // serving: shut down under load
  (*server)->Shutdown(absl::Seconds(20));
  ASSERT_TRUE(WaitUntil([&] {
    absl::MutexLock lock(&mu);
    return done.size() == kCalls;
  }));
  absl::MutexLock lock(&mu);
  uint64_t handled = 0;
  for (const grpc::Status& s : done) {
    EXPECT_TRUE(s.error_code() == grpc::StatusCode::UNAVAILABLE ||
                s.error_code() == grpc::StatusCode::CANCELLED)
        << s.error_code() << " " << s.error_message();
    if (s.error_message() == "no configuration loaded yet") ++handled;
  }
  EXPECT_GE(handled, 1u);
  EXPECT_EQ(metrics.RpcCount("Verify", "UNAVAILABLE"), handled);
}

TEST(GrpcServerTest, AsyncShutdownAnswersInFlightCalls) {
  ExpectShutdownUnderLoadAnswersHandledCalls(ServerThreading::kAsync);
}

TEST(GrpcServerTest, CallbackShutdownAnswersInFlightCalls) {
  ExpectShutdownUnderLoadAnswersHandledCalls(ServerThreading::kCallback);
}

}  // namespace
}  // namespace jwtauth::server
