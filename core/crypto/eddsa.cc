#include "core/crypto/eddsa.h"

#include <string>
#include <utility>

#include "core/crypto/key_material_impl.h"
#include "core/crypto/prepared_verify.h"
#include "core/crypto/ssl_util.h"
#include "core/status_macros.h"

namespace jwtauth::crypto {
namespace {

constexpr size_t kEd25519SignatureBytes = 64;

class EddsaVerifier final : public SignatureVerifier {
 public:
  // Ed25519 hashes internally: one-shot DigestVerify with no digest.
  explicit EddsaVerifier(KeyMaterial key)
      : key_(std::move(key)),
        prepared_(key_.impl().pkey_ptr(), /*md=*/nullptr, /*rsa_pss=*/false) {}
  Algorithm algorithm() const override { return Algorithm::kEdDsa; }
  bool Verify(absl::string_view data,
              absl::string_view signature) const override {
    if (signature.size() != kEd25519SignatureBytes) return false;
    return prepared_.Verify(data, internal::Bytes(signature), signature.size());
  }

 private:
  const KeyMaterial key_;                    // shares the read-only EVP_PKEY
  const internal::PreparedVerify prepared_;  // uses key_'s EVP_PKEY
};

class EddsaSigner final : public Signer {
 public:
  explicit EddsaSigner(KeyMaterial key) : key_(std::move(key)) {}
  Algorithm algorithm() const override { return Algorithm::kEdDsa; }
  absl::StatusOr<std::string> Sign(absl::string_view data) const override {
    return internal::EvpDigestSign(key_.impl().pkey_ptr(), nullptr, false,
                                   data);
  }

 private:
  const KeyMaterial key_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<const SignatureVerifier>> NewEddsaVerifier(
    Algorithm alg, const KeyMaterial& key) {
  JWTAUTH_RETURN_IF_ERROR(
      internal::CheckKeyFor(alg, KeyType::kOkp, key, /*signing=*/false));
  return std::make_unique<const EddsaVerifier>(key);
}

absl::StatusOr<std::unique_ptr<const Signer>> NewEddsaSigner(
    Algorithm alg, const KeyMaterial& key) {
  JWTAUTH_RETURN_IF_ERROR(
      internal::CheckKeyFor(alg, KeyType::kOkp, key, /*signing=*/true));
  return std::make_unique<const EddsaSigner>(key);
}

}  // namespace jwtauth::crypto
