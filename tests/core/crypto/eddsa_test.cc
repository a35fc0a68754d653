#include "core/crypto/eddsa.h"

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

TEST(EddsaTest, RoundTripAndTamperingSweep) {
  const KeyMaterial& key = GeneratedKey(Algorithm::kEdDsa);
  auto signer = NewEddsaSigner(Algorithm::kEdDsa, key);
  auto verifier = NewEddsaVerifier(Algorithm::kEdDsa, *key.PublicOnly());
  ASSERT_THAT(signer, IsOk());
  ASSERT_THAT(verifier, IsOk());
  EXPECT_EQ((*verifier)->algorithm(), Algorithm::kEdDsa);
  for (const std::string& data : {std::string(), std::string(300, 'x')}) {
    auto sig = (*signer)->Sign(data);
    ASSERT_THAT(sig, IsOk());
    EXPECT_EQ(sig->size(), 64u);
    EXPECT_TRUE((*verifier)->Verify(data, *sig));
  }
  auto sig = (*signer)->Sign("header.payload");
  ASSERT_THAT(sig, IsOk());
  // Ed25519 is deterministic.
  EXPECT_EQ(*sig, *(*signer)->Sign("header.payload"));
  ExpectTamperingRejected(**verifier, "header.payload", *sig);
}

TEST(EddsaTest, OpensslCliSignatureVerifies) {
  auto key = KeyMaterial::FromPem(fixed::kEd25519Pkcs8);
  ASSERT_THAT(key, IsOk());
  auto verifier = NewSignatureVerifier(Algorithm::kEdDsa, *key);
  ASSERT_THAT(verifier, IsOk());
  EXPECT_TRUE((*verifier)->Verify(fixed::kMessage, Hex(fixed::kEd25519SigHex)));
  auto signer = NewSigner(Algorithm::kEdDsa, *key);
  ASSERT_THAT(signer, IsOk());
  auto sig = (*signer)->Sign(fixed::kMessage);
  ASSERT_THAT(sig, IsOk());
  EXPECT_EQ(
      *sig,
      Hex(fixed::kEd25519SigHex));  // deterministic: same bytes as the CLI
}

TEST(EddsaTest, OtherKeyDoesNotVerify) {
  auto sig =
      (*NewEddsaSigner(Algorithm::kEdDsa, GeneratedKey(Algorithm::kEdDsa)))
          ->Sign("d");
  ASSERT_THAT(sig, IsOk());
  auto other = KeyMaterial::FromPem(fixed::kEd25519Pkcs8);
  ASSERT_THAT(other, IsOk());
  EXPECT_FALSE(
      (*NewEddsaVerifier(Algorithm::kEdDsa, *other))->Verify("d", *sig));
}

TEST(EddsaTest, NonEd25519KeysAndAlgorithmsAreRefused) {
  for (Algorithm other :
       {Algorithm::kHs256, Algorithm::kRs256, Algorithm::kEs256}) {
    EXPECT_THAT(NewEddsaVerifier(Algorithm::kEdDsa, GeneratedKey(other)),
                StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(NewSignatureVerifier(Algorithm::kEdDsa, GeneratedKey(other)),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
  EXPECT_THAT(
      NewEddsaVerifier(Algorithm::kEs256, GeneratedKey(Algorithm::kEdDsa)),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(KeyMaterial::FromPem(fixed::kEd448Spki),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(EddsaTest, SignerNeedsPrivateKey) {
  auto pub = GeneratedKey(Algorithm::kEdDsa).PublicOnly();
  ASSERT_THAT(pub, IsOk());
  EXPECT_THAT(NewEddsaSigner(Algorithm::kEdDsa, *pub),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace jwtauth::crypto
