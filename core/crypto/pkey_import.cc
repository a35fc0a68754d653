#include "core/crypto/pkey_import.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/x509.h>

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "core/crypto/ed25519_checks.h"
#include "core/crypto/key_material_impl.h"
#include "core/crypto/ssl_util.h"

namespace jwtauth::crypto::internal {
namespace {

int MinRsaBits(const KeyStrengthPolicy& policy) {
  return std::max(policy.min_rsa_bits, KeyStrengthPolicy::kAbsoluteMinRsaBits);
}

// Keys parsed from some legacy encodings (PKCS#1 RSAPublicKey) come back as
// legacy keys, which OpenSSL converts to provider keys lazily on first use;
// re-encoding once here makes every stored key provider-native, so concurrent
// verifies never race on that conversion.
absl::StatusOr<SslUniquePtr<EVP_PKEY>> MakeProviderNative(
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

// A private RSA key given without CRT factors: prove d matches (n, e) by
// signing and verifying a fixed message.
bool RsaSelfTest(EVP_PKEY* pkey) {
  static constexpr char kMessage[] = "jwtauth RSA key consistency check";
  const unsigned char* msg = reinterpret_cast<const unsigned char*>(kMessage);
  const size_t msg_len = sizeof(kMessage) - 1;
  SslUniquePtr<EVP_MD_CTX> sctx(EVP_MD_CTX_new());
  size_t sig_len = 0;
  if (sctx == nullptr ||
      EVP_DigestSignInit(sctx.get(), nullptr, EVP_sha256(), nullptr, pkey) !=
          1 ||
      EVP_DigestSign(sctx.get(), nullptr, &sig_len, msg, msg_len) != 1) {
    ERR_clear_error();
    return false;
  }
  std::vector<unsigned char> sig(sig_len);
  if (EVP_DigestSign(sctx.get(), sig.data(), &sig_len, msg, msg_len) != 1) {
    ERR_clear_error();
    return false;
  }
  SslUniquePtr<EVP_MD_CTX> vctx(EVP_MD_CTX_new());
  if (vctx == nullptr ||
      EVP_DigestVerifyInit(vctx.get(), nullptr, EVP_sha256(), nullptr, pkey) !=
          1 ||
      EVP_DigestVerify(vctx.get(), sig.data(), sig_len, msg, msg_len) != 1) {
    ERR_clear_error();
    return false;
  }
  return true;
}

absl::Status ValidateRsa(EVP_PKEY* pkey, bool has_private, bool trusted,
                         const KeyStrengthPolicy& policy) {
  const int bits = EVP_PKEY_get_bits(pkey);
  if (bits < MinRsaBits(policy)) return InvalidKey("RSA modulus too small");
  if (bits > kMaxRsaBits) return InvalidKey("RSA modulus too large");
  SslUniquePtr<BIGNUM> n = GetBn(pkey, OSSL_PKEY_PARAM_RSA_N);
  SslUniquePtr<BIGNUM> e = GetBn(pkey, OSSL_PKEY_PARAM_RSA_E);
  if (n == nullptr || e == nullptr) return InvalidKey("invalid RSA key");
  if (!BN_is_odd(n.get())) return InvalidKey("RSA modulus must be odd");
  if (!BN_is_odd(e.get()) || BN_is_one(e.get()) ||
      BN_cmp(e.get(), n.get()) >= 0) {
    return InvalidKey(kBadRsaExponent);
  }
  if (!has_private || trusted) return absl::OkStatus();
  SslUniquePtr<BIGNUM> p = GetBn(pkey, OSSL_PKEY_PARAM_RSA_FACTOR1);
  if (p != nullptr) {
    // With CRT factors: OpenSSL's full key check (p, q prime, n = pq, d, dp,
    // dq, qi consistent). Import-time only; tens of milliseconds at 2048 bits.
    SslUniquePtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new(pkey, nullptr));
    if (ctx == nullptr) return InternalFailure("cannot check RSA key");
    if (EVP_PKEY_pairwise_check(ctx.get()) != 1) {
      return InvalidKey("RSA private key does not match its public key");
    }
    return absl::OkStatus();
  }
  if (!RsaSelfTest(pkey)) {
    return InvalidKey("RSA private key does not match its public key");
  }
  return absl::OkStatus();
}

absl::StatusOr<Curve> CurveOfEcKey(const EVP_PKEY* pkey) {
  // Only named curves: explicit parameters (even ones OpenSSL recognises as a
  // named curve) are refused, as RFC 5480 requires for certificates.
  char encoding[32] = {0};
  size_t encoding_len = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_ENCODING,
                                     encoding, sizeof(encoding),
                                     &encoding_len) != 1 ||
      absl::string_view(encoding, encoding_len) !=
          OSSL_PKEY_EC_ENCODING_GROUP) {
    return InvalidKey("unsupported EC curve (explicit parameters)");
  }
  char name[64] = {0};
  size_t name_len = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name,
                                     sizeof(name), &name_len) != 1) {
    return InvalidKey("unsupported EC curve (explicit parameters)");
  }
  int nid = OBJ_sn2nid(name);
  if (nid == NID_undef) nid = EC_curve_nist2nid(name);
  switch (nid) {
    case NID_X9_62_prime256v1:
      return Curve::kP256;
    case NID_secp384r1:
      return Curve::kP384;
    case NID_secp521r1:
      return Curve::kP521;
    default:
      break;
  }
  return InvalidKey("unsupported EC curve");
}

