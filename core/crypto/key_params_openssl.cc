// OpenSSL 3 backend of key_params.h: provider parameters and EVP checks.

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/x509.h>

#include <utility>

#include "core/crypto/key_params.h"
#include "core/crypto/ssl_util.h"

namespace jwtauth::crypto::internal {
namespace {

// Reads a BIGNUM parameter of `pkey` (N, E, FACTOR1, ...); null if absent.
SslUniquePtr<BIGNUM> GetBn(const EVP_PKEY* pkey, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return SslUniquePtr<BIGNUM>(bn);
}

constexpr char kExplicitCurve[] = "unsupported EC curve (explicit parameters)";

}  // namespace

RsaPublicNumbers GetRsaPublic(const EVP_PKEY* pkey) {
  RsaPublicNumbers out{GetBn(pkey, OSSL_PKEY_PARAM_RSA_N),
                       GetBn(pkey, OSSL_PKEY_PARAM_RSA_E)};
  if (out.n == nullptr || out.e == nullptr) return {};
  return out;
}

bool RsaHasCrtFactors(const EVP_PKEY* pkey) {
  return GetBn(pkey, OSSL_PKEY_PARAM_RSA_FACTOR1) != nullptr;
}

EcPublicPoint GetEcPublic(const EVP_PKEY* pkey) {
  EcPublicPoint out{GetBn(pkey, OSSL_PKEY_PARAM_EC_PUB_X),
                    GetBn(pkey, OSSL_PKEY_PARAM_EC_PUB_Y)};
  if (out.x == nullptr || out.y == nullptr) return {};
  return out;
}

absl::StatusOr<int> NamedCurveNid(const EVP_PKEY* pkey) {
  // Only named curves: explicit parameters (even ones OpenSSL recognises as a
  // named curve) are refused, as RFC 5480 requires for certificates.
  char encoding[32] = {0};
  size_t encoding_len = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_ENCODING,
                                     encoding, sizeof(encoding),
                                     &encoding_len) != 1 ||
      absl::string_view(encoding, encoding_len) !=
          OSSL_PKEY_EC_ENCODING_GROUP) {
    return InvalidKey(kExplicitCurve);
  }
  char name[64] = {0};
  size_t name_len = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name,
                                     sizeof(name), &name_len) != 1) {
    return InvalidKey(kExplicitCurve);
  }
  int nid = OBJ_sn2nid(name);
  if (nid == NID_undef) nid = EC_curve_nist2nid(name);
  return nid;
}

absl::Status CheckRsaKeyPair(EVP_PKEY* pkey) {
  SslUniquePtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new(pkey, nullptr));
  if (ctx == nullptr) return InternalFailure("cannot check RSA key");
  if (EVP_PKEY_pairwise_check(ctx.get()) != 1) {
    return InvalidKey("RSA private key does not match its public key");
  }
  return absl::OkStatus();
}

absl::Status CheckEcKey(EVP_PKEY* pkey, bool has_private) {
  SslUniquePtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new(pkey, nullptr));
  if (ctx == nullptr) return InternalFailure("cannot check EC key");
  if (EVP_PKEY_public_check(ctx.get()) != 1) {
    return InvalidKey("EC point is not on the curve");
  }
  if (has_private && EVP_PKEY_pairwise_check(ctx.get()) != 1) {
    return InvalidKey("EC private key does not match its public key");
  }
  return absl::OkStatus();
}

absl::StatusOr<SslUniquePtr<EVP_PKEY>> MakeShareable(
    SslUniquePtr<EVP_PKEY> pkey, bool has_private) {
  if (EVP_PKEY_get0_provider(pkey.get()) != nullptr) return pkey;
  if (!has_private) {
    auto der = PublicDer(pkey.get());
    if (!der.ok()) return der.status();
    SslUniquePtr<EVP_PKEY> out = ParsePublicDer(*der);
    if (out == nullptr) return InternalFailure("cannot re-encode public key");
    return out;
  }
  SslUniquePtr<PKCS8_PRIV_KEY_INFO> p8(EVP_PKEY2PKCS8(pkey.get()));
  if (p8 == nullptr) return InternalFailure("cannot re-encode private key");
  SslUniquePtr<EVP_PKEY> out(EVP_PKCS82PKEY(p8.get()));
  if (out == nullptr) return InternalFailure("cannot re-encode private key");
  return out;
}

}  // namespace jwtauth::crypto::internal
