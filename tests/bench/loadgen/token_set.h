#ifndef JWTAUTH_TESTS_BENCH_LOADGEN_TOKEN_SET_H_
#define JWTAUTH_TESTS_BENCH_LOADGEN_TOKEN_SET_H_

// TokenSet: the JWTs a load run sends, signed up front with core/crypto (so
// signing never runs on the request path). Every token has its own `sub` and
// `jti`, so N tokens are N distinct cache entries on the server. A share of
// them (invalid_fraction, spread evenly) carries a signature with one bit
// flipped: well-formed, the right length, and rejected only by the signature
// check (SIGNATURE_INVALID), which is the cost the server cannot skip.
//
// Immutable once built; copyable and movable. Thread-safe to read.
//
//   TokenSetOptions o{.alg = Algorithm::kHs256, .key_text = secret,
//                     .count = 1000, .invalid_fraction = 0.1};
//   absl::StatusOr<TokenSet> set = TokenSet::Create(o);
//   const std::string& t = set->token(i % set->size());

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/algorithm.h"

namespace jwtauth::loadgen {

struct TokenSetOptions {
  Algorithm alg = Algorithm::kHs256;
  std::string key_text{};  // HS*: the secret; otherwise a private key PEM
  std::string kid{};
  std::string issuer = "https://bench";
  std::string audience = "api";
  size_t count = 1;
  double invalid_fraction = 0;
  // Extra claims for ext_authz rules (scope); the same in every token.
  std::string scope = "bench.read";
  // > 0: the invalid share is instead garbage of this many bytes (random
  // base64url characters around two dots, shaped like a JWT and never one).
  size_t garbage_bytes = 0;
};

class TokenSet final {
 public:
  static constexpr size_t kMaxTokens = 1000000;

  // InvalidArgument for a count outside 1..kMaxTokens, a fraction outside
  // [0, 1], a key that does not fit `alg`, or a public key (no signing).
  static absl::StatusOr<TokenSet> Create(const TokenSetOptions& options);

  size_t size() const { return tokens_.size(); }
  const std::string& token(size_t i) const { return tokens_[i]; }
  bool valid(size_t i) const { return valid_[i] != 0; }
  size_t invalid_count() const;
  // The invalid tokens are garbage (any rejection reason is expected), not
  // corrupted signatures (SIGNATURE_INVALID expected).
  bool garbage() const { return garbage_; }

 private:
  TokenSet() = default;
  bool garbage_ = false;
  std::vector<std::string> tokens_;
  std::vector<char> valid_;
};

// True for the indexes that get a corrupted signature: `fraction` of
// 0..count-1, spread evenly (index i is invalid iff floor((i+1)f) > floor(if)).
bool IsInvalidIndex(size_t i, double fraction);

}  // namespace jwtauth::loadgen

#endif  // JWTAUTH_TESTS_BENCH_LOADGEN_TOKEN_SET_H_
