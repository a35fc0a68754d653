// RFC 7515 Appendix A and RFC 7520 §4 examples through the production
// TokenVerifier (tests/testutil/keys_verifier.h: a KeyStore with the keys as
// published, imported through the JWK importer, and one provider). An
// example "verifies" when its signature does; the examples' payloads are no
// claims sets this provider accepts (A.1-A.3 expired and without aud, the
// others not JSON), so the claims step then fails, which is not checked.
//
// Vectors are facts copied from the RFCs (RFC 7520 figures as reproduced in
// Wycheproof's json_web_signature_test.json, tcIds 345-348); each was
// re-checked with an independent implementation before being pasted here.
//
// Applicability:
//  - RFC 7515 A.1 HS256 (64-byte key: above every HMAC floor), A.2 RS256
//    (2048-bit key), A.3 ES256, A.4 ES512: verified. A.5 (alg "none"):
//    rejected as UNSUPPORTED_ALGORITHM whatever keys are configured.
//  - RFC 7520 4.1 RS256, 4.2 PS384 (probabilistic: verify only), 4.3 ES512,
//    4.4 HS256: verified with the RFC's keys. The RSA key is imported without
//    "alg" so it serves RS* and PS* (Wycheproof binds it to PS256, see
//    wycheproof_jose_test.cc). 4.5 (detached content) and 4.6-4.8 (JSON
//    serialization only) do not apply to compact JWS; the compact parser
//    rejecting JSON serialization is covered by the Wycheproof tests.

#include <string>
#include <vector>

#include "core/jwk.h"
#include "core/jws.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/core/rfc_vectors.h"
#include "tests/testutil/keys_verifier.h"

