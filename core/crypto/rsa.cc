#include "core/crypto/rsa.h"

#include <openssl/evp.h>

#include <string>
#include <utility>

#include "core/crypto/key_material_impl.h"
#include "core/crypto/prepared_verify.h"
#include "core/crypto/ssl_util.h"
#include "core/status_macros.h"

namespace jwtauth::crypto {
namespace {

bool IsPss(Algorithm alg) {
  return alg == Algorithm::kPs256 || alg == Algorithm::kPs384 ||
         alg == Algorithm::kPs512;
}

class RsaVerifier final : public SignatureVerifier {
 public:
  RsaVerifier(Algorithm alg, KeyMaterial key)
      : alg_(alg),
        key_(std::move(key)),
        sig_len_(static_cast<size_t>(EVP_PKEY_size(key_.impl().pkey_ptr()))),
        prepared_(key_.impl().pkey_ptr(), internal::EvpMd(HashFor(alg)),
                  IsPss(alg)) {}
  Algorithm algorithm() const override { return alg_; }
  bool Verify(absl::string_view data,
              absl::string_view signature) const override {
    if (signature.size() != sig_len_) return false;
    return prepared_.Verify(data, internal::Bytes(signature), signature.size());
  }

 private:
  const Algorithm alg_;
  const KeyMaterial key_;  // shares the read-only EVP_PKEY
  const size_t sig_len_;
  const internal::PreparedVerify prepared_;  // uses key_'s EVP_PKEY
};

class RsaSigner final : public Signer {
 public:
  RsaSigner(Algorithm alg, KeyMaterial key)
      : alg_(alg), key_(std::move(key)), md_(internal::EvpMd(HashFor(alg))) {}
  Algorithm algorithm() const override { return alg_; }
  absl::StatusOr<std::string> Sign(absl::string_view data) const override {
    return internal::EvpDigestSign(key_.impl().pkey_ptr(), md_, IsPss(alg_),
                                   data);
  }

 private:
  const Algorithm alg_;
  const KeyMaterial key_;
  const EVP_MD* const md_;  // static OpenSSL object
};

}  // namespace

absl::StatusOr<std::unique_ptr<const SignatureVerifier>> NewRsaVerifier(
    Algorithm alg, const KeyMaterial& key) {
  JWTAUTH_RETURN_IF_ERROR(
      internal::CheckKeyFor(alg, KeyType::kRsa, key, /*signing=*/false));
  return std::make_unique<const RsaVerifier>(alg, key);
}

absl::StatusOr<std::unique_ptr<const Signer>> NewRsaSigner(
    Algorithm alg, const KeyMaterial& key) {
  JWTAUTH_RETURN_IF_ERROR(
      internal::CheckKeyFor(alg, KeyType::kRsa, key, /*signing=*/true));
  return std::make_unique<const RsaSigner>(alg, key);
}

}  // namespace jwtauth::crypto
