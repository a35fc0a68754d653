// BoringSSL backend of prepared_verify.h: a fresh EVP_DigestVerifyInit per
// call. BoringSSL's init has none of OpenSSL 3's provider fetches (it is a
// few allocations and pointer copies), so a template would save little, and
// BoringSSL cannot copy an Ed25519 context (its EVP_PKEY_CTX_dup has no
// Ed25519 method): the template stays unused (null).

#include <openssl/err.h>
#include <openssl/evp.h>

#include "core/crypto/prepared_verify.h"
#include "core/crypto/ssl_util.h"

namespace jwtauth::crypto::internal {

PreparedVerify::~PreparedVerify() = default;

bool PreparedVerify::Verify(absl::string_view data, const unsigned char* sig,
                            size_t sig_len) const {
  SslUniquePtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (ctx == nullptr ||
      EVP_DigestVerifyInit(ctx.get(), &pctx, md_, nullptr, pkey_) != 1 ||
      (rsa_pss_ && !ConfigureRsaPss(pctx, md_)) ||
      EVP_DigestVerify(ctx.get(), sig, sig_len, Bytes(data), data.size()) !=
          1) {
    ERR_clear_error();
    return false;
  }
  return true;
}

}  // namespace jwtauth::crypto::internal
