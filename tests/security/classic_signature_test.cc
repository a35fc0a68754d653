// Classic attacks on signatures and key material: ECDSA psychic signatures
// (CVE-2022-21449) and out-of-range scalars, DER where raw R||S is required,
// empty / truncated / extended signatures, algorithm confusion (a public key
// used as an HMAC secret, by token and by configuration), algorithm
// substitution on a bound key, and weak RSA keys in the configuration.
// Every case runs through SecurityServer (YAML → Application → TokenVerifier
// → AuthService on a real loopback gRPC server). Part of the
// attack suite (docs/SECURITY.md).

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/security/classic_common.h"

namespace jwtauth::testing::classic {
namespace {

// Group orders n (SEC 2), big-endian, field-size bytes.
std::string Order(Algorithm alg) {
  absl::string_view hex;
  switch (alg) {
    case Algorithm::kEs256:
      hex = "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551";
      break;
    case Algorithm::kEs384:
      hex =
          "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF"
          "581A0DB248B0A77AECEC196ACCC52973";
      break;
    default:
      hex =
          "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
          "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFA51"
          "868"
          "783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409";
  }
  return absl::HexStringToBytes(hex);
}

// DER INTEGER of a big-endian unsigned value.
std::string DerInteger(absl::string_view v) {
  size_t i = 0;
  while (i + 1 < v.size() && v[i] == 0) ++i;
  std::string body(v.substr(i));
  if (static_cast<unsigned char>(body[0]) & 0x80) body.insert(0, 1, '\0');
  return absl::StrCat(std::string(1, '\x02'),
                      std::string(1, static_cast<char>(body.size())), body);
}

// ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (short form lengths:
// enough up to P-384; P-521 needs the long form).
std::string DerEcdsa(absl::string_view raw) {
  const size_t half = raw.size() / 2;
  const std::string body =
      DerInteger(raw.substr(0, half)) + DerInteger(raw.substr(half));
  std::string len =
      body.size() < 128
          ? std::string(1, static_cast<char>(body.size()))
          : absl::StrCat(std::string(1, '\x81'),
                         std::string(1, static_cast<char>(body.size())));
  return absl::StrCat(std::string(1, '\x30'), len, body);
}

class ClassicSignatureTest : public ClassicSuite {
 protected:
  static void SetUpTestSuite() { StartServer(); }

