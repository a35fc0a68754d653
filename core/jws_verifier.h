#ifndef JWTAUTH_CORE_JWS_VERIFIER_H_
#define JWTAUTH_CORE_JWS_VERIFIER_H_

// The JWS-level verification API: verify a compact JWS (RFC 7515 §7.1) over
// any payload bytes against a caller-supplied list of candidate Keys. No
// claim checks happen here (the JWT layer, core/verifier.h, sits on top).
//
// Order (first failure wins):
//   1. ParsedJws::Parse (size, base64url, header JSON, alg/crit/b64 rules):
//      TOKEN_MISSING / TOKEN_TOO_LARGE / MALFORMED / UNSUPPORTED_ALGORITHM /
//      HEADER_REJECTED.
//   2. Key selection:
//      - no keys at all                               → KEY_NOT_FOUND
//      - header has "kid": only keys with exactly that kid are candidates;
//        none                                         → KEY_NOT_FOUND
//        some, but none serves the header alg          → UNSUPPORTED_ALGORITHM
//      - header has no "kid": keys that serve the alg (kid or not), at most
//        options.max_kidless_candidates of them, in the given order;
//        none serves the alg                           → UNSUPPORTED_ALGORITHM
//      A key serves an alg only if Key::Serves(alg): the key type decides
//      (an RSA/EC/OKP key never serves HS*), and a JWK/config "alg" binds it.
//      Header "jku"/"jwk"/"x5u"/"x5c" are never consulted.
//   3. Signature: each candidate's verifier for the header alg, in order;
//      the first that verifies wins. None                 → SIGNATURE_INVALID.
// Details are fixed phrases; never the token, a key or the signature.
//
// Stateless free functions: thread-safe as long as the keys are (Key is
// immutable). The key list is borrowed for the duration of the call.
//
//   FailureOr<VerifiedJws> r = VerifyJws(token, keys);
//   if (!r.ok()) return r.failure();
//   use(r->payload(), r->kid, r->alg);

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/algorithm.h"
#include "core/failure.h"
#include "core/jws.h"
#include "core/key.h"
#include "nlohmann/json.hpp"

namespace jwtauth {

struct JwsVerifyOptions {
  JwsLimits limits;
  // Keys tried for a token without "kid" (bounds the work an unkeyed token
  // can cause: each try is a full signature verification).
  size_t max_kidless_candidates = 4;
};

// A JWS whose signature verified: the parsed token (moved in, not copied)
// plus which key matched. Plain value; copyable and movable.
struct VerifiedJws {
  ParsedJws jws;    // header(), payload() (decoded bytes, not parsed), ...
  std::string kid;  // kid of the key that verified ("" if it has none)
  Algorithm alg = Algorithm::kHs256;
  const Key* key = nullptr;  // the matching key; points into the caller's
                             // list, valid only as long as that list is

  const std::string& payload() const { return jws.payload(); }
  const nlohmann::json& header() const { return jws.header(); }
};

FailureOr<VerifiedJws> VerifyJws(absl::string_view compact,
                                 absl::Span<const Key> keys,
                                 const JwsVerifyOptions& options = {});
// Same over keys held elsewhere (e.g. a KeySet index); no nullptr entries.
FailureOr<VerifiedJws> VerifyJws(absl::string_view compact,
                                 absl::Span<const Key* const> keys,
                                 const JwsVerifyOptions& options = {});

// Steps 2 and 3 only, for callers that parsed the token themselves (e.g. to
// pick the provider first). Copies the ParsedJws into the result.
FailureOr<VerifiedJws> VerifyParsedJws(const ParsedJws& jws,
                                       absl::Span<const Key* const> keys,
                                       const JwsVerifyOptions& options = {});

// Step 2 + 3 without building a VerifiedJws: the key whose verifier accepts
// the signature, or the failure. The cheapest form for hot paths.
FailureOr<const Key*> SelectAndVerify(const ParsedJws& jws,
                                      absl::Span<const Key* const> keys,
                                      const JwsVerifyOptions& options = {});

}  // namespace jwtauth

#endif  // JWTAUTH_CORE_JWS_VERIFIER_H_
