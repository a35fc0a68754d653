#ifndef JWTAUTH_TESTS_SECURITY_CLASSIC_COMMON_H_
#define JWTAUTH_TESTS_SECURITY_CLASSIC_COMMON_H_

// Shared pieces of the classic attack suite (classic_*_test.cc): one
// provider "p" with a key of every family, the files and YAML that configure
// it, token minting helpers and outcome matchers. Every case still runs
// through SecurityServer (YAML → Application → TokenVerifier → AuthService on
// a real loopback gRPC server).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/algorithm.h"
#include "core/base64url.h"
#include "core/crypto/key_material.h"
#include "core/crypto/signature_verifier.h"
#include "gtest/gtest.h"
#include "jwtauth/v1/auth.pb.h"
#include "nlohmann/json.hpp"
#include "tests/security/security_server.h"
#include "tests/testutil/test_keys.h"

namespace jwtauth::testing::classic {

using json = nlohmann::json;

inline constexpr char kIss[] = "https://iss.test";
inline constexpr char kAud[] = "api";
// 43 bytes: above the 32-byte floor.
inline constexpr char kHsSecret[] =
    "classic-attack-suite-hmac-secret-0123456789";

inline int64_t NowSeconds() { return absl::ToUnixSeconds(absl::Now()); }

// Claims a provider "p" accepts.
inline json GoodClaims() {
  const int64_t now = NowSeconds();
  return json{{"iss", kIss},
              {"aud", kAud},
              {"sub", "alice"},
              {"iat", now},
              {"exp", now + 600}};
}

// HMAC-SHA256 (RFC 2104) over the project's SHA-256, for any key, including
// ones KeyMaterial refuses (empty, public-key text): the attacker's tool.
inline std::string HmacSha256(absl::string_view key, absl::string_view msg) {
  std::string k(key);
  if (k.size() > 64) k = crypto::Sha256(k);
  k.resize(64, '\0');
  std::string ipad(64, '\0'), opad(64, '\0');
  for (size_t i = 0; i < 64; ++i) {
    ipad[i] = static_cast<char>(k[i] ^ 0x36);
    opad[i] = static_cast<char>(k[i] ^ 0x5c);
  }
  return crypto::Sha256(opad + crypto::Sha256(ipad + std::string(msg)));
}

inline std::string B64(absl::string_view s) { return Base64UrlEncode(s); }

// header.payload.signature with every part given as raw bytes.
inline std::string Compact(absl::string_view header, absl::string_view payload,
                           absl::string_view signature) {
  return absl::StrCat(B64(header), ".", B64(payload), ".", B64(signature));
}

// An HS256 token signed with `key` (any bytes) over the exact header text.
inline std::string HmacToken(absl::string_view key, absl::string_view header,
                             absl::string_view payload) {
  const std::string input = absl::StrCat(B64(header), ".", B64(payload));
  return absl::StrCat(input, ".", B64(HmacSha256(key, input)));
}

inline std::string Sign(const crypto::Signer& signer, const json& header,
                        absl::string_view payload) {
  return testutil::SignJwsWithHeader(signer, header.dump(), payload);
}

// The decoded signature of a compact token.
inline std::string SignatureOf(absl::string_view token) {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  return Base64UrlDecode(parts.back()).value_or("");
}

// `token` with its signature part replaced by B64(sig).
inline std::string WithSignature(absl::string_view token,
                                 absl::string_view sig) {
  return absl::StrCat(token.substr(0, token.rfind('.') + 1), B64(sig));
}

// DER bytes of a PEM block (the body, standard base64).
inline std::string PemToDer(absl::string_view pem) {
  std::string body;
  for (absl::string_view line : absl::StrSplit(pem, '\n')) {
    if (line.empty() || absl::StartsWith(line, "-----")) continue;
    absl::StrAppend(&body, line);
  }
  std::string der;
  absl::Base64Unescape(body, &der);
  return der;
}

// One configured verification key plus what signs for it.
struct ClassicKey {
  Algorithm alg;
  std::string kid;
  std::shared_ptr<const crypto::Signer> signer;
  std::string public_pem;                          // SPKI PEM ("" for HS*)
  std::optional<crypto::KeyMaterial> private_key;  // unset for HS*
  json Header() const {
    return json{{"alg", std::string(AlgorithmName(alg))}, {"kid", kid}};
  }
  std::string Token(const json& claims) const {
    return Sign(*signer, Header(), claims.dump());
  }
};

inline ClassicKey MakeAsymmetricKey(Algorithm alg, absl::string_view kid) {
  testutil::TestKey k = testutil::GenerateTestKey(alg, kid);
  absl::StatusOr<std::string> pem = k.private_key.PublicPem();
  return ClassicKey{alg, std::string(kid), k.signer, pem.value_or(""),
                    k.private_key};
}

inline ClassicKey MakeHmacKey(absl::string_view secret, absl::string_view kid) {
  absl::StatusOr<crypto::KeyMaterial> m =
      crypto::KeyMaterial::FromSecret(secret);
  absl::StatusOr<std::unique_ptr<const crypto::Signer>> s =
      m.ok()
          ? crypto::NewSigner(Algorithm::kHs256, *m)
          : absl::StatusOr<std::unique_ptr<const crypto::Signer>>(m.status());
  return ClassicKey{
      Algorithm::kHs256, std::string(kid),
      s.ok() ? std::shared_ptr<const crypto::Signer>(*std::move(s)) : nullptr,
      "", std::nullopt};
}

// The standard key set: kids hs (HS256), rs (RS256), es256, es384, es512,
// ed (EdDSA). Generated once per process.
struct KeySetFixture {
  ClassicKey hs, rs, es256, es384, es512, ed;

