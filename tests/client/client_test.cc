// Client against a real gRPC server on 127.0.0.1:0. The server side is a
// small scripted AuthService (not the production one) so this test exercises
// only the client library: deadlines, metadata, status conversion, and
// in-band invalid tokens staying OK results. The production AuthService is
// covered by tests/server/auth_service_test.cc through the same stubs; one
// case below runs the client against it end to end (TestServer).

#include "client/client.h"

#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "core/algorithm.h"
#include "core/crypto/key_material.h"
#include "core/issuer.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "jwtauth/v1/auth.grpc.pb.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/test_server.h"
#include "tests/testutil/wait.h"

namespace jwtauth::client {
namespace {

using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::StatusIs;
using ::jwtauth::testutil::WaitUntil;

class ScriptedService final : public v1::AuthService::CallbackService {
 public:
  grpc::ServerUnaryReactor* Verify(grpc::CallbackServerContext* context,
                                   const v1::VerifyRequest* request,
                                   v1::VerifyResponse* response) override {
    auto* reactor = context->DefaultReactor();
    if (request->token() == "hang") {
      // Finish only once the client gives up (its deadline): no sleeping.
      hang_reactor_ = reactor;
      hung_.Notify();
      return reactor;
    }
    if (request->token() == "bad-request") {
      reactor->Finish(
          grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "unknown provider"));
      return reactor;
    }
    if (request->token() == "good") {
      response->set_valid(true);
      response->set_provider(request->provider());
      response->set_alg("ES256");
      response->set_claims_json(R"({"sub":"alice"})");
    } else {
      response->set_valid(false);
      response->set_reason(v1::SIGNATURE_INVALID);
      response->set_detail("signature does not verify");
    }
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerUnaryReactor* IssueToken(
      grpc::CallbackServerContext* context,
      const v1::IssueTokenRequest* request,
      v1::IssueTokenResponse* response) override {
    auto* reactor = context->DefaultReactor();
    const auto& md = context->client_metadata();
    auto it = md.find("authorization");
    if (it == md.end()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                                   "direct issuing is disabled"));
      return reactor;
    }
    response->set_token(std::string(it->second.data(), it->second.size()) +
                        "|" + request->subject());
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerUnaryReactor* ListKeys(grpc::CallbackServerContext* context,
                                     const v1::ListKeysRequest* request,
                                     v1::ListKeysResponse* response) override {
    auto* reactor = context->DefaultReactor();
    response->set_jwks_json(R"({"keys":[]})");
    response->add_keys()->set_provider(request->provider());
    auto it = context->client_metadata().find("x-extra");
    if (it != context->client_metadata().end()) {
      response->mutable_keys(0)->set_kid(
          std::string(it->second.data(), it->second.size()));
    }
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  void FinishHung() {
    if (hang_reactor_ != nullptr) hang_reactor_->Finish(grpc::Status::OK);
  }
  absl::Notification hung_;

 private:
  grpc::ServerUnaryReactor* hang_reactor_ = nullptr;
};

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port, 0);
    target_ = "127.0.0.1:" + std::to_string(port);
    channel_ = grpc::CreateChannel(target_, grpc::InsecureChannelCredentials());
  }
  void TearDown() override {
    if (service_.hung_.HasBeenNotified()) service_.FinishHung();
    server_->Shutdown();
  }

  ScriptedService service_;
  std::unique_ptr<grpc::Server> server_;
  std::string target_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(ClientTest, VerifyValidTokenReturnsResponse) {
  Client client(channel_);
  v1::VerifyRequest req;
  req.set_token("good");
  req.set_provider("default");
  auto r = client.Verify(req);
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->valid);
  EXPECT_EQ(r->provider, "default");
  EXPECT_EQ(r->alg, "ES256");
  EXPECT_EQ(r->claims["sub"], "alice");
  EXPECT_EQ(r->raw.claims_json(), R"({"sub":"alice"})");
}

TEST_F(ClientTest, InvalidTokenIsAnOkResultWithReason) {
  Client client(channel_);
  auto r = client.Verify("forged");
  ASSERT_THAT(r, IsOk());
  EXPECT_FALSE(r->valid);
  EXPECT_EQ(r->reason, v1::SIGNATURE_INVALID);
}

TEST_F(ClientTest, RpcErrorBecomesAbslStatusWithCodeAndMessage) {
  Client client(channel_);
  auto r = client.Verify("bad-request");
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(r.status().message(), "unknown provider");
}

TEST_F(ClientTest, DefaultDeadlineApplies) {
  Client client(channel_,
                ClientOptions{.default_timeout = absl::Milliseconds(200)});
  auto r = client.Verify("hang");
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_TRUE(service_.hung_.WaitForNotificationWithTimeout(absl::Seconds(5)));
}

