#include "core/crypto/ssl_util.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>

#include "core/crypto/key_material.h"
#include "core/crypto/ssl_ptr.h"

namespace jwtauth::crypto::internal {

absl::Status CheckKeyFor(Algorithm alg, KeyType kty, const KeyMaterial& key,
                         bool signing) {
  if (KeyTypeFor(alg) != kty || !key.Fits(alg)) {
    return absl::InvalidArgumentError("key does not fit the algorithm");
  }
  if (signing && !key.has_private()) {
    return absl::InvalidArgumentError("signing needs a private key");
  }
  return absl::OkStatus();
}

absl::Status InvalidKey(absl::string_view phrase) {
  ERR_clear_error();
  return absl::InvalidArgumentError(phrase);
}

absl::Status InternalFailure(absl::string_view phrase) {
  ERR_clear_error();
  return absl::InternalError(phrase);
}

const EVP_MD* EvpMd(HashAlgorithm hash) {
  switch (hash) {
    case HashAlgorithm::kSha256:
      return EVP_sha256();
    case HashAlgorithm::kSha384:
      return EVP_sha384();
    case HashAlgorithm::kSha512:
      return EVP_sha512();
  }
  return nullptr;
}

int CurveNid(Curve curve) {
  switch (curve) {
    case Curve::kP256:
      return NID_X9_62_prime256v1;
    case Curve::kP384:
      return NID_secp384r1;
    case Curve::kP521:
      return NID_secp521r1;
    case Curve::kEd25519:
      return NID_ED25519;
    case Curve::kNone:
      break;
  }
  return NID_undef;
}

size_t CurveFieldBytes(Curve curve) {
  switch (curve) {
    case Curve::kP256:
      return 32;
    case Curve::kP384:
      return 48;
    case Curve::kP521:
      return 66;
    case Curve::kEd25519:
      return 32;
    case Curve::kNone:
      break;
  }
  return 0;
}

bool ConfigureRsaPss(EVP_PKEY_CTX* pctx, const EVP_MD* md) {
  // Salt length = digest length is -1 on both backends: OpenSSL 3 names it
  // RSA_PSS_SALTLEN_DIGEST, BoringSSL documents the bare -1 (and defaults to
  // -2, "recover from the signature", which would accept any salt length:
  // so the call is never left out).
  constexpr int kSaltLengthIsDigestLength = -1;
  return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, kSaltLengthIsDigestLength) ==
             1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) == 1;
}

absl::StatusOr<std::string> EvpDigestSign(EVP_PKEY* pkey, const EVP_MD* md,
                                          bool rsa_pss,
                                          absl::string_view data) {
  SslUniquePtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  size_t len = 0;
  if (ctx == nullptr ||
      EVP_DigestSignInit(ctx.get(), &pctx, md, nullptr, pkey) != 1 ||
      (rsa_pss && !ConfigureRsaPss(pctx, md)) ||
      EVP_DigestSign(ctx.get(), nullptr, &len, Bytes(data), data.size()) != 1) {
    return InternalFailure("signing failed");
  }
  std::string out(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(out.data()),
                     &len, Bytes(data), data.size()) != 1) {
    return InternalFailure("signing failed");
  }
  out.resize(len);
  return out;
}

std::string HexEncode(absl::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0x0f]);
  }
  return out;
}

const unsigned char* Bytes(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

SslUniquePtr<BIGNUM> BnFromBytes(absl::string_view bytes) {
  return SslUniquePtr<BIGNUM>(
      BN_bin2bn(Bytes(bytes), static_cast<int>(bytes.size()), nullptr));
}

std::string BnToBytes(const BIGNUM* bn, int pad_to) {
  int len = pad_to > 0 ? pad_to : BN_num_bytes(bn);
  std::string out(static_cast<size_t>(len), '\0');
  if (len > 0) {
    BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), len);
  }
  return out;
}

absl::StatusOr<std::string> PublicDer(EVP_PKEY* pkey) {
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(pkey, &der);
  if (len <= 0 || der == nullptr)
    return InternalFailure("cannot encode public key");
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

SslUniquePtr<EVP_PKEY> ParsePublicDer(absl::string_view der) {
  const unsigned char* p = Bytes(der);
  SslUniquePtr<EVP_PKEY> pkey(
      d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (pkey == nullptr || p != Bytes(der) + der.size()) {
    ERR_clear_error();
    return nullptr;
  }
  return pkey;
}

absl::StatusOr<std::string> BioContents(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  if (len <= 0 || data == nullptr) return InternalFailure("cannot encode key");
  return std::string(data, static_cast<size_t>(len));
}

}  // namespace jwtauth::crypto::internal
