// Classic RSA signature attacks: Bleichenbacher's 2006 e = 3 forgery
// (CVE-2006-4339; BERserk CVE-2014-1568 is the same class) against a
// configured e = 3 key, which the key policy accepts (core/crypto/
// key_material.cc: e must be odd, > 1 and < n — RFC 8017 §3.1 allows 3), and
// degenerate signature values (0, 1, n, wrong length). The defence is strict
// PKCS#1 v1.5 verification (OpenSSL re-encodes and compares the whole block),
// so the forgery, which a parser-based verifier accepts, must fail here.
// Every case runs through SecurityServer (YAML → Application → TokenVerifier
// → AuthService on a real loopback gRPC server). Part of the
// attack suite (docs/SECURITY.md).

#include <openssl/bn.h>

#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/jws.h"
#include "gtest/gtest.h"
#include "tests/security/classic_common.h"
#include "tests/testutil/test_ca.h"

namespace jwtauth::testing::classic {
namespace {

using Bn = std::unique_ptr<BIGNUM, decltype(&BN_free)>;
Bn NewBn() { return Bn(BN_new(), &BN_free); }
Bn FromBytes(absl::string_view b) {
  return Bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(b.data()),
                      static_cast<int>(b.size()), nullptr),
            &BN_free);
}
std::string ToBytes(const BIGNUM* v, int len) {
  std::string out(static_cast<size_t>(len), '\0');
  BN_bn2binpad(v, reinterpret_cast<unsigned char*>(out.data()), len);
  return out;
}

// floor(cbrt(v)) by Newton's method.
Bn CubeRoot(const BIGNUM* v) {
  BN_CTX* ctx = BN_CTX_new();
  Bn x = NewBn(), y = NewBn(), sq = NewBn(), q = NewBn(), three = NewBn();
  BN_set_word(three.get(), 3);
  BN_one(x.get());
  BN_lshift(x.get(), x.get(), (BN_num_bits(v) + 2) / 3 + 1);  // x > cbrt(v)
  for (int i = 0; i < 10000; ++i) {
    BN_sqr(sq.get(), x.get(), ctx);
    BN_div(q.get(), nullptr, v, sq.get(), ctx);  // v / x^2
    BN_lshift1(y.get(), x.get());                // 2x
    BN_add(y.get(), y.get(), q.get());
    BN_div(y.get(), nullptr, y.get(), three.get(), ctx);
    if (BN_cmp(y.get(), x.get()) >= 0) break;
    BN_copy(x.get(), y.get());
  }
  BN_CTX_free(ctx);
  return x;
}

constexpr int kModulusBytes = 256;
// DER DigestInfo prefix for SHA-256 (RFC 8017 §9.2 note 1).
constexpr char kSha256DigestInfo[] = "3031300d060960864801650304020105000420";

class ClassicRsaTest : public ClassicSuite {
 protected:
  static void SetUpTestSuite() {
    // An RSA-2048 key with e = 3 (KeyMaterial only generates e = 65537).
    absl::StatusOr<std::string> pem = testutil::GenerateRsaKeyPem(2048, 3);
    ASSERT_TRUE(pem.ok()) << pem.status();
    auto priv = crypto::KeyMaterial::FromPem(*pem);
    ASSERT_TRUE(priv.ok()) << priv.status();
    auto signer = crypto::NewSigner(Algorithm::kRs256, *priv);
    ASSERT_TRUE(signer.ok()) << signer.status();
    auto pub = priv->RsaPublic();
    ASSERT_TRUE(pub.ok()) << pub.status();
    ASSERT_EQ(pub->e, std::string("\x03", 1));
    e3_ = new ClassicKey{
        Algorithm::kRs256, "e3",
        std::shared_ptr<const crypto::Signer>(*std::move(signer)),
        priv->PublicPem().value_or(""), *priv};
    modulus_ = new std::string(pub->n);

    std::map<std::string, std::string> files = keys().Files();
    files["e3.pem"] = e3_->public_pem;
    auto s = SecurityServer::Start(
        KeySetFixture::Yaml("      - {kid: e3, alg: RS256, public_key_file: "
                            "\"{dir}/e3.pem\"}\n"),
        files);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(s).value();
  }

  static v1::VerifyResponse VerifyRsSignature(const ClassicKey& k,
                                              absl::string_view sig) {
    return Verify(WithSignature(k.Token(GoodClaims()), sig));
  }

  static inline ClassicKey* e3_ = nullptr;
  static inline std::string* modulus_ = nullptr;
};