TEST_F(ClientTest, PerCallTimeoutOverridesDefault) {
  Client client(channel_, ClientOptions{.default_timeout = absl::Minutes(10)});
  CallOptions call;
  call.timeout = absl::Milliseconds(200);
  auto r = client.Verify("hang", call);
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_TRUE(service_.hung_.WaitForNotificationWithTimeout(absl::Seconds(5)));
}

TEST_F(ClientTest, CallerTokenIsSentAsBearerAuthorization) {
  Client client(channel_);
  v1::IssueTokenRequest req;
  req.set_subject("alice");
  EXPECT_THAT(client.IssueToken(req),
              StatusIs(absl::StatusCode::kPermissionDenied));
  CallOptions call;
  call.caller_token = "abc.def.ghi";
  auto r = client.IssueToken(req, call);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->token(), "Bearer abc.def.ghi|alice");
}

TEST_F(ClientTest, ListKeysForwardsRequestAndMetadata) {
  Client client(channel_);
  v1::ListKeysRequest req;
  req.set_provider("p1");
  CallOptions call;
  call.metadata = {{"x-extra", "v"}};
  auto r = client.ListKeys(req, call);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->jwks_json(), R"({"keys":[]})");
  ASSERT_EQ(r->keys_size(), 1);
  EXPECT_EQ(r->keys(0).provider(), "p1");
  EXPECT_EQ(r->keys(0).kid(), "v");
}

TEST_F(ClientTest, UnreachableServerIsUnavailable) {
  server_->Shutdown();
  Client client(channel_, ClientOptions{.default_timeout = absl::Seconds(2)});
  auto r = client.Verify("good");
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(r,
              ::testing::AnyOf(StatusIs(absl::StatusCode::kUnavailable),
                               StatusIs(absl::StatusCode::kDeadlineExceeded)));
}

// ---- Async ----------------------------------------------------------------

TEST_F(ClientTest, VerifyAsyncCallbackRunsOnAGrpcThread) {
  Client client(channel_);
  v1::VerifyRequest req;
  req.set_token("good");
  absl::Notification done;
  absl::StatusOr<VerifyResult> result;
  std::thread::id callback_thread;
  client.VerifyAsync(req, {}, [&](absl::StatusOr<VerifyResult> r) {
    result = std::move(r);
    callback_thread = std::this_thread::get_id();
    done.Notify();
  });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->valid);
  EXPECT_EQ(result->claims["sub"], "alice");
  EXPECT_NE(callback_thread, std::this_thread::get_id());
}

TEST_F(ClientTest, VerifyAsyncFutureCarriesInvalidResultsAndErrors) {
  Client client(channel_);
  v1::VerifyRequest forged;
  forged.set_token("forged");
  v1::VerifyRequest bad;
  bad.set_token("bad-request");
  auto invalid = client.VerifyAsync(forged);
  auto error = client.VerifyAsync(bad);
  absl::StatusOr<VerifyResult> r = invalid.get();
  ASSERT_THAT(r, IsOk());
  EXPECT_FALSE(r->valid);
  EXPECT_EQ(r->reason, v1::SIGNATURE_INVALID);
  absl::StatusOr<VerifyResult> e = error.get();
  EXPECT_THAT(e, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(e.status().message(), "unknown provider");
}

TEST_F(ClientTest, AsyncCallHonoursTheDeadline) {
  Client client(channel_, ClientOptions{.default_timeout = absl::Minutes(10)});
  v1::VerifyRequest req;
  req.set_token("hang");
  CallOptions call;
  call.timeout = absl::Milliseconds(200);
  auto future = client.VerifyAsync(req, call);
  ASSERT_EQ(future.wait_for(std::chrono::seconds(10)),
            std::future_status::ready);
  EXPECT_THAT(future.get(), StatusIs(absl::StatusCode::kDeadlineExceeded));
}

// The last reference to a channel must not be dropped on a gRPC callback
// thread (grpc/grpc#37858; here it double-freed the channel's completion
// queue under ASan when the test's exit raced the callback thread). So by the
// time a callback runs, the call has let go of its context (which holds the
// channel), and destroying the Client waits for its callbacks: the caller's
// own reference is then the last one, dropped on the caller's thread.
TEST_F(ClientTest, CallbackRunsAfterTheCallReleasedItsChannelReference) {
  Client client(channel_);
  const long before = channel_.use_count();
  long during = 0;
  absl::Notification done;
  client.VerifyAsync(v1::VerifyRequest(), {},
                     [&](absl::StatusOr<VerifyResult> /*result*/) {
                       during = channel_.use_count();
                       done.Notify();
                     });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(during, before);
}

TEST_F(ClientTest, DestroyingTheClientWaitsForItsCallbacks) {
  absl::Notification done;
  absl::StatusOr<VerifyResult> result;
  const absl::Time start = absl::Now();
  {
    Client client(channel_,
                  ClientOptions{.default_timeout = absl::Milliseconds(300)});
    v1::VerifyRequest req;
    req.set_token("hang");
    client.VerifyAsync(req, {}, [&](absl::StatusOr<VerifyResult> r) {
      result = std::move(r);
      done.Notify();
    });
  }
  // The destructor returned only after the callback did.
  EXPECT_TRUE(done.HasBeenNotified());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(250));
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kDeadlineExceeded));
  std::weak_ptr<grpc::Channel> weak = channel_;
  channel_.reset();  // ours was the last reference: released on this thread
  EXPECT_TRUE(weak.expired());
}

