#ifndef JWTAUTH_CORE_CRYPTO_SSL_PTR_H_
#define JWTAUTH_CORE_CRYPTO_SSL_PTR_H_

// SslUniquePtr<T>: std::unique_ptr with the matching OpenSSL free function,
// in the shape of tink's SslUniquePtr and BoringSSL's bssl::UniquePtr.
// Internal to core/crypto (it includes <openssl/*>).
//
//   SslUniquePtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
//   if (ctx == nullptr) { ERR_clear_error(); return false; }

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>

namespace jwtauth::crypto {
namespace internal {

template <typename T>
struct SslDeleter;

// Types both backends share. A backend file declares its own (OSSL_PARAM,
// RSA, EC_KEY) with the same macro, inside jwtauth::crypto::internal.
#define JWTAUTH_SSL_DELETER(type, free_fn)         \
  template <>                                      \
  struct SslDeleter<type> {                        \
    void operator()(type* p) const { free_fn(p); } \
  }

JWTAUTH_SSL_DELETER(BIO, BIO_free);
JWTAUTH_SSL_DELETER(BIGNUM, BN_clear_free);
JWTAUTH_SSL_DELETER(BN_CTX, BN_CTX_free);
JWTAUTH_SSL_DELETER(EC_GROUP, EC_GROUP_free);
JWTAUTH_SSL_DELETER(ECDSA_SIG, ECDSA_SIG_free);
JWTAUTH_SSL_DELETER(EVP_MD_CTX, EVP_MD_CTX_free);
JWTAUTH_SSL_DELETER(EVP_PKEY, EVP_PKEY_free);
JWTAUTH_SSL_DELETER(EVP_PKEY_CTX, EVP_PKEY_CTX_free);
JWTAUTH_SSL_DELETER(PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free);
JWTAUTH_SSL_DELETER(X509, X509_free);

}  // namespace internal

template <typename T>
using SslUniquePtr = std::unique_ptr<T, internal::SslDeleter<T>>;

}  // namespace jwtauth::crypto

#endif  // JWTAUTH_CORE_CRYPTO_SSL_PTR_H_
