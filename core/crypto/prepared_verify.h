#ifndef JWTAUTH_CORE_CRYPTO_PREPARED_VERIFY_H_
#define JWTAUTH_CORE_CRYPTO_PREPARED_VERIFY_H_

// PreparedVerify: the verification state of one (key, algorithm), prepared
// once and reused by every call. Internal to core/crypto: the RSA, ECDSA and
// EdDSA verifiers hold one each.
//
// Why: in OpenSSL 3 every EVP_DigestVerifyInit builds a new EVP_PKEY_CTX,
// fetches the signature implementation from the provider store, lets the
// provider fetch the digest and, for PS*, turns three ctrls into params. That
// is ~3 µs of an RS256 verification (~19 µs) and ~4.5 µs of a PS256 one.
// Copying an initialised context per call (EVP_MD_CTX_copy_ex) skips that but
// still costs ~0.35 µs (the copied contexts' allocations and up-refs). So the
// OpenSSL 3 backend (prepared_verify_openssl.cc) keeps a few initialised
// contexts in a lock-free pool: a call takes one, verifies, puts it back.
//   RS/PS/ES  the message is hashed one-shot with a digest fetched once per
//             process (an EVP_MD from EVP_sha256() would be fetched again on
//             every init), then EVP_PKEY_verify on a context initialised
//             once with the signature digest (and PSS parameters), which
//             EVP_PKEY_verify leaves reusable;
//   EdDSA     EVP_DigestVerify (one-shot, no digest) on a context initialised
//             once; without EVP_MD_CTX_FLAG_FINALISE it stays reusable.
// That is what the fastest single-threaded caller does (tests/bench's
// RawBest), shared safely between threads.
//
// The BoringSSL backend (prepared_verify_boringssl.cc) initialises a fresh
// context per call instead: its init fetches nothing, and it cannot copy
// Ed25519 contexts. The pool stays empty there.
//
// Thread-safe: a context is owned by exactly one thread between taking it
// (an atomic exchange with null) and putting it back (a compare-and-swap into
// an empty slot; when every slot is full it is freed). A call that finds the
// pool empty (first use, or more concurrent callers of one key than slots)
// builds a fresh context, which then joins the pool. Built lazily because a
// key without "alg" gets a verifier for each algorithm it could serve (six
// for RSA): only the algorithms actually used hold a context, and a key
// verified by one thread at a time holds one (about what the copied template
// this replaces cost). A failed build (allocation) is retried by the next
// call.

#include <array>
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

  // One verification of `sig` (DER for ECDSA) over `data`. False on any
  // failure; the OpenSSL error queue is left empty.
  bool Verify(absl::string_view data, const unsigned char* sig,
              size_t sig_len) const;

 private:
  // A slot holds an EVP_PKEY_CTX* (RS/PS/ES) or an EVP_MD_CTX* (EdDSA, md_
  // null), or null.
  using Slot = std::atomic<void*>;
  static constexpr size_t kPoolSlots = 4;  // concurrent callers of one key

  EVP_PKEY* const pkey_;    // not owned
  const EVP_MD* const md_;  // static OpenSSL object
  const bool rsa_pss_;
  // Owned contexts, ready for use (OpenSSL 3 backend only); freed by the dtor.
  mutable std::array<Slot, kPoolSlots> pool_{};
};

}  // namespace jwtauth::crypto::internal

#endif  // JWTAUTH_CORE_CRYPTO_PREPARED_VERIFY_H_
