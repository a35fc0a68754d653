// ClientOptions validation and what it turns into (service config JSON,
// user agent): no server needed. The channel built from them is tested in
// channel_factory_test.cc.

#include "client/client_options.h"

#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testutil/status_matchers.h"

namespace jwtauth::client {
namespace {

using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::StatusIs;
using ::testing::HasSubstr;

ClientOptions Valid() {
  ClientOptions options;
  options.target = "127.0.0.1:50051";
  return options;
}

// Expects InvalidArgument whose message starts with `field`.
void ExpectInvalid(const ClientOptions& options, const std::string& field) {
  absl::Status s = ValidateClientOptions(options);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument)) << field;
  EXPECT_TRUE(absl::StartsWith(s.message(), field + ":")) << s.message();
}

TEST(ClientOptionsTest, DefaultsWithATargetAreValidAndUseTls) {
  EXPECT_THAT(ValidateClientOptions(Valid()), IsOk());
  EXPECT_FALSE(Valid().plaintext);
}

TEST(ClientOptionsTest, EmptyTargetIsNamed) {
  ExpectInvalid(ClientOptions{}, "target");
}

TEST(ClientOptionsTest, NonPositiveDefaultTimeoutIsNamed) {
  ClientOptions options = Valid();
  options.default_timeout = absl::ZeroDuration();
  ExpectInvalid(options, "default_timeout");
}

TEST(ClientOptionsTest, TlsFilesWithPlaintextAreRefused) {
  ClientOptions options = Valid();
  options.plaintext = true;
  EXPECT_THAT(ValidateClientOptions(options), IsOk());
  options.tls.ca_file = "ca.pem";
  ExpectInvalid(options, "tls");
}

TEST(ClientOptionsTest, ClientCertificateNeedsItsKeyAndViceVersa) {
  ClientOptions options = Valid();
  options.tls.cert_file = "client.pem";
  ExpectInvalid(options, "tls.key_file");
  options.tls.cert_file.clear();
  options.tls.key_file = "client.key";
  ExpectInvalid(options, "tls.cert_file");
  options.tls.cert_file = "client.pem";
  EXPECT_THAT(ValidateClientOptions(options), IsOk());
}

TEST(ClientOptionsTest, RetryAttemptsOutsideOneToFiveAreNamed) {
  for (int attempts : {-1, 0, 6, 100}) {
    ClientOptions options = Valid();
    options.retry.max_attempts = attempts;
    ExpectInvalid(options, "retry.max_attempts");
  }
  for (int attempts : {1, 2, 5}) {
    ClientOptions options = Valid();
    options.retry.max_attempts = attempts;
    EXPECT_THAT(ValidateClientOptions(options), IsOk()) << attempts;
  }
}

TEST(ClientOptionsTest, BadBackoffIsNamed) {
  ClientOptions options = Valid();
  options.retry.initial_backoff = absl::ZeroDuration();
  ExpectInvalid(options, "retry.initial_backoff");
  options = Valid();
  options.retry.max_backoff = absl::Milliseconds(50);  // < initial 100ms
  ExpectInvalid(options, "retry.max_backoff");
  options.retry.max_backoff = absl::InfiniteDuration();
  ExpectInvalid(options, "retry.max_backoff");
  options = Valid();
  options.retry.backoff_multiplier = 0.5;
  ExpectInvalid(options, "retry.backoff_multiplier");
}

TEST(ClientOptionsTest, BadKeepaliveIsNamed) {
  ClientOptions options = Valid();
  options.keepalive.time = -absl::Seconds(1);
  ExpectInvalid(options, "keepalive.time");
  options.keepalive.time = absl::Seconds(30);
  options.keepalive.timeout = absl::ZeroDuration();
  ExpectInvalid(options, "keepalive.timeout");
  // Keepalive off: the timeout is not used.
  options.keepalive.time = absl::ZeroDuration();
  EXPECT_THAT(ValidateClientOptions(options), IsOk());
}

TEST(RetryServiceConfigTest, RetriesOnlyVerifyAndListKeysOnUnavailable) {
  RetryPolicy retry;
  retry.max_attempts = 4;
  retry.initial_backoff = absl::Milliseconds(250);
  retry.max_backoff = absl::Seconds(3);
  retry.backoff_multiplier = 1.5;
  nlohmann::json config =
      nlohmann::json::parse(RetryServiceConfig(retry), nullptr, false);
  ASSERT_TRUE(config.is_object());
  const nlohmann::json& method = config["methodConfig"][0];
  EXPECT_EQ(method["name"], nlohmann::json::parse(R"([
      {"service": "jwtauth.v1.AuthService", "method": "Verify"},
      {"service": "jwtauth.v1.AuthService", "method": "ListKeys"}])"));
  const nlohmann::json& policy = method["retryPolicy"];
  EXPECT_EQ(policy["maxAttempts"], 4);
  EXPECT_EQ(policy["initialBackoff"], "0.250000000s");
  EXPECT_EQ(policy["maxBackoff"], "3.000000000s");
  EXPECT_EQ(policy["backoffMultiplier"], 1.5);
  EXPECT_EQ(policy["retryableStatusCodes"],
            nlohmann::json::array({"UNAVAILABLE"}));
  EXPECT_EQ(config.dump().find("IssueToken"), std::string::npos);
}

TEST(RetryServiceConfigTest, OneAttemptMeansNoRetryPolicy) {
  RetryPolicy retry;
  retry.max_attempts = 1;
  EXPECT_EQ(RetryServiceConfig(retry), "{}");
}

TEST(UserAgentTest, NamesTheLibraryAndVersionAfterTheCallersPrefix) {
  ClientOptions options;
  EXPECT_EQ(UserAgent(options),
            "jwtauth-cpp-client/" + std::string(ClientVersion()));
  options.user_agent_prefix = "billing/2.1";
  EXPECT_EQ(UserAgent(options),
            "billing/2.1 jwtauth-cpp-client/" + std::string(ClientVersion()));
  EXPECT_THAT(std::string(ClientVersion()), HasSubstr("."));
}

}  // namespace
}  // namespace jwtauth::client