TEST_F(ClientTest, AssigningOverAClientWaitsForItsCallbacks) {
  absl::Notification done;
  Client client(channel_,
                ClientOptions{.default_timeout = absl::Milliseconds(200)});
  v1::VerifyRequest req;
  req.set_token("hang");
  client.VerifyAsync(
      req, {}, [&](absl::StatusOr<VerifyResult> /*r*/) { done.Notify(); });
  client = Client(channel_);
  EXPECT_TRUE(done.HasBeenNotified());
  // The new Client works, and its own calls are counted from zero.
  EXPECT_THAT(client.VerifyAsync(v1::VerifyRequest()).get(), IsOk());
}

// A callback that owns the only reference to its Client, whose channel no
// one else holds (as with Client::Create): the Client goes inside that
// callback, on a gRPC thread. Its destructor must neither block there (it
// would wait for the Client's other call, holding up gRPC's callback
// threads) nor drop the channel there: a thread of its own waits for the
// other call and then releases the channel.
TEST_F(ClientTest, ClientDroppedInsideItsCallbackReleasesOffTheGrpcThread) {
  // What the callback holds; it drops the Client itself (gRPC copies the
  // callback, so which copy goes last is not the test's to choose).
  struct Owner {
    std::shared_ptr<Client> client;
    absl::Notification destroyed;
  };
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(target_, grpc::InsecureChannelCredentials());
  const std::weak_ptr<grpc::Channel> weak = channel;
  auto hang_done = std::make_shared<absl::Notification>();
  auto owner = std::make_shared<Owner>();
  owner->client = std::make_shared<Client>(std::move(channel));
  Client* client = owner->client.get();

  v1::VerifyRequest hang;
  hang.set_token("hang");  // in flight until its deadline
  CallOptions two_seconds;
  two_seconds.timeout = absl::Seconds(2);
  client->VerifyAsync(
      hang, two_seconds,
      [hang_done](absl::StatusOr<VerifyResult> /*r*/) { hang_done->Notify(); });
  ASSERT_TRUE(service_.hung_.WaitForNotificationWithTimeout(absl::Seconds(5)));
  v1::VerifyRequest good;
  good.set_token("good");
  client->VerifyAsync(good, {}, [owner](absl::StatusOr<VerifyResult> r) {
    EXPECT_THAT(r, IsOk());
    owner->client.reset();  // the only reference
    owner->destroyed.Notify();
  });
  ASSERT_TRUE(
      owner->destroyed.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_FALSE(hang_done->HasBeenNotified());  // ~Client did not wait there
  EXPECT_FALSE(weak.expired());                // nor let the channel go there
  ASSERT_TRUE(hang_done->WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_TRUE(WaitUntil([&] { return weak.expired(); }));
}

// gRPC swallows an exception thrown by a callback; the call still ends, so
// the Client's destructor does not wait for it forever.
TEST_F(ClientTest, CallbackThatThrowsStillEndsItsCall) {
  Client client(channel_);
  absl::Notification threw;
  client.VerifyAsync(v1::VerifyRequest(), {},
                     [&](absl::StatusOr<VerifyResult> /*r*/) {
                       threw.Notify();
                       throw std::runtime_error("caller's bug");
                     });
  ASSERT_TRUE(threw.WaitForNotificationWithTimeout(absl::Seconds(10)));
  // ~Client at the end of the scope returns: the test would time out if not.
}

TEST_F(ClientTest, IssueTokenAndListKeysAsyncSendCallOptions) {
  Client client(channel_);
  v1::IssueTokenRequest issue;
  issue.set_subject("alice");
  CallOptions as_caller;
  as_caller.caller_token = "abc.def.ghi";
  auto issued = client.IssueTokenAsync(issue, as_caller);
  auto refused = client.IssueTokenAsync(issue);
  v1::ListKeysRequest list;
  list.set_provider("p1");
  CallOptions extra;
  extra.metadata = {{"x-extra", "v"}};
  auto keys = client.ListKeysAsync(list, extra);

  absl::StatusOr<v1::IssueTokenResponse> token = issued.get();
  ASSERT_THAT(token, IsOk());
  EXPECT_EQ(token->token(), "Bearer abc.def.ghi|alice");
  EXPECT_THAT(refused.get(), StatusIs(absl::StatusCode::kPermissionDenied));
  absl::StatusOr<v1::ListKeysResponse> listed = keys.get();
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->keys_size(), 1);
  EXPECT_EQ(listed->keys(0).provider(), "p1");
  EXPECT_EQ(listed->keys(0).kid(), "v");
}

TEST_F(ClientTest, ManyConcurrentAsyncCallsAllComplete) {
  Client client(channel_);
  std::vector<std::future<absl::StatusOr<VerifyResult>>> futures;
  for (int i = 0; i < 50; ++i) {
    v1::VerifyRequest req;
    req.set_token(i % 2 == 0 ? "good" : "forged");
    futures.push_back(client.VerifyAsync(req));
  }
  for (int i = 0; i < 50; ++i) {
    absl::StatusOr<VerifyResult> r = futures[i].get();
    ASSERT_THAT(r, IsOk());
    EXPECT_EQ(r->valid, i % 2 == 0);
  }
}

TEST(StatusFromGrpcTest, EveryCanonicalCodeKeepsItsNumberAndMessage) {
  for (int i = 0; i <= 16; ++i) {
    const std::string message = i == 0 ? "" : "msg " + std::to_string(i);
    const grpc::Status g(static_cast<grpc::StatusCode>(i), message);
    const absl::Status expected =
        i == 0 ? absl::OkStatus()
               : absl::Status(static_cast<absl::StatusCode>(i), message);
    EXPECT_EQ(StatusFromGrpc(g), expected);
  }
}

TEST(StatusFromGrpcTest, KeepsCodeAndMessage) {
  EXPECT_THAT(StatusFromGrpc(grpc::Status::OK), IsOk());
  absl::Status s = StatusFromGrpc(
      grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "no signing key"));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "no signing key");
  // Non-canonical codes map to kUnknown. grpc::StatusCode has no fixed
  // underlying type (enumerators -1..16), so only values in -32..31 are valid
  // for it; 99 would itself be UB (UBSan: invalid enum load).
  EXPECT_EQ(StatusFromGrpc(grpc::Status(static_cast<grpc::StatusCode>(20), "x"))
                .code(),
            absl::StatusCode::kUnknown);
  EXPECT_EQ(
      StatusFromGrpc(grpc::Status(grpc::StatusCode::DO_NOT_USE, "x")).code(),
      absl::StatusCode::kUnknown);
}

