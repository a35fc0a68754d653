#include "core/crypto/signature_verifier.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <string>

#include "core/crypto/ecdsa.h"
#include "core/crypto/eddsa.h"
#include "core/crypto/hmac.h"
#include "core/crypto/rsa.h"

namespace jwtauth::crypto {

absl::StatusOr<std::unique_ptr<const SignatureVerifier>> NewSignatureVerifier(
    Algorithm alg, const KeyMaterial& key) {
  if (!key.Fits(alg)) {
    return absl::InvalidArgumentError(
        "key type or curve does not match the algorithm");
  }
  switch (KeyTypeFor(alg)) {
    case KeyType::kOct:
      return NewHmacVerifier(alg, key);
    case KeyType::kRsa:
      return NewRsaVerifier(alg, key);
    case KeyType::kEc:
      return NewEcdsaVerifier(alg, key);
    case KeyType::kOkp:
      return NewEddsaVerifier(alg, key);
  }
  return absl::InvalidArgumentError("unsupported algorithm");
}

absl::StatusOr<std::unique_ptr<const Signer>> NewSigner(
    Algorithm alg, const KeyMaterial& key) {
  if (!key.Fits(alg)) {
    return absl::InvalidArgumentError(
        "key type or curve does not match the algorithm");
  }
  if (!key.has_private())
    return absl::InvalidArgumentError("signing needs a private key");
  switch (KeyTypeFor(alg)) {
    case KeyType::kOct:
      return NewHmacSigner(alg, key);
    case KeyType::kRsa:
      return NewRsaSigner(alg, key);
    case KeyType::kEc:
      return NewEcdsaSigner(alg, key);
    case KeyType::kOkp:
      return NewEddsaSigner(alg, key);
  }
  return absl::InvalidArgumentError("unsupported algorithm");
}

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()),
                          static_cast<int>(n)) != 1) {
    // Without a working CSPRNG no key, jti or secret can be trusted: stop
    // rather than hand out predictable bytes.
    std::abort();
  }
  return out;
}

std::string Sha256(absl::string_view data) {
  std::string out(32, '\0');
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(),
                 reinterpret_cast<unsigned char*>(out.data()), &len,
                 EVP_sha256(), nullptr) != 1 ||
      len != out.size()) {
    ERR_clear_error();
    std::abort();  // SHA-256 on in-memory bytes cannot fail short of OOM
  }
  return out;
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace jwtauth::crypto
