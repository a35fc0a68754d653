#include "core/crypto/hmac.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <cstring>
#include <string>
#include <utility>

#include "core/crypto/key_material_impl.h"
#include "core/crypto/ssl_ptr.h"
#include "core/crypto/ssl_util.h"
#include "core/status_macros.h"

namespace jwtauth::crypto {
namespace {

// HMAC with precomputed inner/outer digest states.
class HmacKey final {
 public:
  static absl::StatusOr<std::unique_ptr<const HmacKey>> Create(
      HashAlgorithm hash, absl::string_view secret) {
    const EVP_MD* md = internal::EvpMd(hash);
    const size_t block = static_cast<size_t>(EVP_MD_block_size(md));
    unsigned char k[EVP_MAX_MD_SIZE * 2] = {0};  // ≥ block size of SHA-2
    if (block > sizeof(k))
      return internal::InternalFailure("unexpected digest");
    if (secret.size() > block) {
      unsigned int len = 0;
      if (EVP_Digest(secret.data(), secret.size(), k, &len, md, nullptr) != 1) {
        return internal::InternalFailure("HMAC key setup failed");
      }
    } else {
      std::memcpy(k, secret.data(), secret.size());
    }
    unsigned char ipad[sizeof(k)], opad[sizeof(k)];
    for (size_t i = 0; i < block; ++i) {
      ipad[i] = k[i] ^ 0x36;
      opad[i] = k[i] ^ 0x5c;
    }
    auto key = std::unique_ptr<HmacKey>(new HmacKey(HashSize(hash)));
    const bool ok = key->inner_ != nullptr && key->outer_ != nullptr &&
                    EVP_DigestInit_ex(key->inner_.get(), md, nullptr) == 1 &&
                    EVP_DigestUpdate(key->inner_.get(), ipad, block) == 1 &&
                    EVP_DigestInit_ex(key->outer_.get(), md, nullptr) == 1 &&
                    EVP_DigestUpdate(key->outer_.get(), opad, block) == 1;
    OPENSSL_cleanse(k, sizeof(k));
    OPENSSL_cleanse(ipad, sizeof(ipad));
    OPENSSL_cleanse(opad, sizeof(opad));
    if (!ok) return internal::InternalFailure("HMAC key setup failed");
    return std::unique_ptr<const HmacKey>(std::move(key));
  }

  size_t tag_size() const { return tag_size_; }

  // Writes tag_size() bytes to `out`. False on a library failure.
  bool Compute(absl::string_view data, unsigned char* out) const {
    SslUniquePtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
    unsigned char inner_hash[EVP_MAX_MD_SIZE];
    unsigned int inner_len = 0;
    unsigned int out_len = 0;
    const bool ok =
        ctx != nullptr && EVP_MD_CTX_copy_ex(ctx.get(), inner_.get()) == 1 &&
        EVP_DigestUpdate(ctx.get(), data.data(), data.size()) == 1 &&
        EVP_DigestFinal_ex(ctx.get(), inner_hash, &inner_len) == 1 &&
        EVP_MD_CTX_copy_ex(ctx.get(), outer_.get()) == 1 &&
        EVP_DigestUpdate(ctx.get(), inner_hash, inner_len) == 1 &&
        EVP_DigestFinal_ex(ctx.get(), out, &out_len) == 1 &&
        out_len == tag_size_;
    if (!ok) ERR_clear_error();
    return ok;
  }

 private:
  explicit HmacKey(int tag_size)
      : tag_size_(static_cast<size_t>(tag_size)),
        inner_(EVP_MD_CTX_new()),
        outer_(EVP_MD_CTX_new()) {}

  size_t tag_size_;
  // Read-only after Create(): only ever the source of EVP_MD_CTX_copy_ex.
  SslUniquePtr<EVP_MD_CTX> inner_;
  SslUniquePtr<EVP_MD_CTX> outer_;
};

class HmacVerifier final : public SignatureVerifier {
 public:
  HmacVerifier(Algorithm alg, std::unique_ptr<const HmacKey> key)
      : alg_(alg), key_(std::move(key)) {}
  Algorithm algorithm() const override { return alg_; }
  bool Verify(absl::string_view data,
              absl::string_view signature) const override {
    // A tag of any other length (truncated MACs included) is invalid.
    if (signature.size() != key_->tag_size()) return false;
    unsigned char tag[EVP_MAX_MD_SIZE];
    if (!key_->Compute(data, tag)) return false;
    return CRYPTO_memcmp(tag, signature.data(), key_->tag_size()) == 0;
  }

 private:
  const Algorithm alg_;
  const std::unique_ptr<const HmacKey> key_;
};

class HmacSigner final : public Signer {
 public:
  HmacSigner(Algorithm alg, std::unique_ptr<const HmacKey> key)
      : alg_(alg), key_(std::move(key)) {}
  Algorithm algorithm() const override { return alg_; }
  absl::StatusOr<std::string> Sign(absl::string_view data) const override {
    std::string out(key_->tag_size(), '\0');
    if (!key_->Compute(data, reinterpret_cast<unsigned char*>(out.data()))) {
      return absl::InternalError("HMAC failed");
    }
    return out;
  }

 private:
  const Algorithm alg_;
  const std::unique_ptr<const HmacKey> key_;
};

absl::StatusOr<std::unique_ptr<const HmacKey>> KeyFor(Algorithm alg,
                                                      const KeyMaterial& key) {
  JWTAUTH_RETURN_IF_ERROR(
      internal::CheckKeyFor(alg, KeyType::kOct, key, /*signing=*/false));
  return HmacKey::Create(HashFor(alg), key.impl().secret);
}

}  // namespace

absl::StatusOr<std::unique_ptr<const SignatureVerifier>> NewHmacVerifier(
    Algorithm alg, const KeyMaterial& key) {
  JWTAUTH_ASSIGN_OR_RETURN(auto hmac, KeyFor(alg, key));
  return std::make_unique<const HmacVerifier>(alg, std::move(hmac));
}

absl::StatusOr<std::unique_ptr<const Signer>> NewHmacSigner(
    Algorithm alg, const KeyMaterial& key) {
  JWTAUTH_ASSIGN_OR_RETURN(auto hmac, KeyFor(alg, key));
  return std::make_unique<const HmacSigner>(alg, std::move(hmac));
}

}  // namespace jwtauth::crypto