// The client against the production wiring (YAML → Application →
// AuthService, tests/testutil/test_server.h): a token the server's own
// issuer minted verifies, a forged one is an OK result with a reason, an
// unknown provider is INVALID_ARGUMENT, and ListKeys shows the signing key.
TEST(ClientAgainstServerTest, VerifyAndListKeysThroughTheProductionServer) {
  auto signing = crypto::KeyMaterial::Generate(Algorithm::kEs256);
  ASSERT_THAT(signing, IsOk());
  auto server = testutil::TestServer::Start(
      R"(
signing: {alg: ES256, kid: k1, private_key_file: "{dir}/sign.pem",
          issuer: https://issuer.test}
providers:
  - {name: default, issuers: [https://issuer.test], audiences: [api]}
)",
      {{"sign.pem", *signing->PrivatePem()}}, {.start_refresher = false});
  ASSERT_THAT(server, IsOk());
  IssueRequest issue;
  issue.subject = "alice";
  issue.audiences = {"api"};
  auto token = (*server)->state()->Current()->issuer->Issue(issue);
  ASSERT_THAT(token, IsOk());

  Client client(grpc::CreateChannel((*server)->target(),
                                    grpc::InsecureChannelCredentials()));
  auto valid = client.Verify(token->token);
  ASSERT_THAT(valid, IsOk());
  EXPECT_TRUE(valid->valid) << valid->detail;
  EXPECT_EQ(valid->provider, "default");
  EXPECT_EQ(valid->kid, "k1");

  std::string forged = token->token;
  char& c = forged[forged.rfind('.') + 5];  // inside the signature
  c = c == 'A' ? 'B' : 'A';
  auto invalid = client.Verify(forged);
  ASSERT_THAT(invalid, IsOk());
  EXPECT_FALSE(invalid->valid);
  EXPECT_EQ(invalid->reason, v1::SIGNATURE_INVALID);

  v1::VerifyRequest unknown;
  unknown.set_token(token->token);
  unknown.set_provider("no-such-provider");
  EXPECT_THAT(client.Verify(unknown),
              StatusIs(absl::StatusCode::kInvalidArgument));

  auto keys = client.ListKeys();
  ASSERT_THAT(keys, IsOk());
  EXPECT_NE(keys->jwks_json().find("\"k1\""), std::string::npos);
}

}  // namespace
}  // namespace jwtauth::client
