#ifndef JWTAUTH_CORE_CRYPTO_PREPARED_VERIFY_H_
#define JWTAUTH_CORE_CRYPTO_PREPARED_VERIFY_H_

// PreparedVerify: an EVP_DigestVerify context initialised once per (key,
// algorithm) and copied for every verification. Internal to core/crypto: the
// RSA, ECDSA and EdDSA verifiers hold one each.
//
// Why: in OpenSSL 3 every EVP_DigestVerifyInit builds a new EVP_PKEY_CTX,
// fetches the signature implementation from the provider store, lets the
// provider fetch the digest and, for PS*, turns three ctrls into params. That
// is ~3 µs of an RS256 verification (~19 µs) and ~4.5 µs of a PS256 one.
// EVP_MD_CTX_copy_ex of an initialised context (EVP_PKEY_CTX_dup, the
// provider's dupctx) skips all of it and costs about what one reused,
// single-threaded context does (docs/PERFORMANCE.md). Fetching the EVP_MD
// ourselves would not help: the provider fetches its own at init, which
// happens once here anyway.
//
// That is the OpenSSL 3 backend (prepared_verify_openssl.cc). The BoringSSL
// backend (prepared_verify_boringssl.cc) initialises a fresh context per call
// instead: its init fetches nothing, and it cannot copy Ed25519 contexts.
//
// Thread-safe: the template is built on first use and published with a
// compare-and-swap (a thread that loses the race frees its own), then only
// ever read: copy_ex takes it as const and takes references on the shared
// objects with atomic up-refs. Each call verifies on its own copy. Built
// lazily because a key without "alg" gets a verifier for each algorithm it
// could serve (six for RSA) and a template costs ~0.7 KB; only the algorithms
// actually used pay for one. A failed build (allocation) is retried by the
// next call.

#include <atomic>
#include <cstddef>

#include "absl/strings/string_view.h"
#include "core/crypto/ssl_ptr.h"

namespace jwtauth::crypto::internal {

class PreparedVerify final {
 public:
  // `pkey` is read-only and must outlive this object (the verifiers keep
  // its KeyMaterial next to it). `md` is a static digest, null for Ed25519
  // (which hashes internally); `rsa_pss` selects PSS padding with MGF1(md)
  // and salt length = digest length.
  PreparedVerify(EVP_PKEY* pkey, const EVP_MD* md, bool rsa_pss)
      : pkey_(pkey), md_(md), rsa_pss_(rsa_pss) {}
  ~PreparedVerify();
  PreparedVerify(const PreparedVerify&) = delete;
  PreparedVerify& operator=(const PreparedVerify&) = delete;

  // One EVP_DigestVerify of `sig` over `data`. False on any failure; the
  // OpenSSL error queue is left empty.
  bool Verify(absl::string_view data, const unsigned char* sig,
              size_t sig_len) const;

 private:
  // The initialised context, built on first use; null if building failed
  // (OpenSSL 3 backend only).
  const EVP_MD_CTX* Template() const;

  EVP_PKEY* const pkey_;    // not owned
  const EVP_MD* const md_;  // static OpenSSL object
  const bool rsa_pss_;
  // Owned; written once (null → built) by Template(), freed by the dtor.
  mutable std::atomic<EVP_MD_CTX*> template_{nullptr};
};

}  // namespace jwtauth::crypto::internal

#endif  // JWTAUTH_CORE_CRYPTO_PREPARED_VERIFY_H_
