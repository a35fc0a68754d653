#include "client/verify_result.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/status_matchers.h"

namespace jwtauth::client {
namespace {

using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::StatusIs;

TEST(VerifyResultFromResponseTest, ValidResponseBecomesPlainValues) {
  v1::VerifyResponse response;
  response.set_valid(true);
  // An integer past 2^53 survives: claims come from claims_json, not Struct.
  response.set_claims_json(R"({"sub":"alice","n":9007199254740993})");
  response.set_provider("default");
  response.set_kid("k1");
  response.set_alg("ES256");
  response.mutable_expires_at()->set_seconds(1700000000);
  response.mutable_expires_at()->set_nanos(5000);
  (*response.mutable_metadata())["user"] = "alice";

  auto result = VerifyResultFromResponse(response);
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->valid);
  EXPECT_EQ(result->reason, v1::FAILURE_REASON_UNSPECIFIED);
  EXPECT_EQ(result->claims["sub"], "alice");
  EXPECT_EQ(result->claims["n"].get<uint64_t>(), 9007199254740993ULL);
  EXPECT_EQ(result->provider, "default");
  EXPECT_EQ(result->kid, "k1");
  EXPECT_EQ(result->alg, "ES256");
  ASSERT_TRUE(result->expires_at.has_value());
  EXPECT_EQ(*result->expires_at,
            absl::FromUnixSeconds(1700000000) + absl::Microseconds(5));
  EXPECT_EQ(result->metadata.at("user"), "alice");
  EXPECT_EQ(result->source, VerifyResult::Source::kRemote);
  EXPECT_EQ(result->raw.claims_json(), response.claims_json());
}

TEST(VerifyResultFromResponseTest, InvalidResponseKeepsReasonAndNoClaims) {
  v1::VerifyResponse response;
  response.set_reason(v1::EXPIRED);
  response.set_detail("token expired");
  auto result =
      VerifyResultFromResponse(response, VerifyResult::Source::kLocal);
  ASSERT_THAT(result, IsOk());
  EXPECT_FALSE(result->valid);
  EXPECT_EQ(result->reason, v1::EXPIRED);
  EXPECT_EQ(result->detail, "token expired");
  EXPECT_TRUE(result->claims.is_null());
  EXPECT_FALSE(result->expires_at.has_value());
  EXPECT_EQ(result->source, VerifyResult::Source::kLocal);
}

TEST(VerifyResultFromResponseTest, ValidResponseWithMalformedClaimsIsAnError) {
  for (const char* claims : {"", "[1]", "{\"a\":", "\"text\""}) {
    v1::VerifyResponse response;
    response.set_valid(true);
    response.set_claims_json(claims);
    EXPECT_THAT(VerifyResultFromResponse(response),
                StatusIs(absl::StatusCode::kInternal))
        << claims;
  }
}

}  // namespace
}  // namespace jwtauth::client
