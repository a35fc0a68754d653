// MockClient as a caller uses it: caller-side code written against
// ClientInterface, unit-tested without a server. The function under test
// (AuthorizeRequest) is the kind of code a microservice writes: verify the
// bearer token, map the outcome to its own decision, fall back when the
// service is unreachable.

#include "client/testing/mock_client.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "client/client_interface.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace caller {

enum class Decision { kAllow, kDeny, kRetryLater };

// Caller code: allows when jwtauth says the token is valid and its subject
// is not blocked.
Decision AuthorizeRequest(const jwtauth::client::ClientInterface& auth,
                          const std::string& bearer) {
  jwtauth::client::CallOptions call;
  call.timeout = absl::Milliseconds(250);
  jwtauth::v1::VerifyRequest request;
  request.set_token(bearer);
  request.set_audience("orders");
  absl::StatusOr<jwtauth::client::VerifyResult> result =
      auth.Verify(request, call);
  if (!result.ok()) {
    return result.status().code() == absl::StatusCode::kUnavailable
               ? Decision::kRetryLater
               : Decision::kDeny;
  }
  if (!result->valid) return Decision::kDeny;
  return result->claims.value("sub", "") == "mallory" ? Decision::kDeny
                                                      : Decision::kAllow;
}

// Async caller code: counts the service's keys, -1 on error.
void CountKeys(const jwtauth::client::ClientInterface& auth,
               std::function<void(int)> done) {
  auth.ListKeysAsync({}, {},
                     [done = std::move(done)](
                         absl::StatusOr<jwtauth::v1::ListKeysResponse> keys) {
                       done(keys.ok() ? keys->keys_size() : -1);
                     });
}

namespace {

using ::jwtauth::client::CallOptions;
using ::jwtauth::client::ResultCallback;
using ::jwtauth::client::VerifyResult;
using ::jwtauth::client::testing::MockClient;
using ::testing::_;
using ::testing::AllOf;
using ::testing::Field;
using ::testing::Property;
using ::testing::Return;

VerifyResult Valid(const std::string& subject) {
  VerifyResult result;
  result.valid = true;
  result.claims = {{"sub", subject}};
  return result;
}

TEST(MockClientTest, ValidTokenIsAllowedAndTheRequestIsWhatTheCallerBuilt) {
  MockClient mock;
  EXPECT_CALL(
      mock,
      Verify(AllOf(Property(&jwtauth::v1::VerifyRequest::token, "t1"),
                   Property(&jwtauth::v1::VerifyRequest::audience, "orders")),
             Field(&CallOptions::timeout, absl::Milliseconds(250))))
      .WillOnce(Return(Valid("alice")));
  EXPECT_EQ(AuthorizeRequest(mock, "t1"), Decision::kAllow);
}

TEST(MockClientTest, InvalidTokenOrBlockedSubjectIsDenied) {
  MockClient mock;
  VerifyResult expired;
  expired.reason = jwtauth::v1::EXPIRED;
  EXPECT_CALL(mock, Verify(_, _))
      .WillOnce(Return(expired))
      .WillOnce(Return(Valid("mallory")))
      .WillOnce(Return(absl::InvalidArgumentError("unknown provider")));
  EXPECT_EQ(AuthorizeRequest(mock, "t"), Decision::kDeny);
  EXPECT_EQ(AuthorizeRequest(mock, "t"), Decision::kDeny);
  EXPECT_EQ(AuthorizeRequest(mock, "t"), Decision::kDeny);
}

TEST(MockClientTest, UnavailableServiceMeansRetryLater) {
  MockClient mock;
  EXPECT_CALL(mock, Verify(_, _))
      .WillOnce(Return(absl::UnavailableError("connection refused")));
  EXPECT_EQ(AuthorizeRequest(mock, "t"), Decision::kRetryLater);
}

TEST(MockClientTest, ConveniencesGoThroughTheMockedCalls) {
  MockClient mock;
  EXPECT_CALL(mock,
              Verify(Property(&jwtauth::v1::VerifyRequest::token, "t2"), _))
      .Times(2)
      .WillRepeatedly(Return(Valid("bob")));
  EXPECT_CALL(mock, VerifyAsync(_, _, _))
      .WillOnce(
          [](const jwtauth::v1::VerifyRequest&, const CallOptions&,
             ResultCallback<VerifyResult> done) { done(Valid("carol")); });
  // Token-only Verify and the no-CallOptions form reach Verify(request, call).
  EXPECT_TRUE(mock.Verify("t2")->valid);
  jwtauth::v1::VerifyRequest request;
  request.set_token("t2");
  EXPECT_EQ(mock.Verify(request)->claims["sub"], "bob");
  // The future variant is fulfilled by the mocked callback call.
  EXPECT_EQ(mock.VerifyAsync(request).get()->claims["sub"], "carol");
}

TEST(MockClientTest, AsyncCallerCodeSeesTheMockedCallback) {
  MockClient mock;
  EXPECT_CALL(mock, ListKeysAsync(_, _, _))
      .WillOnce([](auto&&, auto&&,
                   ResultCallback<jwtauth::v1::ListKeysResponse> done) {
        jwtauth::v1::ListKeysResponse keys;
        keys.add_keys()->set_kid("a");
        keys.add_keys()->set_kid("b");
        done(keys);
      })
      .WillOnce([](auto&&, auto&&,
                   ResultCallback<jwtauth::v1::ListKeysResponse> done) {
        done(absl::UnavailableError("down"));
      });
  int count = 0;
  CountKeys(mock, [&](int n) { count = n; });
  EXPECT_EQ(count, 2);
  CountKeys(mock, [&](int n) { count = n; });
  EXPECT_EQ(count, -1);
}

}  // namespace
}  // namespace caller
