// KeyMaterial::FromRsa / FromEc / FromOkp (core/crypto/component_import.cc).
#include "core/crypto/component_import.h"

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

using ::jwtauth::testutil::ExpectCleanFailure;
using ::jwtauth::testutil::FixedEc;
using ::jwtauth::testutil::FixedRsaPrivate;
using ::jwtauth::testutil::GeneratedKey;
using ::jwtauth::testutil::Hex;
using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::PemToDer;
using ::jwtauth::testutil::StatusIs;
namespace fixed = ::jwtauth::testutil::fixed;

// --- RSA components
// -------------------------------------------------------------------

TEST(ComponentImportTest, RsaComponentsPublicMatchPem) {
  RsaComponents c;
  c.n = Hex(fixed::kRsaNHex);
  c.e = Hex("010001");
  auto km = KeyMaterial::FromRsa(c);
  ASSERT_THAT(km, IsOk());
  EXPECT_FALSE(km->has_private());
  EXPECT_EQ(km->Fingerprint(),
            KeyMaterial::FromPem(fixed::kRsaSpki)->Fingerprint());
}

TEST(ComponentImportTest, RsaComponentsPrivateFullAndDOnlySign) {
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

TEST(ComponentImportTest, RsaComponentsInconsistentPrivateKeyIsRefused) {
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
    EXPECT_THAT(km, StatusIs(absl::StatusCode::kInvalidArgument))
        << "case " << i;
    ExpectCleanFailure(km.status());
  }
}

TEST(ComponentImportTest, RsaComponentsWeakOrMalformedAreRefused) {
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

// --- EC components
// --------------------------------------------------------------------

TEST(ComponentImportTest, EcComponentsMatchPem) {
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

TEST(ComponentImportTest, EcComponentsRefused) {
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

// --- OKP components
// -------------------------------------------------------------------

TEST(ComponentImportTest, OkpComponents) {
  OkpComponents c;
  c.curve = Curve::kEd25519;
  c.x = Hex(fixed::kEd25519PublicHex);
  auto pub = KeyMaterial::FromOkp(c);
  ASSERT_THAT(pub, IsOk());
  EXPECT_FALSE(pub->has_private());
  EXPECT_EQ(pub->Fingerprint(),
            KeyMaterial::FromPem(fixed::kEd25519Pkcs8)->Fingerprint());
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

}  // namespace
}  // namespace jwtauth::crypto
