#ifndef JWTAUTH_TESTS_TESTUTIL_KEYS_VERIFIER_H_
#define JWTAUTH_TESTS_TESTUTIL_KEYS_VERIFIER_H_

// KeysVerifier: the production TokenVerifier (the object the gRPC service
// calls) over a fixed list of keys, for JWS-level and conformance tests
// (RFC 7515/7520 examples, Wycheproof JOSE vectors). One provider,
// kProvider, holds the keys; every Verify names it, so the signature is
// checked before the payload is parsed as claims.
//
// Outcome::signature_verified says whether some key's signature check
// succeeded during the call. It is read from the key-usage counters that
// TokenVerifier bumps exactly when a signature verifies (KeyEntry::
// RecordUse), not from failure text: a vector whose payload is no JWT claims
// set (Wycheproof, RFC 7520) verifies its signature and then fails the
// claims step with MALFORMED.
//
//   KeysVerifier v({key});
//   KeysVerifier::Outcome o = v.Verify(token);
//   EXPECT_TRUE(o.signature_verified);
//
// Not thread-safe across Verify calls (the usage delta is per call).

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/failure.h"
#include "core/json_limits.h"
#include "core/jws.h"
#include "core/key.h"
#include "core/key_store.h"
#include "core/policy.h"
#include "core/verifier.h"
#include "nlohmann/json.hpp"
#include "tests/testutil/fake_clock.h"

namespace jwtauth::testutil {

struct KeysVerifierOptions {
  // The provider accepts tokens of this issuer and audience; ClaimsFor()
  // builds a payload that passes the policy.
  std::string issuer = "https://vectors.example";
  std::string audience = "api://vectors";
  size_t max_keys_without_kid = kDefaultMaxKeysWithoutKid;
  JwsLimits jws_limits;
  JsonLimits payload_limits = ProviderOptions{}.payload_limits;
  // RFC 7515 A.1 ("typ":"JWT") and the JOSE types of the RFC 7520 examples.
  std::vector<std::string> allowed_typ = {"JWT", "at+jwt", "JOSE"};
  absl::Time now = absl::FromUnixSeconds(1'700'000'000);
};

class KeysVerifier final {
 public:
  static constexpr char kProvider[] = "vectors";

  struct Outcome {
    VerifyResult result;
    bool signature_verified = false;

    bool ok() const { return result.ok(); }
    // The failure reason (only when !ok()).
    FailureReason reason() const { return result.failure().reason; }
  };

  explicit KeysVerifier(std::vector<Key> keys, KeysVerifierOptions o = {});
  KeysVerifier(const KeysVerifier&) = delete;
  KeysVerifier& operator=(const KeysVerifier&) = delete;

  Outcome Verify(absl::string_view token) const;
  // Claims that the provider's policy accepts (iss, aud; no exp needed).
  nlohmann::json Claims() const;
  const TokenVerifier& verifier() const { return *verifier_; }

 private:
  uint64_t Verifications() const;

  KeysVerifierOptions options_;
  FakeClock clock_;
  KeyStore store_;
  std::unique_ptr<TokenVerifier> verifier_;
};

}  // namespace jwtauth::testutil

#endif  // JWTAUTH_TESTS_TESTUTIL_KEYS_VERIFIER_H_
