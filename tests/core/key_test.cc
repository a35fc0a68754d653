#include "core/key.h"

#include <string>

#include "absl/status/status.h"
#include "core/crypto/key_material.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/test_keys.h"

namespace jwtauth {
namespace {

KeyOptions Opt(std::string kid = "",
               std::optional<Algorithm> alg = std::nullopt) {
  KeyOptions o;
  o.kid = std::move(kid);
  o.alg = alg;
  return o;
}

using ::jwtauth::testutil::CachedTestKey;
using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::ServedAlgorithms;
using ::jwtauth::testutil::StatusIs;
using ::testing::ElementsAre;

crypto::KeyMaterial PublicMaterial(Algorithm alg) {
  const crypto::KeyMaterial& priv = CachedTestKey(alg).private_key;
  if (KeyTypeFor(alg) == KeyType::kOct) return priv;
  return *priv.PublicOnly();
}

crypto::KeyMaterial Secret(size_t n) {
  return *crypto::KeyMaterial::FromSecret(std::string(n, 'k'));
}

TEST(KeyStateTest, Names) {
  EXPECT_EQ(KeyStateName(KeyState::kNext), "next");
  EXPECT_EQ(KeyStateName(KeyState::kActive), "active");
  EXPECT_EQ(KeyStateName(KeyState::kRetiring), "retiring");
}

TEST(KeyTest, UnboundRsaServesRsAndPsOnly) {
  absl::StatusOr<Key> key =
      Key::Create(Opt("r"), PublicMaterial(Algorithm::kRs256));
  ASSERT_THAT(key, IsOk());
  EXPECT_THAT(
      ServedAlgorithms(*key),
      ElementsAre(Algorithm::kRs256, Algorithm::kRs384, Algorithm::kRs512,
                  Algorithm::kPs256, Algorithm::kPs384, Algorithm::kPs512));
  EXPECT_FALSE(key->Serves(Algorithm::kHs256));
  EXPECT_EQ(key->VerifierFor(Algorithm::kHs256), nullptr);
  EXPECT_EQ(key->kty(), KeyType::kRsa);
  EXPECT_EQ(key->kid(), "r");
}

TEST(KeyTest, UnboundEcServesOnlyItsCurve) {
  absl::StatusOr<Key> key =
      Key::Create(Opt(), PublicMaterial(Algorithm::kEs384));
  ASSERT_THAT(key, IsOk());
  EXPECT_THAT(ServedAlgorithms(*key), ElementsAre(Algorithm::kEs384));
}

TEST(KeyTest, UnboundOkpServesEdDsa) {
  absl::StatusOr<Key> key =
      Key::Create(Opt(), PublicMaterial(Algorithm::kEdDsa));
  ASSERT_THAT(key, IsOk());
  EXPECT_THAT(ServedAlgorithms(*key), ElementsAre(Algorithm::kEdDsa));
}

TEST(KeyTest, UnboundSecretServesHsAlgsItIsLongEnoughFor) {
  absl::StatusOr<Key> k32 = Key::Create(Opt(), Secret(32));
  ASSERT_THAT(k32, IsOk());
  EXPECT_THAT(ServedAlgorithms(*k32), ElementsAre(Algorithm::kHs256));
  absl::StatusOr<Key> k48 = Key::Create(Opt(), Secret(48));
  ASSERT_THAT(k48, IsOk());
  EXPECT_THAT(ServedAlgorithms(*k48),
              ElementsAre(Algorithm::kHs256, Algorithm::kHs384));
  absl::StatusOr<Key> k64 = Key::Create(Opt(), Secret(64));
  ASSERT_THAT(k64, IsOk());
  EXPECT_THAT(
      ServedAlgorithms(*k64),
      ElementsAre(Algorithm::kHs256, Algorithm::kHs384, Algorithm::kHs512));
}

TEST(KeyTest, BoundAlgServesOnlyThatAlg) {
  absl::StatusOr<Key> key = Key::Create(Opt("", Algorithm::kPs384),
                                        PublicMaterial(Algorithm::kRs256));
  ASSERT_THAT(key, IsOk());
  EXPECT_THAT(ServedAlgorithms(*key), ElementsAre(Algorithm::kPs384));
  EXPECT_EQ(key->alg(), Algorithm::kPs384);
}

TEST(KeyTest, BoundAlgMustFitKeyTypeAndCurve) {
  EXPECT_THAT(Key::Create(Opt("", Algorithm::kHs256),
                          PublicMaterial(Algorithm::kRs256)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Key::Create(Opt("", Algorithm::kHs256),
                          PublicMaterial(Algorithm::kEs256)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Key::Create(Opt("", Algorithm::kEs384),
                          PublicMaterial(Algorithm::kEs256)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Key::Create(Opt("", Algorithm::kRs256), Secret(64)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Key::Create(Opt("", Algorithm::kEdDsa),
                          PublicMaterial(Algorithm::kEs256)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(KeyTest, BoundHsAlgNeedsSecretOfDigestSize) {
  EXPECT_THAT(Key::Create(Opt("", Algorithm::kHs384), Secret(47)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Key::Create(Opt("", Algorithm::kHs512), Secret(63)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Key::Create(Opt("", Algorithm::kHs512), Secret(64)), IsOk());
}

TEST(KeyTest, CopiesShareVerifiers) {
  absl::StatusOr<Key> key =
      Key::Create(Opt(), PublicMaterial(Algorithm::kEs256));
  ASSERT_THAT(key, IsOk());
  Key copy = *key;
  EXPECT_EQ(copy.VerifierFor(Algorithm::kEs256),
            key->VerifierFor(Algorithm::kEs256));
  EXPECT_NE(copy.VerifierFor(Algorithm::kEs256), nullptr);
}

TEST(KeyTest, OptionsAreKept) {
  absl::Time t = absl::FromUnixSeconds(1700000000);
  absl::StatusOr<Key> key =
      Key::Create(KeyOptions{.kid = "k",
                             .alg = std::nullopt,
                             .source = "file:/x",
                             .loaded_at = t,
                             .state = KeyState::kRetiring},
                  PublicMaterial(Algorithm::kEdDsa));
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(key->source(), "file:/x");
  EXPECT_EQ(key->loaded_at(), t);
  EXPECT_EQ(key->state(), KeyState::kRetiring);
  EXPECT_FALSE(key->alg().has_value());
}

TEST(KeyTest, PublicJwkOfRsa) {
  absl::StatusOr<Key> key =
      Key::Create(Opt("r1", Algorithm::kRs256),
                  CachedTestKey(Algorithm::kRs256).private_key);
  ASSERT_THAT(key, IsOk());
  absl::StatusOr<nlohmann::json> jwk = key->ToPublicJwk();
  ASSERT_THAT(jwk, IsOk());
  EXPECT_EQ((*jwk)["kty"], "RSA");
  EXPECT_EQ((*jwk)["kid"], "r1");
  EXPECT_EQ((*jwk)["alg"], "RS256");
  EXPECT_EQ((*jwk)["use"], "sig");
  EXPECT_EQ((*jwk)["e"], "AQAB");
  EXPECT_EQ((*jwk)["n"].get<std::string>().size(), 342u);  // 256 bytes
  for (const char* priv : {"d", "p", "q", "dp", "dq", "qi", "k"}) {
    EXPECT_FALSE(jwk->contains(priv)) << priv;
  }
}

TEST(KeyTest, PublicJwkOfEcAndOkp) {
  absl::StatusOr<Key> ec =
      Key::Create(Opt(), CachedTestKey(Algorithm::kEs512).private_key);
  ASSERT_THAT(ec, IsOk());
  absl::StatusOr<nlohmann::json> j = ec->ToPublicJwk();
  ASSERT_THAT(j, IsOk());
  EXPECT_EQ((*j)["kty"], "EC");
  EXPECT_EQ((*j)["crv"], "P-521");
  EXPECT_EQ((*j)["x"].get<std::string>().size(), 88u);  // 66 bytes
  EXPECT_FALSE(j->contains("d"));
  EXPECT_FALSE(j->contains("kid"));
  EXPECT_FALSE(j->contains("alg"));

  absl::StatusOr<Key> okp =
      Key::Create(Opt(), CachedTestKey(Algorithm::kEdDsa).private_key);
  ASSERT_THAT(okp, IsOk());
  absl::StatusOr<nlohmann::json> o = okp->ToPublicJwk();
  ASSERT_THAT(o, IsOk());
  EXPECT_EQ((*o)["kty"], "OKP");
  EXPECT_EQ((*o)["crv"], "Ed25519");
  EXPECT_EQ((*o)["x"].get<std::string>().size(), 43u);
  EXPECT_FALSE(o->contains("d"));
}

TEST(KeyTest, SymmetricKeyIsNeverExported) {
  absl::StatusOr<Key> key = Key::Create(Opt("s"), Secret(32));
  ASSERT_THAT(key, IsOk());
  EXPECT_THAT(key->ToPublicJwk(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(RocaTest, FingerprintDetection) {
  // 1 is a power of 65537 modulo every prime: the degenerate positive.
  EXPECT_TRUE(RsaModulusHasRocaFingerprint(std::string(1, '\x01')));
  EXPECT_FALSE(RsaModulusHasRocaFingerprint(""));
  // A multiple of 3 is never a power of 65537 mod 3.
  EXPECT_FALSE(RsaModulusHasRocaFingerprint(std::string(1, '\x03')));
  // A freshly generated modulus is clean (false-positive rate ~1e-8).
  absl::StatusOr<crypto::RsaComponents> rsa =
      CachedTestKey(Algorithm::kRs256).private_key.RsaPublic();
  ASSERT_THAT(rsa, IsOk());
  EXPECT_FALSE(RsaModulusHasRocaFingerprint(rsa->n));
}

}  // namespace
}  // namespace jwtauth
