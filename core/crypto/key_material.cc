#include "core/crypto/key_material.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "core/crypto/ed25519_checks.h"
#include "core/crypto/key_material_impl.h"
#include "core/crypto/signature_verifier.h"
#include "core/crypto/ssl_ptr.h"
#include "core/crypto/ssl_util.h"
#include "core/status_macros.h"

namespace jwtauth::crypto {

// The only code that may call KeyMaterial's private constructor.
class KeyMaterialFactory {
 public:
  static KeyMaterial Make(std::unique_ptr<KeyMaterial::Impl> impl) {
    return KeyMaterial(std::shared_ptr<const KeyMaterial::Impl>(std::move(impl)));
  }
};

namespace {

using internal::InternalFailure;
using internal::InvalidKey;

// Upper bounds that keep a hostile configuration from making every verify
// expensive (OpenSSL's own RSA limit is 16384 bits).
constexpr int kMaxRsaBits = 16384;
constexpr size_t kMaxPemBytes = 1 << 20;
constexpr size_t kMaxSecretBytes = 1 << 16;
// The one RSA exponent rule (RFC 8017 §3.1), checked at every RSA import.
constexpr absl::string_view kBadRsaExponent =
    "RSA public exponent must be odd, greater than 1 and less than the modulus";

int MinRsaBits(const KeyStrengthPolicy& policy) {
  return std::max(policy.min_rsa_bits, KeyStrengthPolicy::kAbsoluteMinRsaBits);
}
int MinHmacBytes(const KeyStrengthPolicy& policy) {
  return std::max(policy.min_hmac_bytes, kAbsoluteMinHmacBytes);
}

const unsigned char* Bytes(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

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

SslUniquePtr<BIGNUM> BnFromBytes(absl::string_view bytes) {
  return SslUniquePtr<BIGNUM>(
      BN_bin2bn(Bytes(bytes), static_cast<int>(bytes.size()), nullptr));
}

// Reads a BIGNUM parameter of `pkey` (N, E, D, FACTOR1, ...); null if absent.
SslUniquePtr<BIGNUM> GetBn(const EVP_PKEY* pkey, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return SslUniquePtr<BIGNUM>(bn);
}

std::string BnToBytes(const BIGNUM* bn, int pad_to = 0) {
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
  if (len <= 0 || der == nullptr) return InternalFailure("cannot encode public key");
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

SslUniquePtr<EVP_PKEY> ParsePublicDer(absl::string_view der) {
  const unsigned char* p = Bytes(der);
  SslUniquePtr<EVP_PKEY> pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (pkey == nullptr || p != Bytes(der) + der.size()) {
    ERR_clear_error();
    return nullptr;
  }
  return pkey;
}

// Keys parsed from some legacy encodings (PKCS#1 RSAPublicKey) come back as
// legacy keys, which OpenSSL converts to provider keys lazily on first use;
// re-encoding once here makes every stored key provider-native, so concurrent
// verifies never race on that conversion.
absl::StatusOr<SslUniquePtr<EVP_PKEY>> MakeProviderNative(
    SslUniquePtr<EVP_PKEY> pkey, bool has_private) {
  if (EVP_PKEY_get0_provider(pkey.get()) != nullptr) return pkey;
  if (!has_private) {
    JWTAUTH_ASSIGN_OR_RETURN(auto der, PublicDer(pkey.get()));
    SslUniquePtr<EVP_PKEY> out = ParsePublicDer(der);
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
      EVP_DigestSignInit(sctx.get(), nullptr, EVP_sha256(), nullptr, pkey) != 1 ||
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
      EVP_DigestVerifyInit(vctx.get(), nullptr, EVP_sha256(), nullptr, pkey) != 1 ||
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
  if (!BN_is_odd(e.get()) || BN_is_one(e.get()) || BN_cmp(e.get(), n.get()) >= 0) {
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
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_ENCODING, encoding,
                                     sizeof(encoding), &encoding_len) != 1 ||
      absl::string_view(encoding, encoding_len) != OSSL_PKEY_EC_ENCODING_GROUP) {
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
    case NID_X9_62_prime256v1: return Curve::kP256;
    case NID_secp384r1: return Curve::kP384;
    case NID_secp521r1: return Curve::kP521;
    default: break;
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

// Validates an asymmetric key from any source and wraps it. `trusted` skips
// the (slow) consistency checks for keys this process just generated.
absl::StatusOr<KeyMaterial> FromPkey(SslUniquePtr<EVP_PKEY> pkey,
                                     bool has_private,
                                     const KeyStrengthPolicy& policy,
                                     bool trusted = false) {
  if (pkey == nullptr) return InvalidKey("invalid key");
  auto impl = std::make_unique<KeyMaterial::Impl>();
  impl->has_private = has_private;
  switch (EVP_PKEY_get_base_id(pkey.get())) {
    case EVP_PKEY_RSA: {
      JWTAUTH_RETURN_IF_ERROR(
          ValidateRsa(pkey.get(), has_private, trusted, policy));
      impl->type = KeyType::kRsa;
      impl->bits = EVP_PKEY_get_bits(pkey.get());
      break;
    }
    case EVP_PKEY_EC: {
      JWTAUTH_ASSIGN_OR_RETURN(auto curve, CurveOfEcKey(pkey.get()));
      JWTAUTH_RETURN_IF_ERROR(ValidateEc(pkey.get(), has_private, trusted));
      impl->type = KeyType::kEc;
      impl->curve = curve;
      impl->bits = EVP_PKEY_get_bits(pkey.get());
      break;
    }
    case EVP_PKEY_ED25519: {
      // Small-order and non-canonical keys, from every import path.
      JWTAUTH_RETURN_IF_ERROR(internal::CheckEd25519PublicKey(pkey.get()));
      impl->type = KeyType::kOkp;
      impl->curve = Curve::kEd25519;
      impl->bits = 256;
      break;
    }
    case EVP_PKEY_RSA_PSS:
      return InvalidKey("RSA-PSS restricted keys are not supported; use an rsaEncryption key");
    case EVP_PKEY_ED448:
      return InvalidKey("Ed448 is not supported");
    default:
      return InvalidKey("unsupported key type");
  }
  JWTAUTH_ASSIGN_OR_RETURN(auto native,
                           MakeProviderNative(std::move(pkey), has_private));
  impl->pkey = std::move(native);
  return KeyMaterialFactory::Make(std::move(impl));
}

absl::StatusOr<KeyMaterial> FromCertificateDer(const unsigned char* der,
                                               long len,
                                               const KeyStrengthPolicy& policy) {
  const unsigned char* p = der;
  SslUniquePtr<X509> cert(d2i_X509(nullptr, &p, len));
  if (cert == nullptr || p != der + len) return InvalidKey("invalid X.509 certificate");
  SslUniquePtr<EVP_PKEY> pkey(X509_get_pubkey(cert.get()));
  if (pkey == nullptr) return InvalidKey("unsupported certificate public key");
  return FromPkey(std::move(pkey), /*has_private=*/false, policy);
}

// Parses the DER body of one PEM block according to its label.
absl::StatusOr<KeyMaterial> FromPemBlock(const PemBlock& block,
                                         const KeyStrengthPolicy& policy) {
  const absl::string_view name(block.name);
  const unsigned char* const begin = block.data;
  const unsigned char* const end = block.data + block.len;
  const unsigned char* p = begin;
  if (name == "ENCRYPTED PRIVATE KEY" ||
      (block.header != nullptr && absl::StrContains(block.header, "ENCRYPTED"))) {
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
    if (p8 == nullptr || p != end) return InvalidKey("invalid PKCS#8 private key");
    pkey.reset(EVP_PKCS82PKEY(p8.get()));
    if (pkey == nullptr) return InvalidKey("unsupported PKCS#8 private key");
    has_private = true;
  } else if (name == "RSA PRIVATE KEY") {
    pkey.reset(d2i_PrivateKey(EVP_PKEY_RSA, nullptr, &p, block.len));
    if (pkey == nullptr || p != end) return InvalidKey("invalid PKCS#1 RSA private key");
    has_private = true;
  } else if (name == "EC PRIVATE KEY") {
    pkey.reset(d2i_PrivateKey(EVP_PKEY_EC, nullptr, &p, block.len));
    if (pkey == nullptr || p != end) return InvalidKey("invalid SEC1 EC private key");
    has_private = true;
  } else if (name == "PUBLIC KEY") {
    pkey.reset(d2i_PUBKEY(nullptr, &p, block.len));
    if (pkey == nullptr || p != end) return InvalidKey("invalid SubjectPublicKeyInfo");
  } else if (name == "RSA PUBLIC KEY") {
    pkey.reset(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, block.len));
    if (pkey == nullptr || p != end) return InvalidKey("invalid PKCS#1 RSA public key");
  } else {
    return InvalidKey("unsupported PEM type");
  }
  return FromPkey(std::move(pkey), has_private, policy);
}

absl::StatusOr<SslUniquePtr<EVP_PKEY>> FromData(const char* key_type,
                                                int selection,
                                                OSSL_PARAM_BLD* bld) {
  SslUniquePtr<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(bld));
  SslUniquePtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, key_type, nullptr));
  if (params == nullptr || ctx == nullptr) return InternalFailure("cannot build key");
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, selection, params.get()) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return SslUniquePtr<EVP_PKEY>(raw);
}

absl::StatusOr<SslUniquePtr<EVP_PKEY>> GenerateAsymmetric(int pkey_id, int rsa_bits,
                                                          int curve_nid) {
  SslUniquePtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_id(pkey_id, nullptr));
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx.get()) != 1) {
    return InternalFailure("key generation failed");
  }
  if (rsa_bits > 0 && EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), rsa_bits) != 1) {
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

absl::StatusOr<std::string> BioContents(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  if (len <= 0 || data == nullptr) return InternalFailure("cannot encode key");
  return std::string(data, static_cast<size_t>(len));
}

}  // namespace

