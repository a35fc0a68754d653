#include "tests/bench/loadgen/token_set.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "core/base64url.h"
#include "core/crypto/key_material.h"
#include "core/crypto/signature_verifier.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testutil/status_matchers.h"

namespace jwtauth::loadgen {
namespace {

using ::jwtauth::testutil::StatusIs;

constexpr char kSecret[] = "bench-secret-0123456789abcdef0123456789";

// True iff the token's signature verifies with `key` under `alg`.
bool SignatureVerifies(const std::string& token, Algorithm alg,
                       const crypto::KeyMaterial& key) {
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) return false;
  std::optional<std::string> sig = Base64UrlDecode(parts[2]);
  if (!sig.has_value()) return false;
  auto verifier = crypto::NewSignatureVerifier(alg, key);
  if (!verifier.ok()) return false;
  return (*verifier)->Verify(absl::StrCat(parts[0], ".", parts[1]), *sig);
}

nlohmann::json Payload(const std::string& token) {
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  return nlohmann::json::parse(*Base64UrlDecode(parts[1]));
}

TEST(TokenSetTest, Hs256TokensAreDistinctAndVerify) {
  absl::StatusOr<TokenSet> set = TokenSet::Create({.alg = Algorithm::kHs256,
                                                   .key_text = kSecret,
                                                   .kid = "hs1",
                                                   .count = 50});
  ASSERT_TRUE(set.ok()) << set.status();
  auto key = crypto::KeyMaterial::FromSecret(kSecret);
  ASSERT_TRUE(key.ok());
  std::set<std::string> subs, jtis;
  for (size_t i = 0; i < set->size(); ++i) {
    EXPECT_TRUE(set->valid(i));
    EXPECT_TRUE(SignatureVerifies(set->token(i), Algorithm::kHs256, *key));
    nlohmann::json p = Payload(set->token(i));
    EXPECT_EQ(p["iss"], "https://bench");
    EXPECT_EQ(p["aud"], "api");
    subs.insert(p["sub"].get<std::string>());
    jtis.insert(p["jti"].get<std::string>());
  }
  EXPECT_EQ(subs.size(), 50u);
  EXPECT_EQ(jtis.size(), 50u);
}

TEST(TokenSetTest, InvalidShareIsExactAndFailsOnlyTheSignature) {
  absl::StatusOr<crypto::KeyMaterial> km =
      crypto::KeyMaterial::Generate(Algorithm::kEs256);
  ASSERT_TRUE(km.ok());
  absl::StatusOr<std::string> pem = km->PrivatePem();
  ASSERT_TRUE(pem.ok());
  absl::StatusOr<TokenSet> set = TokenSet::Create({.alg = Algorithm::kEs256,
                                                   .key_text = *pem,
                                                   .kid = "es1",
                                                   .count = 200,
                                                   .invalid_fraction = 0.1});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->invalid_count(), 20u);
  for (size_t i = 0; i < set->size(); ++i) {
    EXPECT_EQ(SignatureVerifies(set->token(i), Algorithm::kEs256, *km),
              set->valid(i))
        << i;
    EXPECT_EQ(set->valid(i), !IsInvalidIndex(i, 0.1));
  }
}

TEST(TokenSetTest, GarbageReplacesTheInvalidShare) {
  absl::StatusOr<TokenSet> set = TokenSet::Create({.alg = Algorithm::kHs256,
                                                   .key_text = kSecret,
                                                   .kid = "hs1",
                                                   .count = 40,
                                                   .invalid_fraction = 0.5,
                                                   .garbage_bytes = 8192});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_TRUE(set->garbage());
  auto key = crypto::KeyMaterial::FromSecret(kSecret);
  ASSERT_TRUE(key.ok());
  std::set<std::string> garbage;
  for (size_t i = 0; i < set->size(); ++i) {
    EXPECT_EQ(SignatureVerifies(set->token(i), Algorithm::kHs256, *key),
              set->valid(i))
        << i;
    if (set->valid(i)) continue;
    EXPECT_EQ(set->token(i).size(), 8192u);
    EXPECT_EQ(std::count(set->token(i).begin(), set->token(i).end(), '.'), 2);
    garbage.insert(set->token(i));
  }
  EXPECT_EQ(garbage.size(), 20u);  // random, never repeated
}

TEST(TokenSetTest, InvalidIndexesAreSpreadEvenly) {
  int invalid = 0, longest_run = 0, run = 0;
  for (size_t i = 0; i < 10000; ++i) {
    if (IsInvalidIndex(i, 0.1)) {
      ++invalid;
      run = 0;
    } else {
      longest_run = std::max(longest_run, ++run);
    }
  }
  EXPECT_EQ(invalid, 1000);
  EXPECT_LE(longest_run, 10);
  EXPECT_FALSE(IsInvalidIndex(5, 0));
  EXPECT_TRUE(IsInvalidIndex(5, 1));
}

TEST(TokenSetTest, RejectsBadOptions) {
  EXPECT_THAT(TokenSet::Create({.key_text = kSecret, .count = 0}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(TokenSet::Create(
                  {.key_text = kSecret, .count = TokenSet::kMaxTokens + 1}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(TokenSet::Create({.key_text = kSecret, .invalid_fraction = 1.5}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // A secret is not an RS256 key, and a public key cannot sign.
  EXPECT_THAT(TokenSet::Create({.alg = Algorithm::kRs256, .key_text = kSecret}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  auto km = crypto::KeyMaterial::Generate(Algorithm::kEs256);
  ASSERT_TRUE(km.ok());
  EXPECT_THAT(TokenSet::Create(
                  {.alg = Algorithm::kEs256, .key_text = *km->PublicPem()}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace jwtauth::loadgen
