// BoringSSL part of verify_benchmark's raw baseline (raw_evp.h): digests
// are static objects and nothing is fetched.

#include <openssl/evp.h>

#include "tests/bench/raw_evp.h"

namespace jwtauth::bench {

const EVP_MD* FetchMd(const EVP_MD* md) { return md; }

void FreeMd(const EVP_MD*) {}

EVP_PKEY_CTX* NewPkeyCtx(EVP_PKEY* pkey) {
  return EVP_PKEY_CTX_new(pkey, nullptr);
}

}  // namespace jwtauth::bench
