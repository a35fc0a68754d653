#include "core/key.h"

#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/base64url.h"
#include "core/status_macros.h"

namespace jwtauth {
namespace {

// Primes used by the ROCA fingerprint test. The vulnerable generator builds
// primes as k*M + (65537^a mod M) with M a primorial, so n = p*q is a power
// of 65537 modulo every small prime dividing M. 3..167 is the set the ROCA
// authors' detector uses for keys of any size.
constexpr uint32_t kRocaPrimes[] = {
    3,   5,   7,   11,  13,  17,  19,  23,  29,  31,  37,  41,  43,
    47,  53,  59,  61,  67,  71,  73,  79,  83,  89,  97,  101, 103,
    107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167};

uint32_t ModSmall(absl::string_view big_endian, uint32_t p) {
  uint32_t r = 0;
  for (unsigned char c : big_endian) r = (r * 256 + c) % p;
  return r;
}

bool InSubgroupOf65537(uint32_t value, uint32_t p) {
  const uint32_t g = 65537 % p;
  uint32_t x = 1;
  do {  // walk the cyclic subgroup <g>; its order divides p-1
    if (x == value) return true;
    x = (x * g) % p;
  } while (x != 1);
  return false;
}

std::string StripLeadingZeros(std::string s) {
  size_t i = 0;
  while (i + 1 < s.size() && s[i] == '\0') ++i;
  return s.substr(i);
}

bool IsHmac(Algorithm alg) { return KeyTypeFor(alg) == KeyType::kOct; }

// Secret length in bytes, from the material's bit count.
int SecretBytes(const crypto::KeyMaterial& m) { return m.bits() / 8; }

// The exponent rules (odd, > 1, < n) are checked once, at import
// (crypto::KeyMaterial); this adds what OpenSSL does not know about.
absl::Status CheckRsaPublic(const crypto::KeyMaterial& material) {
  absl::StatusOr<crypto::RsaComponents> rsa = material.RsaPublic();
  if (!rsa.ok()) return absl::InvalidArgumentError("RSA key unreadable");
  if (RsaModulusHasRocaFingerprint(rsa->n)) {
    return absl::InvalidArgumentError(
        "RSA modulus has the ROCA fingerprint (CVE-2017-15361)");
  }
  return absl::OkStatus();
}

}  // namespace

bool RsaModulusHasRocaFingerprint(absl::string_view n) {
  if (n.empty()) return false;
  for (uint32_t p : kRocaPrimes) {
    if (!InSubgroupOf65537(ModSmall(n, p), p)) return false;
  }
  return true;
}

absl::string_view KeyStateName(KeyState state) {
  switch (state) {
    case KeyState::kNext:
      return "next";
    case KeyState::kActive:
      return "active";
    case KeyState::kRetiring:
      return "retiring";
  }
  return "";
}

absl::StatusOr<Key> Key::Create(KeyOptions options,
                                crypto::KeyMaterial material) {
  if (material.type() == KeyType::kRsa) {
    JWTAUTH_RETURN_IF_ERROR(CheckRsaPublic(material));
  }
  if (options.alg.has_value()) {
    const Algorithm alg = *options.alg;
    if (!material.Fits(alg)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "alg ", AlgorithmName(alg), " does not fit a ",
          KeyTypeName(material.type()), " key",
          material.curve() == Curve::kNone
              ? ""
              : absl::StrCat(" on ", CurveName(material.curve()))));
    }
    const int need = MinHmacSecretBytes(alg, options.min_hmac_bytes);
    if (IsHmac(alg) && SecretBytes(material) < need) {
      return absl::InvalidArgumentError(
          absl::StrCat("HMAC secret shorter than ", need, " bytes for ",
                       AlgorithmName(alg)));
    }
  }
  Key key(std::move(options), std::move(material));
  bool any = false;
  for (Algorithm alg : kAllAlgorithms) {
    if (key.options_.alg.has_value() && *key.options_.alg != alg) continue;
    if (!key.material_.Fits(alg)) continue;
    if (IsHmac(alg) &&
        SecretBytes(key.material_) <
            MinHmacSecretBytes(alg, key.options_.min_hmac_bytes)) {
      continue;
    }
    auto verifier = crypto::NewSignatureVerifier(alg, key.material_);
    if (!verifier.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot build a verifier for ", AlgorithmName(alg)));
    }
    key.verifiers_[static_cast<size_t>(alg)] =
        std::shared_ptr<const crypto::SignatureVerifier>(std::move(*verifier));
    any = true;
  }
  if (!any) return absl::InvalidArgumentError("key serves no algorithm");
  return key;
}

Key Key::BoundToIssuer(std::string issuer) const {
  Key copy = *this;
  copy.options_.issuer = std::move(issuer);
  return copy;
}

absl::StatusOr<nlohmann::json> Key::ToPublicJwk() const {
  nlohmann::json jwk = nlohmann::json::object();
  switch (material_.type()) {
    case KeyType::kOct:
      return absl::FailedPreconditionError("symmetric keys are never exported");
    case KeyType::kRsa: {
      JWTAUTH_ASSIGN_OR_RETURN(crypto::RsaComponents c, material_.RsaPublic());
      jwk["kty"] = "RSA";
      jwk["n"] = Base64UrlEncode(StripLeadingZeros(c.n));
      jwk["e"] = Base64UrlEncode(StripLeadingZeros(c.e));
      break;
    }
    case KeyType::kEc: {
      JWTAUTH_ASSIGN_OR_RETURN(crypto::EcComponents c, material_.EcPublic());
      jwk["kty"] = "EC";
      jwk["crv"] = std::string(CurveName(c.curve));
      jwk["x"] = Base64UrlEncode(c.x);
      jwk["y"] = Base64UrlEncode(c.y);
      break;
    }
    case KeyType::kOkp: {
      JWTAUTH_ASSIGN_OR_RETURN(crypto::OkpComponents c, material_.OkpPublic());
      jwk["kty"] = "OKP";
      jwk["crv"] = std::string(CurveName(c.curve));
      jwk["x"] = Base64UrlEncode(c.x);
      break;
    }
  }
  if (!options_.kid.empty()) jwk["kid"] = options_.kid;
  if (options_.alg.has_value()) {
    jwk["alg"] = std::string(AlgorithmName(*options_.alg));
  }
  jwk["use"] = "sig";
  return jwk;
}

}  // namespace jwtauth
