// Attack suite: key import. Keys an attacker (or a careless operator) can put
// into the configuration must never make forged tokens verify.

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/base64url.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/security/security_server.h"

namespace jwtauth::testing {
namespace {

using ::testing::HasSubstr;

// A StatusOr that failed with `code` whose message contains `text`.
MATCHER_P2(StatusWith, code, text, "") {
  const absl::Status& s = arg.status();
  *result_listener << "status is " << s;
  return s.code() == code && absl::StrContains(s.message(), text);
}

// Encodings of small-order Ed25519 points (identity, order 2, order 4,
// order 8, and a non-canonical y = p + 1 form of the identity).
constexpr const char* kSmallOrderHex[] = {
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
};

std::string B64u(absl::string_view hex) {
  return Base64UrlEncode(absl::HexStringToBytes(hex));
}

std::string JwkConfig(absl::string_view x_hex) {
  return absl::StrCat(R"(
providers:
  - name: p
    issuers: [https://iss.test]
    audiences: [api]
    keys:
      - kid: evil
        alg: EdDSA
        jwk: '{"kty":"OKP","crv":"Ed25519","kid":"evil","alg":"EdDSA","x":")",
                      B64u(x_hex), R"("}'
)");
}

std::string PemConfig(absl::string_view x_hex) {
  const std::string der =
      absl::HexStringToBytes(absl::StrCat("302a300506032b6570032100", x_hex));
  return absl::StrCat(R"(
providers:
  - name: p
    issuers: [https://iss.test]
    audiences: [api]
    keys:
      - kid: evil
        alg: EdDSA
        public_key: |
          -----BEGIN PUBLIC KEY-----
          )",
                      absl::Base64Escape(der), R"(
          -----END PUBLIC KEY-----
)");
}

// Small-order Ed25519 key (RFC 8032 §5.1.7 / libsodium
// blocklist): a static JWK with a small-order "x" is a config error.
TEST(KeyImportAttack, SmallOrderEd25519JwkIsAConfigError) {
  for (const char* hex : kSmallOrderHex) {
    auto s = SecurityServer::Start(JwkConfig(hex));
    EXPECT_THAT(s, StatusWith(absl::StatusCode::kInvalidArgument,
                              ("Ed25519 public key has small order")))
        << hex;
    if (s.ok()) {
      // What the hole allows: R = identity, S = 0 is a valid signature of
      // every message under the identity key.
      const std::string header =
          Base64UrlEncode(R"({"alg":"EdDSA","kid":"evil"})");
      const std::string payload = Base64UrlEncode(absl::StrCat(
          R"({"iss":"https://iss.test","aud":"api","sub":"mallory","exp":)",
          absl::ToUnixSeconds(absl::Now()) + 600, "}"));
      const std::string sig = Base64UrlEncode(
          absl::HexStringToBytes(kSmallOrderHex[0]) + std::string(32, '\0'));
      EXPECT_FALSE(
          (*s)->Verify(absl::StrCat(header, ".", payload, ".", sig)).valid());
    }
  }
}

// Small-order Ed25519 key: the same key as an SPKI PEM public_key is a config
// error.
TEST(KeyImportAttack, SmallOrderEd25519PemIsAConfigError) {
  for (const char* hex : kSmallOrderHex) {
    EXPECT_THAT(SecurityServer::Start(PemConfig(hex)),
                StatusWith(absl::StatusCode::kInvalidArgument,
                           ("Ed25519 public key has small order")))
        << hex;
  }
}

// The check is not a blanket Ed25519 refusal: an ordinary key still loads.
TEST(KeyImportAttack, OrdinaryEd25519KeyStillLoads) {
  const char* ok_hex =
      "f83666fa58b754d1917aa22312a69dda756b869e1ef3e011e2898b6b0a3b99bc";
  auto jwk = SecurityServer::Start(JwkConfig(ok_hex));
  EXPECT_TRUE(jwk.ok()) << jwk.status();
  auto pem = SecurityServer::Start(PemConfig(ok_hex));
  EXPECT_TRUE(pem.ok()) << pem.status();
}

}  // namespace
}  // namespace jwtauth::testing
