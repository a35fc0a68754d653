#ifndef JWTAUTH_CORE_CRYPTO_PREPARED_VERIFY_H_
#define JWTAUTH_CORE_CRYPTO_PREPARED_VERIFY_H_

// PreparedVerify: verification state initialised once per (key, algorithm)
// and reused. Internal to core/crypto: the RSA, ECDSA and EdDSA verifiers
// hold one each.
//
// Why: in OpenSSL 3 every EVP_DigestVerifyInit builds a new EVP_PKEY_CTX,
// fetches the signature implementation from the provider store, lets the
// provider fetch the digest and, for PS*, turns three ctrls into params. That
// is ~3 µs of an RS256 verification (~19 µs) and ~4.5 µs of a PS256 one.
//
// The OpenSSL 3 backend (prepared_verify_openssl.cc) keeps, per (key,
// algorithm), a template context initialised once and a small lock-free pool
// of contexts ready for one verification each. A call takes a pooled context
// (one atomic exchange), verifies and puts it back (one compare-and-swap into
// an empty slot); with every slot taken by concurrent calls it clones the
// template instead (EVP_PKEY_CTX_dup, the provider's dupctx: ~0.35 µs, never
// a fresh init) and, on the way back, keeps the clone if a slot is free or
// frees it. So concurrency beyond the pool costs what a copy per call cost
// before, never an init. RS/PS/ES contexts hash with a digest fetched once
// per process (the static EVP_sha256() is fetched again at every init) and
// verify the digest with EVP_PKEY_verify; Ed25519 contexts are initialised
// EVP_DigestVerify contexts (one-shot, stateless between calls).
//
// The BoringSSL backend (prepared_verify_boringssl.cc) initialises a fresh
// context per call instead: its init fetches nothing, and it cannot copy
// Ed25519 contexts. Its template and pool stay empty.
//
// Thread-safe: the template is built on first use and published with a
// compare-and-swap (a thread that loses the race frees its own), then only
// ever read (EVP_PKEY_CTX_dup and EVP_MD_CTX_copy_ex take it as const and
// up-ref the shared key and provider objects atomically). A pooled context
// is owned by exactly one call between its take and its return. Built
// lazily because a key without "alg" gets a verifier for each algorithm it
// could serve (six for RSA): only the algorithms actually used pay for a
// template (~0.5 KB) and pooled contexts (~0.7 KB each, at most kPoolSlots,
// as many as calls with this key have overlapped). A failed build
// (allocation) is retried by the next call.

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

  // One verification of `sig` over `data`. False on any failure; the
  // OpenSSL error queue is left empty.
  bool Verify(absl::string_view data, const unsigned char* sig,
              size_t sig_len) const;

  // Contexts kept ready between calls (OpenSSL 3 backend). Enough for
  // the request threads of a 2-core pod verifying with one key at once.
  static constexpr size_t kPoolSlots = 4;

 private:
  // One verification's state, defined by the backend.
  struct Context;
  // The template, built on first use; null if building failed.
  const Context* Template() const;
  // A context for one call: pooled if one is free, else a template clone.
  Context* Take() const;
  // Back into a free slot, or freed when every slot is full.
  void Give(Context* context) const;

  EVP_PKEY* const pkey_;    // not owned
  const EVP_MD* const md_;  // static OpenSSL object
  const bool rsa_pss_;
  // Owned; written once (null → built) by Template(), freed by the dtor.
  mutable std::atomic<Context*> template_{nullptr};
  // Owned; each slot is null or a context no call is using.
  mutable std::array<std::atomic<Context*>, kPoolSlots> pool_{};
};

}  // namespace jwtauth::crypto::internal

#endif  // JWTAUTH_CORE_CRYPTO_PREPARED_VERIFY_H_
