#include "tests/core/crypto/outcomes/attack_outcomes.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/algorithm.h"
#include "core/base64url.h"
#include "core/crypto/key_material.h"
#include "core/crypto/signature_verifier.h"
#include "core/failure.h"
#include "core/jwk.h"
#include "core/jws.h"
#include "core/key.h"
#include "nlohmann/json.hpp"
#include "tests/core/crypto/outcomes/outcome_log.h"
#include "tests/core/rfc_vectors.h"
#include "tests/testutil/keys_verifier.h"
#include "tests/testutil/test_keys.h"

namespace jwtauth::testutil {
namespace {

using crypto::KeyMaterial;
using nlohmann::json;

void EmitVerify(const std::string& id, const KeysVerifier& v,
                const std::string& token) {
  const KeysVerifier::Outcome r = v.Verify(token);
  EmitOutcome(id, r.signature_verified,
              r.ok() ? "ok" : FailureReasonName(r.reason()));
}

void EmitImport(const std::string& id, const absl::StatusOr<KeyMaterial>& k) {
  EmitOutcome(id, k.ok(), k.ok() ? "" : k.status().message());
}

Key MustImport(const json& jwk) {
  absl::StatusOr<Key> key = ImportJwk(jwk, JwkImportOptions{});
  if (!key.ok()) {
    EmitOutcome("rfc7515/key_import", false, key.status().message());
    std::abort();
  }
  return *std::move(key);
}

std::string Token(const std::string& header, const std::string& payload,
                  const std::string& sig) {
  return CompleteCompactJws(MakeSigningInput(header, payload), sig);
}

std::string HeaderFor(absl::string_view alg, absl::string_view kid) {
  return json{{"alg", std::string(alg)}, {"kid", std::string(kid)}}.dump();
}

// Big-endian a - b (a >= b, equal lengths).
std::string Sub(const std::string& a, const std::string& b) {
  std::string out(a.size(), '\0');
  int borrow = 0;
  for (size_t i = a.size(); i-- > 0;) {
    int d = static_cast<unsigned char>(a[i]) -
            static_cast<unsigned char>(b[i]) - borrow;
    borrow = d < 0;
    out[i] = static_cast<char>(d + (borrow ? 256 : 0));
  }
  return out;
}

// Little-endian a + b (equal lengths, carry dropped).
std::string AddLe(const std::string& a, const std::string& b) {
  std::string out(a.size(), '\0');
  int carry = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    int s = static_cast<unsigned char>(a[i]) +
            static_cast<unsigned char>(b[i]) + carry;
    carry = s > 255;
    out[i] = static_cast<char>(s & 0xff);
  }
  return out;
}

// DER INTEGER of big-endian bytes.
std::string DerInt(std::string v) {
  while (v.size() > 1 && v[0] == '\0') v.erase(0, 1);
  if (static_cast<unsigned char>(v[0]) & 0x80) v.insert(0, 1, '\0');
  return absl::StrCat(std::string(1, '\x02'),
                      std::string(1, static_cast<char>(v.size())), v);
}

std::string EcdsaDer(const std::string& rs) {
  const std::string body =
      DerInt(rs.substr(0, rs.size() / 2)) + DerInt(rs.substr(rs.size() / 2));
  return absl::StrCat(std::string(1, '\x30'),
                      std::string(1, static_cast<char>(body.size())), body);
}

// RSA-PSS over `data` with an explicit salt length (raw EVP: the product
// only ever signs with salt = digest length).
std::string PssSign(const KeyMaterial& key, const EVP_MD* md, int salt,
                    const std::string& data) {
  const std::string pem = *key.PrivatePem();
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  std::string sig(512, '\0');
  size_t len = sig.size();
  const bool ok =
      pkey != nullptr && ctx != nullptr &&
      EVP_DigestSignInit(ctx, &pctx, md, nullptr, pkey) == 1 &&
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt) == 1 &&
      EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) == 1 &&
      EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  if (!ok) std::abort();
  sig.resize(len);
  return sig;
}

const EVP_MD* MdFor(Algorithm alg) {
  switch (HashFor(alg)) {
    case HashAlgorithm::kSha384:
      return EVP_sha384();
    case HashAlgorithm::kSha512:
      return EVP_sha512();
    default:
      return EVP_sha256();
  }
}