absl::Status ValidateEc(EVP_PKEY* pkey, bool has_private, bool trusted) {
  if (trusted) return absl::OkStatus();
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

}  // namespace

// Validates an asymmetric key from any source and wraps it.
absl::StatusOr<KeyMaterial> ImportPkey(SslUniquePtr<EVP_PKEY> pkey,
                                       bool has_private,
                                       const KeyStrengthPolicy& policy,
                                       bool trusted) {
  if (pkey == nullptr) return InvalidKey("invalid key");
  auto impl = std::make_unique<KeyMaterial::Impl>();
  impl->has_private = has_private;
  switch (EVP_PKEY_get_base_id(pkey.get())) {
    case EVP_PKEY_RSA: {
      absl::Status s = ValidateRsa(pkey.get(), has_private, trusted, policy);
      if (!s.ok()) return s;
      impl->type = KeyType::kRsa;
      impl->bits = EVP_PKEY_get_bits(pkey.get());
      break;
    }
    case EVP_PKEY_EC: {
      auto curve = CurveOfEcKey(pkey.get());
      if (!curve.ok()) return curve.status();
      absl::Status s = ValidateEc(pkey.get(), has_private, trusted);
      if (!s.ok()) return s;
      impl->type = KeyType::kEc;
      impl->curve = *curve;
      impl->bits = EVP_PKEY_get_bits(pkey.get());
      break;
    }
    case EVP_PKEY_ED25519: {
      // Small-order and non-canonical keys, from every import path.
      absl::Status s = internal::CheckEd25519PublicKey(pkey.get());
      if (!s.ok()) return s;
      impl->type = KeyType::kOkp;
      impl->curve = Curve::kEd25519;
      impl->bits = 256;
      break;
    }
    case EVP_PKEY_RSA_PSS:
      return InvalidKey(
          "RSA-PSS restricted keys are not supported; use an rsaEncryption "
          "key");
    case EVP_PKEY_ED448:
      return InvalidKey("Ed448 is not supported");
    default:
      return InvalidKey("unsupported key type");
  }
  auto native = MakeProviderNative(std::move(pkey), has_private);
  if (!native.ok()) return native.status();
  impl->pkey = std::move(*native);
  return KeyMaterialFactory::Make(std::move(impl));
}

}  // namespace jwtauth::crypto::internal
