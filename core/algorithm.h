#ifndef JWTAUTH_CORE_ALGORITHM_H_
#define JWTAUTH_CORE_ALGORITHM_H_

// The 13 JWS algorithms jwtauth supports and the key type each is bound to.
// "none" is not an algorithm here: it never parses.

#include <optional>

#include "absl/strings/string_view.h"

namespace jwtauth {

enum class Algorithm {
  kHs256,
  kHs384,
  kHs512,
  kRs256,
  kRs384,
  kRs512,
  kPs256,
  kPs384,
  kPs512,
  kEs256,
  kEs384,
  kEs512,
  kEdDsa,
};

inline constexpr Algorithm kAllAlgorithms[] = {
    Algorithm::kHs256, Algorithm::kHs384, Algorithm::kHs512, Algorithm::kRs256,
    Algorithm::kRs384, Algorithm::kRs512, Algorithm::kPs256, Algorithm::kPs384,
    Algorithm::kPs512, Algorithm::kEs256, Algorithm::kEs384, Algorithm::kEs512,
    Algorithm::kEdDsa,
};

// JWK "kty" families. The key type decides which verifier can be built: an
// RSA/EC/OKP key can never become an HMAC secret.
enum class KeyType { kOct, kRsa, kEc, kOkp };

// Named curves for EC and OKP keys.
enum class Curve { kNone, kP256, kP384, kP521, kEd25519 };

enum class HashAlgorithm { kSha256, kSha384, kSha512 };

// Case-sensitive ("RS256", "EdDSA"); nullopt for "none" and anything unknown.
std::optional<Algorithm> AlgorithmFromName(absl::string_view name);
absl::string_view AlgorithmName(Algorithm alg);

KeyType KeyTypeFor(Algorithm alg);
// kNone for HS/RS/PS; the required curve for ES*/EdDSA.
Curve CurveFor(Algorithm alg);
// The digest (SHA-512 for EdDSA, which hashes internally).
HashAlgorithm HashFor(Algorithm alg);
// Digest size in bytes: 32, 48 or 64.
int HashSize(HashAlgorithm hash);

// HMAC secret length, the one rule (RFC 7518 §3.2: a secret at least the
// digest size). The configurable floor (limits.min_hmac_bytes) defaults to
// kDefaultMinHmacBytes and is never below kAbsoluteMinHmacBytes. An operator
// who lowers it below 32 runs in legacy mode: every HS alg then accepts a
// secret of at least the floor.
inline constexpr int kDefaultMinHmacBytes = 32;
inline constexpr int kAbsoluteMinHmacBytes = 16;
// The shortest secret `alg` (an HS alg) accepts under `floor`: the digest
// size, or the floor in legacy mode. With the default floor, the digest size
// (what the service's own signing keys and generated secrets use).
int MinHmacSecretBytes(Algorithm alg, int floor = kDefaultMinHmacBytes);

// "oct", "RSA", "EC", "OKP" and back (case-sensitive per RFC 7517).
absl::string_view KeyTypeName(KeyType kty);
std::optional<KeyType> KeyTypeFromName(absl::string_view name);

// "P-256", "P-384", "P-521", "Ed25519" and back; "" for kNone.
absl::string_view CurveName(Curve curve);
std::optional<Curve> CurveFromName(absl::string_view name);

}  // namespace jwtauth

#endif  // JWTAUTH_CORE_ALGORITHM_H_
