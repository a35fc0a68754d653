#include "core/jws_verifier.h"

#include <string>
#include <vector>

#include "core/base64url.h"
#include "core/jws.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/test_keys.h"

namespace jwtauth {
namespace {

using ::jwtauth::testutil::CachedTestKey;
using ::jwtauth::testutil::GenerateTestKey;
using ::jwtauth::testutil::SignJws;
using ::jwtauth::testutil::SignJwsWithHeader;
using ::jwtauth::testutil::TestKey;

FailureOr<VerifiedJws> Verify(absl::string_view token,
                              const std::vector<Key>& keys,
                              const JwsVerifyOptions& o = {}) {
  return VerifyJws(token, keys, o);
}

std::string N(Algorithm a) { return std::string(AlgorithmName(a)); }

std::string Name(const ::testing::TestParamInfo<Algorithm>& info) {
  return std::string(AlgorithmName(info.param));
}

class JwsRoundTripTest : public ::testing::TestWithParam<Algorithm> {};

TEST_P(JwsRoundTripTest, SignThenVerify) {
  const TestKey& k = CachedTestKey(GetParam());
  // Binary, not JSON, with an embedded NUL: length from the array, not by hand.
  constexpr char kPayload[] = "\x00\x01 not json \xff";
  const std::string payload(kPayload, sizeof(kPayload) - 1);
  std::string token = SignJws(k, payload, {{"typ", "JOSE"}});
  std::vector<Key> keys = {k.key};  // VerifiedJws::key points into this list
  FailureOr<VerifiedJws> r = Verify(token, keys);
  ASSERT_TRUE(r.ok()) << FailureReasonName(r.reason()) << " "
                      << r.failure().detail;
  EXPECT_EQ(r->payload(), payload);
  EXPECT_EQ(r->alg, GetParam());
  EXPECT_EQ(r->kid, k.kid);
  EXPECT_EQ(r->header()["typ"], "JOSE");
  EXPECT_EQ(r->key, &keys[0]);
}

TEST_P(JwsRoundTripTest, EveryFlippedSignatureBitFails) {
  const TestKey& k = CachedTestKey(GetParam());
  std::string input = MakeSigningInput(
      nlohmann::json{{"alg", AlgorithmName(GetParam())}, {"kid", k.kid}}.dump(),
      "p");
  std::string sig = *k.signer->Sign(input);
  std::vector<Key> keys = {k.key};
  ASSERT_TRUE(Verify(CompleteCompactJws(input, sig), keys).ok());
  // Every bit for short signatures; every 7th for RSA (2048 bits) to keep
  // the run short while still touching every byte.
  const size_t step = sig.size() > 200 ? 7 : 1;
  for (size_t bit = 0; bit < sig.size() * 8; bit += step) {
    std::string bad = sig;
    bad[bit / 8] ^= static_cast<char>(1 << (bit % 8));
    FailureOr<VerifiedJws> r = Verify(CompleteCompactJws(input, bad), keys);
    ASSERT_FALSE(r.ok()) << "bit " << bit;
    EXPECT_EQ(r.reason(), FailureReason::kSignatureInvalid) << "bit " << bit;
  }
}

TEST_P(JwsRoundTripTest, TruncatedOrExtendedSignatureFails) {
  const TestKey& k = CachedTestKey(GetParam());
  std::string input = MakeSigningInput(
      nlohmann::json{{"alg", AlgorithmName(GetParam())}, {"kid", k.kid}}.dump(),
      "p");
  std::string sig = *k.signer->Sign(input);
  std::vector<Key> keys = {k.key};
  for (size_t len = 0; len < sig.size(); ++len) {
    EXPECT_FALSE(
        Verify(CompleteCompactJws(input, sig.substr(0, len)), keys).ok())
        << "len " << len;
  }
  EXPECT_FALSE(Verify(CompleteCompactJws(input, sig + '\0'), keys).ok());
  EXPECT_FALSE(
      Verify(CompleteCompactJws(input, std::string(1, '\0') + sig), keys).ok());
}

TEST_P(JwsRoundTripTest, ModifiedPayloadOrHeaderFails) {
  const TestKey& k = CachedTestKey(GetParam());
  std::string token = SignJws(k, "payload");
  std::vector<Key> keys = {k.key};
  size_t dot1 = token.find('.');
  size_t dot2 = token.find('.', dot1 + 1);
  std::string other_payload = token.substr(0, dot1 + 1) +
                              Base64UrlEncode("pay1oad") + token.substr(dot2);
  EXPECT_EQ(Verify(other_payload, keys).reason(),
            FailureReason::kSignatureInvalid);
  std::string other_header = Base64UrlEncode(nlohmann::json{
                                 {"alg", AlgorithmName(GetParam())},
                                 {"kid", k.kid},
                                 {"x", 1}}.dump()) +
                             token.substr(dot1);
  EXPECT_EQ(Verify(other_header, keys).reason(),
            FailureReason::kSignatureInvalid);
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, JwsRoundTripTest,
                         ::testing::ValuesIn(kAllAlgorithms), Name);

// A token signed by one key/alg never verifies under another key or alg.
TEST(JwsCrossTest, NoTokenVerifiesUnderAnotherKeyOrAlg) {
  std::vector<Key> all;
  for (Algorithm a : kAllAlgorithms) all.push_back(CachedTestKey(a).key);
  for (Algorithm signer_alg : kAllAlgorithms) {
    const TestKey& s = CachedTestKey(signer_alg);
    for (Algorithm header_alg : kAllAlgorithms) {
      // The signer's signature, under every header alg and every key's kid.
      std::string sig_input_header;
      for (const Key& key : all) {
        nlohmann::json h = {{"alg", N(header_alg)}, {"kid", key.kid()}};
        std::string token = SignJwsWithHeader(*s.signer, h.dump(), "x");
        std::vector<Key> one = {key};
        const bool expect = header_alg == signer_alg && key.kid() == s.kid;
        EXPECT_EQ(Verify(token, one).ok(), expect)
            << "signed " << AlgorithmName(signer_alg) << ", header "
            << AlgorithmName(header_alg) << ", key " << key.kid();
        EXPECT_EQ(Verify(token, all).ok(), expect);
      }
    }
  }
}

TEST(JwsCrossTest, SameAlgDifferentKeyFails) {
  for (Algorithm a : kAllAlgorithms) {
    TestKey other = GenerateTestKey(a, CachedTestKey(a).kid);
    std::vector<Key> keys = {other.key};
    EXPECT_EQ(Verify(SignJws(CachedTestKey(a), "x"), keys).reason(),
              FailureReason::kSignatureInvalid)
        << AlgorithmName(a);
  }
}

TEST(JwsCrossTest, HmacWithPublicKeyBytesIsNotAccepted) {
  // Classic alg confusion: HS256 keyed with the RSA public key's PEM.
  const TestKey& rsa = CachedTestKey(Algorithm::kRs256);
  std::string pem = *rsa.private_key.PublicPem();
  absl::StatusOr<crypto::KeyMaterial> secret =
      crypto::KeyMaterial::FromSecret(pem);
  ASSERT_TRUE(secret.ok());
  auto signer = crypto::NewSigner(Algorithm::kHs256, *secret);
  ASSERT_TRUE(signer.ok());
  std::string token = SignJwsWithHeader(
      **signer, nlohmann::json{{"alg", "HS256"}, {"kid", rsa.kid}}.dump(), "x");
  std::vector<Key> keys = {rsa.key};
  EXPECT_EQ(Verify(token, keys).reason(), FailureReason::kUnsupportedAlgorithm);
  std::string no_kid =
      SignJwsWithHeader(**signer, nlohmann::json{{"alg", "HS256"}}.dump(), "x");
  EXPECT_EQ(Verify(no_kid, keys).reason(),
            FailureReason::kUnsupportedAlgorithm);
}

TEST(JwsKeySelectionTest, NoKeys) {
  EXPECT_EQ(Verify(SignJws(CachedTestKey(Algorithm::kEs256), "x"), {}).reason(),
            FailureReason::kKeyNotFound);
}

TEST(JwsKeySelectionTest, UnknownKid) {
  const TestKey& k = CachedTestKey(Algorithm::kEs256);
  FailureOr<VerifiedJws> r =
      Verify(SignJws(k, "x", {{"kid", "nope"}}), {k.key});
  EXPECT_EQ(r.reason(), FailureReason::kKeyNotFound);
}

TEST(JwsKeySelectionTest, KidSelectsOnlyThatKey) {
  // The right key material is present but under another kid: not used.
  const TestKey& k = CachedTestKey(Algorithm::kEs256);
  TestKey decoy = GenerateTestKey(Algorithm::kEs256, "wanted");
  std::vector<Key> keys = {decoy.key, k.key};
  EXPECT_EQ(Verify(SignJws(k, "x", {{"kid", "wanted"}}), keys).reason(),
            FailureReason::kSignatureInvalid);
  FailureOr<VerifiedJws> r = Verify(SignJws(k, "x"), keys);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kid, k.kid);
}

TEST(JwsKeySelectionTest, KidMatchesButAlgNotServed) {
  const TestKey& k = CachedTestKey(Algorithm::kEs256);
  std::string token = SignJwsWithHeader(
      *k.signer, nlohmann::json{{"alg", "ES384"}, {"kid", k.kid}}.dump(), "x");
  EXPECT_EQ(Verify(token, {k.key}).reason(),
            FailureReason::kUnsupportedAlgorithm);
}

TEST(JwsKeySelectionTest, KidlessTokenTriesKeysThatServeAlg) {
  const TestKey& k = CachedTestKey(Algorithm::kEdDsa);
  TestKey noise1 = GenerateTestKey(Algorithm::kEdDsa, "n1");
  std::vector<Key> keys = {CachedTestKey(Algorithm::kRs256).key, noise1.key,
                           k.key};
  std::string token = SignJwsWithHeader(
      *k.signer, nlohmann::json{{"alg", "EdDSA"}}.dump(), "x");
  FailureOr<VerifiedJws> r = Verify(token, keys);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kid, k.kid);
}

