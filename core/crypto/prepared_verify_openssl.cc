// OpenSSL 3 backend of prepared_verify.h: a template initialised once, a
// small pool of contexts reused call after call, a template clone when the
// pool is empty.

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>

#include <memory>

#include "core/crypto/prepared_verify.h"
#include "core/crypto/ssl_util.h"

namespace jwtauth::crypto::internal {

// RS/PS/ES: `pkey` is an EVP_PKEY_CTX initialised for verification (padding
// and signature digest set) and `md` hashes the data (null in the
// template). Ed25519: `md` is an initialised EVP_DigestVerify context that
// owns its EVP_PKEY_CTX, and `pkey` is null.
struct PreparedVerify::Context {
  SslUniquePtr<EVP_PKEY_CTX> pkey;
  SslUniquePtr<EVP_MD_CTX> md;
};

namespace {

// The digest as a fetched object, fetched once per process: hashing with
// the static EVP_sha256() and friends makes every EVP_DigestInit_ex fetch
// the implementation again. Falls back to the static object (same result,
// slower) if the fetch fails. Never freed: three objects for the process.
const EVP_MD* FetchedDigest(const EVP_MD* md) {
  auto fetch = [](const char* name) -> const EVP_MD* {
    const EVP_MD* fetched = EVP_MD_fetch(nullptr, name, nullptr);
    if (fetched == nullptr) ERR_clear_error();  // the fallback still works
    return fetched;
  };
  static const EVP_MD* const sha256 = fetch("SHA2-256");
  static const EVP_MD* const sha384 = fetch("SHA2-384");
  static const EVP_MD* const sha512 = fetch("SHA2-512");
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

}  // namespace

PreparedVerify::~PreparedVerify() {
  delete template_.load(std::memory_order_acquire);
  for (std::atomic<Context*>& slot : pool_) {
    delete slot.load(std::memory_order_acquire);
  }
}

const PreparedVerify::Context* PreparedVerify::Template() const {
  Context* current = template_.load(std::memory_order_acquire);
  if (current != nullptr) return current;
  auto fresh = std::make_unique<Context>();
  bool built = false;
  if (md_ == nullptr) {  // Ed25519
    fresh->md.reset(EVP_MD_CTX_new());
    built = fresh->md != nullptr &&
            EVP_DigestVerifyInit(fresh->md.get(), nullptr, nullptr, nullptr,
                                 pkey_) == 1;
  } else {
    fresh->pkey.reset(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey_, nullptr));
    built = fresh->pkey != nullptr &&
            EVP_PKEY_verify_init(fresh->pkey.get()) == 1 &&
            EVP_PKEY_CTX_set_signature_md(fresh->pkey.get(), md_) == 1 &&
            (!rsa_pss_ || ConfigureRsaPss(fresh->pkey.get(), md_));
  }
  if (!built) {
    ERR_clear_error();
    return nullptr;
  }
  if (template_.compare_exchange_strong(current, fresh.get(),
                                        std::memory_order_acq_rel,
                                        std::memory_order_acquire)) {
    return fresh.release();
  }
  return current;  // another thread published first; `fresh` is freed
}

PreparedVerify::Context* PreparedVerify::Take() const {
  for (std::atomic<Context*>& slot : pool_) {
    if (slot.load(std::memory_order_relaxed) == nullptr) continue;
    if (Context* pooled = slot.exchange(nullptr, std::memory_order_acquire)) {
      return pooled;
    }
  }
  const Context* prepared = Template();
  if (prepared == nullptr) return nullptr;
  auto clone = std::make_unique<Context>();
  bool cloned = false;
  if (md_ == nullptr) {
    clone->md.reset(EVP_MD_CTX_new());
    cloned = clone->md != nullptr &&
             EVP_MD_CTX_copy_ex(clone->md.get(), prepared->md.get()) == 1;
    // Single use (below): without this flag EVP_DigestVerify would
    // duplicate the EVP_PKEY_CTX once more to keep the copy usable.
    if (cloned) EVP_MD_CTX_set_flags(clone->md.get(), EVP_MD_CTX_FLAG_FINALISE);
  } else {
    clone->pkey.reset(EVP_PKEY_CTX_dup(prepared->pkey.get()));
    clone->md.reset(EVP_MD_CTX_new());
    cloned = clone->pkey != nullptr && clone->md != nullptr;
  }
  if (!cloned) {
    ERR_clear_error();
    return nullptr;
  }
  return clone.release();
}

void PreparedVerify::Give(Context* context) const {
  for (std::atomic<Context*>& slot : pool_) {
    Context* empty = nullptr;
    if (slot.compare_exchange_strong(empty, context, std::memory_order_release,
                                     std::memory_order_relaxed)) {
      return;
    }
  }
  delete context;  // every slot is full
}

bool PreparedVerify::Verify(absl::string_view data, const unsigned char* sig,
                            size_t sig_len) const {
  std::unique_ptr<Context> context(Take());
  if (context == nullptr) return false;
  bool ok = false;
  if (md_ == nullptr) {
    ok = EVP_DigestVerify(context->md.get(), sig, sig_len, Bytes(data),
                          data.size()) == 1;
  } else {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    ok = EVP_DigestInit_ex(context->md.get(), FetchedDigest(md_), nullptr) ==
             1 &&
         EVP_DigestUpdate(context->md.get(), data.data(), data.size()) == 1 &&
         EVP_DigestFinal_ex(context->md.get(), digest, &digest_len) == 1 &&
         EVP_PKEY_verify(context->pkey.get(), sig, sig_len, digest,
                         digest_len) == 1;
  }
  if (!ok) ERR_clear_error();
  // EVP_PKEY_verify may be called again on its context with the same
  // parameters (EVP_PKEY_verify(3)), after a failure too: a forged token
  // costs what a valid one does. Ed25519 contexts are single use: whether
  // one EVP_DigestVerify context may verify twice has changed between
  // OpenSSL releases.
  if (md_ != nullptr) Give(context.release());
  return ok;
}

}  // namespace jwtauth::crypto::internal