// Control: the e = 3 key loads (policy allows it) and verifies a genuine
// RS256 signature; the standard RS256 key too.
TEST_F(ClassicRsaTest, PositiveControlExponentThreeKeyVerifies) {
  EXPECT_TRUE(Accepted(Verify(e3_->Token(GoodClaims()))));
  EXPECT_TRUE(Accepted(Verify(keys().rs.Token(GoodClaims()))));
}

// CVE-2006-4339 (Bleichenbacher '06): with e = 3, a cube root of
// 00 01 FF.. 00 DigestInfo(SHA-256(input)) || garbage is a "signature" for
// any verifier that parses the block instead of comparing all of it.
TEST_F(ClassicRsaTest, Bleichenbacher06ExponentThreeForgery) {
  const std::string input =
      MakeSigningInput(e3_->Header().dump(), GoodClaims().dump());
  const std::string prefix = absl::StrCat(
      std::string("\x00\x01", 2), std::string(8, '\xff'), std::string(1, '\0'),
      absl::HexStringToBytes(kSha256DigestInfo), crypto::Sha256(input));
  // Largest block with this prefix; its floor cube root cubes back into
  // the prefix range (the garbage tail absorbs the error).
  const std::string max_block =
      prefix + std::string(kModulusBytes - prefix.size(), '\xff');
  Bn target = FromBytes(max_block);
  Bn s = CubeRoot(target.get());
  // Self-check: s^3 < n (no reduction) and starts with the prefix, so this
  // is a working forgery for a lax verifier.
  BN_CTX* ctx = BN_CTX_new();
  Bn cube = NewBn();
  BN_sqr(cube.get(), s.get(), ctx);
  BN_mul(cube.get(), cube.get(), s.get(), ctx);
  BN_CTX_free(ctx);
  Bn n = FromBytes(*modulus_);
  ASSERT_LT(BN_cmp(cube.get(), n.get()), 0);
  ASSERT_EQ(ToBytes(cube.get(), kModulusBytes).substr(0, prefix.size()),
            prefix);

  const std::string token =
      absl::StrCat(input, ".", B64(ToBytes(s.get(), kModulusBytes)));
  EXPECT_TRUE(Refused(Verify(token), v1::SIGNATURE_INVALID));
}
// RFC 8017 §8.2.2 step 2: s = 0 (0^e = 0 for every e).
TEST_F(ClassicRsaTest, SignatureZero) {
  EXPECT_TRUE(Refused(VerifyRsSignature(*e3_, std::string(kModulusBytes, '\0')),
                      v1::SIGNATURE_INVALID));
}
// RFC 8017 §8.2.2 step 2: s = 1 (1^e = 1).
TEST_F(ClassicRsaTest, SignatureOne) {
  std::string one(kModulusBytes, '\0');
  one.back() = '\x01';
  EXPECT_TRUE(
      Refused(VerifyRsSignature(keys().rs, one), v1::SIGNATURE_INVALID));
}
// RFC 8017 §5.2.2 step 1: s = n is out of range (s ≡ 0 mod n).
TEST_F(ClassicRsaTest, SignatureEqualsModulus) {
  EXPECT_TRUE(
      Refused(VerifyRsSignature(*e3_, *modulus_), v1::SIGNATURE_INVALID));
}
// RFC 8017 §8.2.2 step 1: a genuine signature with a leading zero byte
// (length k + 1) must be refused, not normalised.
TEST_F(ClassicRsaTest, SignatureWithLeadingZeroByte) {
  const std::string t = e3_->Token(GoodClaims());
  EXPECT_TRUE(
      Refused(Verify(WithSignature(t, std::string(1, '\0') + SignatureOf(t))),
              v1::SIGNATURE_INVALID));
}
// RFC 7518 §3.3 / §3.5: an RS256 signature is not a PS256 one (and the key
// is bound to RS256, so the PS256 header is refused before any maths).
TEST_F(ClassicRsaTest, Rs256SignatureUnderPs256Header) {
  const std::string t = e3_->Token(GoodClaims());
  const std::string input =
      MakeSigningInput(R"({"alg":"PS256","kid":"e3"})", GoodClaims().dump());
  EXPECT_TRUE(Refused(Verify(absl::StrCat(input, ".", B64(SignatureOf(t)))),
                      v1::UNSUPPORTED_ALGORITHM));
}

}  // namespace
}  // namespace jwtauth::testing::classic
