#include "core/crypto/pem_import.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "core/crypto/pkey_import.h"
#include "core/crypto/ssl_ptr.h"
#include "core/crypto/ssl_util.h"

namespace jwtauth::crypto::internal {
namespace {

constexpr size_t kMaxPemBytes = 1 << 20;

// Frees what PEM_read_bio hands out.
struct PemBlock {
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;
  PemBlock() = default;
  PemBlock(const PemBlock&) = delete;
  PemBlock& operator=(const PemBlock&) = delete;
  ~PemBlock() {
    OPENSSL_free(name);
    OPENSSL_free(header);
    if (data != nullptr) OPENSSL_clear_free(data, static_cast<size_t>(len));
  }
};

absl::StatusOr<KeyMaterial> FromCertificateDer(
    const unsigned char* der, long len, const KeyStrengthPolicy& policy) {
  const unsigned char* p = der;
  SslUniquePtr<X509> cert(d2i_X509(nullptr, &p, len));
  if (cert == nullptr || p != der + len)
    return InvalidKey("invalid X.509 certificate");
  SslUniquePtr<EVP_PKEY> pkey(X509_get_pubkey(cert.get()));
  if (pkey == nullptr) return InvalidKey("unsupported certificate public key");
  return ImportPkey(std::move(pkey), /*has_private=*/false, policy);
}

// Parses the DER body of one PEM block according to its label.
absl::StatusOr<KeyMaterial> FromPemBlock(const PemBlock& block,
                                         const KeyStrengthPolicy& policy) {
  const absl::string_view name(block.name);
  const unsigned char* const begin = block.data;
  const unsigned char* const end = block.data + block.len;
  const unsigned char* p = begin;
  if (name == "ENCRYPTED PRIVATE KEY" ||
      (block.header != nullptr &&
       absl::StrContains(block.header, "ENCRYPTED"))) {
    return InvalidKey("encrypted PEM keys are not supported");
  }
  if (name == "CERTIFICATE") {
    return FromCertificateDer(begin, block.len, policy);
  }
  SslUniquePtr<EVP_PKEY> pkey;
  bool has_private = false;
  if (name == "PRIVATE KEY") {
    SslUniquePtr<PKCS8_PRIV_KEY_INFO> p8(
        d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, block.len));
    if (p8 == nullptr || p != end)
      return InvalidKey("invalid PKCS#8 private key");
    pkey.reset(EVP_PKCS82PKEY(p8.get()));
    if (pkey == nullptr) return InvalidKey("unsupported PKCS#8 private key");
    has_private = true;
  } else if (name == "RSA PRIVATE KEY") {
    pkey.reset(d2i_PrivateKey(EVP_PKEY_RSA, nullptr, &p, block.len));
    if (pkey == nullptr || p != end)
      return InvalidKey("invalid PKCS#1 RSA private key");
    has_private = true;
  } else if (name == "EC PRIVATE KEY") {
    pkey.reset(d2i_PrivateKey(EVP_PKEY_EC, nullptr, &p, block.len));
    if (pkey == nullptr || p != end)
      return InvalidKey("invalid SEC1 EC private key");
    has_private = true;
  } else if (name == "PUBLIC KEY") {
    pkey.reset(d2i_PUBKEY(nullptr, &p, block.len));
    if (pkey == nullptr || p != end)
      return InvalidKey("invalid SubjectPublicKeyInfo");
  } else if (name == "RSA PUBLIC KEY") {
    pkey.reset(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, block.len));
    if (pkey == nullptr || p != end)
      return InvalidKey("invalid PKCS#1 RSA public key");
  } else {
    return InvalidKey("unsupported PEM type");
  }
  return ImportPkey(std::move(pkey), has_private, policy);
}

}  // namespace

absl::StatusOr<KeyMaterial> KeyFromPem(absl::string_view pem,
                                       const KeyStrengthPolicy& policy) {
  if (pem.size() > kMaxPemBytes)
    return absl::InvalidArgumentError("PEM too large");
  SslUniquePtr<BIO> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return InternalFailure("cannot read PEM");
  // Exactly one key block; an "EC PARAMETERS" block (as written by
  // `openssl ecparam -genkey`) next to it is tolerated and ignored.
  std::unique_ptr<PemBlock> key_block;
  int blocks = 0;
  while (true) {
    auto block = std::make_unique<PemBlock>();
    if (PEM_read_bio(bio.get(), &block->name, &block->header, &block->data,
                     &block->len) != 1) {
      ERR_clear_error();  // end of input (or a damaged block: see below)
      break;
    }
    ++blocks;
    if (absl::string_view(block->name) == "EC PARAMETERS") continue;
    if (key_block != nullptr) {
      return absl::InvalidArgumentError("expected exactly one PEM block");
    }
    key_block = std::move(block);
  }
  // A damaged block stops PEM_read_bio early; don't silently ignore it.
  size_t begins = 0;
  for (size_t pos = pem.find("-----BEGIN "); pos != absl::string_view::npos;
       pos = pem.find("-----BEGIN ", pos + 1)) {
    ++begins;
  }
  if (key_block == nullptr)
    return absl::InvalidArgumentError("no PEM key block found");
  if (begins != static_cast<size_t>(blocks)) {
    return absl::InvalidArgumentError("malformed PEM block");
  }
  return FromPemBlock(*key_block, policy);
}

}  // namespace jwtauth::crypto::internal