// --- factories ------------------------------------------------------------------

absl::StatusOr<KeyMaterial> KeyMaterial::FromSecret(absl::string_view secret,
                                                    const KeyStrengthPolicy& policy) {
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

absl::StatusOr<KeyMaterial> KeyMaterial::FromPem(absl::string_view pem,
                                                 const KeyStrengthPolicy& policy) {
  if (pem.size() > kMaxPemBytes) return absl::InvalidArgumentError("PEM too large");
  SslUniquePtr<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
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
  if (key_block == nullptr) return absl::InvalidArgumentError("no PEM key block found");
  if (begins != static_cast<size_t>(blocks)) {
    return absl::InvalidArgumentError("malformed PEM block");
  }
  return FromPemBlock(*key_block, policy);
}

absl::StatusOr<KeyMaterial> KeyMaterial::FromRsa(const RsaComponents& c,
                                                 const KeyStrengthPolicy& policy) {
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
  if (c.n.size() > kMaxRsaBits / 8 + 1) return absl::InvalidArgumentError("RSA modulus too large");
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
      !push(OSSL_PKEY_PARAM_RSA_D, c.d) || !push(OSSL_PKEY_PARAM_RSA_FACTOR1, c.p) ||
      !push(OSSL_PKEY_PARAM_RSA_FACTOR2, c.q) ||
      !push(OSSL_PKEY_PARAM_RSA_EXPONENT1, c.dp) ||
      !push(OSSL_PKEY_PARAM_RSA_EXPONENT2, c.dq) ||
      !push(OSSL_PKEY_PARAM_RSA_COEFFICIENT1, c.qi)) {
    return InternalFailure("cannot build key");
  }
  JWTAUTH_ASSIGN_OR_RETURN(
      auto pkey,
      FromData("RSA", has_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
               bld.get()));
  if (pkey == nullptr) return InvalidKey("invalid RSA key");
  return FromPkey(std::move(pkey), has_private, policy);
}

