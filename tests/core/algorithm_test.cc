#include "core/algorithm.h"

#include "gtest/gtest.h"

namespace jwtauth {
namespace {

TEST(AlgorithmTest, NamesRoundTripForAllThirteen) {
  int count = 0;
  for (Algorithm alg : kAllAlgorithms) {
    auto parsed = AlgorithmFromName(AlgorithmName(alg));
    ASSERT_TRUE(parsed.has_value()) << AlgorithmName(alg);
    EXPECT_EQ(*parsed, alg);
    ++count;
  }
  EXPECT_EQ(count, 13);
}

TEST(AlgorithmTest, NamesAreCaseSensitiveAndNoneIsNotAnAlgorithm) {
  EXPECT_FALSE(AlgorithmFromName("none").has_value());
  EXPECT_FALSE(AlgorithmFromName("None").has_value());
  EXPECT_FALSE(AlgorithmFromName("hs256").has_value());
  EXPECT_FALSE(AlgorithmFromName("EDDSA").has_value());
  EXPECT_FALSE(AlgorithmFromName("").has_value());
  EXPECT_FALSE(AlgorithmFromName("HS256 ").has_value());
  EXPECT_TRUE(AlgorithmFromName("EdDSA").has_value());
}

TEST(AlgorithmTest, KeyTypeBinding) {
  EXPECT_EQ(KeyTypeFor(Algorithm::kHs384), KeyType::kOct);
  EXPECT_EQ(KeyTypeFor(Algorithm::kPs512), KeyType::kRsa);
  EXPECT_EQ(KeyTypeFor(Algorithm::kRs256), KeyType::kRsa);
  EXPECT_EQ(KeyTypeFor(Algorithm::kEs512), KeyType::kEc);
  EXPECT_EQ(KeyTypeFor(Algorithm::kEdDsa), KeyType::kOkp);
  EXPECT_EQ(CurveFor(Algorithm::kEs256), Curve::kP256);
  EXPECT_EQ(CurveFor(Algorithm::kEs384), Curve::kP384);
  EXPECT_EQ(CurveFor(Algorithm::kEs512), Curve::kP521);
  EXPECT_EQ(CurveFor(Algorithm::kEdDsa), Curve::kEd25519);
  EXPECT_EQ(CurveFor(Algorithm::kRs256), Curve::kNone);
  EXPECT_EQ(HashSize(HashFor(Algorithm::kEs384)), 48);
  EXPECT_EQ(HashSize(HashFor(Algorithm::kHs512)), 64);
}

// RFC 7518 §3.2 by default; a lowered floor (legacy mode) applies to every
// HS alg, but never below the absolute floor.
TEST(AlgorithmTest, MinHmacSecretBytes) {
  EXPECT_EQ(MinHmacSecretBytes(Algorithm::kHs256), 32);
  EXPECT_EQ(MinHmacSecretBytes(Algorithm::kHs384), 48);
  EXPECT_EQ(MinHmacSecretBytes(Algorithm::kHs512), 64);
  EXPECT_EQ(MinHmacSecretBytes(Algorithm::kHs512, 20), 20);
  EXPECT_EQ(MinHmacSecretBytes(Algorithm::kHs256, 40), 32);
  EXPECT_EQ(MinHmacSecretBytes(Algorithm::kHs384, 40), 48);
  EXPECT_EQ(MinHmacSecretBytes(Algorithm::kHs256, 1), kAbsoluteMinHmacBytes);
}

TEST(AlgorithmTest, KeyTypeAndCurveNames) {
  EXPECT_EQ(KeyTypeFromName("RSA"), KeyType::kRsa);
  EXPECT_FALSE(KeyTypeFromName("rsa").has_value());
  EXPECT_EQ(CurveFromName("P-521"), Curve::kP521);
  EXPECT_FALSE(CurveFromName("secp256k1").has_value());
  EXPECT_EQ(CurveName(Curve::kEd25519), "Ed25519");
}

}  // namespace
}  // namespace jwtauth
