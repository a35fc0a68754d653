#include "core/algorithm.h"

#include <algorithm>

namespace jwtauth {

std::optional<Algorithm> AlgorithmFromName(absl::string_view name) {
  for (Algorithm alg : kAllAlgorithms) {
    if (AlgorithmName(alg) == name) return alg;
  }
  return std::nullopt;
}

absl::string_view AlgorithmName(Algorithm alg) {
  switch (alg) {
    case Algorithm::kHs256:
      return "HS256";
    case Algorithm::kHs384:
      return "HS384";
    case Algorithm::kHs512:
      return "HS512";
    case Algorithm::kRs256:
      return "RS256";
    case Algorithm::kRs384:
      return "RS384";
    case Algorithm::kRs512:
      return "RS512";
    case Algorithm::kPs256:
      return "PS256";
    case Algorithm::kPs384:
      return "PS384";
    case Algorithm::kPs512:
      return "PS512";
    case Algorithm::kEs256:
      return "ES256";
    case Algorithm::kEs384:
      return "ES384";
    case Algorithm::kEs512:
      return "ES512";
    case Algorithm::kEdDsa:
      return "EdDSA";
  }
  return "";
}

KeyType KeyTypeFor(Algorithm alg) {
  switch (alg) {
    case Algorithm::kHs256:
    case Algorithm::kHs384:
    case Algorithm::kHs512:
      return KeyType::kOct;
    case Algorithm::kRs256:
    case Algorithm::kRs384:
    case Algorithm::kRs512:
    case Algorithm::kPs256:
    case Algorithm::kPs384:
    case Algorithm::kPs512:
      return KeyType::kRsa;
    case Algorithm::kEs256:
    case Algorithm::kEs384:
    case Algorithm::kEs512:
      return KeyType::kEc;
    case Algorithm::kEdDsa:
      return KeyType::kOkp;
  }
  return KeyType::kOct;
}

Curve CurveFor(Algorithm alg) {
  switch (alg) {
    case Algorithm::kEs256:
      return Curve::kP256;
    case Algorithm::kEs384:
      return Curve::kP384;
    case Algorithm::kEs512:
      return Curve::kP521;
    case Algorithm::kEdDsa:
      return Curve::kEd25519;
    default:
      return Curve::kNone;
  }
}

HashAlgorithm HashFor(Algorithm alg) {
  switch (alg) {
    case Algorithm::kHs256:
    case Algorithm::kRs256:
    case Algorithm::kPs256:
    case Algorithm::kEs256:
      return HashAlgorithm::kSha256;
    case Algorithm::kHs384:
    case Algorithm::kRs384:
    case Algorithm::kPs384:
    case Algorithm::kEs384:
      return HashAlgorithm::kSha384;
    default:
      return HashAlgorithm::kSha512;
  }
}

int HashSize(HashAlgorithm hash) {
  switch (hash) {
    case HashAlgorithm::kSha256:
      return 32;
    case HashAlgorithm::kSha384:
      return 48;
    case HashAlgorithm::kSha512:
      return 64;
  }
  return 0;
}

int MinHmacSecretBytes(Algorithm alg, int floor) {
  const int digest = HashSize(HashFor(alg));
  const int legacy = std::max(floor, kAbsoluteMinHmacBytes);
  return legacy < digest && legacy < kDefaultMinHmacBytes ? legacy : digest;
}

absl::string_view KeyTypeName(KeyType kty) {
  switch (kty) {
    case KeyType::kOct:
      return "oct";
    case KeyType::kRsa:
      return "RSA";
    case KeyType::kEc:
      return "EC";
    case KeyType::kOkp:
      return "OKP";
  }
  return "";
}

std::optional<KeyType> KeyTypeFromName(absl::string_view name) {
  for (KeyType kty :
       {KeyType::kOct, KeyType::kRsa, KeyType::kEc, KeyType::kOkp}) {
    if (KeyTypeName(kty) == name) return kty;
  }
  return std::nullopt;
}

absl::string_view CurveName(Curve curve) {
  switch (curve) {
    case Curve::kNone:
      return "";
    case Curve::kP256:
      return "P-256";
    case Curve::kP384:
      return "P-384";
    case Curve::kP521:
      return "P-521";
    case Curve::kEd25519:
      return "Ed25519";
  }
  return "";
}

std::optional<Curve> CurveFromName(absl::string_view name) {
  for (Curve c : {Curve::kP256, Curve::kP384, Curve::kP521, Curve::kEd25519}) {
    if (CurveName(c) == name) return c;
  }
  return std::nullopt;
}

}  // namespace jwtauth
