#include "core/jws_verifier.h"

#include <utility>

namespace jwtauth {
namespace {

const Key& Deref(const Key& k) { return k; }
const Key& Deref(const Key* k) { return *k; }

// One pass over the candidates, no allocation. Works for spans of Key and of
// const Key*.
template <typename Span>
FailureOr<const Key*> Select(const ParsedJws& jws, Span keys,
                             const JwsVerifyOptions& options) {
  if (keys.empty()) {
    return MakeFailure(FailureReason::kKeyNotFound, "no keys configured");
  }
  const Algorithm alg = jws.alg();
  const std::optional<std::string>& kid = jws.kid();
  bool kid_seen = false;
  size_t tried = 0;
  for (const auto& entry : keys) {
    const Key& key = Deref(entry);
    if (kid.has_value()) {
      // An empty header kid names no key (as in TokenVerifier): it must not
      // select every kid-less key, unbounded by max_kidless_candidates.
      if (key.kid().empty() || key.kid() != *kid) continue;
      kid_seen = true;
    }
    const crypto::SignatureVerifier* verifier = key.VerifierFor(alg);
    if (verifier == nullptr) continue;
    if (!kid.has_value() && tried >= options.max_kidless_candidates) break;
    ++tried;
    if (verifier->Verify(jws.signing_input(), jws.signature())) return &key;
  }
  if (kid.has_value() && !kid_seen) {
    return MakeFailure(FailureReason::kKeyNotFound,
                       "no key with the token's kid");
  }
  if (tried == 0) {
    return MakeFailure(FailureReason::kUnsupportedAlgorithm,
                       kid.has_value()
                           ? "key with the token's kid does not serve alg"
                           : "no key serves alg");
  }
  return MakeFailure(FailureReason::kSignatureInvalid,
                     "signature does not verify");
}

VerifiedJws Build(const Key& key, ParsedJws jws) {
  const Algorithm alg = jws.alg();
  return VerifiedJws{std::move(jws), key.kid(), alg, &key};
}

template <typename Span>
FailureOr<VerifiedJws> ParseAndVerify(absl::string_view compact, Span keys,
                                      const JwsVerifyOptions& options) {
  FailureOr<ParsedJws> jws = ParsedJws::Parse(compact, options.limits);
  if (!jws.ok()) return jws.failure();
  FailureOr<const Key*> key = Select(*jws, keys, options);
  if (!key.ok()) return key.failure();
  return Build(**key, std::move(jws).value());
}

}  // namespace

FailureOr<VerifiedJws> VerifyJws(absl::string_view compact,
                                 absl::Span<const Key> keys,
                                 const JwsVerifyOptions& options) {
  return ParseAndVerify(compact, keys, options);
}

FailureOr<VerifiedJws> VerifyJws(absl::string_view compact,
                                 absl::Span<const Key* const> keys,
                                 const JwsVerifyOptions& options) {
  return ParseAndVerify(compact, keys, options);
}

FailureOr<const Key*> SelectAndVerify(const ParsedJws& jws,
                                      absl::Span<const Key* const> keys,
                                      const JwsVerifyOptions& options) {
  return Select(jws, keys, options);
}

FailureOr<VerifiedJws> VerifyParsedJws(const ParsedJws& jws,
                                       absl::Span<const Key* const> keys,
                                       const JwsVerifyOptions& options) {
  FailureOr<const Key*> key = Select(jws, keys, options);
  if (!key.ok()) return key.failure();
  return Build(**key, jws);
}

}  // namespace jwtauth
