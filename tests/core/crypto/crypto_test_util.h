#ifndef JWTAUTH_TESTS_CORE_CRYPTO_CRYPTO_TEST_UTIL_H_
#define JWTAUTH_TESTS_CORE_CRYPTO_CRYPTO_TEST_UTIL_H_

// Helpers for the core/crypto tests: hex/base64 decoding, a per-process cache
// of generated keys (RSA generation is slow), and a check that a failed call
// left neither OpenSSL text in its Status nor entries in the error queue.
// Test-only; not thread-safe (gtest runs tests on one thread).

#include <openssl/err.h>

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "core/algorithm.h"
#include "core/crypto/key_material.h"
#include "core/crypto/signature_verifier.h"
#include "gtest/gtest.h"
#include "tests/core/crypto/fixed_keys.h"

namespace jwtauth::testutil {

inline std::string Hex(absl::string_view hex) {
  return absl::HexStringToBytes(hex);
}

inline std::string Base64UrlDecodeOrDie(absl::string_view in) {
  std::string out;
  EXPECT_TRUE(absl::WebSafeBase64Unescape(in, &out)) << in;
  return out;
}

// The DER inside a single-block PEM text.
// The fixed RSA key of fixed_keys.h as private JWK components (with CRT).
inline crypto::RsaComponents FixedRsaPrivate() {
  crypto::RsaComponents c;
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

// The fixed P-256 key of fixed_keys.h as public JWK components.
inline crypto::EcComponents FixedEc() {
  crypto::EcComponents c;
  c.curve = Curve::kP256;
  c.x = Hex(fixed::kEcXHex);
  c.y = Hex(fixed::kEcYHex);
  return c;
}

inline std::string PemToDer(absl::string_view pem) {
  std::string body;
  bool inside = false;
  for (absl::string_view line : absl::StrSplit(pem, '\n')) {
    if (absl::StartsWith(line, "-----BEGIN")) {
      inside = true;
      continue;
    }
    if (absl::StartsWith(line, "-----END")) break;
    if (inside) body.append(line.data(), line.size());
  }
  std::string der;
  EXPECT_TRUE(absl::Base64Unescape(body, &der));
  return der;
}

// A single-block PEM text around `der` (the inverse of PemToDer).
inline std::string DerToPem(absl::string_view der,
                            absl::string_view label = "PUBLIC KEY") {
  return absl::StrCat("-----BEGIN ", label, "-----\n", absl::Base64Escape(der),
                      "\n-----END ", label, "-----\n");
}

// One private key per algorithm family and curve (RS* and PS* share one RSA
// key; each HS* has its own secret), made on first use by
// KeyMaterial::Generate, except RSA: generation is slow and every gtest case
// runs in its own process under ctest, so RSA uses the embedded
// kRsaPkcs8Private2 (KeyMaterialTest.TwoGeneratedKeysDiffer covers RSA
// generation).
inline const crypto::KeyMaterial& GeneratedKey(Algorithm alg) {
  static auto* cache = new std::map<Algorithm, crypto::KeyMaterial>();
  if (KeyTypeFor(alg) == KeyType::kRsa) alg = Algorithm::kRs256;
  auto it = cache->find(alg);
  if (it == cache->end()) {
    auto km = KeyTypeFor(alg) == KeyType::kRsa
                  ? crypto::KeyMaterial::FromPem(fixed::kRsaPkcs8Private2)
                  : crypto::KeyMaterial::Generate(alg);
    if (!km.ok()) {
      ADD_FAILURE() << "key for " << AlgorithmName(alg) << ": " << km.status();
      std::abort();
    }
    it = cache->emplace(alg, *std::move(km)).first;
  }
  return it->second;
}

// A failure must carry a short fixed phrase, never OpenSSL's error strings,
// and must leave this thread's OpenSSL error queue empty.
inline void ExpectCleanFailure(const absl::Status& status) {
  EXPECT_FALSE(status.ok());
  const std::string msg(status.message());
  EXPECT_FALSE(msg.empty());
  for (absl::string_view bad :
       {"error:", "routines", "OpenSSL", "openssl", ":lib(", "reason(",
        "crypto/", "providers/", ".c:"}) {
    EXPECT_FALSE(absl::StrContains(msg, bad)) << "status text: " << msg;
  }
  EXPECT_EQ(ERR_peek_error(), 0u)
      << "OpenSSL error queue not cleared; status: " << msg;
  ERR_clear_error();
}

// jwt_verify_lib-style sweep: `sig` verifies; every single-bit flip, every
// truncation, an appended byte and an empty signature do not.
inline void ExpectTamperingRejected(const crypto::SignatureVerifier& v,
                                    absl::string_view data,
                                    const std::string& sig) {
  ASSERT_TRUE(v.Verify(data, sig)) << "baseline signature must verify";
  for (size_t i = 0; i < sig.size() * 8; ++i) {
    std::string bad = sig;
    bad[i / 8] = static_cast<char>(bad[i / 8] ^ (1 << (i % 8)));
    EXPECT_FALSE(v.Verify(data, bad))
        << "bit " << i << " flipped still verifies";
  }
  for (size_t len = 0; len < sig.size(); ++len) {
    EXPECT_FALSE(v.Verify(data, sig.substr(0, len))) << "truncated to " << len;
  }
  EXPECT_FALSE(v.Verify(data, sig + std::string(1, '\0')));
  EXPECT_FALSE(v.Verify(data, std::string(1, '\0') + sig));
  std::string other_data(data);
  other_data.push_back('.');
  EXPECT_FALSE(v.Verify(other_data, sig));
  EXPECT_EQ(ERR_peek_error(), 0u) << "Verify left errors in the OpenSSL queue";
}

}  // namespace jwtauth::testutil

#endif  // JWTAUTH_TESTS_CORE_CRYPTO_CRYPTO_TEST_UTIL_H_
