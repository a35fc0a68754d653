#ifndef JWTAUTH_TESTS_TESTUTIL_TEST_KEYS_H_
#define JWTAUTH_TESTS_TESTUTIL_TEST_KEYS_H_

// Test keys and tokens for every JWS algorithm, for any test in the repo.
//
//   // One freshly generated key (RSA generation is slow):
//   TestKey k = GenerateTestKey(Algorithm::kEs256, "my-kid");
//   // Or a per-process cached one (kid "test-es256"), cheap after first use:
//   const TestKey& k = CachedTestKey(Algorithm::kEs256);
//
//   std::string token = SignJws(k, R"({"sub":"alice"})");  // header alg+kid
//   std::string t2 = SignJws(k, "payload", {{"typ", "JWT"}});  // extra members
//   KeysVerifier::Outcome r = KeysVerifier({k.key}).Verify(token);
//                                        // tests/testutil/keys_verifier.h
//
// TestKey::key is the *verification* key: public half only (HS*: the
// secret), bound to `alg`, with `kid`. TestKey::private_key holds the
// private material (for KeyMaterial / JWK-export tests) and `signer` signs.
// Generation failures abort the test binary (they mean a broken crypto
// layer, not a test outcome). Copyable; copies share the signer.
// CachedTestKey is thread-safe.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/algorithm.h"
#include "core/crypto/key_material.h"
#include "core/crypto/signature_verifier.h"
#include "core/key.h"
#include "nlohmann/json.hpp"

namespace jwtauth::testutil {

struct TestKey {
  Algorithm alg;
  std::string kid;
  crypto::KeyMaterial private_key;
  Key key;  // verification key (public only, bound to alg)
  std::shared_ptr<const crypto::Signer> signer;
};

// A new random key for `alg` (RSA 2048, P-256/384/521, Ed25519, or a secret of
// the digest size for HS*). Empty kid = the key has no kid.
TestKey GenerateTestKey(Algorithm alg, absl::string_view kid = "");

// One key per algorithm per process, kid "test-<alg lowercase>".
const TestKey& CachedTestKey(Algorithm alg);

// The algorithms `key` serves (Key::Serves), in kAllAlgorithms order.
std::vector<Algorithm> ServedAlgorithms(const Key& key);

// Compact JWS signed by `key`: header {"alg":…, "kid":… (if non-empty)} plus
// `extra_header` members (which override), payload as given (any bytes).
std::string SignJws(
    const TestKey& key, absl::string_view payload,
    const nlohmann::json& extra_header = nlohmann::json::object());

// Compact JWS with an exact header text (for malformed/odd headers), signed
// by `signer` over BASE64URL(header_json) "." BASE64URL(payload).
std::string SignJwsWithHeader(const crypto::Signer& signer,
                              absl::string_view header_json,
                              absl::string_view payload);

}  // namespace jwtauth::testutil

#endif  // JWTAUTH_TESTS_TESTUTIL_TEST_KEYS_H_
