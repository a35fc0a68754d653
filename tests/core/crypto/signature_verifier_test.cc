#include "core/crypto/signature_verifier.h"

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "core/algorithm.h"
#include "core/crypto/key_material.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/crypto/crypto_test_util.h"
#include "tests/testutil/status_matchers.h"

namespace jwtauth::crypto {
namespace {

using ::jwtauth::testutil::ExpectCleanFailure;
using ::jwtauth::testutil::GeneratedKey;
using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::StatusIs;

std::string Name(const testing::TestParamInfo<Algorithm>& info) {
  return std::string(AlgorithmName(info.param));
}

class SignatureVerifierTest : public testing::TestWithParam<Algorithm> {};

TEST_P(SignatureVerifierTest, SignThenVerify) {
  const Algorithm alg = GetParam();
  auto signer = NewSigner(alg, GeneratedKey(alg));
  auto verifier = NewSignatureVerifier(alg, GeneratedKey(alg));
  ASSERT_THAT(signer, IsOk());
  ASSERT_THAT(verifier, IsOk());
  EXPECT_EQ((*signer)->algorithm(), alg);
  EXPECT_EQ((*verifier)->algorithm(), alg);
  auto sig = (*signer)->Sign("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0");
  ASSERT_THAT(sig, IsOk());
  EXPECT_TRUE(
      (*verifier)->Verify("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0", *sig));
  EXPECT_FALSE(
      (*verifier)->Verify("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ5In0", *sig));
  EXPECT_FALSE((*verifier)->Verify("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0", ""));
}

// A signature made with (alg, key) never verifies under any other algorithm,
// and for each other algorithm a key of the wrong family cannot even build a
// verifier.
TEST_P(SignatureVerifierTest, NeverVerifiesUnderAnotherAlgorithmOrKey) {
  const Algorithm alg = GetParam();
  auto sig = (*NewSigner(alg, GeneratedKey(alg)))->Sign("data");
  ASSERT_THAT(sig, IsOk());
  for (Algorithm other : kAllAlgorithms) {
    if (other == alg) continue;
    // Same key material, other algorithm.
    auto same_key = NewSignatureVerifier(other, GeneratedKey(alg));
    if (same_key.ok()) {
      EXPECT_FALSE((*same_key)->Verify("data", *sig))
          << AlgorithmName(alg) << " signature verified as "
          << AlgorithmName(other);
    } else {
      EXPECT_THAT(same_key, StatusIs(absl::StatusCode::kInvalidArgument));
      ExpectCleanFailure(same_key.status());
    }
    // The other algorithm's own key.
    auto other_key = NewSignatureVerifier(other, GeneratedKey(other));
    ASSERT_THAT(other_key, IsOk());
    EXPECT_FALSE((*other_key)->Verify("data", *sig))
        << AlgorithmName(alg) << " signature verified as "
        << AlgorithmName(other);
  }
}

TEST_P(SignatureVerifierTest, VerifierIsSharedAcrossThreads) {
  const Algorithm alg = GetParam();
  auto signer = NewSigner(alg, GeneratedKey(alg));
  auto verifier = NewSignatureVerifier(alg, GeneratedKey(alg));
  ASSERT_THAT(signer, IsOk());
  ASSERT_THAT(verifier, IsOk());
  auto sig = (*signer)->Sign("data");
  ASSERT_THAT(sig, IsOk());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        if ((*verifier)->Verify("data", *sig) &&
            !(*verifier)->Verify("datb", *sig))
          ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 100);
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, SignatureVerifierTest,
                         testing::ValuesIn(kAllAlgorithms), Name);

TEST(SignatureVerifierFactoryTest, RsaKeyCannotServeHs256) {
  auto v =
      NewSignatureVerifier(Algorithm::kHs256, GeneratedKey(Algorithm::kRs256));
  EXPECT_THAT(v, StatusIs(absl::StatusCode::kInvalidArgument));
  ExpectCleanFailure(v.status());
}

TEST(SignatureVerifierFactoryTest, SignerNeedsPrivateMaterial) {
  for (Algorithm alg : kAllAlgorithms) {
    if (KeyTypeFor(alg) == KeyType::kOct) continue;
    auto pub = GeneratedKey(alg).PublicOnly();
    ASSERT_THAT(pub, IsOk());
    EXPECT_THAT(NewSigner(alg, *pub),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << AlgorithmName(alg);
    EXPECT_THAT(NewSignatureVerifier(alg, *pub), IsOk()) << AlgorithmName(alg);
  }
}

TEST(RandomBytesTest, LengthAndVariety) {
  EXPECT_EQ(RandomBytes(0), "");
  EXPECT_EQ(RandomBytes(33).size(), 33u);
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(RandomBytes(16));
  EXPECT_EQ(seen.size(), 100u);
}

TEST(Sha256Test, KnownAnswers) {
  // FIPS 180-2 examples.
  EXPECT_EQ(absl::BytesToHexString(Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(absl::BytesToHexString(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ConstantTimeEqualsTest, ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  EXPECT_TRUE(
      ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0b", 3)));
  EXPECT_FALSE(
      ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
}

}  // namespace
}  // namespace jwtauth::crypto
