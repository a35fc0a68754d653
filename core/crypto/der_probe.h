#ifndef JWTAUTH_CORE_CRYPTO_DER_PROBE_H_
#define JWTAUTH_CORE_CRYPTO_DER_PROBE_H_

// Recognises DER-encoded key material without importing it, so configured
// text that is really a key (e.g. a public key used as an HMAC secret) can be
// refused. Thread-safe; never throws.
//
//   if (crypto::IsDerKeyEncoding(secret)) {
//     return absl::InvalidArgumentError("secret is a DER-encoded key");
//   }

#include "absl/strings/string_view.h"

namespace jwtauth::crypto {

// True iff `der` is, in full, a DER-encoded key or certificate of any size
// or strength: X.509 certificate, SubjectPublicKeyInfo, PKCS#1 RSA public
// key, or a PKCS#8 / PKCS#1 / SEC1 private key.
bool IsDerKeyEncoding(absl::string_view der);

}  // namespace jwtauth::crypto

#endif  // JWTAUTH_CORE_CRYPTO_DER_PROBE_H_