absl::StatusOr<KeyMaterial> KeyMaterial::FromEc(const EcComponents& c) {
  if (c.curve != Curve::kP256 && c.curve != Curve::kP384 && c.curve != Curve::kP521) {
    return absl::InvalidArgumentError("unsupported EC curve");
  }
  const size_t field = internal::CurveFieldBytes(c.curve);
  if (c.x.size() != field || c.y.size() != field) {
    return absl::InvalidArgumentError("EC coordinates must be exactly the field size");
  }
  const bool has_private = !c.d.empty();
  if (has_private && c.d.size() != field) {
    return absl::InvalidArgumentError("EC private key must be exactly the field size");
  }
  std::string point;
  point.reserve(1 + 2 * field);
  point.push_back('\x04');
  point.append(c.x);
  point.append(c.y);
  const char* group = OBJ_nid2sn(internal::CurveNid(c.curve));
  SslUniquePtr<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
  SslUniquePtr<BIGNUM> d;
  if (bld == nullptr || group == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return InternalFailure("cannot build key");
  }
  if (has_private) {
    d = BnFromBytes(c.d);
    if (d == nullptr ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get()) != 1) {
      return InternalFailure("cannot build key");
    }
  }
  JWTAUTH_ASSIGN_OR_RETURN(
      auto pkey,
      FromData("EC", has_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
               bld.get()));
  // Import decodes the point and fails if it is not on the curve.
  if (pkey == nullptr) return InvalidKey("EC point is not on the curve");
  auto km = FromPkey(std::move(pkey), has_private, KeyStrengthPolicy{});
  if (km.ok() && km->curve() != c.curve) return InvalidKey("EC curve mismatch");
  return km;
}

absl::StatusOr<KeyMaterial> KeyMaterial::FromOkp(const OkpComponents& c) {
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
    return FromPkey(std::move(pkey), /*has_private=*/false, KeyStrengthPolicy{});
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
    return absl::InvalidArgumentError("Ed25519 private key does not match its public key");
  }
  return FromPkey(std::move(pkey), /*has_private=*/true, KeyStrengthPolicy{});
}

