// BoringSSL backend of key_params.h: the RSA / EC_KEY inside the EVP_PKEY.

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <utility>

#include "core/crypto/key_params.h"
#include "core/crypto/ssl_util.h"

namespace jwtauth::crypto::internal {
namespace {

SslUniquePtr<BIGNUM> Dup(const BIGNUM* bn) {
  return SslUniquePtr<BIGNUM>(bn == nullptr ? nullptr : BN_dup(bn));
}

}  // namespace

RsaPublicNumbers GetRsaPublic(const EVP_PKEY* pkey) {
  const RSA* rsa = EVP_PKEY_get0_RSA(pkey);
  if (rsa == nullptr) return {};
  const BIGNUM *n = nullptr, *e = nullptr;
  RSA_get0_key(rsa, &n, &e, nullptr);
  RsaPublicNumbers out{Dup(n), Dup(e)};
  if (out.n == nullptr || out.e == nullptr) return {};
  return out;
}

bool RsaHasCrtFactors(const EVP_PKEY* pkey) {
  const RSA* rsa = EVP_PKEY_get0_RSA(pkey);
  if (rsa == nullptr) return false;
  const BIGNUM *p = nullptr, *q = nullptr;
  RSA_get0_factors(rsa, &p, &q);
  return p != nullptr;
}

EcPublicPoint GetEcPublic(const EVP_PKEY* pkey) {
  const EC_KEY* ec = EVP_PKEY_get0_EC_KEY(pkey);
  const EC_POINT* point = ec == nullptr ? nullptr : EC_KEY_get0_public_key(ec);
  if (point == nullptr) return {};
  EcPublicPoint out{SslUniquePtr<BIGNUM>(BN_new()),
                    SslUniquePtr<BIGNUM>(BN_new())};
  if (out.x == nullptr || out.y == nullptr ||
      EC_POINT_get_affine_coordinates_GFp(EC_KEY_get0_group(ec), point,
                                          out.x.get(), out.y.get(),
                                          nullptr) != 1) {
    ERR_clear_error();
    return {};
  }
  return out;
}

absl::StatusOr<int> NamedCurveNid(const EVP_PKEY* pkey) {
  // BoringSSL's key parsers refuse explicit curve parameters outright
  // (pem_import_test.cc, EcExplicitParameters), so every EC key here has a
  // named group.
  const EC_KEY* ec = EVP_PKEY_get0_EC_KEY(pkey);
  const EC_GROUP* group = ec == nullptr ? nullptr : EC_KEY_get0_group(ec);
  if (group == nullptr) return InvalidKey("invalid EC key");
  return EC_GROUP_get_curve_name(group);
}

absl::Status CheckRsaKeyPair(EVP_PKEY* pkey) {
  const RSA* rsa = EVP_PKEY_get0_RSA(pkey);
  if (rsa == nullptr || RSA_check_key(rsa) != 1) {
    return InvalidKey("RSA private key does not match its public key");
  }
  return absl::OkStatus();
}

absl::Status CheckEcKey(EVP_PKEY* pkey, bool has_private) {
  const EC_KEY* ec = EVP_PKEY_get0_EC_KEY(pkey);
  // EC_KEY_check_key: the point is on the curve and not at infinity and,
  // when the key has a private scalar, [d]G equals it.
  if (ec == nullptr || EC_KEY_check_key(ec) != 1) {
    return InvalidKey(has_private
                          ? "EC private key does not match its public key"
                          : "EC point is not on the curve");
  }
  return absl::OkStatus();
}

absl::StatusOr<SslUniquePtr<EVP_PKEY>> MakeShareable(
    SslUniquePtr<EVP_PKEY> pkey, bool /*has_private*/) {
  return pkey;
}

}  // namespace jwtauth::crypto::internal
