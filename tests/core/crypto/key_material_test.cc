#include "core/crypto/key_material.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/algorithm.h"
#include "core/crypto/der_probe.h"
#include "core/crypto/key_material_impl.h"
#include "core/crypto/signature_verifier.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/crypto/crypto_test_util.h"
#include "tests/core/crypto/fixed_keys.h"
#include "tests/testutil/status_matchers.h"

namespace jwtauth::crypto {
namespace {

using ::jwtauth::testutil::ExpectCleanFailure;
using ::jwtauth::testutil::FixedEc;
using ::jwtauth::testutil::FixedRsaPrivate;
using ::jwtauth::testutil::GeneratedKey;
using ::jwtauth::testutil::Hex;
using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::PemToDer;
using ::jwtauth::testutil::StatusIs;
namespace fixed = ::jwtauth::testutil::fixed;

// --- secrets
// ----------------------------------------------------------------------

TEST(KeyMaterialTest, SecretBelowDefaultFloorIsRefused) {
  auto km = KeyMaterial::FromSecret(std::string(31, 'k'));
  EXPECT_THAT(km, StatusIs(absl::StatusCode::kInvalidArgument));
  ExpectCleanFailure(km.status());
  EXPECT_THAT(KeyMaterial::FromSecret(""),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(KeyMaterialTest, SecretAtFloorIsAccepted) {
  auto km = KeyMaterial::FromSecret(std::string(32, 'k'));
  ASSERT_THAT(km, IsOk());
  EXPECT_EQ(km->type(), KeyType::kOct);
  EXPECT_EQ(km->curve(), Curve::kNone);
  EXPECT_EQ(km->bits(), 256);
  EXPECT_TRUE(km->has_private());
  EXPECT_TRUE(km->Fits(Algorithm::kHs256));
  EXPECT_TRUE(km->Fits(Algorithm::kHs512));
  EXPECT_FALSE(km->Fits(Algorithm::kRs256));
  EXPECT_FALSE(km->Fits(Algorithm::kEs256));
  EXPECT_FALSE(km->Fits(Algorithm::kEdDsa));
}

TEST(KeyMaterialTest, SecretFloorIsConfigurableButNeverBelowAbsoluteMinimum) {
  KeyStrengthPolicy policy;
  policy.min_hmac_bytes = 20;
  EXPECT_THAT(KeyMaterial::FromSecret(std::string(20, 'k'), policy), IsOk());
  EXPECT_FALSE(KeyMaterial::FromSecret(std::string(19, 'k'), policy).ok());
  policy.min_hmac_bytes = 1;  // asks for less than the absolute floor of 16
  EXPECT_THAT(KeyMaterial::FromSecret(std::string(16, 'k'), policy), IsOk());
  EXPECT_FALSE(KeyMaterial::FromSecret(std::string(15, 'k'), policy).ok());
  EXPECT_FALSE(KeyMaterial::FromSecret(std::string(1, 'k'), policy).ok());
}

TEST(KeyMaterialTest, SecretHasNoPublicFormsAndFingerprintHidesIt) {
  const std::string secret(32, 'q');
  auto km = KeyMaterial::FromSecret(secret);
  ASSERT_THAT(km, IsOk());
  EXPECT_FALSE(km->PublicPem().ok());
  EXPECT_FALSE(km->PrivatePem().ok());
  EXPECT_FALSE(km->PublicOnly().ok());
  EXPECT_FALSE(km->RsaPublic().ok());
  EXPECT_FALSE(km->EcPublic().ok());
  EXPECT_FALSE(km->OkpPublic().ok());
  const std::string fp = km->Fingerprint();
  EXPECT_EQ(fp.size(), 64u);
  EXPECT_EQ(fp, absl::BytesToHexString(Sha256(secret)));
  EXPECT_EQ(fp.find(absl::BytesToHexString(secret)), std::string::npos);
  EXPECT_NE(fp, KeyMaterial::FromSecret(std::string(32, 'r'))->Fingerprint());
}

// --- Generate and export round trips
// ------------------------------------------------------

class GenerateTest : public testing::TestWithParam<Algorithm> {};

TEST_P(GenerateTest, FitsItsAlgorithmAndRoundTripsThroughExports) {
  const Algorithm alg = GetParam();
  const KeyMaterial& km = GeneratedKey(alg);
  EXPECT_TRUE(km.Fits(alg));
  EXPECT_TRUE(km.has_private());
  EXPECT_EQ(km.type(), KeyTypeFor(alg));
  EXPECT_EQ(km.curve(), CurveFor(alg));
  for (Algorithm other : kAllAlgorithms) {
    const bool same_family = KeyTypeFor(other) == KeyTypeFor(alg) &&
                             CurveFor(other) == CurveFor(alg);
    EXPECT_EQ(km.Fits(other), same_family) << AlgorithmName(other);
  }
  switch (km.type()) {
    case KeyType::kOct:
      EXPECT_EQ(km.bits(), 8 * HashSize(HashFor(alg)));
      return;
    case KeyType::kRsa:
      EXPECT_EQ(km.bits(), 2048);
      break;
    case KeyType::kEc:
      EXPECT_EQ(km.bits(), alg == Algorithm::kEs256   ? 256
                           : alg == Algorithm::kEs384 ? 384
                                                      : 521);
      break;
    case KeyType::kOkp:
      EXPECT_EQ(km.bits(), 256);
      break;
  }
  auto private_pem = km.PrivatePem();
  ASSERT_THAT(private_pem, IsOk());
  EXPECT_NE(private_pem->find("-----BEGIN PRIVATE KEY-----"),
            std::string::npos);
  auto reparsed = KeyMaterial::FromPem(*private_pem);
  ASSERT_THAT(reparsed, IsOk());
  EXPECT_TRUE(reparsed->has_private());
  EXPECT_EQ(reparsed->Fingerprint(), km.Fingerprint());

  auto public_pem = km.PublicPem();
  ASSERT_THAT(public_pem, IsOk());
  EXPECT_NE(public_pem->find("-----BEGIN PUBLIC KEY-----"), std::string::npos);
  auto from_public = KeyMaterial::FromPem(*public_pem);
  ASSERT_THAT(from_public, IsOk());
  EXPECT_FALSE(from_public->has_private());
  EXPECT_EQ(from_public->Fingerprint(), km.Fingerprint());

  auto public_only = km.PublicOnly();
  ASSERT_THAT(public_only, IsOk());
  EXPECT_FALSE(public_only->has_private());
  EXPECT_FALSE(public_only->PrivatePem().ok());
  EXPECT_EQ(public_only->Fingerprint(), km.Fingerprint());
  EXPECT_FALSE(NewSigner(alg, *public_only).ok());

  // Components export and re-import to the same key.
  absl::StatusOr<KeyMaterial> from_components;
  switch (km.type()) {
    case KeyType::kRsa: {
      auto c = km.RsaPublic();
      ASSERT_THAT(c, IsOk());
      EXPECT_EQ(c->n.size(), 256u);
      EXPECT_FALSE(km.EcPublic().ok());
      from_components = KeyMaterial::FromRsa(*c);
      break;
    }
    case KeyType::kEc: {
      auto c = km.EcPublic();
      ASSERT_THAT(c, IsOk());
      EXPECT_EQ(c->x.size(), (km.bits() + 7) / 8);
      EXPECT_EQ(c->y.size(), (km.bits() + 7) / 8);
      EXPECT_FALSE(km.OkpPublic().ok());
      from_components = KeyMaterial::FromEc(*c);
      break;
    }
    case KeyType::kOkp: {
      auto c = km.OkpPublic();
      ASSERT_THAT(c, IsOk());
      EXPECT_EQ(c->x.size(), 32u);
      EXPECT_FALSE(km.RsaPublic().ok());
      from_components = KeyMaterial::FromOkp(*c);
      break;
    }
    case KeyType::kOct:
      break;
  }
  ASSERT_THAT(from_components, IsOk());
  EXPECT_EQ(from_components->Fingerprint(), km.Fingerprint());
}

TEST(KeyMaterialTest, TwoGeneratedKeysDiffer) {
  for (Algorithm alg :
       {Algorithm::kHs256, Algorithm::kRs256, Algorithm::kEs256,
        Algorithm::kEs384, Algorithm::kEs512, Algorithm::kEdDsa}) {
    auto a = KeyMaterial::Generate(alg);
    auto b = KeyMaterial::Generate(alg);
    ASSERT_THAT(a, IsOk());
    ASSERT_THAT(b, IsOk());
    EXPECT_NE(a->Fingerprint(), b->Fingerprint()) << AlgorithmName(alg);
  }
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, GenerateTest,
                         testing::ValuesIn(kAllAlgorithms),
                         [](const testing::TestParamInfo<Algorithm>& info) {
                           return std::string(AlgorithmName(info.param));
                         });

TEST(KeyMaterialTest, CopiesShareTheKey) {
  const KeyMaterial& km = GeneratedKey(Algorithm::kEs256);
  KeyMaterial copy = km;
  EXPECT_EQ(&copy.impl(), &km.impl());
  EXPECT_EQ(copy.Fingerprint(), km.Fingerprint());
}

TEST(KeyMaterialTest, IsDerKeyEncodingRecognisesEveryKeyForm) {
  const KeyMaterial& rsa = GeneratedKey(Algorithm::kRs256);
  const KeyMaterial& ec = GeneratedKey(Algorithm::kEs256);
  EXPECT_TRUE(IsDerKeyEncoding(PemToDer(*rsa.PublicPem())));   // SPKI
  EXPECT_TRUE(IsDerKeyEncoding(PemToDer(*ec.PublicPem())));    // SPKI
  EXPECT_TRUE(IsDerKeyEncoding(PemToDer(*rsa.PrivatePem())));  // PKCS#8
  // PKCS#1 RSAPublicKey with a 512-bit modulus: recognised whatever the size.
  const std::string n = "\x80" + std::string(62, '\x11') + "\x01";
  const std::string pkcs1 = std::string("\x30\x48\x02\x41\x00", 5) + n +
                            std::string("\x02\x03\x01\x00\x01", 5);
  EXPECT_TRUE(IsDerKeyEncoding(pkcs1));
  // Trailing bytes, truncation and non-keys are not key encodings.
  EXPECT_FALSE(IsDerKeyEncoding(pkcs1 + "x"));
  EXPECT_FALSE(IsDerKeyEncoding(pkcs1.substr(0, pkcs1.size() - 1)));
  EXPECT_FALSE(IsDerKeyEncoding(""));
  EXPECT_FALSE(IsDerKeyEncoding(std::string("\x30") + std::string(40, 'z')));
  EXPECT_FALSE(IsDerKeyEncoding("0123456789abcdef0123456789abcdef"));
}

}  // namespace
}  // namespace jwtauth::crypto
