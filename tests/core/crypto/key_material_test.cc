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

using ::jwtauth::testutil::DerToPem;
using ::jwtauth::testutil::ExpectCleanFailure;
using ::jwtauth::testutil::GeneratedKey;
using ::jwtauth::testutil::Hex;
using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::PemToDer;
using ::jwtauth::testutil::StatusIs;
namespace fixed = ::jwtauth::testutil::fixed;

// --- secrets ----------------------------------------------------------------------

TEST(KeyMaterialTest, SecretBelowDefaultFloorIsRefused) {
  auto km = KeyMaterial::FromSecret(std::string(31, 'k'));
  EXPECT_THAT(km, StatusIs(absl::StatusCode::kInvalidArgument));
  ExpectCleanFailure(km.status());
  EXPECT_THAT(KeyMaterial::FromSecret(""), StatusIs(absl::StatusCode::kInvalidArgument));
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

// --- PEM: accepted forms, checked against values the openssl CLI printed ------------

TEST(KeyMaterialTest, Pkcs1RsaPrivatePemMatchesOpensslModulus) {
  auto km = KeyMaterial::FromPem(fixed::kRsaPkcs1Private);
  ASSERT_THAT(km, IsOk());
  EXPECT_EQ(km->type(), KeyType::kRsa);
  EXPECT_EQ(km->bits(), 2048);
  EXPECT_TRUE(km->has_private());
  for (Algorithm alg : {Algorithm::kRs256, Algorithm::kRs384, Algorithm::kRs512,
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

TEST(KeyMaterialTest, RsaPublicEncodingsAllNameTheSameKey) {
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

TEST(KeyMaterialTest, Sec1EcPrivatePemMatchesOpensslPoint) {
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

TEST(KeyMaterialTest, CertificateYieldsItsPublicKey) {
  auto cert = KeyMaterial::FromPem(fixed::kEcCertificate);
  ASSERT_THAT(cert, IsOk());
  EXPECT_EQ(cert->type(), KeyType::kEc);
  EXPECT_FALSE(cert->has_private());
  EXPECT_EQ(cert->Fingerprint(), fixed::kEcSpkiSha256Hex);
  auto spki = KeyMaterial::FromPem(fixed::kEcSpki);
  ASSERT_THAT(spki, IsOk());
  EXPECT_EQ(spki->Fingerprint(), fixed::kEcSpkiSha256Hex);
}

TEST(KeyMaterialTest, Pkcs8Ed25519PemMatchesOpensslPublicKey) {
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

TEST(KeyMaterialTest, EcParametersBlockNextToKeyIsIgnored) {
  const std::string pem = absl::StrCat(
      "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n",
      fixed::kEcSec1Private);
  auto km = KeyMaterial::FromPem(pem);
  ASSERT_THAT(km, IsOk());
  EXPECT_EQ(km->Fingerprint(), fixed::kEcSpkiSha256Hex);
}

// --- PEM / DER: refused forms ---------------------------------------------------------

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
    KeyMaterialTest, RefusedPemTest,
    testing::Values(
        RefusedPem{"Empty", ""}, RefusedPem{"NotPem", "hello world"},
        RefusedPem{"EncryptedPkcs8", fixed::kEcEncryptedPkcs8},
        RefusedPem{"EncryptedLegacyPkcs1", fixed::kRsaEncryptedLegacy},
        RefusedPem{"Rsa1024", fixed::kRsa1024Spki},
        RefusedPem{"Ed448", fixed::kEd448Spki},
        RefusedPem{"X25519", fixed::kX25519Spki},
        RefusedPem{"EcExplicitParameters", fixed::kEcExplicitParamsSpki},
        RefusedPem{"Secp256k1", fixed::kSecp256k1Spki},
        RefusedPem{"TwoKeys", absl::StrCat(fixed::kEcSpki, fixed::kRsaSpki)},
        RefusedPem{"Truncated", Truncated(fixed::kEcSpki)},
        RefusedPem{"DamagedBody", Damaged(fixed::kRsaSpki)},
        RefusedPem{"UnknownLabel",
                   "-----BEGIN DSA PRIVATE KEY-----\nAAAA\n-----END DSA PRIVATE KEY-----\n"},
        RefusedPem{"WrongLabel",  // an SPKI body under a PKCS#1 label
                   absl::StrCat("-----BEGIN RSA PUBLIC KEY-----\n",
                                absl::Base64Escape(PemToDer(fixed::kRsaSpki)),
                                "\n-----END RSA PUBLIC KEY-----\n")},
        RefusedPem{"TrailingGarbageInDer",
                   absl::StrCat("-----BEGIN PUBLIC KEY-----\n",
                                absl::Base64Escape(PemToDer(fixed::kEcSpki) + "x"),
                                "\n-----END PUBLIC KEY-----\n")}),
    [](const testing::TestParamInfo<RefusedPem>& info) { return info.param.name; });

TEST(KeyMaterialTest, RsaFloorIsConfigurableButNeverBelow1024) {
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

TEST(KeyMaterialTest, PemRefusesGarbageAndTrailingBytesInTheDer) {
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

// --- RSA components -------------------------------------------------------------------

RsaComponents FixedRsaPrivate() {
  RsaComponents c;
  c.n = Hex(fixed::kRsaNHex);
  c.e = Hex("010001");
  c.d = Hex(fixed::kRsaDHex);
  c.p = Hex(fixed::kRsaPHex);
  c.q = Hex(fixed::kRsaQHex);
  c.dp = Hex(fixed::kRsaDpHex);
  c.dq = Hex(fixed::kRsaDqHex);
  c.qi = Hex(fixed::kRsaQiHex);
  return c;
}

TEST(KeyMaterialTest, RsaComponentsPublicMatchPem) {
  RsaComponents c;
  c.n = Hex(fixed::kRsaNHex);
  c.e = Hex("010001");
  auto km = KeyMaterial::FromRsa(c);
  ASSERT_THAT(km, IsOk());
  EXPECT_FALSE(km->has_private());
  EXPECT_EQ(km->Fingerprint(), KeyMaterial::FromPem(fixed::kRsaSpki)->Fingerprint());
}

TEST(KeyMaterialTest, RsaComponentsPrivateFullAndDOnlySign) {
  auto pub = KeyMaterial::FromPem(fixed::kRsaSpki);
  ASSERT_THAT(pub, IsOk());
  auto verifier = NewSignatureVerifier(Algorithm::kRs256, *pub);
  ASSERT_THAT(verifier, IsOk());
  RsaComponents full = FixedRsaPrivate();
  RsaComponents d_only = full;
  d_only.p = d_only.q = d_only.dp = d_only.dq = d_only.qi = "";
  for (const RsaComponents& c : {full, d_only}) {
    auto km = KeyMaterial::FromRsa(c);
    ASSERT_THAT(km, IsOk());
    EXPECT_TRUE(km->has_private());
    auto signer = NewSigner(Algorithm::kRs256, *km);
    ASSERT_THAT(signer, IsOk());
    auto sig = (*signer)->Sign("data");
    ASSERT_THAT(sig, IsOk());
    EXPECT_TRUE((*verifier)->Verify("data", *sig));
  }
}

TEST(KeyMaterialTest, RsaComponentsInconsistentPrivateKeyIsRefused) {
  std::vector<RsaComponents> bad;
  RsaComponents c = FixedRsaPrivate();
  c.d.back() ^= 0x02;  // stays odd-ish; no longer an inverse of e
  bad.push_back(c);
  c = FixedRsaPrivate();
  c.d.back() ^= 0x02;
  c.p = c.q = c.dp = c.dq = c.qi = "";  // d only, wrong
  bad.push_back(c);
  c = FixedRsaPrivate();
  c.qi.back() ^= 0x01;
  bad.push_back(c);
  c = FixedRsaPrivate();
  c.dp.back() ^= 0x04;
  bad.push_back(c);
  c = FixedRsaPrivate();
  c.q = "";  // partial CRT set
  bad.push_back(c);
  c = FixedRsaPrivate();
  c.d = "";  // CRT without d
  bad.push_back(c);
  for (size_t i = 0; i < bad.size(); ++i) {
    auto km = KeyMaterial::FromRsa(bad[i]);
    EXPECT_THAT(km, StatusIs(absl::StatusCode::kInvalidArgument)) << "case " << i;
    ExpectCleanFailure(km.status());
  }
}

TEST(KeyMaterialTest, RsaComponentsWeakOrMalformedAreRefused) {
  const std::string n = Hex(fixed::kRsaNHex);
  struct Case {
    const char* what;
    std::string n, e;
  } cases[] = {
      {"even exponent", n, Hex("010000")},
      {"exponent one", n, Hex("01")},
      {"exponent zero", n, Hex("00")},
      {"empty exponent", n, ""},
      {"empty modulus", "", Hex("010001")},
      {"1024-bit modulus", n.substr(0, 128), Hex("010001")},
      {"even modulus", n.substr(0, 255) + "\x02", Hex("010001")},
      {"exponent >= modulus", n, n},
  };
  for (const Case& c : cases) {
    RsaComponents rc;
    rc.n = c.n;
    rc.e = c.e;
    auto km = KeyMaterial::FromRsa(rc);
    EXPECT_THAT(km, StatusIs(absl::StatusCode::kInvalidArgument)) << c.what;
    ExpectCleanFailure(km.status());
  }
}

// --- EC components --------------------------------------------------------------------

EcComponents FixedEc() {
  EcComponents c;
  c.curve = Curve::kP256;
  c.x = Hex(fixed::kEcXHex);
  c.y = Hex(fixed::kEcYHex);
  return c;
}

TEST(KeyMaterialTest, EcComponentsMatchPem) {
  auto pub = KeyMaterial::FromEc(FixedEc());
  ASSERT_THAT(pub, IsOk());
  EXPECT_FALSE(pub->has_private());
  EXPECT_EQ(pub->Fingerprint(), fixed::kEcSpkiSha256Hex);
  EcComponents c = FixedEc();
  c.d = Hex(fixed::kEcDHex);
  auto priv = KeyMaterial::FromEc(c);
  ASSERT_THAT(priv, IsOk());
  EXPECT_TRUE(priv->has_private());
  EXPECT_EQ(priv->Fingerprint(), fixed::kEcSpkiSha256Hex);
}

TEST(KeyMaterialTest, EcComponentsRefused) {
  std::vector<std::pair<const char*, EcComponents>> bad;
  EcComponents c = FixedEc();
  c.y.back() ^= 0x01;
  bad.push_back({"point not on curve", c});
  c = FixedEc();
  c.x = c.x.substr(1);
  bad.push_back({"short x", c});
  c = FixedEc();
  c.y = std::string(1, '\0') + c.y;
  bad.push_back({"long y", c});
  c = FixedEc();
  c.curve = Curve::kP384;
  bad.push_back({"P-256 point as P-384", c});
  c = FixedEc();
  c.curve = Curve::kEd25519;
  bad.push_back({"wrong family", c});
  c = FixedEc();
  c.x = std::string(32, '\xff');  // x >= p
  bad.push_back({"x out of field", c});
  c = FixedEc();
  c.d = Hex(fixed::kEcDHex);
  c.d.back() ^= 0x01;
  bad.push_back({"d does not match", c});
  c = FixedEc();
  c.d = std::string(32, '\0');
  bad.push_back({"d zero", c});
  c = FixedEc();
  c.d = Hex(fixed::kEcDHex).substr(1);
  bad.push_back({"d short", c});
  for (const auto& [what, comps] : bad) {
    auto km = KeyMaterial::FromEc(comps);
    EXPECT_THAT(km, StatusIs(absl::StatusCode::kInvalidArgument)) << what;
    ExpectCleanFailure(km.status());
  }
}

// --- OKP components -------------------------------------------------------------------

TEST(KeyMaterialTest, OkpComponents) {
  OkpComponents c;
  c.curve = Curve::kEd25519;
  c.x = Hex(fixed::kEd25519PublicHex);
  auto pub = KeyMaterial::FromOkp(c);
  ASSERT_THAT(pub, IsOk());
  EXPECT_FALSE(pub->has_private());
  EXPECT_EQ(pub->Fingerprint(), KeyMaterial::FromPem(fixed::kEd25519Pkcs8)->Fingerprint());
  c.d = Hex(fixed::kEd25519PrivateHex);
  auto priv = KeyMaterial::FromOkp(c);
  ASSERT_THAT(priv, IsOk());
  EXPECT_TRUE(priv->has_private());

  std::vector<std::pair<const char*, OkpComponents>> bad;
  OkpComponents b = c;
  b.d.back() ^= 0x01;
  bad.push_back({"d does not match x", b});
  b = c;
  b.d = "";
  b.x = b.x.substr(1);
  bad.push_back({"short x", b});
  b = c;
  b.curve = Curve::kP256;
  bad.push_back({"wrong curve", b});
  b = c;
  b.d = b.d + "x";
  bad.push_back({"long d", b});
  for (const auto& [what, comps] : bad) {
    auto km = KeyMaterial::FromOkp(comps);
    EXPECT_THAT(km, StatusIs(absl::StatusCode::kInvalidArgument)) << what;
    ExpectCleanFailure(km.status());
  }
}

// --- Generate and export round trips ------------------------------------------------------

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
      EXPECT_EQ(km.bits(), alg == Algorithm::kEs256 ? 256 : alg == Algorithm::kEs384 ? 384 : 521);
      break;
    case KeyType::kOkp:
      EXPECT_EQ(km.bits(), 256);
      break;
  }
  auto private_pem = km.PrivatePem();
  ASSERT_THAT(private_pem, IsOk());
  EXPECT_NE(private_pem->find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
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
  for (Algorithm alg : {Algorithm::kHs256, Algorithm::kRs256, Algorithm::kEs256,
                        Algorithm::kEs384, Algorithm::kEs512, Algorithm::kEdDsa}) {
    auto a = KeyMaterial::Generate(alg);
    auto b = KeyMaterial::Generate(alg);
    ASSERT_THAT(a, IsOk());
    ASSERT_THAT(b, IsOk());
    EXPECT_NE(a->Fingerprint(), b->Fingerprint()) << AlgorithmName(alg);
  }
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, GenerateTest, testing::ValuesIn(kAllAlgorithms),
                         [](const testing::TestParamInfo<Algorithm>& info) {
                           return std::string(AlgorithmName(info.param));
                         });

// Legacy (non-provider) EVP_PKEYs convert lazily on first use, which would be
// a write on a key shared by many verifying threads; every import path must
// therefore store a provider-native key.
TEST(KeyMaterialTest, EveryImportPathStoresAProviderNativeKey) {
  std::vector<absl::StatusOr<KeyMaterial>> keys;
  for (const char* pem : {fixed::kRsaPkcs1Private, fixed::kRsaPkcs1Public, fixed::kRsaSpki,
                          fixed::kEcSec1Private, fixed::kEcSpki, fixed::kEcCertificate,
                          fixed::kEd25519Pkcs8}) {
    keys.push_back(KeyMaterial::FromPem(pem));
  }
  keys.push_back(KeyMaterial::FromRsa(FixedRsaPrivate()));
  keys.push_back(KeyMaterial::FromEc(FixedEc()));
  keys.push_back(GeneratedKey(Algorithm::kRs256).PublicOnly());
  keys.push_back(GeneratedKey(Algorithm::kEs512));
  keys.push_back(GeneratedKey(Algorithm::kEdDsa));
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_THAT(keys[i], IsOk()) << "key " << i;
    EXPECT_NE(EVP_PKEY_get0_provider(keys[i]->impl().pkey_ptr()), nullptr) << "key " << i;
  }
}

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