// Signature tampering and relabelling for one algorithm.
void EmitAlgorithmCases(Algorithm alg) {
  const std::string name(AlgorithmName(alg));
  const TestKey k = GenerateTestKey(alg, "kid-1");
  const KeysVerifier v({k.key});
  const std::string payload = v.Claims().dump();
  const std::string header = HeaderFor(name, "kid-1");
  const std::string input = MakeSigningInput(header, payload);
  const std::string sig = *k.signer->Sign(input);
  const std::string id = absl::StrCat("attack/", name, "/");
  EmitVerify(id + "valid", v, CompleteCompactJws(input, sig));
  for (size_t i = 0; i < sig.size(); ++i) {
    std::string bad = sig;
    bad[i] = static_cast<char>(bad[i] ^ (1 << (i % 8)));
    EmitVerify(absl::StrCat(id, "bitflip/", i), v,
               CompleteCompactJws(input, bad));
  }
  EmitVerify(id + "truncated_by_one", v,
             CompleteCompactJws(input, sig.substr(0, sig.size() - 1)));
  EmitVerify(id + "truncated_to_half", v,
             CompleteCompactJws(input, sig.substr(0, sig.size() / 2)));
  EmitVerify(id + "extended_by_zero", v,
             CompleteCompactJws(input, sig + std::string(1, '\0')));
  EmitVerify(id + "empty_signature", v, CompleteCompactJws(input, ""));
  EmitVerify(id + "alg_none", v,
             Token(HeaderFor("none", "kid-1"), payload, sig));
  for (Algorithm other : kAllAlgorithms) {
    if (other == alg) continue;
    const std::string other_name(AlgorithmName(other));
    EmitVerify(id + "relabelled/" + other_name, v,
               Token(HeaderFor(other_name, "kid-1"), payload, sig));
  }
}

void EmitEcdsaCases() {
  const TestKey k = GenerateTestKey(Algorithm::kEs256, "kid-1");
  const KeysVerifier v({k.key});
  const std::string header = HeaderFor("ES256", "kid-1");
  const std::string input = MakeSigningInput(header, v.Claims().dump());
  const std::string rs = *k.signer->Sign(input);
  const std::string n = absl::HexStringToBytes(
      "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
  const std::string zero(32, '\0');
  const std::string one = std::string(31, '\0') + "\x01";
  const std::string r = rs.substr(0, 32), s = rs.substr(32);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"der_signature", EcdsaDer(rs)},
      {"r_s_zero", zero + zero},
      {"r_s_order", n + n},
      {"r_zero", zero + s},
      {"s_order", r + n},
      {"r_s_one", one + one},
      {"malleable_n_minus_s", r + Sub(n, s)},
  };
  for (const auto& [name, sig] : cases) {
    EmitVerify("attack/ES256/" + name, v, CompleteCompactJws(input, sig));
  }
}