  const ClassicKey& Ec(Algorithm alg) {
    return alg == Algorithm::kEs256   ? keys().es256
           : alg == Algorithm::kEs384 ? keys().es384
                                      : keys().es512;
  }
  // A valid token of `alg` with its raw signature's r and/or s replaced.
  v1::VerifyResponse VerifyWithRs(Algorithm alg, const std::string* r,
                                  const std::string* s) {
    const std::string t = Ec(alg).Token(GoodClaims());
    std::string sig = SignatureOf(t);
    const size_t half = sig.size() / 2;
    if (r != nullptr) sig.replace(0, half, *r);
    if (s != nullptr) sig.replace(half, half, *s);
    return Verify(WithSignature(t, sig));
  }
  v1::VerifyResponse PsychicSignature(Algorithm alg) {
    const std::string zero(Order(alg).size(), '\0');
    return VerifyWithRs(alg, &zero, &zero);
  }
};

// Control: valid ES256/384/512 tokens verify (and keep verifying after the
// attacks below, through the same cache and server).
TEST_F(ClassicSignatureTest, PositiveControlEcdsaAndOthersAccepted) {
  for (Algorithm a :
       {Algorithm::kEs256, Algorithm::kEs384, Algorithm::kEs512}) {
    EXPECT_TRUE(Accepted(Verify(Ec(a).Token(GoodClaims()))));
  }
  EXPECT_TRUE(Accepted(Verify(keys().rs.Token(GoodClaims()))));
  EXPECT_TRUE(Accepted(Verify(keys().hs.Token(GoodClaims()))));
  EXPECT_TRUE(Accepted(Verify(keys().ed.Token(GoodClaims()))));
}

// --- ECDSA scalar range (CVE-2022-21449, RFC 7518 §3.4, SEC 1 §4.1.4) ---

// CVE-2022-21449 ("psychic signatures"): r = s = 0 on P-256.
TEST_F(ClassicSignatureTest, EcdsaZeroRsEs256) {
  EXPECT_TRUE(
      Refused(PsychicSignature(Algorithm::kEs256), v1::SIGNATURE_INVALID));
}
// CVE-2022-21449: r = s = 0 on P-384.
TEST_F(ClassicSignatureTest, EcdsaZeroRsEs384) {
  EXPECT_TRUE(
      Refused(PsychicSignature(Algorithm::kEs384), v1::SIGNATURE_INVALID));
}
// CVE-2022-21449: r = s = 0 on P-521.
TEST_F(ClassicSignatureTest, EcdsaZeroRsEs512) {
  EXPECT_TRUE(
      Refused(PsychicSignature(Algorithm::kEs512), v1::SIGNATURE_INVALID));
}
// CVE-2022-21449 variant: r = s = n (≡ 0 mod n).
TEST_F(ClassicSignatureTest, EcdsaRsEqualOrderEs256) {
  const std::string n = Order(Algorithm::kEs256);
  EXPECT_TRUE(
      Refused(VerifyWithRs(Algorithm::kEs256, &n, &n), v1::SIGNATURE_INVALID));
}
// SEC 1 §4.1.4 step 1: r = n with a genuine s.
TEST_F(ClassicSignatureTest, EcdsaREqualsOrderEs256) {
  const std::string n = Order(Algorithm::kEs256);
  EXPECT_TRUE(Refused(VerifyWithRs(Algorithm::kEs256, &n, nullptr),
                      v1::SIGNATURE_INVALID));
}
// SEC 1 §4.1.4 step 1: s = n with a genuine r.
TEST_F(ClassicSignatureTest, EcdsaSEqualsOrderEs384) {
  const std::string n = Order(Algorithm::kEs384);
  EXPECT_TRUE(Refused(VerifyWithRs(Algorithm::kEs384, nullptr, &n),
                      v1::SIGNATURE_INVALID));
}
// SEC 1 §4.1.4 step 1: r > n (all-ones, the largest field-size value).
TEST_F(ClassicSignatureTest, EcdsaRAboveOrderEs512) {
  const std::string ones(Order(Algorithm::kEs512).size(), '\xff');
  EXPECT_TRUE(Refused(VerifyWithRs(Algorithm::kEs512, &ones, nullptr),
                      v1::SIGNATURE_INVALID));
}
// SEC 1 §4.1.4 step 1: s = n + 1 (≡ 1 mod n; a reducing verifier would
// treat it as s = 1).
TEST_F(ClassicSignatureTest, EcdsaSAboveOrderEs256) {
  std::string s = Order(Algorithm::kEs256);
  s.back() = static_cast<char>(s.back() + 1);
  EXPECT_TRUE(Refused(VerifyWithRs(Algorithm::kEs256, nullptr, &s),
                      v1::SIGNATURE_INVALID));
}
// RFC 7518 §3.4: JWS ECDSA signatures are raw R||S; the DER form of the very
// same (valid) signature must not verify.
TEST_F(ClassicSignatureTest, EcdsaDerEncodedSignatureEs256) {
  const std::string t = keys().es256.Token(GoodClaims());
  EXPECT_TRUE(Refused(Verify(WithSignature(t, DerEcdsa(SignatureOf(t)))),
                      v1::SIGNATURE_INVALID));
}
// RFC 7518 §3.4: DER form on P-384.
TEST_F(ClassicSignatureTest, EcdsaDerEncodedSignatureEs384) {
  const std::string t = keys().es384.Token(GoodClaims());
  EXPECT_TRUE(Refused(Verify(WithSignature(t, DerEcdsa(SignatureOf(t)))),
                      v1::SIGNATURE_INVALID));
}

// --- empty, truncated, extended signatures (RFC 7515 §5.2 step 8) ---

// RFC 7515 §7.1: an empty signature part.
TEST_F(ClassicSignatureTest, EmptySignatureHs256) {
  const std::string t = keys().hs.Token(GoodClaims());
  EXPECT_TRUE(Refused(Verify(t.substr(0, t.rfind('.') + 1)), v1::MALFORMED));
}
// RFC 7515 §7.1: an empty signature part on an asymmetric key.
TEST_F(ClassicSignatureTest, EmptySignatureEs256) {
  const std::string t = keys().es256.Token(GoodClaims());
  EXPECT_TRUE(Refused(Verify(t.substr(0, t.rfind('.') + 1)), v1::MALFORMED));
}
// A signature part that decodes to zero bytes is impossible; the shortest
// non-empty one (1 byte) must not verify a MAC by prefix comparison.
TEST_F(ClassicSignatureTest, OneByteSignatureHs256) {
  const std::string t = keys().hs.Token(GoodClaims());
  EXPECT_TRUE(Refused(Verify(WithSignature(t, SignatureOf(t).substr(0, 1))),
                      v1::SIGNATURE_INVALID));
}

v1::VerifyResponse Truncated(const ClassicKey& k, size_t keep_divisor,
                             size_t drop) {
  const std::string t = k.Token(GoodClaims());
  std::string sig = SignatureOf(t);
  sig.resize(keep_divisor > 1 ? sig.size() / keep_divisor : sig.size() - drop);
  return ClassicSuite::Verify(WithSignature(t, sig));
}

// RFC 2104 §5 / RFC 7518 §3.2: a MAC truncated by one byte must not verify.
TEST_F(ClassicSignatureTest, TruncatedOneByteHs256) {
  EXPECT_TRUE(Refused(Truncated(keys().hs, 1, 1), v1::SIGNATURE_INVALID));
}
// RFC 7518 §3.2: a half-length HMAC (HS256 truncated to 128 bits).
TEST_F(ClassicSignatureTest, TruncatedHalfHs256) {
  EXPECT_TRUE(Refused(Truncated(keys().hs, 2, 0), v1::SIGNATURE_INVALID));
}
// RFC 7518 §3.3: RSA signature one byte short.
TEST_F(ClassicSignatureTest, TruncatedOneByteRs256) {
  EXPECT_TRUE(Refused(Truncated(keys().rs, 1, 1), v1::SIGNATURE_INVALID));
}
// RFC 7518 §3.3: RSA signature of half length.
TEST_F(ClassicSignatureTest, TruncatedHalfRs256) {
  EXPECT_TRUE(Refused(Truncated(keys().rs, 2, 0), v1::SIGNATURE_INVALID));
}
// RFC 7518 §3.4: ECDSA R||S one byte short.
TEST_F(ClassicSignatureTest, TruncatedOneByteEs256) {
  EXPECT_TRUE(Refused(Truncated(keys().es256, 1, 1), v1::SIGNATURE_INVALID));
}
// RFC 8037 §3.1: Ed25519 signature one byte short.
TEST_F(ClassicSignatureTest, TruncatedOneByteEdDsa) {
  EXPECT_TRUE(Refused(Truncated(keys().ed, 1, 1), v1::SIGNATURE_INVALID));
}

v1::VerifyResponse Extended(const ClassicKey& k) {
  const std::string t = k.Token(GoodClaims());
  return ClassicSuite::Verify(
      WithSignature(t, SignatureOf(t) + std::string("\0\0", 2)));
}

// RFC 7518 §3.2: trailing bytes after a valid HMAC (a prefix comparison
// would accept).
TEST_F(ClassicSignatureTest, TrailingBytesHs256) {
  EXPECT_TRUE(Refused(Extended(keys().hs), v1::SIGNATURE_INVALID));
}
// RFC 7518 §3.3: trailing bytes after a valid RSA signature.
TEST_F(ClassicSignatureTest, TrailingBytesRs256) {
  EXPECT_TRUE(Refused(Extended(keys().rs), v1::SIGNATURE_INVALID));
}
// RFC 7518 §3.4: trailing bytes after a valid R||S.
TEST_F(ClassicSignatureTest, TrailingBytesEs256) {
  EXPECT_TRUE(Refused(Extended(keys().es256), v1::SIGNATURE_INVALID));
}
// RFC 8032 §5.1.7: trailing bytes after a valid Ed25519 signature.
TEST_F(ClassicSignatureTest, TrailingBytesEdDsa) {
  EXPECT_TRUE(Refused(Extended(keys().ed), v1::SIGNATURE_INVALID));
}
// RFC 8032 §5.1.7: S must be < L; S + L is the same scalar mod L (a
// malleability hole in verifiers that reduce S).
TEST_F(ClassicSignatureTest, EdDsaNonCanonicalSPlusL) {
  const std::string l = absl::HexStringToBytes(
      "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
  const std::string t = keys().ed.Token(GoodClaims());
  std::string sig = SignatureOf(t);
  ASSERT_EQ(sig.size(), 64u);
  unsigned carry = 0;
  for (size_t i = 0; i < 32; ++i) {  // little-endian S += L
    unsigned v = static_cast<unsigned char>(sig[32 + i]) +
                 static_cast<unsigned char>(l[i]) + carry;
    sig[32 + i] = static_cast<char>(v & 0xff);
    carry = v >> 8;
  }
  ASSERT_EQ(carry, 0u);
  EXPECT_TRUE(Refused(Verify(WithSignature(t, sig)), v1::SIGNATURE_INVALID));
}
// RFC 8032 §5.1.7: an all-zero Ed25519 signature (R = 0, S = 0).
TEST_F(ClassicSignatureTest, EdDsaZeroSignature) {
  const std::string t = keys().ed.Token(GoodClaims());
  EXPECT_TRUE(Refused(Verify(WithSignature(t, std::string(64, '\0'))),
                      v1::SIGNATURE_INVALID));
}
// RFC 7518 §3.2: an all-zero MAC of the right length.
TEST_F(ClassicSignatureTest, HmacZeroSignature) {
  const std::string t = keys().hs.Token(GoodClaims());
  EXPECT_TRUE(Refused(Verify(WithSignature(t, std::string(32, '\0'))),
                      v1::SIGNATURE_INVALID));
}
// RFC 7515 §5.2: a valid signature of another token (same key) is not a
// signature of this one.
TEST_F(ClassicSignatureTest, SignatureFromAnotherTokenHs256) {
  json other = GoodClaims();
  other["sub"] = "mallory";
  const std::string donor = keys().hs.Token(GoodClaims());
  const std::string t = keys().hs.Token(other);
  EXPECT_TRUE(Refused(Verify(WithSignature(t, SignatureOf(donor))),
                      v1::SIGNATURE_INVALID));
}

// --- algorithm confusion (RFC 8725 §2.1, §3.1; CVE-2016-10555, CVE-2022-29217)
// ---

// CVE-2016-10555: HS256 token MAC'd with the RSA public key's PEM text, kid
// of the RS256 key. The key serves RS256 only.
TEST_F(ClassicSignatureTest, AlgConfusionHs256WithRsaPemAsSecret) {
  const std::string header = R"({"alg":"HS256","kid":"rs"})";
  EXPECT_TRUE(Refused(
      Verify(HmacToken(keys().rs.public_pem, header, GoodClaims().dump())),
      v1::UNSUPPORTED_ALGORITHM));
}
// CVE-2016-10555: the same with the public key's DER bytes as the secret.
TEST_F(ClassicSignatureTest, AlgConfusionHs256WithRsaDerAsSecret) {
  const std::string header = R"({"alg":"HS256","kid":"rs"})";
  EXPECT_TRUE(Refused(Verify(HmacToken(PemToDer(keys().rs.public_pem), header,
                                       GoodClaims().dump())),
                      v1::UNSUPPORTED_ALGORITHM));
}
// CVE-2016-10555 without kid: only HMAC secrets are tried for HS256, and the
// public key's PEM is not one of them.
TEST_F(ClassicSignatureTest, AlgConfusionHs256WithRsaPemNoKid) {
  EXPECT_TRUE(
      Refused(Verify(HmacToken(keys().rs.public_pem, R"({"alg":"HS256"})",
                               GoodClaims().dump())),
              v1::SIGNATURE_INVALID));
}
// CVE-2016-10555 on EC: HS256 MAC'd with the ES256 public key PEM.
TEST_F(ClassicSignatureTest, AlgConfusionHs256WithEcPemAsSecret) {
  const std::string header = R"({"alg":"HS256","kid":"es256"})";
  EXPECT_TRUE(Refused(
      Verify(HmacToken(keys().es256.public_pem, header, GoodClaims().dump())),
      v1::UNSUPPORTED_ALGORITHM));
}
// RFC 8725 §3.1: an RS256 token (attacker's key) naming the HMAC key's kid.
TEST_F(ClassicSignatureTest, AlgConfusionRs256OnHmacKid) {
  static const ClassicKey attacker = MakeAsymmetricKey(Algorithm::kRs256, "hs");
  EXPECT_TRUE(
      Refused(Verify(attacker.Token(GoodClaims())), v1::UNSUPPORTED_ALGORITHM));
}
// RFC 8725 §3.1: PS256 signed with the real RS256 private key — valid RSA
// maths, but the configured key is bound to RS256.
TEST_F(ClassicSignatureTest, AlgSubstitutionPs256OnRs256Key) {
  auto signer = crypto::NewSigner(Algorithm::kPs256, *keys().rs.private_key);
  ASSERT_TRUE(signer.ok()) << signer.status();
  EXPECT_TRUE(Refused(Verify(Sign(**signer, {{"alg", "PS256"}, {"kid", "rs"}},
                                  GoodClaims().dump())),
                      v1::UNSUPPORTED_ALGORITHM));
}
// RFC 7518 §3.4: ES384 header on the P-256 key (curve/alg mismatch).
TEST_F(ClassicSignatureTest, AlgSubstitutionEs384OnP256Kid) {
  json header = {{"alg", "ES384"}, {"kid", "es256"}};
  EXPECT_TRUE(
      Refused(Verify(Sign(*keys().es384.signer, header, GoodClaims().dump())),
              v1::UNSUPPORTED_ALGORITHM));
}

}  // namespace
}  // namespace jwtauth::testing::classic
