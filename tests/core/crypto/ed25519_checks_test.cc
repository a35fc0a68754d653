// Ed25519 public key checks (core/crypto/ed25519_checks.h) and their use by
// every KeyMaterial import path (small-order keys).

#include "core/crypto/ed25519_checks.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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

using ::jwtauth::testutil::DerToPem;
using ::jwtauth::testutil::ExpectCleanFailure;
using ::jwtauth::testutil::Hex;
using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::StatusIs;
using ::testing::HasSubstr;

// A failed status with `code` whose message contains `text`.
MATCHER_P2(StatusWith, code, text, "") {
  const absl::Status& s = ::jwtauth::testutil::internal::GetStatus(arg);
  *result_listener << "status is " << s;
  return s.code() == code && absl::StrContains(s.message(), text);
}

namespace fixed = ::jwtauth::testutil::fixed;

// Every encoding of a point of order 1, 2, 4 or 8: the canonical ones with
// both sign bits (x = 0 with the sign bit set is itself non-canonical), and
// y + p for the y values below 19 (y = 0 and y = 1).
const std::vector<std::string>& SmallOrderEncodingsHex() {
  static const auto* v = new std::vector<std::string>{
      // order 1: the identity (0, 1)
      "0100000000000000000000000000000000000000000000000000000000000000",
      "0100000000000000000000000000000000000000000000000000000000000080",
      // order 2: (0, -1)
      "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
      // order 4: (±sqrt(-1), 0)
      "0000000000000000000000000000000000000000000000000000000000000000",
      "0000000000000000000000000000000000000000000000000000000000000080",
      // order 8
      "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
      "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
      "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
      "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
      // non-canonical: y = p (≡ 0) and y = p + 1 (≡ 1), both sign bits
      "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
      "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
  };
  return *v;
}

// SubjectPublicKeyInfo for Ed25519 (RFC 8410): fixed 12-byte prefix + key.
std::string Ed25519Spki(const std::string& raw) {
  return Hex("302a300506032b6570032100") + raw;
}

