// OpenSSL 3 backend of prepared_verify.h: a template context initialised
// once, copied per call.

#include <openssl/err.h>
#include <openssl/evp.h>

#include "core/crypto/prepared_verify.h"
#include "core/crypto/ssl_util.h"

namespace jwtauth::crypto::internal {
namespace {

// Without this flag EVP_DigestVerifyFinal duplicates the EVP_PKEY_CTX once
// more so that the context stays usable afterwards; each copy here is used
// once.
void MarkSingleUse(EVP_MD_CTX* ctx) {
  EVP_MD_CTX_set_flags(ctx, EVP_MD_CTX_FLAG_FINALISE);
}

SslUniquePtr<EVP_MD_CTX> NewTemplate(EVP_PKEY* pkey, const EVP_MD* md,
                                     bool rsa_pss) {
  SslUniquePtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (ctx == nullptr ||
      EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, pkey) != 1 ||
      (rsa_pss && !ConfigureRsaPss(pctx, md))) {
    ERR_clear_error();
    return nullptr;
  }
  return ctx;
}

}  // namespace

PreparedVerify::~PreparedVerify() {
  EVP_MD_CTX_free(template_.load(std::memory_order_acquire));
}

const EVP_MD_CTX* PreparedVerify::Template() const {
  EVP_MD_CTX* current = template_.load(std::memory_order_acquire);
  if (current != nullptr) return current;
  SslUniquePtr<EVP_MD_CTX> fresh = NewTemplate(pkey_, md_, rsa_pss_);
  if (fresh == nullptr) return nullptr;
  if (template_.compare_exchange_strong(current, fresh.get(),
                                        std::memory_order_acq_rel,
                                        std::memory_order_acquire)) {
    return fresh.release();
  }
  return current;  // another thread published first; `fresh` is freed
}

bool PreparedVerify::Verify(absl::string_view data, const unsigned char* sig,
                            size_t sig_len) const {
  const EVP_MD_CTX* prepared = Template();
  if (prepared == nullptr) return false;
  SslUniquePtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  if (ctx == nullptr || EVP_MD_CTX_copy_ex(ctx.get(), prepared) != 1) {
    ERR_clear_error();
    return false;
  }
  MarkSingleUse(ctx.get());
  if (EVP_DigestVerify(ctx.get(), sig, sig_len, Bytes(data), data.size()) !=
      1) {
    ERR_clear_error();
    return false;
  }
  return true;
}

}  // namespace jwtauth::crypto::internal
