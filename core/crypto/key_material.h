#ifndef JWTAUTH_CORE_CRYPTO_KEY_MATERIAL_H_
#define JWTAUTH_CORE_CRYPTO_KEY_MATERIAL_H_

// KeyMaterial: an opaque, immutable handle on key bytes that only core/crypto
// can see inside (an EVP_PKEY for RSA/EC/OKP, secret bytes for oct). Every
// other module (jwk, key_set, issuer, server) builds and inspects keys only
// through this API, so nothing outside core/crypto includes <openssl/*>.
//
// Copyable and movable: copies share the same read-only EVP_PKEY.
// Thread-safe: all methods are const and OpenSSL keys are used read-only.
//
// Failure modes: every factory returns InvalidArgument with a short fixed
// phrase ("RSA modulus too small", "point not on curve"); never key bytes and
// never raw OpenSSL error strings.
//
//   auto km = crypto::KeyMaterial::FromPem(pem_text);
//   auto verifier = crypto::NewSignatureVerifier(Algorithm::kRs256, *km);

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/algorithm.h"

namespace jwtauth::crypto {

// Minimum strengths enforced at import. The floors can be lowered by config,
// but never below kAbsoluteMin*.
struct KeyStrengthPolicy {
  int min_rsa_bits = 2048;
  int min_hmac_bytes = kDefaultMinHmacBytes;  // core/algorithm.h
  static constexpr int kAbsoluteMinRsaBits = 1024;
};

// Raw big-endian, unpadded components as they appear (base64url-decoded) in a
// JWK. Private fields are empty for public keys.
struct RsaComponents {
  std::string n, e;
  std::string d, p, q, dp, dq, qi;  // optional (private key)
};
struct EcComponents {
  Curve curve = Curve::kNone;
  std::string x, y;  // field-size bytes each (JWK requires exact length)
  std::string d;     // optional (private key)
};
struct OkpComponents {
  Curve curve = Curve::kNone;  // only kEd25519
  std::string x;
  std::string d;  // optional (private key)
};

class KeyMaterial final {
 public:
  // HMAC secret (bytes as given). Fails below policy.min_hmac_bytes.
  static absl::StatusOr<KeyMaterial> FromSecret(
      absl::string_view secret, const KeyStrengthPolicy& policy = {});
  // One PEM block: PKCS#8 private (public derived), PKCS#1 RSA private or
  // public, SEC1 EC private, SPKI public, or an X.509 certificate (its public
  // key). Fails on anything else, on encrypted keys and on weak RSA keys.
  static absl::StatusOr<KeyMaterial> FromPem(
      absl::string_view pem, const KeyStrengthPolicy& policy = {});
  static absl::StatusOr<KeyMaterial> FromRsa(
      const RsaComponents& c, const KeyStrengthPolicy& policy = {});
  // Checks the point is on the curve and, if d is given, that it matches.
  static absl::StatusOr<KeyMaterial> FromEc(const EcComponents& c);
  static absl::StatusOr<KeyMaterial> FromOkp(const OkpComponents& c);
  // A fresh random private key fit for `alg` (RSA 2048 bits, 32-byte secret
  // for HS256, 48 for HS384, 64 for HS512). For the dev default and tests.
  static absl::StatusOr<KeyMaterial> Generate(Algorithm alg);

  KeyType type() const;
  Curve curve() const;       // kNone for RSA and oct
  int bits() const;          // RSA modulus bits, curve bits, secret bits
  bool has_private() const;  // true for oct (a secret is private material)

  // True iff this key can serve `alg`: the key type matches and, for EC/OKP,
  // the curve matches. RSA serves RS* and PS*; a secret that passed the
  // import floor serves any HS* (RFC 7518's "key at least digest size" is a
  // rule for whoever creates the key; the issuer enforces it for own keys).
  bool Fits(Algorithm alg) const;

  // Public components for JWK export. Fail for the wrong key type; never
  // expose oct secrets or private fields.
  absl::StatusOr<RsaComponents> RsaPublic() const;
  absl::StatusOr<EcComponents> EcPublic() const;
  absl::StatusOr<OkpComponents> OkpPublic() const;
  // SPKI PEM of the public half; fails for oct.
  absl::StatusOr<std::string> PublicPem() const;
  // PKCS#8 PEM of the private key; fails without private material or for oct.
  // For tests and the CLI's key generation only; never logged or exported.
  absl::StatusOr<std::string> PrivatePem() const;
  // A copy holding only the public half (oct: fails).
  absl::StatusOr<KeyMaterial> PublicOnly() const;
  // SHA-256 of the public key (SPKI DER) or, for oct, of the secret: a
  // stable identifier for "same key" checks. Hex; never reveals the secret.
  std::string Fingerprint() const;

  // Opaque to everything but core/crypto.
  class Impl;
  const Impl& impl() const { return *impl_; }

 private:
  explicit KeyMaterial(std::shared_ptr<const Impl> impl)
      : impl_(std::move(impl)) {}
  friend class KeyMaterialFactory;  // defined in key_material_impl.h
  std::shared_ptr<const Impl> impl_;
};

}  // namespace jwtauth::crypto

#endif  // JWTAUTH_CORE_CRYPTO_KEY_MATERIAL_H_
