#include "core/crypto/der_probe.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

namespace jwtauth::crypto {
namespace {

// Same bound as PEM import: larger inputs are not keys we would load.
constexpr size_t kMaxDerBytes = 1 << 20;

}  // namespace

bool IsDerKeyEncoding(absl::string_view der) {
  if (der.empty() || der.size() > kMaxDerBytes || der.front() != '\x30') {
    return false;  // every candidate encoding is a DER SEQUENCE
  }
  const unsigned char* const begin =
      reinterpret_cast<const unsigned char*>(der.data());
  const long len = static_cast<long>(der.size());
  // Each parser must consume the input exactly (no trailing bytes).
  auto whole = [&](auto parse, auto free_fn) {
    const unsigned char* p = begin;
    auto* obj = parse(&p);
    const bool ok = obj != nullptr && p == begin + len;
    if (obj != nullptr) free_fn(obj);
    return ok;
  };
  const bool found =
      whole([&](const unsigned char** p) { return d2i_X509(nullptr, p, len); },
            X509_free) ||
      whole(
          [&](const unsigned char** p) { return d2i_PUBKEY(nullptr, p, len); },
          EVP_PKEY_free) ||
      whole(
          [&](const unsigned char** p) {
            return d2i_PublicKey(EVP_PKEY_RSA, nullptr, p, len);
          },
          EVP_PKEY_free) ||
      whole(
          [&](const unsigned char** p) {
            return d2i_AutoPrivateKey(nullptr, p, len);
          },
          EVP_PKEY_free);
  ERR_clear_error();
  return found;
}

}  // namespace jwtauth::crypto
