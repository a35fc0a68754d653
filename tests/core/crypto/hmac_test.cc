#include "core/crypto/hmac.h"

#include <string>

#include "absl/strings/escaping.h"
#include "core/algorithm.h"
#include "core/crypto/key_material.h"
#include "core/crypto/signature_verifier.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/crypto/crypto_test_util.h"
#include "tests/testutil/status_matchers.h"

namespace jwtauth::crypto {
namespace {

using ::jwtauth::testutil::ExpectTamperingRejected;
using ::jwtauth::testutil::GeneratedKey;
using ::jwtauth::testutil::Hex;
using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::StatusIs;

// RFC 4231 test cases 1, 6 and 7 (keys of 20 and 131 bytes: the second is
// longer than every SHA-2 block and exercises the hash-the-key path).
struct Rfc4231Case {
  std::string key_hex;
  std::string data;
  Algorithm alg;
  std::string tag_hex;
};

const std::string kCase6Data =
    "Test Using Larger Than Block-Size Key - Hash Key First";
const std::string kCase7Data =
    "This is a test using a larger than block-size key and a larger than "
    "block-size "
    "data. The key needs to be hashed before being used by the HMAC algorithm.";

class HmacRfc4231Test : public testing::TestWithParam<Rfc4231Case> {};

TEST_P(HmacRfc4231Test, SignsAndVerifiesTheRfcTag) {
  const Rfc4231Case& c = GetParam();
  KeyStrengthPolicy policy;
  policy.min_hmac_bytes = kAbsoluteMinHmacBytes;  // case 1 key is 20 bytes
  auto key = KeyMaterial::FromSecret(Hex(c.key_hex), policy);
  ASSERT_THAT(key, IsOk());
  auto signer = NewHmacSigner(c.alg, *key);
  ASSERT_THAT(signer, IsOk());
  auto tag = (*signer)->Sign(c.data);
  ASSERT_THAT(tag, IsOk());
  EXPECT_EQ(absl::BytesToHexString(*tag), c.tag_hex);
  auto verifier = NewHmacVerifier(c.alg, *key);
  ASSERT_THAT(verifier, IsOk());
  EXPECT_EQ((*verifier)->algorithm(), c.alg);
  EXPECT_TRUE((*verifier)->Verify(c.data, Hex(c.tag_hex)));
  // RFC 4231 also lists 128-bit truncations; a JWS HS* tag is never truncated.
  EXPECT_FALSE((*verifier)->Verify(c.data, Hex(c.tag_hex).substr(0, 16)));
}

INSTANTIATE_TEST_SUITE_P(
    Rfc4231, HmacRfc4231Test,
    testing::Values(
        Rfc4231Case{
            "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There",
            Algorithm::kHs256,
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
        Rfc4231Case{"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There",
                    Algorithm::kHs384,
                    "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7c"
                    "ebc59cfaea9ea9076ede7f4af152e8b2fa9cb6"},
        Rfc4231Case{
            "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There",
            Algorithm::kHs512,
            "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdeda"
            "a833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"},
        Rfc4231Case{
            std::string(262, 'a'), kCase6Data, Algorithm::kHs256,
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
        Rfc4231Case{std::string(262, 'a'), kCase6Data, Algorithm::kHs384,
                    "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f0503"
                    "3ac4c60c2ef6ab4030fe8296248df163f44952"},
        Rfc4231Case{
            std::string(262, 'a'), kCase6Data, Algorithm::kHs512,
            "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b"
            "56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"},
        Rfc4231Case{
            std::string(262, 'a'), kCase7Data, Algorithm::kHs256,
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
        Rfc4231Case{std::string(262, 'a'), kCase7Data, Algorithm::kHs384,
                    "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb8246"
                    "1e99c5a678cc31e799176d3860e6110c46523e"},
        Rfc4231Case{
            std::string(262, 'a'), kCase7Data, Algorithm::kHs512,
            "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6"
            "022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58"}));

class HmacTest : public testing::TestWithParam<Algorithm> {};

TEST_P(HmacTest, RoundTripAndTamperingSweep) {
  const Algorithm alg = GetParam();
  const KeyMaterial& key = GeneratedKey(alg);
  auto signer = NewHmacSigner(alg, key);
  auto verifier = NewHmacVerifier(alg, key);
  ASSERT_THAT(signer, IsOk());
  ASSERT_THAT(verifier, IsOk());
  for (const std::string& data :
       {std::string(), std::string("a"), std::string(300, 'x'),
        std::string(1000, '\0')}) {
    auto tag = (*signer)->Sign(data);
    ASSERT_THAT(tag, IsOk());
    EXPECT_EQ(tag->size(), static_cast<size_t>(HashSize(HashFor(alg))));
    EXPECT_TRUE((*verifier)->Verify(data, *tag));
  }
  auto tag = (*signer)->Sign("header.payload");
  ASSERT_THAT(tag, IsOk());
  ExpectTamperingRejected(**verifier, "header.payload", *tag);
}

TEST_P(HmacTest, OtherSecretOrOtherDigestDoesNotVerify) {
  const Algorithm alg = GetParam();
  auto key = KeyMaterial::FromSecret(std::string(64, 'k'));
  auto other = KeyMaterial::FromSecret(std::string(64, 'j'));
  ASSERT_THAT(key, IsOk());
  ASSERT_THAT(other, IsOk());
  auto tag = (*NewHmacSigner(alg, *key))->Sign("data");
  ASSERT_THAT(tag, IsOk());
  EXPECT_FALSE((*NewHmacVerifier(alg, *other))->Verify("data", *tag));
  for (Algorithm a :
       {Algorithm::kHs256, Algorithm::kHs384, Algorithm::kHs512}) {
    if (a == alg) continue;
    EXPECT_FALSE((*NewHmacVerifier(a, *key))->Verify("data", *tag));
    // Even a prefix of the right length for the other digest.
    EXPECT_FALSE(
        (*NewHmacVerifier(a, *key))
            ->Verify("data",
                     tag->substr(0, std::min<size_t>(tag->size(),
                                                     HashSize(HashFor(a))))));
  }
}

TEST_P(HmacTest, AsymmetricKeyCannotBecomeHmacKey) {
  for (Algorithm asym :
       {Algorithm::kRs256, Algorithm::kEs256, Algorithm::kEdDsa}) {
    EXPECT_THAT(NewHmacVerifier(GetParam(), GeneratedKey(asym)),
                StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(NewSignatureVerifier(GetParam(), GeneratedKey(asym)),
                StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(NewSigner(GetParam(), GeneratedKey(asym)),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

INSTANTIATE_TEST_SUITE_P(Hs, HmacTest,
                         testing::Values(Algorithm::kHs256, Algorithm::kHs384,
                                         Algorithm::kHs512),
                         [](const testing::TestParamInfo<Algorithm>& info) {
                           return std::string(AlgorithmName(info.param));
                         });

TEST(HmacTest, HmacVerifierRefusesNonHmacAlgorithm) {
  EXPECT_FALSE(
      NewHmacVerifier(Algorithm::kRs256, GeneratedKey(Algorithm::kHs256)).ok());
  EXPECT_FALSE(
      NewHmacSigner(Algorithm::kEs256, GeneratedKey(Algorithm::kHs256)).ok());
}

}  // namespace
}  // namespace jwtauth::crypto
