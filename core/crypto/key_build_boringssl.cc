// BoringSSL backend of key_build.h: the numbers go into an RSA or EC_KEY
// through its setters (BoringSSL has no EVP_PKEY_fromdata / OSSL_PARAM).

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <utility>

#include "core/crypto/key_build.h"
#include "core/crypto/ssl_util.h"

namespace jwtauth::crypto::internal {

JWTAUTH_SSL_DELETER(RSA, RSA_free);
JWTAUTH_SSL_DELETER(EC_KEY, EC_KEY_free);
JWTAUTH_SSL_DELETER(EC_POINT, EC_POINT_free);

namespace {

// Null for empty bytes (an absent optional number).
SslUniquePtr<BIGNUM> OptionalBn(const std::string& bytes, bool& failed) {
  if (bytes.empty()) return nullptr;
  SslUniquePtr<BIGNUM> bn = BnFromBytes(bytes);
  if (bn == nullptr) failed = true;
  return bn;
}

}  // namespace

absl::StatusOr<SslUniquePtr<EVP_PKEY>> BuildRsaKey(const RsaComponents& c) {
  bool failed = false;
  SslUniquePtr<BIGNUM> n = OptionalBn(c.n, failed), e = OptionalBn(c.e, failed),
                       d = OptionalBn(c.d, failed), p = OptionalBn(c.p, failed),
                       q = OptionalBn(c.q, failed),
                       dp = OptionalBn(c.dp, failed),
                       dq = OptionalBn(c.dq, failed),
                       qi = OptionalBn(c.qi, failed);
  SslUniquePtr<RSA> rsa(RSA_new());
  if (failed || rsa == nullptr) return InternalFailure("cannot build key");
  // set0 takes ownership only on success.
  if (RSA_set0_key(rsa.get(), n.get(), e.get(), d.get()) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  n.release();
  e.release();
  d.release();
  if (p != nullptr) {
    if (RSA_set0_factors(rsa.get(), p.get(), q.get()) != 1) {
      ERR_clear_error();
      return nullptr;
    }
    p.release();
    q.release();
    if (RSA_set0_crt_params(rsa.get(), dp.get(), dq.get(), qi.get()) != 1) {
      ERR_clear_error();
      return nullptr;
    }
    dp.release();
    dq.release();
    qi.release();
  }
  SslUniquePtr<EVP_PKEY> pkey(EVP_PKEY_new());
  if (pkey == nullptr || EVP_PKEY_assign_RSA(pkey.get(), rsa.get()) != 1) {
    return InternalFailure("cannot build key");
  }
  rsa.release();  // owned by pkey
  return pkey;
}

absl::StatusOr<SslUniquePtr<EVP_PKEY>> BuildEcKey(Curve curve,
                                                  absl::string_view point,
                                                  absl::string_view d) {
  SslUniquePtr<EC_KEY> ec(EC_KEY_new_by_curve_name(CurveNid(curve)));
  if (ec == nullptr) return InternalFailure("cannot build key");
  const EC_GROUP* group = EC_KEY_get0_group(ec.get());
  SslUniquePtr<EC_POINT> pub(EC_POINT_new(group));
  if (pub == nullptr) return InternalFailure("cannot build key");
  // oct2point refuses a point that is not on the curve.
  if (EC_POINT_oct2point(group, pub.get(), Bytes(point), point.size(),
                         nullptr) != 1 ||
      EC_KEY_set_public_key(ec.get(), pub.get()) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  if (!d.empty()) {
    SslUniquePtr<BIGNUM> priv = BnFromBytes(d);
    if (priv == nullptr) return InternalFailure("cannot build key");
    if (EC_KEY_set_private_key(ec.get(), priv.get()) != 1) {
      ERR_clear_error();
      return nullptr;
    }
  }
  SslUniquePtr<EVP_PKEY> pkey(EVP_PKEY_new());
  if (pkey == nullptr || EVP_PKEY_assign_EC_KEY(pkey.get(), ec.get()) != 1) {
    return InternalFailure("cannot build key");
  }
  ec.release();  // owned by pkey
  return pkey;
}

}  // namespace jwtauth::crypto::internal