  static const KeySetFixture& Get() {
    static const KeySetFixture* k =
        new KeySetFixture{MakeHmacKey(kHsSecret, "hs"),
                          MakeAsymmetricKey(Algorithm::kRs256, "rs"),
                          MakeAsymmetricKey(Algorithm::kEs256, "es256"),
                          MakeAsymmetricKey(Algorithm::kEs384, "es384"),
                          MakeAsymmetricKey(Algorithm::kEs512, "es512"),
                          MakeAsymmetricKey(Algorithm::kEdDsa, "ed")};
    return *k;
  }

  std::map<std::string, std::string> Files() const {
    return {{"hs.txt", kHsSecret},           {"rs.pem", rs.public_pem},
            {"es256.pem", es256.public_pem}, {"es384.pem", es384.public_pem},
            {"es512.pem", es512.public_pem}, {"ed.pem", ed.public_pem}};
  }

  // Provider "p" with all six keys; `extra` is appended verbatim (e.g. a
  // limits: section).
  static std::string Yaml(absl::string_view extra = "") {
    return absl::StrCat(R"(
providers:
  - name: p
    issuers: ["https://iss.test"]
    audiences: [api]
    keys:
      - {kid: hs, alg: HS256, secret_file: "{dir}/hs.txt"}
      - {kid: rs, alg: RS256, public_key_file: "{dir}/rs.pem"}
      - {kid: es256, alg: ES256, public_key_file: "{dir}/es256.pem"}
      - {kid: es384, alg: ES384, public_key_file: "{dir}/es384.pem"}
      - {kid: es512, alg: ES512, public_key_file: "{dir}/es512.pem"}
      - {kid: ed, alg: EdDSA, public_key_file: "{dir}/ed.pem"}
)",
                        extra);
  }
};

inline std::string ReasonName(v1::FailureReason r) {
  return v1::FailureReason_Name(r);
}

// valid=false with exactly `want`.
inline ::testing::AssertionResult Refused(const v1::VerifyResponse& r,
                                          v1::FailureReason want) {
  if (r.valid()) {
    return ::testing::AssertionFailure()
           << "token was ACCEPTED (valid=true, kid " << r.kid()
           << "); want refusal with " << ReasonName(want);
  }
  if (r.reason() != want) {
    return ::testing::AssertionFailure()
           << "refused with " << ReasonName(r.reason()) << " (" << r.detail()
           << "); want " << ReasonName(want);
  }
  return ::testing::AssertionSuccess();
}

inline ::testing::AssertionResult Accepted(const v1::VerifyResponse& r) {
  if (!r.valid()) {
    return ::testing::AssertionFailure()
           << "refused with " << ReasonName(r.reason()) << " (" << r.detail()
           << "); want valid=true";
  }
  return ::testing::AssertionSuccess();
}

// Base class: one SecurityServer with the standard key set per test suite.
class ClassicSuite : public ::testing::Test {
 public:
  static const KeySetFixture& keys() { return KeySetFixture::Get(); }
  static v1::VerifyResponse Verify(absl::string_view token) {
    return server_->Verify(token);
  }

 protected:
  static void StartServer(absl::string_view extra_yaml = "") {
    const KeySetFixture& k = KeySetFixture::Get();
    auto s = SecurityServer::Start(KeySetFixture::Yaml(extra_yaml), k.Files());
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(s).value();
  }
  static void TearDownTestSuite() { server_.reset(); }

  static inline std::unique_ptr<SecurityServer> server_;
};

}  // namespace jwtauth::testing::classic

#endif  // JWTAUTH_TESTS_SECURITY_CLASSIC_COMMON_H_
