#include "core/crypto/key_material.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "core/crypto/component_import.h"
#include "core/crypto/key_material_impl.h"
#include "core/crypto/key_params.h"
#include "core/crypto/pem_import.h"
#include "core/crypto/pkey_import.h"
#include "core/crypto/signature_verifier.h"
#include "core/crypto/ssl_ptr.h"
#include "core/crypto/ssl_util.h"

namespace jwtauth::crypto {
namespace {

using internal::BioContents;
using internal::BnToBytes;
using internal::InternalFailure;
using internal::ParsePublicDer;
using internal::PublicDer;

constexpr size_t kMaxSecretBytes = 1 << 16;

int MinHmacBytes(const KeyStrengthPolicy& policy) {
  return std::max(policy.min_hmac_bytes, kAbsoluteMinHmacBytes);
}

absl::StatusOr<SslUniquePtr<EVP_PKEY>> GenerateAsymmetric(int pkey_id,
                                                          int rsa_bits,
                                                          int curve_nid) {
  SslUniquePtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_id(pkey_id, nullptr));
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx.get()) != 1) {
    return InternalFailure("key generation failed");
  }
  if (rsa_bits > 0 &&
      EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), rsa_bits) != 1) {
    return InternalFailure("key generation failed");
  }
  if (curve_nid != NID_undef &&
      EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx.get(), curve_nid) != 1) {
    return InternalFailure("key generation failed");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_keygen(ctx.get(), &raw) != 1 || raw == nullptr) {
    return InternalFailure("key generation failed");
  }
  return SslUniquePtr<EVP_PKEY>(raw);
}

}  // namespace

// --- factories
// ------------------------------------------------------------------

absl::StatusOr<KeyMaterial> KeyMaterial::FromSecret(
    absl::string_view secret, const KeyStrengthPolicy& policy) {
  if (secret.size() < static_cast<size_t>(MinHmacBytes(policy))) {
    return absl::InvalidArgumentError("HMAC secret too short");
  }
  if (secret.size() > kMaxSecretBytes) {
    return absl::InvalidArgumentError("HMAC secret too long");
  }
  auto impl = std::make_unique<Impl>();
  impl->type = KeyType::kOct;
  impl->bits = static_cast<int>(secret.size() * 8);
  impl->has_private = true;
  impl->secret = std::string(secret);
  return KeyMaterialFactory::Make(std::move(impl));
}

absl::StatusOr<KeyMaterial> KeyMaterial::FromPem(
    absl::string_view pem, const KeyStrengthPolicy& policy) {
  return internal::KeyFromPem(pem, policy);
}

absl::StatusOr<KeyMaterial> KeyMaterial::FromRsa(
    const RsaComponents& c, const KeyStrengthPolicy& policy) {
  return internal::KeyFromRsaComponents(c, policy);
}

absl::StatusOr<KeyMaterial> KeyMaterial::FromEc(const EcComponents& c) {
  return internal::KeyFromEcComponents(c);
}

absl::StatusOr<KeyMaterial> KeyMaterial::FromOkp(const OkpComponents& c) {
  return internal::KeyFromOkpComponents(c);
}

absl::StatusOr<KeyMaterial> KeyMaterial::Generate(Algorithm alg) {
  absl::StatusOr<SslUniquePtr<EVP_PKEY>> pkey;
  switch (KeyTypeFor(alg)) {
    case KeyType::kOct: {
      std::string secret =
          RandomBytes(static_cast<size_t>(HashSize(HashFor(alg))));
      auto km = FromSecret(secret);
      OPENSSL_cleanse(secret.data(), secret.size());
      return km;
    }
    case KeyType::kRsa:
      pkey = GenerateAsymmetric(EVP_PKEY_RSA, 2048, NID_undef);
      break;
    case KeyType::kEc:
      pkey =
          GenerateAsymmetric(EVP_PKEY_EC, 0, internal::CurveNid(CurveFor(alg)));
      break;
    case KeyType::kOkp:
      pkey = GenerateAsymmetric(EVP_PKEY_ED25519, 0, NID_undef);
      break;
  }
  if (!pkey.ok()) return pkey.status();
  return internal::ImportPkey(std::move(*pkey), /*has_private=*/true,
                              KeyStrengthPolicy{}, /*trusted=*/true);
}

// --- accessors
// ------------------------------------------------------------------

