// InspectToken / HumanDuration (cli/token_inspection.h): decoding without
// verification, times relative to a fixed `now`, and the default policy's
// objections.

#include "cli/token_inspection.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/base64url.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/test_keys.h"

namespace jwtauth::cli {
namespace {

using ::jwtauth::testutil::CachedTestKey;
using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::SignJws;
using ::jwtauth::testutil::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);
const int64_t kNowS = 1'800'000'000;

std::string Token(const nlohmann::json& claims) {
  return SignJws(CachedTestKey(Algorithm::kEs256), claims.dump());
}

nlohmann::json GoodClaims() {
  return {{"iss", "https://issuer.test"},
          {"aud", "api"},
          {"sub", "alice"},
          {"iat", kNowS - 60},
          {"nbf", kNowS - 60},
          {"exp", kNowS + 14 * 60 + 30}};
}

std::vector<std::string> Reasons(const TokenInspection& i) {
  std::vector<std::string> out;
  for (const Objection& o : i.objections) out.push_back(o.reason);
  return out;
}

TEST(HumanDurationTest, WholeUnitsRoundedDown) {
  EXPECT_EQ(HumanDuration(absl::Seconds(0)), "0s");
  EXPECT_EQ(HumanDuration(absl::Seconds(59)), "59s");
  EXPECT_EQ(HumanDuration(absl::Seconds(14 * 60 + 59)), "14m");
  EXPECT_EQ(HumanDuration(absl::Hours(3) + absl::Minutes(59)), "3h");
  EXPECT_EQ(HumanDuration(absl::Hours(47)), "47h");
  EXPECT_EQ(HumanDuration(absl::Hours(24 * 9 + 5)), "9d");
}

TEST(TokenInspectionTest, DecodesAGoodTokenWithNoObjection) {
  absl::StatusOr<TokenInspection> i = InspectToken(Token(GoodClaims()), kNow);
  ASSERT_THAT(i, IsOk()) << i.status();
  EXPECT_EQ(i->header["alg"], "ES256");
  EXPECT_EQ(i->header["kid"], "test-es256");
  EXPECT_EQ(i->claims["sub"], "alice");
  EXPECT_EQ(i->signature_bytes, 64u);
  EXPECT_THAT(i->objections, IsEmpty());
  ASSERT_EQ(i->times.size(), 3u);
  EXPECT_EQ(i->times[0].name, "exp");
  EXPECT_EQ(i->times[0].relative, "in 14m");
  EXPECT_EQ(i->times[0].at, kNow + absl::Seconds(14 * 60 + 30));
  EXPECT_EQ(i->times[1].relative, "valid since 1m ago");
  EXPECT_EQ(i->times[2].relative, "issued 1m ago");
}

TEST(TokenInspectionTest, TimeObjectionsFollowTheDefaultClockSkew) {
  nlohmann::json c = GoodClaims();
  c["exp"] = kNowS - 3 * 3600;
  c["nbf"] = kNowS + 5 * 60;
  c["iat"] = kNowS + 5 * 60;
  absl::StatusOr<TokenInspection> i = InspectToken(Token(c), kNow);
  ASSERT_THAT(i, IsOk());
  EXPECT_THAT(Reasons(*i),
              ElementsAre("EXPIRED", "NOT_YET_VALID", "ISSUED_IN_FUTURE"));
  EXPECT_EQ(i->objections[0].detail, "expired 3h ago");
  EXPECT_EQ(i->objections[1].detail, "not yet valid in 5m");
  EXPECT_EQ(i->objections[2].detail, "issued in 5m (in the future)");

  // Within the 60s skew: shown, not objected to.
  c = GoodClaims();
  c["exp"] = kNowS - 30;
  c["nbf"] = kNowS + 30;
  i = InspectToken(Token(c), kNow);
  ASSERT_THAT(i, IsOk());
  EXPECT_THAT(i->objections, IsEmpty());
  EXPECT_EQ(i->times[0].relative, "expired 30s ago");
}

TEST(TokenInspectionTest, MissingAndMistypedClaims) {
  nlohmann::json c = GoodClaims();
  c.erase("exp");
  c.erase("iss");
  c.erase("aud");
  absl::StatusOr<TokenInspection> i = InspectToken(Token(c), kNow);
  ASSERT_THAT(i, IsOk());
  EXPECT_THAT(Reasons(*i), ElementsAre("CLAIM_MISSING", "ISSUER_MISMATCH",
                                       "AUDIENCE_MISMATCH"));
  c = GoodClaims();
  c["exp"] = "tomorrow";
  c["aud"] = 7;
  i = InspectToken(Token(c), kNow);
  ASSERT_THAT(i, IsOk());
  EXPECT_THAT(Reasons(*i), ElementsAre("CLAIM_INVALID", "CLAIM_INVALID"));
}

TEST(TokenInspectionTest, HeaderObjectionsAreTheJwsRules) {
  const std::string payload = Base64UrlEncode(GoodClaims().dump());
  auto with_header = [&](const nlohmann::json& h) {
    return absl::StrCat(Base64UrlEncode(h.dump()), ".", payload, ".",
                        Base64UrlEncode("sig"));
  };
  absl::StatusOr<TokenInspection> i =
      InspectToken(with_header({{"alg", "none"}}), kNow);
  ASSERT_THAT(i, IsOk());
  EXPECT_THAT(Reasons(*i), ElementsAre("UNSUPPORTED_ALGORITHM"));
  EXPECT_EQ(i->header["alg"], "none");  // still shown
  i = InspectToken(with_header({{"alg", "ES256"}, {"crit", {"exp"}}}), kNow);
  ASSERT_THAT(i, IsOk());
  EXPECT_THAT(Reasons(*i), ElementsAre("HEADER_REJECTED"));
  // alg none with an empty signature: the JWS layer's MALFORMED comes first.
  i = InspectToken(
      absl::StrCat(Base64UrlEncode(R"({"alg":"none"})"), ".", payload, "."),
      kNow);
  ASSERT_THAT(i, IsOk());
  EXPECT_EQ(i->signature_bytes, 0u);
  EXPECT_FALSE(i->objections.empty());
}

TEST(TokenInspectionTest, UndecodableTokensAreErrors) {
  for (const char* bad : {"", "abc", "a.b", "a.b.c.d", "!!!.e30.c2ln",
                          "e30.e30", "WzFd.e30.c2ln" /* header [1] */}) {
    EXPECT_THAT(InspectToken(bad, kNow),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
  EXPECT_THAT(InspectToken("a.b.c.d.e", kNow).status().message(),
              ::testing::HasSubstr("JWE"));
  // A payload that is not JSON is shown as an objection, not an error.
  absl::StatusOr<TokenInspection> i = InspectToken(
      absl::StrCat(Base64UrlEncode(R"({"alg":"ES256"})"), ".",
                   Base64UrlEncode("not json"), ".", Base64UrlEncode("s")),
      kNow);
  ASSERT_THAT(i, IsOk());
  EXPECT_TRUE(i->claims.is_null());
  EXPECT_THAT(Reasons(*i), ElementsAre("MALFORMED"));
}

}  // namespace
}  // namespace jwtauth::cli
