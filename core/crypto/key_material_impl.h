#ifndef JWTAUTH_CORE_CRYPTO_KEY_MATERIAL_IMPL_H_
#define JWTAUTH_CORE_CRYPTO_KEY_MATERIAL_IMPL_H_

// KeyMaterial::Impl: what a KeyMaterial holds. Internal to core/crypto: the
// verifier and signer implementations read it; nothing outside core/crypto
// includes this header.
//
// Immutable after construction and shared (std::shared_ptr<const Impl>) by all
// copies of a KeyMaterial and by every verifier built from it. The EVP_PKEY
// went through MakeShareable (key_params.h: provider-native on OpenSSL 3,
// never a legacy key), so concurrent read-only use by many threads is safe. The
// secret is wiped on destruction.

#include <openssl/crypto.h>

#include <memory>
#include <string>
#include <utility>

#include "core/algorithm.h"
#include "core/crypto/key_material.h"
#include "core/crypto/ssl_ptr.h"

namespace jwtauth::crypto {

class KeyMaterial::Impl final {
 public:
  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    if (!secret.empty()) OPENSSL_cleanse(secret.data(), secret.size());
  }

  // Non-const pointer because OpenSSL's signatures want one; the key is
  // never modified after construction.
  EVP_PKEY* pkey_ptr() const { return pkey.get(); }

  KeyType type = KeyType::kOct;
  Curve curve = Curve::kNone;
  int bits = 0;
  bool has_private = false;
  SslUniquePtr<EVP_PKEY> pkey;  // RSA/EC/OKP; null for oct
  std::string secret;           // oct only
};

// The only code that may call KeyMaterial's private constructor (every
// factory in core/crypto goes through it).
class KeyMaterialFactory {
 public:
  static KeyMaterial Make(std::unique_ptr<KeyMaterial::Impl> impl) {
    return KeyMaterial(
        std::shared_ptr<const KeyMaterial::Impl>(std::move(impl)));
  }
};

}  // namespace jwtauth::crypto

#endif  // JWTAUTH_CORE_CRYPTO_KEY_MATERIAL_IMPL_H_
