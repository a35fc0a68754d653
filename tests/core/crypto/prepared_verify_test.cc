#include "core/crypto/prepared_verify.h"

#include <openssl/err.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/algorithm.h"
#include "core/crypto/key_material.h"
#include "core/crypto/key_material_impl.h"
#include "core/crypto/signature_verifier.h"
#include "core/crypto/ssl_util.h"
#include "gtest/gtest.h"
#include "tests/core/crypto/crypto_test_util.h"
#include "tests/testutil/status_matchers.h"

namespace jwtauth::crypto {
namespace {

using ::jwtauth::testutil::GeneratedKey;
using ::jwtauth::testutil::IsOk;

constexpr absl::string_view kData = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0";

std::string SignOrDie(Algorithm alg, absl::string_view data) {
  auto signer = NewSigner(alg, GeneratedKey(alg));
  EXPECT_THAT(signer, IsOk());
  auto sig = (*signer)->Sign(data);
  EXPECT_THAT(sig, IsOk());
  return *sig;
}

internal::PreparedVerify PreparedFor(Algorithm alg, const KeyMaterial& key) {
  const bool ed = alg == Algorithm::kEdDsa;
  return internal::PreparedVerify(key.impl().pkey_ptr(),
                                  ed ? nullptr : internal::EvpMd(HashFor(alg)),
                                  alg == Algorithm::kPs256);
}

// Many request threads verify with one key at once, starting together so
// that they also race to build the prepared context, and twice as many as
// the pool has slots, so that calls also verify on template clones and
// hand contexts back to a full pool. Every answer must be right: valid
// signatures verify; a changed input or a flipped signature bit does not;
// no call leaves an error in its thread's OpenSSL queue.
class ConcurrentVerifyTest : public testing::TestWithParam<Algorithm> {};

TEST_P(ConcurrentVerifyTest, EveryResultIsRightUnderConcurrentUse) {
  constexpr int kThreads = 2 * internal::PreparedVerify::kPoolSlots;
  constexpr int kPerThread = 2000;
  const Algorithm alg = GetParam();
  const std::string sig = SignOrDie(alg, kData);
  std::string bad_sig = sig;
  // The last byte: past the length and range checks, into the EVP math.
  bad_sig.back() = static_cast<char>(bad_sig.back() ^ 0x01);
  const std::string bad_data = absl::StrCat(kData, ".");
  auto verifier = NewSignatureVerifier(alg, GeneratedKey(alg));
  ASSERT_THAT(verifier, IsOk());
  const SignatureVerifier& v = **verifier;  // fresh: nothing prepared yet

  std::atomic<bool> go{false};
  std::atomic<int> right{0}, wrong{0}, queue_left{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      for (int i = 0; i < kPerThread; ++i) {
        const int kind = (i + t) % 3;  // valid, changed input, changed sig
        const bool got = kind == 0   ? v.Verify(kData, sig)
                         : kind == 1 ? v.Verify(bad_data, sig)
                                     : v.Verify(kData, bad_sig);
        ++(got == (kind == 0) ? right : wrong);
        if (ERR_peek_error() != 0) {
          ++queue_left;
          ERR_clear_error();
        }
      }
    });
  }
  go.store(true, std::memory_order_release);
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(right.load(), kThreads * kPerThread);
  EXPECT_EQ(queue_left.load(), 0);
}

INSTANTIATE_TEST_SUITE_P(HotAlgorithms, ConcurrentVerifyTest,
                         testing::Values(Algorithm::kRs256, Algorithm::kPs256,
                                         Algorithm::kEs256, Algorithm::kEdDsa,
                                         Algorithm::kHs256),
                         [](const testing::TestParamInfo<Algorithm>& info) {
                           return std::string(AlgorithmName(info.param));
                         });

// One thread reuses one pooled context call after call (Ed25519: a fresh
// copy each time): answers stay right in any order, including right after
// a failure on the same context.
TEST(PreparedVerifyTest, FailuresDoNotSpoilThePreparedContext) {
  for (Algorithm alg :
       {Algorithm::kRs256, Algorithm::kPs256, Algorithm::kEdDsa}) {
    SCOPED_TRACE(AlgorithmName(alg));
    const std::string sig = SignOrDie(alg, kData);
    const internal::PreparedVerify prepared =
        PreparedFor(alg, GeneratedKey(alg));
    const auto* bytes = internal::Bytes(sig);
    for (int i = 0; i < 20; ++i) {
      EXPECT_TRUE(prepared.Verify(kData, bytes, sig.size()));
      EXPECT_FALSE(prepared.Verify("other", bytes, sig.size()));
      EXPECT_FALSE(prepared.Verify(kData, bytes, sig.size() - 1));
      EXPECT_FALSE(prepared.Verify(kData, bytes, 0));
      EXPECT_EQ(ERR_peek_error(), 0u);
    }
  }
}

// The same through the ECDSA verifier, which hands PreparedVerify the DER
// form of the JWS signature (R || S).
TEST(PreparedVerifyTest, FailuresDoNotSpoilAPooledEcdsaContext) {
  const std::string sig = SignOrDie(Algorithm::kEs256, kData);
  std::string bad_sig = sig;
  bad_sig.back() = static_cast<char>(bad_sig.back() ^ 0x01);
  auto verifier =
      NewSignatureVerifier(Algorithm::kEs256, GeneratedKey(Algorithm::kEs256));
  ASSERT_THAT(verifier, IsOk());
  for (int i = 0; i < 20; ++i) {
    EXPECT_TRUE((*verifier)->Verify(kData, sig));
    EXPECT_FALSE((*verifier)->Verify("other", sig));
    EXPECT_FALSE((*verifier)->Verify(kData, bad_sig));
    EXPECT_EQ(ERR_peek_error(), 0u);
  }
}

// The padding is part of what is prepared: on the same RSA key a PKCS#1 v1.5
// signature does not verify under the PSS context, nor the reverse.
TEST(PreparedVerifyTest, PssAndPkcs1ContextsDoNotMix) {
  const KeyMaterial& key = GeneratedKey(Algorithm::kRs256);
  const std::string pkcs1 = SignOrDie(Algorithm::kRs256, kData);
  const std::string pss = SignOrDie(Algorithm::kPs256, kData);
  const internal::PreparedVerify rs = PreparedFor(Algorithm::kRs256, key);
  const internal::PreparedVerify ps = PreparedFor(Algorithm::kPs256, key);
  EXPECT_TRUE(rs.Verify(kData, internal::Bytes(pkcs1), pkcs1.size()));
  EXPECT_TRUE(ps.Verify(kData, internal::Bytes(pss), pss.size()));
  EXPECT_FALSE(rs.Verify(kData, internal::Bytes(pss), pss.size()));
  EXPECT_FALSE(ps.Verify(kData, internal::Bytes(pkcs1), pkcs1.size()));
  EXPECT_EQ(ERR_peek_error(), 0u);
}

}  // namespace
}  // namespace jwtauth::crypto
