// KeyMaterial::FromPem (core/crypto/pem_import.cc).
#include "core/crypto/pem_import.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/algorithm.h"
#include "core/crypto/der_probe.h"
#include "core/crypto/signature_verifier.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/crypto/crypto_test_util.h"
#include "tests/core/crypto/fixed_keys.h"
#include "tests/testutil/status_matchers.h"

namespace jwtauth::crypto {
namespace {

using ::jwtauth::testutil::DerToPem;
using ::jwtauth::testutil::ExpectCleanFailure;
using ::jwtauth::testutil::GeneratedKey;
using ::jwtauth::testutil::Hex;
using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::PemToDer;
using ::jwtauth::testutil::StatusIs;
namespace fixed = ::jwtauth::testutil::fixed;

// --- PEM: accepted forms, checked against values the openssl CLI printed
// ------------

TEST(PemImportTest, Pkcs1RsaPrivatePemMatchesOpensslModulus) {
  auto km = KeyMaterial::FromPem(fixed::kRsaPkcs1Private);
  ASSERT_THAT(km, IsOk());
  EXPECT_EQ(km->type(), KeyType::kRsa);
  EXPECT_EQ(km->bits(), 2048);
  EXPECT_TRUE(km->has_private());
  for (Algorithm alg :
       {Algorithm::kRs256, Algorithm::kRs384, Algorithm::kRs512,
        Algorithm::kPs256, Algorithm::kPs384, Algorithm::kPs512}) {
    EXPECT_TRUE(km->Fits(alg)) << AlgorithmName(alg);
  }
  EXPECT_FALSE(km->Fits(Algorithm::kHs256));
  auto pub = km->RsaPublic();
  ASSERT_THAT(pub, IsOk());
  EXPECT_EQ(absl::BytesToHexString(pub->n), fixed::kRsaModulusHex);
  EXPECT_EQ(pub->e, Hex("010001"));
  EXPECT_TRUE(pub->d.empty());
  EXPECT_TRUE(pub->p.empty());
}

TEST(PemImportTest, RsaPublicEncodingsAllNameTheSameKey) {
  auto priv = KeyMaterial::FromPem(fixed::kRsaPkcs1Private);
  auto pkcs1 = KeyMaterial::FromPem(fixed::kRsaPkcs1Public);
  auto spki = KeyMaterial::FromPem(fixed::kRsaSpki);
  ASSERT_THAT(priv, IsOk());
  ASSERT_THAT(pkcs1, IsOk());
  ASSERT_THAT(spki, IsOk());
  EXPECT_FALSE(pkcs1->has_private());
  EXPECT_FALSE(spki->has_private());
  EXPECT_EQ(priv->Fingerprint(), spki->Fingerprint());
  EXPECT_EQ(pkcs1->Fingerprint(), spki->Fingerprint());
}

TEST(PemImportTest, Sec1EcPrivatePemMatchesOpensslPoint) {
  auto km = KeyMaterial::FromPem(fixed::kEcSec1Private);
  ASSERT_THAT(km, IsOk());
  EXPECT_EQ(km->type(), KeyType::kEc);
  EXPECT_EQ(km->curve(), Curve::kP256);
  EXPECT_EQ(km->bits(), 256);
  EXPECT_TRUE(km->has_private());
  EXPECT_TRUE(km->Fits(Algorithm::kEs256));
  EXPECT_FALSE(km->Fits(Algorithm::kEs384));
  auto pub = km->EcPublic();
  ASSERT_THAT(pub, IsOk());
  EXPECT_EQ(pub->curve, Curve::kP256);
  EXPECT_EQ(absl::BytesToHexString(pub->x), fixed::kEcXHex);
  EXPECT_EQ(absl::BytesToHexString(pub->y), fixed::kEcYHex);
  EXPECT_TRUE(pub->d.empty());
  EXPECT_EQ(km->Fingerprint(), fixed::kEcSpkiSha256Hex);
}

TEST(PemImportTest, CertificateYieldsItsPublicKey) {
  auto cert = KeyMaterial::FromPem(fixed::kEcCertificate);
  ASSERT_THAT(cert, IsOk());
  EXPECT_EQ(cert->type(), KeyType::kEc);
  EXPECT_FALSE(cert->has_private());
  EXPECT_EQ(cert->Fingerprint(), fixed::kEcSpkiSha256Hex);
  auto spki = KeyMaterial::FromPem(fixed::kEcSpki);
  ASSERT_THAT(spki, IsOk());
  EXPECT_EQ(spki->Fingerprint(), fixed::kEcSpkiSha256Hex);
}

TEST(PemImportTest, Pkcs8Ed25519PemMatchesOpensslPublicKey) {
  auto km = KeyMaterial::FromPem(fixed::kEd25519Pkcs8);
  ASSERT_THAT(km, IsOk());
  EXPECT_EQ(km->type(), KeyType::kOkp);
  EXPECT_EQ(km->curve(), Curve::kEd25519);
  EXPECT_TRUE(km->has_private());
  EXPECT_TRUE(km->Fits(Algorithm::kEdDsa));
  auto pub = km->OkpPublic();
  ASSERT_THAT(pub, IsOk());
  EXPECT_EQ(absl::BytesToHexString(pub->x), fixed::kEd25519PublicHex);
  EXPECT_TRUE(pub->d.empty());
}

TEST(PemImportTest, EcParametersBlockNextToKeyIsIgnored) {
  const std::string pem = absl::StrCat(
      "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC "
      "PARAMETERS-----\n",
      fixed::kEcSec1Private);
  auto km = KeyMaterial::FromPem(pem);
  ASSERT_THAT(km, IsOk());
  EXPECT_EQ(km->Fingerprint(), fixed::kEcSpkiSha256Hex);
}

// --- PEM / DER: refused forms
// ---------------------------------------------------------

struct RefusedPem {
  const char* name;
  std::string pem;
};

class RefusedPemTest : public testing::TestWithParam<RefusedPem> {};

TEST_P(RefusedPemTest, IsInvalidArgumentWithCleanMessage) {
  auto km = KeyMaterial::FromPem(GetParam().pem);
  EXPECT_THAT(km, StatusIs(absl::StatusCode::kInvalidArgument));
  ExpectCleanFailure(km.status());
}

std::string Damaged(std::string pem) {
  // A character outside the base64 alphabet in the middle of the body.
  pem[pem.size() / 2] = '*';
  return pem;
}

std::string Truncated(std::string pem) { return pem.substr(0, pem.size() / 2); }

INSTANTIATE_TEST_SUITE_P(
    PemImportTest, RefusedPemTest,
    testing::Values(
        RefusedPem{"Empty", ""}, RefusedPem{"NotPem", "hello world"},
        RefusedPem{"EncryptedPkcs8", fixed::kEcEncryptedPkcs8},
        RefusedPem{"EncryptedLegacyPkcs1", fixed::kRsaEncryptedLegacy},
        RefusedPem{"Rsa1024", fixed::kRsa1024Spki},
        RefusedPem{"Ed448", fixed::kEd448Spki},
        RefusedPem{"X25519", fixed::kX25519Spki},
        RefusedPem{"RsaPssRestricted", fixed::kRsaPssSpki},
        RefusedPem{"EcExplicitParameters", fixed::kEcExplicitParamsSpki},
        RefusedPem{"Secp256k1", fixed::kSecp256k1Spki},
        RefusedPem{"TwoKeys", absl::StrCat(fixed::kEcSpki, fixed::kRsaSpki)},
        RefusedPem{"Truncated", Truncated(fixed::kEcSpki)},
        RefusedPem{"DamagedBody", Damaged(fixed::kRsaSpki)},
        RefusedPem{"UnknownLabel",
                   "-----BEGIN DSA PRIVATE KEY-----\nAAAA\n-----END DSA "
                   "PRIVATE KEY-----\n"},
        RefusedPem{"WrongLabel",  // an SPKI body under a PKCS#1 label
                   absl::StrCat("-----BEGIN RSA PUBLIC KEY-----\n",
                                absl::Base64Escape(PemToDer(fixed::kRsaSpki)),
                                "\n-----END RSA PUBLIC KEY-----\n")},
        RefusedPem{
            "TrailingGarbageInDer",
            absl::StrCat("-----BEGIN PUBLIC KEY-----\n",
                         absl::Base64Escape(PemToDer(fixed::kEcSpki) + "x"),
                         "\n-----END PUBLIC KEY-----\n")}),
    [](const testing::TestParamInfo<RefusedPem>& info) {
      return info.param.name;
    });

TEST(PemImportTest, RsaFloorIsConfigurableButNeverBelow1024) {
  KeyStrengthPolicy policy;
  policy.min_rsa_bits = 1024;
  auto km = KeyMaterial::FromPem(fixed::kRsa1024Spki, policy);
  ASSERT_THAT(km, IsOk());
  EXPECT_EQ(km->bits(), 1024);
  policy.min_rsa_bits = 512;  // clamped to 1024: the 1024-bit key still passes
  EXPECT_THAT(KeyMaterial::FromPem(fixed::kRsa1024Spki, policy), IsOk());
  policy.min_rsa_bits = 3072;
  EXPECT_THAT(KeyMaterial::FromPem(fixed::kRsaSpki, policy),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(PemImportTest, PemRefusesGarbageAndTrailingBytesInTheDer) {
  for (const std::string& pem :
       {DerToPem(""), DerToPem(std::string("\x30\x00", 2)),
        DerToPem(PemToDer(fixed::kEcSpki) + std::string(1, '\0')),
        DerToPem(PemToDer(fixed::kEcCertificate) + "z", "CERTIFICATE"),
        DerToPem(PemToDer(fixed::kEcSec1Private)),
        DerToPem(PemToDer(fixed::kEcSpki).substr(0, 40))}) {
    auto km = KeyMaterial::FromPem(pem);
    EXPECT_THAT(km, StatusIs(absl::StatusCode::kInvalidArgument)) << pem;
    ExpectCleanFailure(km.status());
  }
}

}  // namespace
}  // namespace jwtauth::crypto
