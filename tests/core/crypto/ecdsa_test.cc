#include "core/crypto/ecdsa.h"

#include <string>

#include "core/algorithm.h"
#include "core/crypto/key_material.h"
#include "core/crypto/signature_verifier.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/crypto/crypto_test_util.h"
#include "tests/core/crypto/fixed_keys.h"
#include "tests/testutil/status_matchers.h"

namespace jwtauth::crypto {
namespace {

using ::jwtauth::testutil::ExpectTamperingRejected;
using ::jwtauth::testutil::GeneratedKey;
using ::jwtauth::testutil::Hex;
using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::StatusIs;
namespace fixed = ::jwtauth::testutil::fixed;

constexpr Algorithm kEsAlgs[] = {Algorithm::kEs256, Algorithm::kEs384,
                                 Algorithm::kEs512};

size_t FieldBytes(Algorithm alg) {
  return alg == Algorithm::kEs256 ? 32 : alg == Algorithm::kEs384 ? 48 : 66;
}

// Group orders (SEC 2 / FIPS 186-4), big-endian, padded to the field size.
std::string Order(Algorithm alg) {
  switch (alg) {
    case Algorithm::kEs256:
      return Hex(
          "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
    case Algorithm::kEs384:
      return Hex(
          "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf"
          "581a0db248b0a77aecec196accc52973");
    default:
      return Hex(
          "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
          "fa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409");
  }
}

class EcdsaTest : public testing::TestWithParam<Algorithm> {};

TEST_P(EcdsaTest, RoundTripFixedLengthRawSignatureAndTamperingSweep) {
  const Algorithm alg = GetParam();
  const KeyMaterial& key = GeneratedKey(alg);
  auto signer = NewEcdsaSigner(alg, key);
  auto verifier = NewEcdsaVerifier(alg, *key.PublicOnly());
  ASSERT_THAT(signer, IsOk());
  ASSERT_THAT(verifier, IsOk());
  // Many signatures: r or s with leading zero bytes must still be padded.
  for (int i = 0; i < 64; ++i) {
    const std::string data = "payload-" + std::to_string(i);
    auto sig = (*signer)->Sign(data);
    ASSERT_THAT(sig, IsOk());
    ASSERT_EQ(sig->size(), 2 * FieldBytes(alg));
    EXPECT_TRUE((*verifier)->Verify(data, *sig));
  }
  auto sig = (*signer)->Sign("header.payload");
  ASSERT_THAT(sig, IsOk());
  ExpectTamperingRejected(**verifier, "header.payload", *sig);
}

TEST_P(EcdsaTest, OutOfRangeScalarsAreRejected) {
  const Algorithm alg = GetParam();
  const KeyMaterial& key = GeneratedKey(alg);
  auto verifier = NewEcdsaVerifier(alg, key);
  ASSERT_THAT(verifier, IsOk());
  auto sig = (*NewEcdsaSigner(alg, key))->Sign("data");
  ASSERT_THAT(sig, IsOk());
  const size_t f = FieldBytes(alg);
  const std::string r = sig->substr(0, f), s = sig->substr(f);
  const std::string zero(f, '\0');
  const std::string n = Order(alg);
  std::string n_plus_r = n;  // not a reduction: just "≥ n" with r's tail
  n_plus_r.back() = static_cast<char>(n_plus_r.back() | 1);
  const std::string all_ff(f, '\xff');
  for (const std::string& bad : {zero + s, r + zero, n + s, r + n, all_ff + s,
                                 r + all_ff, n_plus_r + s, zero + zero}) {
    EXPECT_FALSE((*verifier)->Verify("data", bad));
  }
}

TEST_P(EcdsaTest, DerAndOtherLengthsAreRejected) {
  const Algorithm alg = GetParam();
  const KeyMaterial& key = GeneratedKey(alg);
  auto verifier = NewEcdsaVerifier(alg, key);
  ASSERT_THAT(verifier, IsOk());
  auto sig = (*NewEcdsaSigner(alg, key))->Sign("data");
  ASSERT_THAT(sig, IsOk());
  const size_t f = FieldBytes(alg);
  // Hand-made DER SEQUENCE { INTEGER r, INTEGER s } with positive padding.
  auto der_int = [](std::string v) {
    size_t i = 0;
    while (i + 1 < v.size() && v[i] == '\0') ++i;
    v = v.substr(i);
    if (static_cast<unsigned char>(v[0]) & 0x80) v = std::string(1, '\0') + v;
    return std::string(1, '\x02') + static_cast<char>(v.size()) + v;
  };
  const std::string body = der_int(sig->substr(0, f)) + der_int(sig->substr(f));
  std::string der = std::string(1, '\x30');
  if (body.size() > 127) der.push_back('\x81');
  der.push_back(static_cast<char>(body.size()));
  der += body;
  EXPECT_FALSE((*verifier)->Verify("data", der));
  // One byte shorter/longer per half (as if a scalar were not left-padded).
  EXPECT_FALSE(
      (*verifier)->Verify("data", sig->substr(1, f - 1) + sig->substr(f)));
  EXPECT_FALSE((*verifier)->Verify("data", std::string(1, '\0') + *sig));
}

TEST_P(EcdsaTest, KeyOnOtherCurveOrOtherTypeIsRefused) {
  const Algorithm alg = GetParam();
  for (Algorithm other : kEsAlgs) {
    if (other == alg) continue;
    EXPECT_THAT(NewEcdsaVerifier(alg, GeneratedKey(other)),
                StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(NewSignatureVerifier(alg, GeneratedKey(other)),
                StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(NewSigner(alg, GeneratedKey(other)),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
  for (Algorithm other :
       {Algorithm::kHs256, Algorithm::kRs256, Algorithm::kEdDsa}) {
    EXPECT_THAT(NewSignatureVerifier(alg, GeneratedKey(other)),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

INSTANTIATE_TEST_SUITE_P(Es, EcdsaTest, testing::ValuesIn(kEsAlgs),
                         [](const testing::TestParamInfo<Algorithm>& info) {
                           return std::string(AlgorithmName(info.param));
                         });

TEST(EcdsaFixedTest, OpensslCliSignatureVerifiesOnlyAsRawRs) {
  auto key = KeyMaterial::FromPem(fixed::kEcCertificate);
  ASSERT_THAT(key, IsOk());
  auto verifier = NewSignatureVerifier(Algorithm::kEs256, *key);
  ASSERT_THAT(verifier, IsOk());
  EXPECT_TRUE(
      (*verifier)->Verify(fixed::kMessage, Hex(fixed::kEs256RawSigHex)));
  EXPECT_FALSE(
      (*verifier)->Verify(fixed::kMessage, Hex(fixed::kEs256DerSigHex)));
}

TEST(EcdsaFixedTest, P384KeyCannotServeEs256) {
  EXPECT_THAT(
      NewSignatureVerifier(Algorithm::kEs256, GeneratedKey(Algorithm::kEs384)),
      StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(EcdsaFixedTest, SignerNeedsPrivateKey) {
  auto key = KeyMaterial::FromPem(fixed::kEcSpki);
  ASSERT_THAT(key, IsOk());
  EXPECT_THAT(NewEcdsaSigner(Algorithm::kEs256, *key),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace jwtauth::crypto
