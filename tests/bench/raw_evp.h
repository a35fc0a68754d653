#ifndef JWTAUTH_TESTS_BENCH_RAW_EVP_H_
#define JWTAUTH_TESTS_BENCH_RAW_EVP_H_

// The two calls of verify_benchmark's best raw baseline that differ between
// crypto backends: raw_evp_openssl.cc pre-fetches the digest and builds the
// EVP_PKEY_CTX from the default library context (OpenSSL 3 would otherwise
// fetch on every call); raw_evp_boringssl.cc uses the static objects
// BoringSSL has. CMake compiles the backend's file.

#include <openssl/evp.h>

namespace jwtauth::bench {

// A digest fit for repeated use (freed with FreeMd).
const EVP_MD* FetchMd(const EVP_MD* md);
void FreeMd(const EVP_MD* md);
// A fresh EVP_PKEY_CTX for `pkey` (freed with EVP_PKEY_CTX_free).
EVP_PKEY_CTX* NewPkeyCtx(EVP_PKEY* pkey);

}  // namespace jwtauth::bench

#endif  // JWTAUTH_TESTS_BENCH_RAW_EVP_H_