TEST(JwsKeySelectionTest, KidlessCandidatesAreBounded) {
  const TestKey& k = CachedTestKey(Algorithm::kHs256);
  std::vector<Key> keys;
  for (int i = 0; i < 4; ++i) {
    keys.push_back(
        GenerateTestKey(Algorithm::kHs256, "n" + std::to_string(i)).key);
  }
  keys.push_back(k.key);  // fifth
  std::string token = SignJwsWithHeader(
      *k.signer, nlohmann::json{{"alg", "HS256"}}.dump(), "x");
  EXPECT_EQ(Verify(token, keys).reason(), FailureReason::kSignatureInvalid);
  JwsVerifyOptions five;
  five.max_kidless_candidates = 5;
  EXPECT_TRUE(Verify(token, keys, five).ok());
}

TEST(JwsKeySelectionTest, EmptyKidSelectsNoKidlessKey) {
  // "kid":"" must not turn into "every key without a kid", which would also
  // escape the kid-less candidate bound.
  const TestKey& k = CachedTestKey(Algorithm::kHs256);
  KeyOptions kidless_options;
  kidless_options.alg = Algorithm::kHs256;
  absl::StatusOr<Key> kidless = Key::Create(kidless_options, k.private_key);
  ASSERT_TRUE(kidless.ok());
  std::vector<Key> keys;
  for (int i = 0; i < 6; ++i) {
    keys.push_back(GenerateTestKey(Algorithm::kHs256).key);
  }
  keys.push_back(*kidless);  // the right one, seventh and kid-less
  std::string token = SignJwsWithHeader(
      *k.signer, nlohmann::json{{"alg", "HS256"}, {"kid", ""}}.dump(), "x");
  EXPECT_EQ(Verify(token, keys).reason(), FailureReason::kKeyNotFound);
}

