#include "core/crypto/pkey_import.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "core/crypto/ed25519_checks.h"
#include "core/crypto/key_material_impl.h"
#include "core/crypto/key_params.h"
#include "core/crypto/ssl_util.h"

namespace jwtauth::crypto::internal {
namespace {

int MinRsaBits(const KeyStrengthPolicy& policy) {
  return std::max(policy.min_rsa_bits, KeyStrengthPolicy::kAbsoluteMinRsaBits);
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
  const int bits = EVP_PKEY_bits(pkey);
  if (bits < MinRsaBits(policy)) return InvalidKey("RSA modulus too small");
  if (bits > kMaxRsaBits) return InvalidKey("RSA modulus too large");
  RsaPublicNumbers rsa = GetRsaPublic(pkey);
  const BIGNUM* n = rsa.n.get();
  const BIGNUM* e = rsa.e.get();
  if (n == nullptr || e == nullptr) return InvalidKey("invalid RSA key");
  if (!BN_is_odd(n)) return InvalidKey("RSA modulus must be odd");
  if (!BN_is_odd(e) || BN_is_one(e) || BN_cmp(e, n) >= 0) {
    return InvalidKey(kBadRsaExponent);
  }
  if (!has_private || trusted) return absl::OkStatus();
  // With CRT factors: the backend's full key check.
  if (RsaHasCrtFactors(pkey)) return CheckRsaKeyPair(pkey);
  if (!RsaSelfTest(pkey)) {
    return InvalidKey("RSA private key does not match its public key");
  }
  return absl::OkStatus();
}

absl::StatusOr<Curve> CurveOfEcKey(const EVP_PKEY* pkey) {
  absl::StatusOr<int> nid = NamedCurveNid(pkey);
  if (!nid.ok()) return nid.status();
  switch (*nid) {
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
  return CheckEcKey(pkey, has_private);
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
  switch (EVP_PKEY_base_id(pkey.get())) {
    case EVP_PKEY_RSA: {
      absl::Status s = ValidateRsa(pkey.get(), has_private, trusted, policy);
      if (!s.ok()) return s;
      impl->type = KeyType::kRsa;
      impl->bits = EVP_PKEY_bits(pkey.get());
      break;
    }
    case EVP_PKEY_EC: {
      auto curve = CurveOfEcKey(pkey.get());
      if (!curve.ok()) return curve.status();
      absl::Status s = ValidateEc(pkey.get(), has_private, trusted);
      if (!s.ok()) return s;
      impl->type = KeyType::kEc;
      impl->curve = *curve;
      impl->bits = EVP_PKEY_bits(pkey.get());
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
  auto native = MakeShareable(std::move(pkey), has_private);
  if (!native.ok()) return native.status();
  impl->pkey = std::move(*native);
  return KeyMaterialFactory::Make(std::move(impl));
}

}  // namespace jwtauth::crypto::internal
