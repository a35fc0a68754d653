#include "core/crypto/rsa.h"

#include <string>

#include "core/algorithm.h"
#include "core/crypto/key_material.h"
#include "core/crypto/signature_verifier.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/crypto/crypto_test_util.h"
#include "tests/core/crypto/fixed_keys.h"
#include "tests/testutil/status_matchers.h"

namespace jwtauth::crypto {
namespace {

using ::jwtauth::testutil::ExpectTamperingRejected;
using ::jwtauth::testutil::GeneratedKey;
using ::jwtauth::testutil::Hex;
using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::StatusIs;
namespace fixed = ::jwtauth::testutil::fixed;

constexpr Algorithm kRsaAlgs[] = {Algorithm::kRs256, Algorithm::kRs384,
                                  Algorithm::kRs512, Algorithm::kPs256,
                                  Algorithm::kPs384, Algorithm::kPs512};

class RsaTest : public testing::TestWithParam<Algorithm> {};

TEST_P(RsaTest, RoundTripAndTamperingSweep) {
  const Algorithm alg = GetParam();
  const KeyMaterial& key = GeneratedKey(alg);
  auto signer = NewRsaSigner(alg, key);
  auto verifier = NewRsaVerifier(alg, *key.PublicOnly());
  ASSERT_THAT(signer, IsOk());
  ASSERT_THAT(verifier, IsOk());
  EXPECT_EQ((*verifier)->algorithm(), alg);
  EXPECT_EQ((*signer)->algorithm(), alg);
  auto sig = (*signer)->Sign("header.payload");
  ASSERT_THAT(sig, IsOk());
  EXPECT_EQ(sig->size(), 256u);
  ExpectTamperingRejected(**verifier, "header.payload", *sig);
}

TEST_P(RsaTest, SignatureDoesNotVerifyUnderAnyOtherRsaAlgorithmOrKey) {
  const Algorithm alg = GetParam();
  const KeyMaterial& key = GeneratedKey(alg);
  auto sig = (*NewRsaSigner(alg, key))->Sign("data");
  ASSERT_THAT(sig, IsOk());
  for (Algorithm other : kRsaAlgs) {
    if (other == alg) continue;
    EXPECT_FALSE((*NewRsaVerifier(other, key))->Verify("data", *sig))
        << AlgorithmName(other);
  }
  auto other_key = KeyMaterial::FromPem(fixed::kRsaSpki);
  ASSERT_THAT(other_key, IsOk());
  EXPECT_FALSE((*NewRsaVerifier(alg, *other_key))->Verify("data", *sig));
}

TEST_P(RsaTest, NonRsaKeysAreRefused) {
  for (Algorithm other :
       {Algorithm::kHs256, Algorithm::kEs256, Algorithm::kEdDsa}) {
    EXPECT_THAT(NewRsaVerifier(GetParam(), GeneratedKey(other)),
                StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(NewSignatureVerifier(GetParam(), GeneratedKey(other)),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

INSTANTIATE_TEST_SUITE_P(RsAndPs, RsaTest, testing::ValuesIn(kRsaAlgs),
                         [](const testing::TestParamInfo<Algorithm>& info) {
                           return std::string(AlgorithmName(info.param));
                         });

TEST(RsaFixedTest, OpensslCliSignaturesVerify) {
  auto key = KeyMaterial::FromPem(fixed::kRsaPkcs1Public);
  ASSERT_THAT(key, IsOk());
  auto rs256 = NewSignatureVerifier(Algorithm::kRs256, *key);
  auto ps256 = NewSignatureVerifier(Algorithm::kPs256, *key);
  ASSERT_THAT(rs256, IsOk());
  ASSERT_THAT(ps256, IsOk());
  EXPECT_TRUE((*rs256)->Verify(fixed::kMessage, Hex(fixed::kRs256SigHex)));
  EXPECT_TRUE((*ps256)->Verify(fixed::kMessage, Hex(fixed::kPs256SigHex)));
  EXPECT_FALSE((*ps256)->Verify(fixed::kMessage, Hex(fixed::kRs256SigHex)));
  EXPECT_FALSE((*rs256)->Verify(fixed::kMessage, Hex(fixed::kPs256SigHex)));
}

TEST(RsaFixedTest, PssWithOtherSaltLengthOrMgfDigestIsRejected) {
  auto key = KeyMaterial::FromPem(fixed::kRsaSpki);
  ASSERT_THAT(key, IsOk());
  auto ps256 = NewSignatureVerifier(Algorithm::kPs256, *key);
  ASSERT_THAT(ps256, IsOk());
  EXPECT_FALSE(
      (*ps256)->Verify(fixed::kMessage, Hex(fixed::kPs256Salt20SigHex)));
  EXPECT_FALSE(
      (*ps256)->Verify(fixed::kMessage, Hex(fixed::kPs256Mgf1Sha1SigHex)));
}

TEST(RsaFixedTest, ShortSignatureWithLeadingZeroStrippedIsRejected) {
  // RFC 8017 §8.2.2 step 1: the signature must be exactly k bytes. Find a
  // signature with a leading zero byte and present it without that byte.
  const KeyMaterial& key = GeneratedKey(Algorithm::kRs256);
  auto signer = NewRsaSigner(Algorithm::kRs256, key);
  auto verifier = NewRsaVerifier(Algorithm::kRs256, key);
  ASSERT_THAT(signer, IsOk());
  for (int i = 0; i < 2000; ++i) {
    const std::string data = "m" + std::to_string(i);
    auto sig = (*signer)->Sign(data);
    ASSERT_THAT(sig, IsOk());
    if ((*sig)[0] != '\0') continue;
    EXPECT_TRUE((*verifier)->Verify(data, *sig));
    EXPECT_FALSE((*verifier)->Verify(data, sig->substr(1)));
    return;
  }
  FAIL() << "no signature with a leading zero byte in 2000 tries (p ~ 1e-3.4)";
}

TEST(RsaFixedTest, SignerNeedsPrivateKey) {
  auto key = KeyMaterial::FromPem(fixed::kRsaSpki);
  ASSERT_THAT(key, IsOk());
  EXPECT_THAT(NewRsaSigner(Algorithm::kRs256, *key),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(NewSigner(Algorithm::kPs256, *key),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RsaFixedTest, WeakKeyNeverReachesAVerifier) {
  EXPECT_THAT(KeyMaterial::FromPem(fixed::kRsa1024Spki),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace jwtauth::crypto