TEST(JwsKeySelectionTest, KidlessTokenNoKeyServesAlg) {
  const TestKey& k = CachedTestKey(Algorithm::kEs512);
  std::string token = SignJwsWithHeader(
      *k.signer, nlohmann::json{{"alg", "ES512"}}.dump(), "x");
  EXPECT_EQ(Verify(token, {CachedTestKey(Algorithm::kEs256).key}).reason(),
            FailureReason::kUnsupportedAlgorithm);
}

TEST(JwsParseFailuresTest, ParseLayerReasonsPassThrough) {
  std::vector<Key> keys = {CachedTestKey(Algorithm::kHs256).key};
  EXPECT_EQ(Verify("", keys).reason(), FailureReason::kTokenMissing);
  EXPECT_EQ(Verify("a.b", keys).reason(), FailureReason::kMalformed);
  std::string none = Base64UrlEncode(R"({"alg":"none"})") + "." +
                     Base64UrlEncode("x") + ".AAAA";
  EXPECT_EQ(Verify(none, keys).reason(), FailureReason::kUnsupportedAlgorithm);
  JwsVerifyOptions small;
  small.limits.max_token_bytes = 16;
  EXPECT_EQ(Verify(SignJws(CachedTestKey(Algorithm::kHs256), "x"), keys, small)
                .reason(),
            FailureReason::kTokenTooLarge);
}

TEST(JwsHeaderKeysIgnoredTest, EmbeddedJwkDoesNotSupplyAKey) {
  TestKey attacker = GenerateTestKey(Algorithm::kEs256, "kid");
  const TestKey& real = CachedTestKey(Algorithm::kEs256);
  nlohmann::json h = {{"alg", "ES256"},
                      {"kid", real.kid},
                      {"jwk", *attacker.key.ToPublicJwk()},
                      {"jku", "https://attacker.example/jwks"}};
  std::string token = SignJwsWithHeader(*attacker.signer, h.dump(), "x");
  EXPECT_EQ(Verify(token, {real.key}).reason(),
            FailureReason::kSignatureInvalid);
}

TEST(JwsPointerApiTest, SpanOfPointersAndParsedForms) {
  const TestKey& a = CachedTestKey(Algorithm::kPs256);
  const TestKey& b = CachedTestKey(Algorithm::kEs384);
  std::vector<const Key*> ptrs = {&a.key, &b.key};
  std::string token = SignJws(b, "payload");
  FailureOr<VerifiedJws> r = VerifyJws(token, absl::MakeConstSpan(ptrs));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->key, &b.key);

  FailureOr<ParsedJws> parsed = ParsedJws::Parse(token);
  ASSERT_TRUE(parsed.ok());
  FailureOr<const Key*> sel = SelectAndVerify(*parsed, ptrs);
  ASSERT_TRUE(sel.ok());
  EXPECT_EQ(*sel, &b.key);
  FailureOr<VerifiedJws> v = VerifyParsedJws(*parsed, ptrs);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->payload(), "payload");
  EXPECT_EQ(v->alg, Algorithm::kEs384);
}

}  // namespace
}  // namespace jwtauth
