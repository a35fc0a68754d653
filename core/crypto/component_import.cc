#include "core/crypto/component_import.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "core/crypto/key_build.h"
#include "core/crypto/pkey_import.h"
#include "core/crypto/ssl_ptr.h"
#include "core/crypto/ssl_util.h"

namespace jwtauth::crypto::internal {

absl::StatusOr<KeyMaterial> KeyFromRsaComponents(
    const RsaComponents& c, const KeyStrengthPolicy& policy) {
  if (c.n.empty() || c.e.empty()) {
    return absl::InvalidArgumentError("RSA key needs n and e");
  }
  const bool has_private = !c.d.empty();
  const int crt_count = !c.p.empty() + !c.q.empty() + !c.dp.empty() +
                        !c.dq.empty() + !c.qi.empty();
  if (crt_count != 0 && (crt_count != 5 || !has_private)) {
    return absl::InvalidArgumentError(
        "RSA private key needs d and either all or none of p, q, dp, dq, qi");
  }
  // Size check before any arithmetic on attacker-sized numbers.
  if (c.n.size() > kMaxRsaBits / 8 + 1)
    return absl::InvalidArgumentError("RSA modulus too large");
  if (c.e.size() > c.n.size()) {
    return absl::InvalidArgumentError(kBadRsaExponent);
  }
  auto pkey = BuildRsaKey(c);
  if (!pkey.ok()) return pkey.status();
  if (*pkey == nullptr) return InvalidKey("invalid RSA key");
  return ImportPkey(std::move(*pkey), has_private, policy);
}

absl::StatusOr<KeyMaterial> KeyFromEcComponents(const EcComponents& c) {
  if (c.curve != Curve::kP256 && c.curve != Curve::kP384 &&
      c.curve != Curve::kP521) {
    return absl::InvalidArgumentError("unsupported EC curve");
  }
  const size_t field = CurveFieldBytes(c.curve);
  if (c.x.size() != field || c.y.size() != field) {
    return absl::InvalidArgumentError(
        "EC coordinates must be exactly the field size");
  }
  const bool has_private = !c.d.empty();
  if (has_private && c.d.size() != field) {
    return absl::InvalidArgumentError(
        "EC private key must be exactly the field size");
  }
  std::string point;
  point.reserve(1 + 2 * field);
  point.push_back('\x04');
  point.append(c.x);
  point.append(c.y);
  auto pkey = BuildEcKey(c.curve, point, c.d);
  if (!pkey.ok()) return pkey.status();
  if (*pkey == nullptr) return InvalidKey("EC point is not on the curve");
  auto km = ImportPkey(std::move(*pkey), has_private, KeyStrengthPolicy{});
  if (km.ok() && km->curve() != c.curve) return InvalidKey("EC curve mismatch");
  return km;
}

absl::StatusOr<KeyMaterial> KeyFromOkpComponents(const OkpComponents& c) {
  if (c.curve != Curve::kEd25519) {
    return absl::InvalidArgumentError("unsupported OKP curve (only Ed25519)");
  }
  constexpr size_t kEd25519KeyBytes = 32;
  if (c.x.size() != kEd25519KeyBytes) {
    return absl::InvalidArgumentError("Ed25519 public key must be 32 bytes");
  }
  if (c.d.empty()) {
    SslUniquePtr<EVP_PKEY> pkey(EVP_PKEY_new_raw_public_key(
        EVP_PKEY_ED25519, nullptr, Bytes(c.x), c.x.size()));
    if (pkey == nullptr) return InvalidKey("invalid Ed25519 public key");
    return ImportPkey(std::move(pkey), /*has_private=*/false,
                      KeyStrengthPolicy{});
  }
  if (c.d.size() != kEd25519KeyBytes) {
    return absl::InvalidArgumentError("Ed25519 private key must be 32 bytes");
  }
  SslUniquePtr<EVP_PKEY> pkey(EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, Bytes(c.d), c.d.size()));
  if (pkey == nullptr) return InvalidKey("invalid Ed25519 private key");
  unsigned char pub[kEd25519KeyBytes];
  size_t pub_len = sizeof(pub);
  if (EVP_PKEY_get_raw_public_key(pkey.get(), pub, &pub_len) != 1 ||
      pub_len != sizeof(pub)) {
    return InternalFailure("cannot derive Ed25519 public key");
  }
  if (CRYPTO_memcmp(pub, c.x.data(), sizeof(pub)) != 0) {
    return absl::InvalidArgumentError(
        "Ed25519 private key does not match its public key");
  }
  return ImportPkey(std::move(pkey), /*has_private=*/true, KeyStrengthPolicy{});
}

}  // namespace jwtauth::crypto::internal