void EmitEd25519Cases() {
  const TestKey k = GenerateTestKey(Algorithm::kEdDsa, "kid-1");
  const KeysVerifier v({k.key});
  const std::string input =
      MakeSigningInput(HeaderFor("EdDSA", "kid-1"), v.Claims().dump());
  const std::string sig = *k.signer->Sign(input);
  // L = 2^252 + 27742317777372353535851937790883648493, little-endian.
  const std::string l = absl::HexStringToBytes(
      "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
  EmitVerify(
      "attack/EdDSA/s_plus_l", v,
      CompleteCompactJws(input, sig.substr(0, 32) + AddLe(sig.substr(32), l)));
  EmitVerify("attack/EdDSA/s_equals_l", v,
             CompleteCompactJws(input, sig.substr(0, 32) + l));
}

void EmitRsaPaddingCases() {
  for (Algorithm alg : {Algorithm::kPs256, Algorithm::kPs384}) {
    const std::string name(AlgorithmName(alg));
    const TestKey k = GenerateTestKey(alg, "kid-1");
    const KeysVerifier v({k.key});
    const std::string input =
        MakeSigningInput(HeaderFor(name, "kid-1"), v.Claims().dump());
    const int digest = HashSize(HashFor(alg));
    for (int salt : {0, 20, digest - 1, digest, digest + 1, 64, 190}) {
      EmitVerify(absl::StrCat("attack/", name, "/pss_salt/", salt), v,
                 CompleteCompactJws(
                     input, PssSign(k.private_key, MdFor(alg), salt, input)));
    }
  }
  // One RSA key that serves RS256 and PS256: each padding under the other.
  const TestKey rs = GenerateTestKey(Algorithm::kRs256, "kid-1");
  auto ps_signer = crypto::NewSigner(Algorithm::kPs256, rs.private_key);
  KeyOptions o;
  o.kid = "kid-1";
  const KeysVerifier v({*Key::Create(o, *rs.private_key.PublicOnly())});
  const std::string payload = v.Claims().dump();
  const std::string rs_input =
      MakeSigningInput(HeaderFor("RS256", "kid-1"), payload);
  const std::string ps_input =
      MakeSigningInput(HeaderFor("PS256", "kid-1"), payload);
  EmitVerify(
      "attack/RS256/pkcs1_under_ps256", v,
      Token(HeaderFor("PS256", "kid-1"), payload, *rs.signer->Sign(ps_input)));
  EmitVerify("attack/PS256/pss_under_rs256", v,
             Token(HeaderFor("RS256", "kid-1"), payload,
                   *(*ps_signer)->Sign(rs_input)));
}

// HS256 keyed with the RSA public key's PEM text (the classic confusion):
// the configured key is RSA, so HS256 must not verify.
void EmitAlgConfusionCase() {
  const TestKey rsa = GenerateTestKey(Algorithm::kRs256, "kid-1");
  const KeysVerifier v({rsa.key});
  const std::string pem = *rsa.private_key.PublicPem();
  const std::string input =
      MakeSigningInput(HeaderFor("HS256", "kid-1"), v.Claims().dump());
  auto secret = KeyMaterial::FromSecret(pem);
  auto signer = crypto::NewSigner(Algorithm::kHs256, *secret);
  EmitVerify("attack/HS256/keyed_with_rsa_public_pem", v,
             CompleteCompactJws(input, *(*signer)->Sign(input)));
}

// Keys that must never load, and their near misses that must.
void EmitImportCases() {
  const char* kSmallOrder[] = {
      "0000000000000000000000000000000000000000000000000000000000000000",
      "0100000000000000000000000000000000000000000000000000000000000000",
      "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
      "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
      "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "0100000000000000000000000000000000000000000000000000000000000080",
      "f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"};
  int i = 0;
  for (const char* hex : kSmallOrder) {
    crypto::OkpComponents c;
    c.curve = Curve::kEd25519;
    c.x = absl::HexStringToBytes(hex);
    EmitImport(absl::StrCat("import/ed25519/blocked_encoding/", i++),
               KeyMaterial::FromOkp(c));
  }
  const KeyMaterial ec = *KeyMaterial::Generate(Algorithm::kEs256);
  crypto::EcComponents off = *ec.EcPublic();
  off.y.back() = static_cast<char>(off.y.back() ^ 1);
  EmitImport("import/ec/point_off_curve", KeyMaterial::FromEc(off));
  crypto::EcComponents origin = *ec.EcPublic();
  origin.x.assign(32, '\0');
  origin.y.assign(32, '\0');
  EmitImport("import/ec/point_zero", KeyMaterial::FromEc(origin));
  crypto::EcComponents wrong_d = *ec.EcPublic();
  wrong_d.d = std::string(31, '\0') + "\x07";
  EmitImport("import/ec/private_mismatch", KeyMaterial::FromEc(wrong_d));
  EmitImport("import/ec/valid", KeyMaterial::FromEc(*ec.EcPublic()));

  const KeyMaterial rsa = *KeyMaterial::Generate(Algorithm::kRs256);
  const crypto::RsaComponents pub = *rsa.RsaPublic();
  auto with = [&](auto edit) {
    crypto::RsaComponents c = pub;
    edit(c);
    return KeyMaterial::FromRsa(c);
  };
  EmitImport("import/rsa/valid", with([](crypto::RsaComponents&) {}));
  EmitImport("import/rsa/e_one",
             with([](crypto::RsaComponents& c) { c.e = "\x01"; }));
  EmitImport("import/rsa/e_three",
             with([](crypto::RsaComponents& c) { c.e = "\x03"; }));
  EmitImport("import/rsa/e_even",
             with([](crypto::RsaComponents& c) { c.e = "\x01\x00\x00"; }));
  EmitImport("import/rsa/n_even", with([](crypto::RsaComponents& c) {
               c.n.back() = static_cast<char>(c.n.back() & ~1);
             }));
  EmitImport("import/rsa/n_1024_bits", with([](crypto::RsaComponents& c) {
               c.n = c.n.substr(0, 128);
               c.n.back() = static_cast<char>(c.n.back() | 1);
             }));
  EmitImport("import/rsa/private_d_mismatch",
             with([](crypto::RsaComponents& c) {
               // A d that is not the inverse of e; no CRT values, so the
               // sign/verify self-test decides.
               c.d = std::string(256, '\x5a');
             }));
}

}  // namespace

void EmitRfcOutcomes() {
  using namespace ::jwtauth::testutil::rfc;  // NOLINT: the vectors by name
  const std::vector<Key> keys = {
      MustImport({{"kty", "oct"}, {"k", kA1Key}}),
      MustImport({{"kty", "RSA"}, {"n", kA2N}, {"e", "AQAB"}}),
      MustImport({{"kty", "EC"}, {"crv", "P-256"}, {"x", kA3X}, {"y", kA3Y}}),
      MustImport({{"kty", "EC"}, {"crv", "P-521"}, {"x", kA4X}, {"y", kA4Y}})};
  const char* tokens[] = {kA1Jws, kA2Jws, kA3Jws, kA4Jws};
  for (size_t t = 0; t < 4; ++t) {
    for (size_t k = 0; k < 4; ++k) {
      EmitVerify(absl::StrCat("rfc7515/A", t + 1, "/key_A", k + 1),
                 KeysVerifier({keys[k]}), tokens[t]);
    }
  }
  const KeysVerifier all(keys);
  EmitVerify("rfc7515/A5", all, kA5Jws);
  EmitVerify("rfc7515/A5_with_signature", all, std::string(kA5Jws) + "AAAA");
}

void EmitAttackOutcomes() {
  for (Algorithm alg : kAllAlgorithms) EmitAlgorithmCases(alg);
  EmitEcdsaCases();
  EmitEd25519Cases();
  EmitRsaPaddingCases();
  EmitAlgConfusionCase();
  EmitImportCases();
}

}  // namespace jwtauth::testutil