KeyType KeyMaterial::type() const { return impl_->type; }
Curve KeyMaterial::curve() const { return impl_->curve; }
int KeyMaterial::bits() const { return impl_->bits; }
bool KeyMaterial::has_private() const { return impl_->has_private; }

bool KeyMaterial::Fits(Algorithm alg) const {
  if (KeyTypeFor(alg) != impl_->type) return false;
  if (impl_->type == KeyType::kEc || impl_->type == KeyType::kOkp) {
    return CurveFor(alg) == impl_->curve;
  }
  return true;
}

absl::StatusOr<RsaComponents> KeyMaterial::RsaPublic() const {
  if (impl_->type != KeyType::kRsa)
    return absl::FailedPreconditionError("not an RSA key");
  internal::RsaPublicNumbers rsa = internal::GetRsaPublic(impl_->pkey_ptr());
  if (rsa.n == nullptr || rsa.e == nullptr)
    return InternalFailure("cannot export RSA key");
  RsaComponents out;
  out.n = BnToBytes(rsa.n.get());
  out.e = BnToBytes(rsa.e.get());
  return out;
}

absl::StatusOr<EcComponents> KeyMaterial::EcPublic() const {
  if (impl_->type != KeyType::kEc)
    return absl::FailedPreconditionError("not an EC key");
  internal::EcPublicPoint point = internal::GetEcPublic(impl_->pkey_ptr());
  if (point.x == nullptr || point.y == nullptr)
    return InternalFailure("cannot export EC key");
  const int field = static_cast<int>(internal::CurveFieldBytes(impl_->curve));
  EcComponents out;
  out.curve = impl_->curve;
  out.x = BnToBytes(point.x.get(), field);
  out.y = BnToBytes(point.y.get(), field);
  return out;
}

absl::StatusOr<OkpComponents> KeyMaterial::OkpPublic() const {
  if (impl_->type != KeyType::kOkp)
    return absl::FailedPreconditionError("not an OKP key");
  OkpComponents out;
  out.curve = impl_->curve;
  out.x.resize(32);
  size_t len = out.x.size();
  if (EVP_PKEY_get_raw_public_key(
          impl_->pkey_ptr(), reinterpret_cast<unsigned char*>(out.x.data()),
          &len) != 1 ||
      len != 32) {
    return InternalFailure("cannot export OKP key");
  }
  return out;
}

absl::StatusOr<std::string> KeyMaterial::PublicPem() const {
  if (impl_->type == KeyType::kOct) {
    return absl::FailedPreconditionError("a secret has no public key");
  }
  SslUniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr ||
      PEM_write_bio_PUBKEY(bio.get(), impl_->pkey_ptr()) != 1) {
    return InternalFailure("cannot encode public key");
  }
  return BioContents(bio.get());
}

absl::StatusOr<std::string> KeyMaterial::PrivatePem() const {
  if (impl_->type == KeyType::kOct) {
    return absl::FailedPreconditionError("secrets have no PEM form");
  }
  if (!impl_->has_private)
    return absl::FailedPreconditionError("no private key");
  SslUniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr ||
      PEM_write_bio_PrivateKey(bio.get(), impl_->pkey_ptr(), nullptr, nullptr,
                               0, nullptr, nullptr) != 1) {
    return InternalFailure("cannot encode private key");
  }
  return BioContents(bio.get());
}

absl::StatusOr<KeyMaterial> KeyMaterial::PublicOnly() const {
  if (impl_->type == KeyType::kOct) {
    return absl::FailedPreconditionError("a secret has no public half");
  }
  auto der = PublicDer(impl_->pkey_ptr());
  if (!der.ok()) return der.status();
  SslUniquePtr<EVP_PKEY> pkey = ParsePublicDer(*der);
  if (pkey == nullptr) return InternalFailure("cannot copy public key");
  auto impl = std::make_unique<Impl>();
  impl->type = impl_->type;
  impl->curve = impl_->curve;
  impl->bits = impl_->bits;
  impl->has_private = false;
  impl->pkey = std::move(pkey);
  return KeyMaterialFactory::Make(std::move(impl));
}

std::string KeyMaterial::Fingerprint() const {
  if (impl_->type == KeyType::kOct)
    return internal::HexEncode(Sha256(impl_->secret));
  auto der = PublicDer(impl_->pkey_ptr());
  if (!der.ok()) return "";
  return internal::HexEncode(Sha256(*der));
}

}  // namespace jwtauth::crypto