absl::StatusOr<KeyMaterial> KeyMaterial::Generate(Algorithm alg) {
  absl::StatusOr<SslUniquePtr<EVP_PKEY>> pkey;
  switch (KeyTypeFor(alg)) {
    case KeyType::kOct: {
      std::string secret = RandomBytes(static_cast<size_t>(HashSize(HashFor(alg))));
      auto km = FromSecret(secret);
      OPENSSL_cleanse(secret.data(), secret.size());
      return km;
    }
    case KeyType::kRsa:
      pkey = GenerateAsymmetric(EVP_PKEY_RSA, 2048, NID_undef);
      break;
    case KeyType::kEc:
      pkey = GenerateAsymmetric(EVP_PKEY_EC, 0, internal::CurveNid(CurveFor(alg)));
      break;
    case KeyType::kOkp:
      pkey = GenerateAsymmetric(EVP_PKEY_ED25519, 0, NID_undef);
      break;
  }
  if (!pkey.ok()) return pkey.status();
  return FromPkey(std::move(*pkey), /*has_private=*/true, KeyStrengthPolicy{},
                  /*trusted=*/true);
}

// --- accessors ------------------------------------------------------------------

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
  if (impl_->type != KeyType::kRsa) return absl::FailedPreconditionError("not an RSA key");
  SslUniquePtr<BIGNUM> n = GetBn(impl_->pkey_ptr(), OSSL_PKEY_PARAM_RSA_N);
  SslUniquePtr<BIGNUM> e = GetBn(impl_->pkey_ptr(), OSSL_PKEY_PARAM_RSA_E);
  if (n == nullptr || e == nullptr) return InternalFailure("cannot export RSA key");
  RsaComponents out;
  out.n = BnToBytes(n.get());
  out.e = BnToBytes(e.get());
  return out;
}

absl::StatusOr<EcComponents> KeyMaterial::EcPublic() const {
  if (impl_->type != KeyType::kEc) return absl::FailedPreconditionError("not an EC key");
  SslUniquePtr<BIGNUM> x = GetBn(impl_->pkey_ptr(), OSSL_PKEY_PARAM_EC_PUB_X);
  SslUniquePtr<BIGNUM> y = GetBn(impl_->pkey_ptr(), OSSL_PKEY_PARAM_EC_PUB_Y);
  if (x == nullptr || y == nullptr) return InternalFailure("cannot export EC key");
  const int field = static_cast<int>(internal::CurveFieldBytes(impl_->curve));
  EcComponents out;
  out.curve = impl_->curve;
  out.x = BnToBytes(x.get(), field);
  out.y = BnToBytes(y.get(), field);
  return out;
}

absl::StatusOr<OkpComponents> KeyMaterial::OkpPublic() const {
  if (impl_->type != KeyType::kOkp) return absl::FailedPreconditionError("not an OKP key");
  OkpComponents out;
  out.curve = impl_->curve;
  out.x.resize(32);
  size_t len = out.x.size();
  if (EVP_PKEY_get_raw_public_key(impl_->pkey_ptr(),
                                  reinterpret_cast<unsigned char*>(out.x.data()),
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
  if (bio == nullptr || PEM_write_bio_PUBKEY(bio.get(), impl_->pkey_ptr()) != 1) {
    return InternalFailure("cannot encode public key");
  }
  return BioContents(bio.get());
}

absl::StatusOr<std::string> KeyMaterial::PrivatePem() const {
  if (impl_->type == KeyType::kOct) {
    return absl::FailedPreconditionError("secrets have no PEM form");
  }
  if (!impl_->has_private) return absl::FailedPreconditionError("no private key");
  SslUniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr ||
      PEM_write_bio_PrivateKey(bio.get(), impl_->pkey_ptr(), nullptr, nullptr, 0,
                               nullptr, nullptr) != 1) {
    return InternalFailure("cannot encode private key");
  }
  return BioContents(bio.get());
}

absl::StatusOr<KeyMaterial> KeyMaterial::PublicOnly() const {
  if (impl_->type == KeyType::kOct) {
    return absl::FailedPreconditionError("a secret has no public half");
  }
  JWTAUTH_ASSIGN_OR_RETURN(auto der, PublicDer(impl_->pkey_ptr()));
  SslUniquePtr<EVP_PKEY> pkey = ParsePublicDer(der);
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
  if (impl_->type == KeyType::kOct) return internal::HexEncode(Sha256(impl_->secret));
  auto der = PublicDer(impl_->pkey_ptr());
  if (!der.ok()) return "";
  return internal::HexEncode(Sha256(*der));
}

}  // namespace jwtauth::crypto
