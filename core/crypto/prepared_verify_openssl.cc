// OpenSSL 3 backend of prepared_verify.h: initialised contexts kept in a
// small lock-free pool and reused.

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include "core/crypto/prepared_verify.h"
#include "core/crypto/ssl_util.h"

namespace jwtauth::crypto::internal {
namespace {

// The provider's digest for `md` (a static EVP_sha*() object), fetched once
// per process: hashing with the static object would fetch it on every call.
// Kept until exit (never freed: the statics stay reachable). Falls back to
// `md` itself if the fetch failed.
const EVP_MD* FetchedDigest(const EVP_MD* md) {
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  static EVP_MD* const sha384 = EVP_MD_fetch(nullptr, "SHA384", nullptr);
  static EVP_MD* const sha512 = EVP_MD_fetch(nullptr, "SHA512", nullptr);
  const EVP_MD* fetched = nullptr;
  switch (EVP_MD_get_type(md)) {
    case NID_sha256:
      fetched = sha256;
      break;
    case NID_sha384:
      fetched = sha384;
      break;
    case NID_sha512:
      fetched = sha512;
      break;
    default:
      break;
  }
  return fetched != nullptr ? fetched : md;
}

// A context initialised for `pkey`: for EVP_DigestVerify when `md` is null
// (Ed25519), else for EVP_PKEY_verify of an `md` digest. Null on failure
// (error queue not cleared).
void* BuildContext(EVP_PKEY* pkey, const EVP_MD* md, bool rsa_pss) {
  if (md == nullptr) {  // Ed25519: one-shot DigestVerify, no digest
    SslUniquePtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
    if (ctx == nullptr ||
        EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey) != 1) {
      return nullptr;
    }
    return ctx.release();
  }
  SslUniquePtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new(pkey, nullptr));
  if (ctx == nullptr || EVP_PKEY_verify_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_signature_md(ctx.get(), md) != 1 ||
      (rsa_pss && !ConfigureRsaPss(ctx.get(), md))) {
    return nullptr;
  }
  return ctx.release();
}

// `ctx` as BuildContext made it (`eddsa`: md was null).
void FreeContext(void* ctx, bool eddsa) {
  if (eddsa) {
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx));
  } else {
    EVP_PKEY_CTX_free(static_cast<EVP_PKEY_CTX*>(ctx));
  }
}

}  // namespace

PreparedVerify::~PreparedVerify() {
  for (Slot& slot : pool_) {
    FreeContext(slot.load(std::memory_order_acquire), md_ == nullptr);
  }
}

bool PreparedVerify::Verify(absl::string_view data, const unsigned char* sig,
                            size_t sig_len) const {
  // Take a context: the first non-empty slot, emptied by the exchange.
  void* ctx = nullptr;
  for (Slot& slot : pool_) {
    if (slot.load(std::memory_order_relaxed) == nullptr) continue;
    ctx = slot.exchange(nullptr, std::memory_order_acquire);
    if (ctx != nullptr) break;
  }
  if (ctx == nullptr) ctx = BuildContext(pkey_, md_, rsa_pss_);
  if (ctx == nullptr) {
    ERR_clear_error();
    return false;
  }
  bool ok = false;
  if (md_ == nullptr) {
    ok = EVP_DigestVerify(static_cast<EVP_MD_CTX*>(ctx), sig, sig_len,
                          Bytes(data), data.size()) == 1;
  } else {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    ok = EVP_Digest(data.data(), data.size(), digest, &digest_len,
                    FetchedDigest(md_), nullptr) == 1 &&
         EVP_PKEY_verify(static_cast<EVP_PKEY_CTX*>(ctx), sig, sig_len, digest,
                         digest_len) == 1;
  }
  if (!ok) ERR_clear_error();
  // Put it back into an empty slot; with every slot taken, free it.
  for (Slot& slot : pool_) {
    void* expected = nullptr;
    if (slot.compare_exchange_strong(expected, ctx, std::memory_order_release,
                                     std::memory_order_relaxed)) {
      return ok;
    }
  }
  FreeContext(ctx, md_ == nullptr);
  return ok;
}

}  // namespace jwtauth::crypto::internal
