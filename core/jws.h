#ifndef JWTAUTH_CORE_JWS_H_
#define JWTAUTH_CORE_JWS_H_

// ParsedJws: a compact JWS (RFC 7515 §7.1) split and decoded, with the
// header rules applied. Parsing does not verify the signature and does not
// interpret the payload (at the JWS layer it may be any bytes).
//
// Rules, in order (first failure wins):
//   size > limits.max_token_bytes               → TOKEN_TOO_LARGE
//   empty                                       → TOKEN_MISSING
//   not exactly 3 parts / empty header or signature part / bad base64url in
//   any part / header not a bounded JSON object (duplicate names, depth,
//   members, invalid UTF-8)                      → MALFORMED
//   "alg" missing or not a string                → MALFORMED
//   "alg" is "none" or unknown (case-sensitive)  → UNSUPPORTED_ALGORITHM
//   "crit" present at all (RFC 7515 §4.1.11: we implement no extension, so
//   even a well-formed crit naming present parameters, including "b64", is
//   rejected), "b64" false or not a boolean,
//   "kid"/"typ"/"cty" present but not a string   → HEADER_REJECTED
// "jku", "x5u", "jwk", "x5c" are ignored: never used to find or trust a key.
// Details are fixed phrases; they never quote the token or header values.
// The payload may be empty (RFC 7515 allows it); the signature may not.
//
// Immutable once built. Copyable and movable. Parse is thread-safe and
// never throws; it decodes each part once (no per-character allocation).
// Each thread remembers the last few headers it accepted (their text,
// limits and alg/kid/typ; jws.cc, AcceptedHeaders), so the header of an
// issuer's next token is not scanned again: a memo, with the same answers.
//
//   FailureOr<ParsedJws> jws = ParsedJws::Parse(token, limits);
//   if (!jws.ok()) return jws.failure();
//   verifier.Verify(jws->signing_input(), jws->signature());

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "core/algorithm.h"
#include "core/failure.h"
#include "core/json_limits.h"
#include "nlohmann/json.hpp"

namespace jwtauth {

struct JwsLimits {
  size_t max_token_bytes = 8192;
  JsonLimits header_limits{.max_bytes = 4096,
                           .max_depth = 4,
                           .max_values = 64,
                           .max_object_members = 32,
                           .require_object = true};
};

class ParsedJws final {
 public:
  static FailureOr<ParsedJws> Parse(absl::string_view compact,
                                    const JwsLimits& limits = {});

  Algorithm alg() const { return alg_; }
  // nullopt when the header has no "kid".
  const std::optional<std::string>& kid() const { return kid_; }
  const std::optional<std::string>& typ() const { return typ_; }
  // The header as a JSON object, decoded on each call (the verifier never
  // needs it: the parameters it reads are scanned once by Parse).
  nlohmann::json header() const;
  // ASCII(BASE64URL(header) || '.' || BASE64URL(payload)).
  absl::string_view signing_input() const { return Part(0, header_at_); }
  // Decoded payload bytes (not parsed).
  absl::string_view payload() const { return Part(payload_at_, signature_at_); }
  // Decoded signature bytes.
  absl::string_view signature() const {
    return Part(signature_at_, bytes_.size());
  }

 private:
  ParsedJws() = default;
  absl::string_view header_json() const {
    return Part(header_at_, payload_at_);
  }
  absl::string_view Part(size_t from, size_t to) const {
    return absl::string_view(bytes_).substr(from, to - from);
  }

  Algorithm alg_ = Algorithm::kHs256;
  std::optional<std::string> kid_;
  std::optional<std::string> typ_;
  JsonLimits header_limits_;
  // One allocation for every part: signing input, then the decoded header
  // JSON, payload and signature. Offsets (not views) keep copies valid.
  std::string bytes_;
  size_t header_at_ = 0;
  size_t payload_at_ = 0;
  size_t signature_at_ = 0;
};

// Building a compact JWS (issuer, tests):
//   std::string input = MakeSigningInput(header_json, payload);
//   absl::StatusOr<std::string> signature = signer.Sign(input);
//   std::string token = CompleteCompactJws(input, *signature);
std::string MakeSigningInput(absl::string_view header_json,
                             absl::string_view payload);
std::string CompleteCompactJws(absl::string_view signing_input,
                               absl::string_view signature);

}  // namespace jwtauth

#endif  // JWTAUTH_CORE_JWS_H_
