// OpenSSL 3 backend of key_build.h: EVP_PKEY_fromdata from OSSL_PARAMs.

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/params.h>

#include <string>
#include <vector>

#include "core/crypto/key_build.h"
#include "core/crypto/ssl_util.h"

namespace jwtauth::crypto::internal {

JWTAUTH_SSL_DELETER(OSSL_PARAM, OSSL_PARAM_free);
JWTAUTH_SSL_DELETER(OSSL_PARAM_BLD, OSSL_PARAM_BLD_free);

namespace {

absl::StatusOr<SslUniquePtr<EVP_PKEY>> FromData(const char* key_type,
                                                int selection,
                                                OSSL_PARAM_BLD* bld) {
  SslUniquePtr<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(bld));
  SslUniquePtr<EVP_PKEY_CTX> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, key_type, nullptr));
  if (params == nullptr || ctx == nullptr)
    return InternalFailure("cannot build key");
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, selection, params.get()) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return SslUniquePtr<EVP_PKEY>(raw);
}

}  // namespace

absl::StatusOr<SslUniquePtr<EVP_PKEY>> BuildRsaKey(const RsaComponents& c) {
  SslUniquePtr<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr) return InternalFailure("cannot build key");
  // The builder keeps pointers to the BIGNUMs until to_param().
  std::vector<SslUniquePtr<BIGNUM>> bns;
  auto push = [&](const char* name, const std::string& bytes) {
    if (bytes.empty()) return true;
    bns.push_back(BnFromBytes(bytes));
    return bns.back() != nullptr &&
           OSSL_PARAM_BLD_push_BN(bld.get(), name, bns.back().get()) == 1;
  };
  if (!push(OSSL_PKEY_PARAM_RSA_N, c.n) || !push(OSSL_PKEY_PARAM_RSA_E, c.e) ||
      !push(OSSL_PKEY_PARAM_RSA_D, c.d) ||
      !push(OSSL_PKEY_PARAM_RSA_FACTOR1, c.p) ||
      !push(OSSL_PKEY_PARAM_RSA_FACTOR2, c.q) ||
      !push(OSSL_PKEY_PARAM_RSA_EXPONENT1, c.dp) ||
      !push(OSSL_PKEY_PARAM_RSA_EXPONENT2, c.dq) ||
      !push(OSSL_PKEY_PARAM_RSA_COEFFICIENT1, c.qi)) {
    return InternalFailure("cannot build key");
  }
  return FromData("RSA", c.d.empty() ? EVP_PKEY_PUBLIC_KEY : EVP_PKEY_KEYPAIR,
                  bld.get());
}

absl::StatusOr<SslUniquePtr<EVP_PKEY>> BuildEcKey(Curve curve,
                                                  absl::string_view point,
                                                  absl::string_view d) {
  const char* group = OBJ_nid2sn(CurveNid(curve));
  SslUniquePtr<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
  SslUniquePtr<BIGNUM> priv;
  if (bld == nullptr || group == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                      group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                       point.data(), point.size()) != 1) {
    return InternalFailure("cannot build key");
  }
  if (!d.empty()) {
    priv = BnFromBytes(d);
    if (priv == nullptr ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY,
                               priv.get()) != 1) {
      return InternalFailure("cannot build key");
    }
  }
  // fromdata decodes the point and fails if it is not on the curve.
  return FromData("EC", d.empty() ? EVP_PKEY_PUBLIC_KEY : EVP_PKEY_KEYPAIR,
                  bld.get());
}

}  // namespace jwtauth::crypto::internal
