#ifndef JWTAUTH_CLIENT_TESTING_MOCK_CLIENT_H_
#define JWTAUTH_CLIENT_TESTING_MOCK_CLIENT_H_

// jwtauth::client::testing::MockClient: a gMock ClientInterface for callers'
// unit tests, so code that takes a `const ClientInterface&` runs without a
// server. Link jwtauth::client_testing (header-only; pulls in gmock).
//
// The six virtual calls are mocked; the conveniences (Verify(token),
// calls without CallOptions, the std::future variants) go through them, so
// one expectation covers both forms. An async expectation must call the
// callback (its third argument), or the future variant's future breaks:
//
//   using ::testing::_;
//   jwtauth::client::testing::MockClient mock;
//   jwtauth::client::VerifyResult ok;
//   ok.valid = true;
//   ok.claims = {{"sub", "alice"}};
//   EXPECT_CALL(mock, Verify(_, _)).WillOnce(::testing::Return(ok));
//   EXPECT_CALL(mock, ListKeysAsync(_, _, _))
//       .WillOnce([](auto&&, auto&&, auto done) {
//         done(absl::UnavailableError("down"));
//       });
//   EXPECT_EQ(CallerCodeUnderTest(mock), ...);

#include "absl/status/statusor.h"
#include "client/client_interface.h"
#include "client/client_options.h"
#include "client/verify_result.h"
#include "gmock/gmock.h"
#include "jwtauth/v1/auth.pb.h"

// Named `testing` as google-cloud-cpp's mocks are; inside it, refer to
// gtest's namespace as ::testing.
namespace jwtauth::client::testing {

class MockClient : public ClientInterface {
 public:
  using ClientInterface::IssueToken;
  using ClientInterface::IssueTokenAsync;
  using ClientInterface::ListKeys;
  using ClientInterface::ListKeysAsync;
  using ClientInterface::Verify;
  using ClientInterface::VerifyAsync;

  MOCK_METHOD(absl::StatusOr<VerifyResult>, Verify,
              (const v1::VerifyRequest& request, const CallOptions& call),
              (const, override));
  MOCK_METHOD(absl::StatusOr<v1::IssueTokenResponse>, IssueToken,
              (const v1::IssueTokenRequest& request, const CallOptions& call),
              (const, override));
  MOCK_METHOD(absl::StatusOr<v1::ListKeysResponse>, ListKeys,
              (const v1::ListKeysRequest& request, const CallOptions& call),
              (const, override));
  MOCK_METHOD(void, VerifyAsync,
              (const v1::VerifyRequest& request, const CallOptions& call,
               ResultCallback<VerifyResult> done),
              (const, override));
  MOCK_METHOD(void, IssueTokenAsync,
              (const v1::IssueTokenRequest& request, const CallOptions& call,
               ResultCallback<v1::IssueTokenResponse> done),
              (const, override));
  MOCK_METHOD(void, ListKeysAsync,
              (const v1::ListKeysRequest& request, const CallOptions& call,
               ResultCallback<v1::ListKeysResponse> done),
              (const, override));
};

}  // namespace jwtauth::client::testing

#endif  // JWTAUTH_CLIENT_TESTING_MOCK_CLIENT_H_
