// OpenSSL 3 part of verify_benchmark's raw baseline (raw_evp.h).

#include <openssl/evp.h>

#include "tests/bench/raw_evp.h"

namespace jwtauth::bench {

const EVP_MD* FetchMd(const EVP_MD* md) {
  return EVP_MD_fetch(nullptr, EVP_MD_get0_name(md), nullptr);
}

void FreeMd(const EVP_MD* md) { EVP_MD_free(const_cast<EVP_MD*>(md)); }

EVP_PKEY_CTX* NewPkeyCtx(EVP_PKEY* pkey) {
  return EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr);
}

}  // namespace jwtauth::bench
