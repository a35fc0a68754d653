// Classic key-material misconfigurations an attacker profits from, refused
// when the configuration loads: public keys (PEM, DER, JWK, SSH text) used
// as HMAC secrets (alg confusion by configuration, CVE-2022-29217 family),
// RSA keys below 2048 bits and RSA exponent 1. Each case starts the
// production wiring (SecurityServer: YAML → Application) and asserts the
// start is refused with an error naming the entry and not echoing the
// secret; a control shows the same config shape starts with a real secret.
// Part of the attack suite (docs/SECURITY.md).

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/security/classic_common.h"

namespace jwtauth::testing::classic {
namespace {

constexpr char kSecretProvider[] = R"(
providers:
  - name: p
    issuers: ["https://iss.test"]
    audiences: [api]
    keys:
      - {kid: hs, alg: HS256, secret_file: "{dir}/secret.txt"}
)";

// Starts with `secret` as the HMAC secret file; returns the start status.
absl::Status StartWithSecret(absl::string_view secret) {
  auto s = SecurityServer::Start(kSecretProvider,
                                 {{"secret.txt", std::string(secret)}});
  return s.status();
}

// The refusal names the entry and never quotes the secret.
::testing::AssertionResult RefusedAsKeyText(const absl::Status& s,
                                            absl::string_view secret) {
  if (s.ok()) {
    return ::testing::AssertionFailure()
           << "config with a public key as HMAC secret was ACCEPTED";
  }
  if (!absl::StrContains(s.message(), "providers[0].keys[0]")) {
    return ::testing::AssertionFailure()
           << "error does not name the entry: " << s.message();
  }
  const std::string probe(secret.substr(secret.size() / 2, 16));
  if (absl::StrContains(s.message(), probe)) {
    return ::testing::AssertionFailure()
           << "error echoes the secret: " << s.message();
  }
  return ::testing::AssertionSuccess();
}

const ClassicKey& Rsa() { return KeySetFixture::Get().rs; }

// Control: a real random secret of the same size class loads and verifies.
TEST(ClassicKeyConfigTest, PositiveControlRealSecretLoads) {
  auto s = SecurityServer::Start(kSecretProvider, {{"secret.txt", kHsSecret}});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(
      Accepted((*s)->Verify(KeySetFixture::Get().hs.Token(GoodClaims()))));
}

// CVE-2016-10555 / CVE-2022-29217 by configuration: an SPKI PEM public key
// as an HMAC secret would let anyone holding the public key sign tokens.
TEST(ClassicKeyConfigTest, SecretFileHoldsPemPublicKey) {
  EXPECT_TRUE(
      RefusedAsKeyText(StartWithSecret(Rsa().public_pem), Rsa().public_pem));
}
// The same with an EC public key PEM.
TEST(ClassicKeyConfigTest, SecretFileHoldsEcPemPublicKey) {
  const std::string& pem = KeySetFixture::Get().es256.public_pem;
  EXPECT_TRUE(RefusedAsKeyText(StartWithSecret(pem), pem));
}
// CVE-2016-10555 by configuration: the public key as raw DER bytes.
TEST(ClassicKeyConfigTest, SecretFileHoldsDerPublicKey) {
  const std::string der = PemToDer(Rsa().public_pem);
  ASSERT_GT(der.size(), 200u);
  EXPECT_TRUE(RefusedAsKeyText(StartWithSecret(der), der));
}
// The same with an EC P-256 public key as DER (91 bytes).
TEST(ClassicKeyConfigTest, SecretFileHoldsEcDerPublicKey) {
  const std::string der = PemToDer(KeySetFixture::Get().es256.public_pem);
  EXPECT_TRUE(RefusedAsKeyText(StartWithSecret(der), der));
}
// The same with a DER public key whose last byte is LF: secret files lose
// their trailing CR/LF, which must not hide the key (found as a flake: about
// 1 run in 128 drew such a key above).
TEST(ClassicKeyConfigTest, SecretFileHoldsDerPublicKeyEndingInNewline) {
  std::string der;
  for (int i = 0; i < 4096 && (der.empty() || der.back() != '\n'); ++i) {
    auto km = crypto::KeyMaterial::Generate(Algorithm::kEs256);
    ASSERT_TRUE(km.ok()) << km.status();
    auto pem = km->PublicPem();
    ASSERT_TRUE(pem.ok()) << pem.status();
    der = PemToDer(*pem);
  }
  ASSERT_EQ(der.back(), '\n') << "no P-256 key ending in LF in 4096 draws";
  EXPECT_TRUE(RefusedAsKeyText(StartWithSecret(der), der));
}
// The same with a PKCS#1 RSAPublicKey DER of a small (512-bit) modulus:
// weak keys are key material too, whatever their strength.
TEST(ClassicKeyConfigTest, SecretFileHoldsSmallRsaPkcs1Der) {
  std::string n = crypto::RandomBytes(64);
  n.front() = static_cast<char>(n.front() | 0x80);
  n.back() = static_cast<char>(n.back() | 0x01);
  // SEQUENCE { INTEGER n, INTEGER 65537 }
  const std::string der =
      absl::StrCat(std::string("\x30\x48\x02\x41\x00", 5), n,
                   std::string("\x02\x03\x01\x00\x01", 5));
  EXPECT_TRUE(RefusedAsKeyText(StartWithSecret(der), der));
}
// CVE-2016-10555 by configuration: the public key as JWK JSON text.
TEST(ClassicKeyConfigTest, SecretFileHoldsJwkJson) {
  auto jwk =
      testutil::GenerateTestKey(Algorithm::kRs256, "k").key.ToPublicJwk();
  ASSERT_TRUE(jwk.ok()) << jwk.status();
  const std::string text = jwk->dump();
  EXPECT_TRUE(RefusedAsKeyText(StartWithSecret(text), text));
}
// The same with a whole JWKS document as the secret.
TEST(ClassicKeyConfigTest, SecretFileHoldsJwksJson) {
  auto jwk =
      testutil::GenerateTestKey(Algorithm::kEs256, "k").key.ToPublicJwk();
  ASSERT_TRUE(jwk.ok()) << jwk.status();
  const std::string text = json{{"keys", {*jwk}}}.dump(2);
  EXPECT_TRUE(RefusedAsKeyText(StartWithSecret(text), text));
}
// OpenSSH public key text (authorized_keys line) as a secret.
TEST(ClassicKeyConfigTest, SecretFileHoldsSshRsaKey) {
  const std::string text =
      "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7vbqajDhA1dqaHypOpRLrPm0yKLlmZ3 "
      "alice@example\n";
  EXPECT_TRUE(RefusedAsKeyText(StartWithSecret(text), text));
}
// OpenSSH Ed25519 public key text as a secret.
TEST(ClassicKeyConfigTest, SecretFileHoldsSshEd25519Key) {
  const std::string text =
      "ssh-ed25519 "
      "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl "
      "alice@example\n";
  EXPECT_TRUE(RefusedAsKeyText(StartWithSecret(text), text));
}
// The own signing secret goes through the same check (a public key as the
// HS signing secret would let relying parties' key holders mint tokens).
TEST(ClassicKeyConfigTest, SigningSecretHoldsPemPublicKey) {
  auto s = SecurityServer::Start(
      absl::StrCat(R"(
signing: {alg: HS256, kid: own, secret_file: "{dir}/own.txt", issuer: "https://own.test"}
)",
                   kSecretProvider),
      {{"own.txt", Rsa().public_pem}, {"secret.txt", kHsSecret}});
  ASSERT_FALSE(s.ok()) << "PEM public key accepted as the signing secret";
  EXPECT_TRUE(absl::StrContains(s.status().message(), "signing"))
      << s.status().message();
}

