#include "core/crypto/ecdsa.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <cstring>
#include <string>
#include <utility>

#include "core/crypto/key_material_impl.h"
#include "core/crypto/prepared_verify.h"
#include "core/crypto/ssl_ptr.h"
#include "core/crypto/ssl_util.h"
#include "core/status_macros.h"

namespace jwtauth::crypto {
namespace {

// Group order n as big-endian bytes padded to the field size, so that a
// fixed-length scalar compares to it with memcmp.
absl::StatusOr<std::string> OrderBytes(Curve curve) {
  SslUniquePtr<EC_GROUP> group(
      EC_GROUP_new_by_curve_name(internal::CurveNid(curve)));
  if (group == nullptr) return internal::InternalFailure("unknown curve");
  const BIGNUM* order = EC_GROUP_get0_order(group.get());
  const int field = static_cast<int>(internal::CurveFieldBytes(curve));
  std::string out(static_cast<size_t>(field), '\0');
  if (order == nullptr ||
      BN_bn2binpad(order, reinterpret_cast<unsigned char*>(out.data()),
                   field) != field) {
    return internal::InternalFailure("unknown curve");
  }
  return out;
}

// 1 <= scalar <= n-1, on equal-length big-endian byte strings.
bool InScalarRange(const unsigned char* scalar, const std::string& order) {
  bool nonzero = false;
  for (size_t i = 0; i < order.size(); ++i) nonzero |= scalar[i] != 0;
  return nonzero && std::memcmp(scalar, order.data(), order.size()) < 0;
}

// DER ECDSA-Sig-Value for EVP; empty on failure.
std::string ToDer(const unsigned char* rs, size_t field) {
  SslUniquePtr<ECDSA_SIG> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(rs, static_cast<int>(field), nullptr);
  BIGNUM* s = BN_bin2bn(rs + field, static_cast<int>(field), nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr ||
      ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ERR_clear_error();
    return "";
  }
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0 || der == nullptr) {
    ERR_clear_error();
    return "";
  }
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

class EcdsaVerifier final : public SignatureVerifier {
 public:
  EcdsaVerifier(Algorithm alg, KeyMaterial key, std::string order)
      : alg_(alg),
        key_(std::move(key)),
        field_(internal::CurveFieldBytes(CurveFor(alg))),
        order_(std::move(order)),
        prepared_(key_.impl().pkey_ptr(), internal::EvpMd(HashFor(alg)),
                  /*rsa_pss=*/false) {}
  Algorithm algorithm() const override { return alg_; }
  bool Verify(absl::string_view data,
              absl::string_view signature) const override {
    if (signature.size() != 2 * field_) return false;
    const auto* rs = reinterpret_cast<const unsigned char*>(signature.data());
    if (!InScalarRange(rs, order_) || !InScalarRange(rs + field_, order_))
      return false;
    const std::string der = ToDer(rs, field_);
    if (der.empty()) return false;
    return prepared_.Verify(data, internal::Bytes(der), der.size());
  }

 private:
  const Algorithm alg_;
  const KeyMaterial key_;  // shares the read-only EVP_PKEY
  const size_t field_;
  const std::string order_;
  const internal::PreparedVerify prepared_;  // uses key_'s EVP_PKEY
};

class EcdsaSigner final : public Signer {
 public:
  EcdsaSigner(Algorithm alg, KeyMaterial key)
      : alg_(alg),
        key_(std::move(key)),
        md_(internal::EvpMd(HashFor(alg))),
        field_(internal::CurveFieldBytes(CurveFor(alg))) {}
  Algorithm algorithm() const override { return alg_; }
  absl::StatusOr<std::string> Sign(absl::string_view data) const override {
    JWTAUTH_ASSIGN_OR_RETURN(
        auto der,
        internal::EvpDigestSign(key_.impl().pkey_ptr(), md_, false, data));
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    SslUniquePtr<ECDSA_SIG> sig(
        d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
    if (sig == nullptr) return internal::InternalFailure("signing failed");
    const BIGNUM* r = nullptr;
    const BIGNUM* s = nullptr;
    ECDSA_SIG_get0(sig.get(), &r, &s);
    std::string out(2 * field_, '\0');
    auto* buf = reinterpret_cast<unsigned char*>(out.data());
    const int field = static_cast<int>(field_);
    if (r == nullptr || s == nullptr || BN_bn2binpad(r, buf, field) != field ||
        BN_bn2binpad(s, buf + field_, field) != field) {
      return internal::InternalFailure("signing failed");
    }
    return out;
  }

 private:
  const Algorithm alg_;
  const KeyMaterial key_;
  const EVP_MD* const md_;  // static OpenSSL object
  const size_t field_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<const SignatureVerifier>> NewEcdsaVerifier(
    Algorithm alg, const KeyMaterial& key) {
  JWTAUTH_RETURN_IF_ERROR(
      internal::CheckKeyFor(alg, KeyType::kEc, key, /*signing=*/false));
  JWTAUTH_ASSIGN_OR_RETURN(auto order, OrderBytes(CurveFor(alg)));
  return std::make_unique<const EcdsaVerifier>(alg, key, std::move(order));
}

absl::StatusOr<std::unique_ptr<const Signer>> NewEcdsaSigner(
    Algorithm alg, const KeyMaterial& key) {
  JWTAUTH_RETURN_IF_ERROR(
      internal::CheckKeyFor(alg, KeyType::kEc, key, /*signing=*/true));
  return std::make_unique<const EcdsaSigner>(alg, key);
}

}  // namespace jwtauth::crypto