namespace jwtauth {
namespace {

using ::jwtauth::testutil::KeysVerifier;
using nlohmann::json;
using namespace ::jwtauth::testutil::rfc;  // NOLINT: the vectors by name

Key MustImport(const json& jwk) {
  absl::StatusOr<Key> key = ImportJwk(jwk, JwkImportOptions{});
  EXPECT_TRUE(key.ok()) << key.status();
  return *std::move(key);
}

void ExpectVerifies(const char* token, const Key& key, Algorithm alg,
                    const std::string& payload) {
  KeysVerifier verifier({key});
  KeysVerifier::Outcome r = verifier.Verify(token);
  EXPECT_TRUE(r.signature_verified)
      << (r.ok() ? ""
                 : std::string(FailureReasonName(r.reason())) + ": " +
                       r.result.failure().detail);
  FailureOr<ParsedJws> parsed = ParsedJws::Parse(token);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->alg(), alg);
  EXPECT_EQ(parsed->payload(), payload);
  // One flipped signature bit must fail (a middle character: the last one
  // may carry unused bits the strict decoder checks).
  std::string bad = token;
  char& c = bad[bad.size() - 5];
  c = c == 'A' ? 'B' : 'A';
  KeysVerifier::Outcome flipped = verifier.Verify(bad);
  EXPECT_FALSE(flipped.signature_verified);
  EXPECT_EQ(flipped.reason(), FailureReason::kSignatureInvalid);
}

TEST(Rfc7515Test, A1Hs256) {
  Key key = MustImport({{"kty", "oct"}, {"k", kA1Key}});
  ExpectVerifies(kA1Jws, key, Algorithm::kHs256, kA1PayloadText);
}

TEST(Rfc7515Test, A2Rs256) {
  Key key = MustImport({{"kty", "RSA"}, {"n", kA2N}, {"e", "AQAB"}});
  ExpectVerifies(kA2Jws, key, Algorithm::kRs256, kA1PayloadText);
}

TEST(Rfc7515Test, A3Es256) {
  Key key =
      MustImport({{"kty", "EC"}, {"crv", "P-256"}, {"x", kA3X}, {"y", kA3Y}});
  ExpectVerifies(kA3Jws, key, Algorithm::kEs256, kA1PayloadText);
}

TEST(Rfc7515Test, A4Es512) {
  Key key =
      MustImport({{"kty", "EC"}, {"crv", "P-521"}, {"x", kA4X}, {"y", kA4Y}});
  ExpectVerifies(kA4Jws, key, Algorithm::kEs512, "Payload");
}

TEST(Rfc7515Test, A5UnsecuredIsRejected) {
  std::vector<Key> keys = {
      MustImport({{"kty", "oct"}, {"k", kA1Key}}),
      MustImport({{"kty", "RSA"}, {"n", kA2N}, {"e", "AQAB"}}),
      MustImport({{"kty", "EC"}, {"crv", "P-256"}, {"x", kA3X}, {"y", kA3Y}})};
  // The empty signature segment is MALFORMED for the parse layer before alg
  // is looked at; with any signature bytes, "none" is UNSUPPORTED_ALGORITHM.
  KeysVerifier verifier(keys);
  KeysVerifier::Outcome r = verifier.Verify(kA5Jws);
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(r.signature_verified);
  EXPECT_THAT(r.reason(),
              ::testing::AnyOf(FailureReason::kMalformed,
                               FailureReason::kUnsupportedAlgorithm));
  EXPECT_EQ(verifier.Verify(std::string(kA5Jws) + "AAAA").reason(),
            FailureReason::kUnsupportedAlgorithm);
}

TEST(Rfc7515Test, KeysOfOneExampleDoNotVerifyAnother) {
  std::vector<Key> keys = {
      MustImport({{"kty", "oct"}, {"k", kA1Key}}),
      MustImport({{"kty", "RSA"}, {"n", kA2N}, {"e", "AQAB"}}),
      MustImport({{"kty", "EC"}, {"crv", "P-256"}, {"x", kA3X}, {"y", kA3Y}}),
      MustImport({{"kty", "EC"}, {"crv", "P-521"}, {"x", kA4X}, {"y", kA4Y}})};
  const char* tokens[] = {kA1Jws, kA2Jws, kA3Jws, kA4Jws};
  for (size_t t = 0; t < 4; ++t) {
    for (size_t k = 0; k < 4; ++k) {
      KeysVerifier one({keys[k]});
      EXPECT_EQ(one.Verify(tokens[t]).signature_verified, t == k)
          << "token A." << t + 1 << " key A." << k + 1;
    }
  }
}

Key Rfc7520Rsa() {
  return MustImport({{"kty", "RSA"},
                     {"kid", kRfc7520Kid},
                     {"use", "sig"},
                     {"n", kRfc7520RsaN},
                     {"e", "AQAB"}});
}

TEST(Rfc7520Test, S41Rs256) {
  ExpectVerifies(kRfc7520S41Jws, Rfc7520Rsa(), Algorithm::kRs256,
                 kRfc7520Payload);
}

TEST(Rfc7520Test, S42Ps384) {
  ExpectVerifies(kRfc7520S42Jws, Rfc7520Rsa(), Algorithm::kPs384,
                 kRfc7520Payload);
}

TEST(Rfc7520Test, S42Ps384FailsWhenKeyIsBoundToPs256) {
  Key key = MustImport({{"kty", "RSA"},
                        {"kid", kRfc7520Kid},
                        {"alg", "PS256"},
                        {"n", kRfc7520RsaN},
                        {"e", "AQAB"}});
  KeysVerifier::Outcome r = KeysVerifier({key}).Verify(kRfc7520S42Jws);
  EXPECT_FALSE(r.signature_verified);
  EXPECT_EQ(r.reason(), FailureReason::kUnsupportedAlgorithm);
}

TEST(Rfc7520Test, S43Es512) {
  Key key = MustImport({{"kty", "EC"},
                        {"kid", kRfc7520Kid},
                        {"use", "sig"},
                        {"crv", "P-521"},
                        {"x", kRfc7520EcX},
                        {"y", kRfc7520EcY}});
  ExpectVerifies(kRfc7520S43Jws, key, Algorithm::kEs512, kRfc7520Payload);
}

TEST(Rfc7520Test, S44Hs256) {
  Key key = MustImport({{"kty", "oct"},
                        {"kid", "018c0ae5-4d9b-471b-bfd6-eef314bc7037"},
                        {"use", "sig"},
                        {"alg", "HS256"},
                        {"k", kRfc7520HmacK}});
  ExpectVerifies(kRfc7520S44Jws, key, Algorithm::kHs256, kRfc7520Payload);
}

}  // namespace
}  // namespace jwtauth