// A JWK file with RSA modulus `n` and exponent `e` (raw bytes).
absl::Status StartWithRsaJwk(absl::string_view n, absl::string_view e) {
  const std::string jwk = json{
      {"kty", "RSA"},
      {"kid", "weak"},
      {"alg", "RS256"},
      {"n", B64(n)},
      {"e", B64(e)}}.dump();
  auto s = SecurityServer::Start(R"(
providers:
  - name: p
    issuers: ["https://iss.test"]
    audiences: [api]
    keys:
      - {jwk_file: "{dir}/weak.json"}
)",
                                 {{"weak.json", jwk}});
  return s.status();
}

std::string RealModulus() {
  auto c = KeySetFixture::Get().rs.private_key->RsaPublic();
  return c.ok() ? c->n : "";
}

// RFC 7518 §3.3 ("2048 bits or larger MUST"): RSA below 2048 bits
// (limits.min_rsa_bits default) is refused at load.
TEST(ClassicKeyConfigTest, Rsa1024BitKeyRefused) {
  std::string n = crypto::RandomBytes(128);
  n.front() = static_cast<char>(n.front() | 0x80);
  n.back() = static_cast<char>(n.back() | 0x01);
  absl::Status s = StartWithRsaJwk(n, std::string("\x01\x00\x01", 3));
  ASSERT_FALSE(s.ok()) << "1024-bit RSA key accepted";
  EXPECT_TRUE(absl::StrContains(s.message(), "too small")) << s.message();
}
// Control for the two RSA cases: the real 2048-bit modulus with e = 65537
// loads through the same JWK path.
TEST(ClassicKeyConfigTest, Rsa2048BitJwkLoads) {
  EXPECT_TRUE(
      StartWithRsaJwk(RealModulus(), std::string("\x01\x00\x01", 3)).ok());
}
// RFC 8017 §3.1: e = 1 makes "signature" = message; any token forges.
TEST(ClassicKeyConfigTest, RsaExponentOneRefused) {
  absl::Status s = StartWithRsaJwk(RealModulus(), std::string("\x01", 1));
  ASSERT_FALSE(s.ok()) << "RSA e = 1 accepted";
  EXPECT_TRUE(absl::StrContains(s.message(), "exponent")) << s.message();
}
// RFC 8017 §3.1: an even exponent is not a valid RSA public key.
TEST(ClassicKeyConfigTest, RsaEvenExponentRefused) {
  absl::Status s =
      StartWithRsaJwk(RealModulus(), std::string("\x01\x00\x00", 3));
  ASSERT_FALSE(s.ok()) << "RSA even exponent accepted";
  EXPECT_TRUE(absl::StrContains(s.message(), "exponent")) << s.message();
}

}  // namespace
}  // namespace jwtauth::testing::classic