// A self-made X.509 certificate (PEM) whose subject key is the raw Ed25519
// public key `raw`, signed by a fresh key: FromPem reads the subject key of
// a configured certificate without judging the signature.
std::string Ed25519CertificatePem(const std::string& raw) {
  EVP_PKEY* subject = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr,
      reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  EVP_PKEY* signer = nullptr;
  EVP_PKEY_CTX* gen = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
  if (gen == nullptr || EVP_PKEY_keygen_init(gen) != 1 ||
      EVP_PKEY_keygen(gen, &signer) != 1) {
    signer = nullptr;
  }
  EVP_PKEY_CTX_free(gen);
  X509* cert = X509_new();
  std::string pem;
  if (subject != nullptr && signer != nullptr && cert != nullptr) {
    X509_set_version(cert, X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(
        name, "CN", MBSTRING_ASC,
        reinterpret_cast<const unsigned char*>("small-order"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    unsigned char* der = nullptr;
    if (X509_set_pubkey(cert, subject) == 1 &&
        X509_sign(cert, signer, nullptr) > 0) {
      const int len = i2d_X509(cert, &der);
      if (len > 0) {
        pem = DerToPem(std::string(reinterpret_cast<const char*>(der),
                                   static_cast<size_t>(len)),
                       "CERTIFICATE");
      }
    }
    OPENSSL_free(der);
  }
  X509_free(cert);
  EVP_PKEY_free(signer);
  EVP_PKEY_free(subject);
  return pem;
}

// The eight points themselves (canonical encodings): with S = 0, a
// signature verifies under public key A iff R = -[k]A, which for a small-order
// A is one of these eight.
const std::vector<std::string>& CanonicalSmallOrderHex() {
  static const auto* v = new std::vector<std::string>{
      SmallOrderEncodingsHex()[0], SmallOrderEncodingsHex()[2],
      SmallOrderEncodingsHex()[4], SmallOrderEncodingsHex()[5],
      SmallOrderEncodingsHex()[6], SmallOrderEncodingsHex()[7],
      SmallOrderEncodingsHex()[8], SmallOrderEncodingsHex()[9]};
  return *v;
}

// OpenSSL's own Ed25519 verify, bypassing KeyMaterial (and so the check).
bool RawOpensslVerify(const std::string& pub, const std::string& msg,
                      const std::string& sig) {
  EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr,
      reinterpret_cast<const unsigned char*>(pub.data()), pub.size());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok =
      pkey != nullptr && ctx != nullptr &&
      EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, pkey) == 1 &&
      EVP_DigestVerify(
          ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
          reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  ERR_clear_error();
  return ok;
}

// Independent evidence that the list is right (not just copied): under
// every canonical entry A, OpenSSL's own verifier accepts S = 0 with R one of
// the eight points for some of a few messages (R = -[k]A must hold, and k
// depends on R, so a given (R, message) works with probability 1/order(A));
// under an ordinary key no such signature ever verifies.
TEST(Ed25519ChecksTest, EveryCanonicalEntryAdmitsAForgeryInPlainOpenssl) {
  const std::string zero_s(32, '\0');
  constexpr int kMessages = 64;
  for (const std::string& a_hex : CanonicalSmallOrderHex()) {
    EXPECT_TRUE(internal::IsSmallOrderEd25519(Hex(a_hex))) << a_hex;
    int forgeries = 0;
    for (int m = 0; m < kMessages && forgeries == 0; ++m) {
      for (const std::string& r_hex : CanonicalSmallOrderHex()) {
        forgeries += RawOpensslVerify(Hex(a_hex), absl::StrCat("message ", m),
                                      Hex(r_hex) + zero_s);
      }
    }
    EXPECT_GE(forgeries, 1) << a_hex;
  }
  for (int m = 0; m < kMessages; ++m) {
    for (const std::string& r_hex : CanonicalSmallOrderHex()) {
      EXPECT_FALSE(RawOpensslVerify(Hex(fixed::kEd25519PublicHex),
                                    absl::StrCat("message ", m),
                                    Hex(r_hex) + zero_s));
    }
  }
}

TEST(Ed25519ChecksTest, EveryEncodingOfEverySmallOrderPointIsFlagged) {
  for (const std::string& hex : SmallOrderEncodingsHex()) {
    EXPECT_TRUE(internal::IsSmallOrderEd25519(Hex(hex))) << hex;
    EXPECT_THAT(internal::CheckEd25519PublicKey(Hex(hex)),
                StatusWith(absl::StatusCode::kInvalidArgument,
                           "Ed25519 public key has small order"));
  }
}

TEST(Ed25519ChecksTest, NeighboursAndOrdinaryKeysAreNotFlagged) {
  for (const char* hex : {
           // y = 2, y = p - 2: next to blocked values
           "0200000000000000000000000000000000000000000000000000000000000000",
           "ebffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
           // the base point B
           "5866666666666666666666666666666666666666666666666666666666666666",
           // order-8 y with one bit changed
           "27e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
       }) {
    EXPECT_FALSE(internal::IsSmallOrderEd25519(Hex(hex))) << hex;
    EXPECT_FALSE(internal::IsNonCanonicalEd25519(Hex(hex))) << hex;
    EXPECT_THAT(internal::CheckEd25519PublicKey(Hex(hex)), IsOk()) << hex;
  }
  EXPECT_THAT(internal::CheckEd25519PublicKey(Hex(fixed::kEd25519PublicHex)),
              IsOk());
  std::mt19937 rng(20261205);
  for (int i = 0; i < 1000; ++i) {
    std::string key(32, '\0');
    for (char& c : key) c = static_cast<char>(rng());
    key[31] &= 0x7f;
    key[30] = static_cast<char>(key[30] & 0x7f);  // y < 2^247 < p
    EXPECT_FALSE(internal::IsSmallOrderEd25519(key))
        << absl::BytesToHexString(key);
    EXPECT_FALSE(internal::IsNonCanonicalEd25519(key));
  }
}

TEST(Ed25519ChecksTest, CanonicalBoundaryIsP) {
  std::string y(32, '\xff');
  y[31] = '\x7f';
  y[0] = '\xec';  // p - 1
  EXPECT_FALSE(internal::IsNonCanonicalEd25519(y));
  y[0] = '\xed';  // p
  EXPECT_TRUE(internal::IsNonCanonicalEd25519(y));
  y[0] = '\xff';  // 2^255 - 1
  EXPECT_TRUE(internal::IsNonCanonicalEd25519(y));
  y[30] = '\xfe';  // below p again
  EXPECT_FALSE(internal::IsNonCanonicalEd25519(y));
}

TEST(Ed25519ChecksTest, WrongLengthIsNotAKey) {
  EXPECT_FALSE(internal::IsSmallOrderEd25519(std::string(31, '\0')));
  EXPECT_FALSE(internal::IsSmallOrderEd25519(std::string(33, '\0')));
  EXPECT_THAT(internal::CheckEd25519PublicKey(std::string(31, '\0')),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

class SmallOrderImportTest : public testing::TestWithParam<std::string> {};

TEST_P(SmallOrderImportTest, JwkComponentsAreRefused) {
  OkpComponents c;
  c.curve = Curve::kEd25519;
  c.x = Hex(GetParam());
  auto km = KeyMaterial::FromOkp(c);
  EXPECT_THAT(km, StatusWith(absl::StatusCode::kInvalidArgument,
                             "Ed25519 public key has small order"));
  ExpectCleanFailure(km.status());
}

TEST_P(SmallOrderImportTest, SpkiPemIsRefused) {
  auto km = KeyMaterial::FromPem(DerToPem(Ed25519Spki(Hex(GetParam()))));
  EXPECT_THAT(km, StatusWith(absl::StatusCode::kInvalidArgument,
                             "Ed25519 public key has small order"));
  ExpectCleanFailure(km.status());
}

TEST_P(SmallOrderImportTest, CertificatePemIsRefused) {
  const std::string pem = Ed25519CertificatePem(Hex(GetParam()));
  ASSERT_FALSE(pem.empty()) << "could not build the test certificate";
  auto km = KeyMaterial::FromPem(pem);
  EXPECT_THAT(km, StatusWith(absl::StatusCode::kInvalidArgument,
                             "Ed25519 public key has small order"));
  ExpectCleanFailure(km.status());
}

INSTANTIATE_TEST_SUITE_P(AllEncodings, SmallOrderImportTest,
                         testing::ValuesIn(SmallOrderEncodingsHex()));

// The forgery the check prevents: with the identity as public key, R = the
// identity and S = 0 satisfy [S]B = R + [k]A for every message.
TEST(SmallOrderImportTest, IdentityKeyWouldAcceptAForgeryForAnyMessage) {
  const std::string identity = Hex(SmallOrderEncodingsHex()[0]);
  OkpComponents c;
  c.curve = Curve::kEd25519;
  c.x = identity;
  auto km = KeyMaterial::FromOkp(c);
  if (km.ok()) {
    auto v = NewSignatureVerifier(Algorithm::kEdDsa, *km);
    ASSERT_THAT(v, IsOk());
    const std::string forged = identity + std::string(32, '\0');
    EXPECT_FALSE((*v)->Verify("any message", forged))
        << "a small-order key was imported and verifies a forged signature";
  }
  EXPECT_FALSE(km.ok());
}

TEST(Ed25519ImportTest, NonCanonicalYIsRefused) {
  // y = p + 2 .. 2^255 - 1 (≡ 2 .. 18): not a valid encoding (RFC 8032
  // §5.1.3), whatever point it would reduce to.
  for (int low = 0xef; low <= 0xff; ++low) {
    for (char sign : {'\x7f', '\xff'}) {
      std::string x(32, '\xff');
      x[0] = static_cast<char>(low);
      x[31] = sign;
      OkpComponents c;
      c.curve = Curve::kEd25519;
      c.x = x;
      auto km = KeyMaterial::FromOkp(c);
      EXPECT_THAT(km,
                  StatusWith(absl::StatusCode::kInvalidArgument,
                             "Ed25519 public key is not canonically encoded"))
          << low;
      ExpectCleanFailure(km.status());
      EXPECT_THAT(KeyMaterial::FromPem(DerToPem(Ed25519Spki(x))),
                  StatusWith(absl::StatusCode::kInvalidArgument,
                             "Ed25519 public key is not canonically encoded"));
    }
  }
}

TEST(Ed25519ImportTest, OrdinaryKeysStillImportInEveryForm) {
  OkpComponents c;
  c.curve = Curve::kEd25519;
  c.x = Hex(fixed::kEd25519PublicHex);
  EXPECT_THAT(KeyMaterial::FromOkp(c), IsOk());
  EXPECT_THAT(KeyMaterial::FromPem(DerToPem(Ed25519Spki(c.x))), IsOk());
  EXPECT_THAT(KeyMaterial::FromPem(fixed::kEd25519Pkcs8), IsOk());
  c.d = Hex(fixed::kEd25519PrivateHex);
  EXPECT_THAT(KeyMaterial::FromOkp(c), IsOk());
  EXPECT_THAT(KeyMaterial::Generate(Algorithm::kEdDsa), IsOk());
}

}  // namespace
}  // namespace jwtauth::crypto
