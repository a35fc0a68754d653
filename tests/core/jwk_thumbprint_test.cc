// JwkThumbprint (RFC 7638): the RFC's own vector, member selection, and the
// shapes it refuses.

#include "core/jwk_thumbprint.h"

#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/test_keys.h"

namespace jwtauth {
namespace {

using ::jwtauth::testutil::GenerateTestKey;
using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::IsOkAndHolds;
using ::jwtauth::testutil::StatusIs;

// RFC 7638 §3.1.
const nlohmann::json kRfcKey = {
    {"kty", "RSA"},
    {"n",
     "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPF"
     "FxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93l"
     "qt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHz"
     "u6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPks"
     "INHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"},
    {"e", "AQAB"},
    {"alg", "RS256"},
    {"kid", "2011-04-29"}};

TEST(JwkThumbprintTest, MatchesTheRfc7638Example) {
  EXPECT_THAT(
      JwkThumbprint(kRfcKey),
      IsOkAndHolds(std::string("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")));
}

TEST(JwkThumbprintTest, OnlyTheRequiredMembersCount) {
  nlohmann::json decorated = kRfcKey;
  decorated["kid"] = "other";
  decorated["use"] = "sig";
  decorated["d"] = "private-part";
  decorated.erase("alg");
  EXPECT_EQ(*JwkThumbprint(decorated), *JwkThumbprint(kRfcKey));
  nlohmann::json other = kRfcKey;
  other["e"] = "AQAC";
  EXPECT_NE(*JwkThumbprint(other), *JwkThumbprint(kRfcKey));
}

TEST(JwkThumbprintTest, EveryKeyTypeHasOneAndTheyDiffer) {
  std::set<std::string> seen;
  for (Algorithm alg : {Algorithm::kRs256, Algorithm::kEs256, Algorithm::kEs384,
                        Algorithm::kEdDsa}) {
    absl::StatusOr<nlohmann::json> jwk =
        GenerateTestKey(alg, "k").key.ToPublicJwk();
    ASSERT_THAT(jwk, IsOk());
    absl::StatusOr<std::string> t = JwkThumbprint(*jwk);
    ASSERT_THAT(t, IsOk()) << jwk->dump();
    EXPECT_EQ(t->size(), 43u);  // 32 bytes, base64url without padding
    seen.insert(*t);
  }
  EXPECT_EQ(seen.size(), 4u);
  EXPECT_THAT(JwkThumbprint({{"kty", "oct"}, {"k", "c2VjcmV0"}}), IsOk());
}

TEST(JwkThumbprintTest, RefusesWhatIsNotAKey) {
  for (const nlohmann::json& bad : {
           nlohmann::json::array(),
           nlohmann::json("RSA"),
           nlohmann::json({{"n", "x"}, {"e", "AQAB"}}),   // no kty
           nlohmann::json({{"kty", "XYZ"}}),              // unknown
           nlohmann::json({{"kty", "RSA"}, {"n", "x"}}),  // no e
           nlohmann::json({{"kty", "EC"}, {"crv", "P-256"}, {"x", "a"}}),
           nlohmann::json({{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", 1}}),
       }) {
    EXPECT_THAT(JwkThumbprint(bad),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad.dump();
  }
}

}  // namespace
}  // namespace jwtauth
