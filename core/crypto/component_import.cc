#include "core/crypto/component_import.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "core/crypto/pkey_import.h"
#include "core/crypto/ssl_ptr.h"
#include "core/crypto/ssl_util.h"

namespace jwtauth::crypto::internal {
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

absl::StatusOr<KeyMaterial> KeyFromRsaComponents(
    const RsaComponents& c, const KeyStrengthPolicy& policy) {
  if (c.n.empty() || c.e.empty()) {
    return absl::InvalidArgumentError("RSA key needs n and e");
  }
  const bool has_private = !c.d.empty();
  const int crt_count = !c.p.empty() + !c.q.empty() + !c.dp.empty() +
                        !c.dq.empty() + !c.qi.empty();
  if (crt_count != 0 && (crt_count != 5 || !has_private)) {
    return absl::InvalidArgumentError(
        "RSA private key needs d and either all or none of p, q, dp, dq, qi");
  }
  // Size check before any arithmetic on attacker-sized numbers.
  if (c.n.size() > kMaxRsaBits / 8 + 1)
    return absl::InvalidArgumentError("RSA modulus too large");
  if (c.e.size() > c.n.size()) {
    return absl::InvalidArgumentError(kBadRsaExponent);
  }
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
  auto pkey = FromData(
      "RSA", has_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, bld.get());
  if (!pkey.ok()) return pkey.status();
  if (*pkey == nullptr) return InvalidKey("invalid RSA key");
  return ImportPkey(std::move(*pkey), has_private, policy);
}

absl::StatusOr<KeyMaterial> KeyFromEcComponents(const EcComponents& c) {
  if (c.curve != Curve::kP256 && c.curve != Curve::kP384 &&
      c.curve != Curve::kP521) {
    return absl::InvalidArgumentError("unsupported EC curve");
  }
  const size_t field = CurveFieldBytes(c.curve);
  if (c.x.size() != field || c.y.size() != field) {
    return absl::InvalidArgumentError(
        "EC coordinates must be exactly the field size");
  }
  const bool has_private = !c.d.empty();
  if (has_private && c.d.size() != field) {
    return absl::InvalidArgumentError(
        "EC private key must be exactly the field size");
  }
  std::string point;
  point.reserve(1 + 2 * field);
  point.push_back('\x04');
  point.append(c.x);
  point.append(c.y);
  const char* group = OBJ_nid2sn(CurveNid(c.curve));
  SslUniquePtr<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
  SslUniquePtr<BIGNUM> d;
  if (bld == nullptr || group == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                      group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                       point.data(), point.size()) != 1) {
    return InternalFailure("cannot build key");
  }
  if (has_private) {
    d = BnFromBytes(c.d);
    if (d == nullptr ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get()) !=
            1) {
      return InternalFailure("cannot build key");
    }
  }
  auto pkey = FromData(
      "EC", has_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, bld.get());
  if (!pkey.ok()) return pkey.status();
  // Import decodes the point and fails if it is not on the curve.
  if (*pkey == nullptr) return InvalidKey("EC point is not on the curve");
  auto km = ImportPkey(std::move(*pkey), has_private, KeyStrengthPolicy{});
  if (km.ok() && km->curve() != c.curve) return InvalidKey("EC curve mismatch");
  return km;
}

absl::StatusOr<KeyMaterial> KeyFromOkpComponents(const OkpComponents& c) {
  if (c.curve != Curve::kEd25519) {
    return absl::InvalidArgumentError("unsupported OKP curve (only Ed25519)");
  }
  constexpr size_t kEd25519KeyBytes = 32;
  if (c.x.size() != kEd25519KeyBytes) {
    return absl::InvalidArgumentError("Ed25519 public key must be 32 bytes");
  }
  if (c.d.empty()) {
    SslUniquePtr<EVP_PKEY> pkey(EVP_PKEY_new_raw_public_key(
        EVP_PKEY_ED25519, nullptr, Bytes(c.x), c.x.size()));
    if (pkey == nullptr) return InvalidKey("invalid Ed25519 public key");
    return ImportPkey(std::move(pkey), /*has_private=*/false,
                      KeyStrengthPolicy{});
  }
  if (c.d.size() != kEd25519KeyBytes) {
    return absl::InvalidArgumentError("Ed25519 private key must be 32 bytes");
  }
  SslUniquePtr<EVP_PKEY> pkey(EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, Bytes(c.d), c.d.size()));
  if (pkey == nullptr) return InvalidKey("invalid Ed25519 private key");
  unsigned char pub[kEd25519KeyBytes];
  size_t pub_len = sizeof(pub);
  if (EVP_PKEY_get_raw_public_key(pkey.get(), pub, &pub_len) != 1 ||
      pub_len != sizeof(pub)) {
    return InternalFailure("cannot derive Ed25519 public key");
  }
  if (CRYPTO_memcmp(pub, c.x.data(), sizeof(pub)) != 0) {
    return absl::InvalidArgumentError(
        "Ed25519 private key does not match its public key");
  }
  return ImportPkey(std::move(pkey), /*has_private=*/true, KeyStrengthPolicy{});
}

}  // namespace jwtauth::crypto::internal
