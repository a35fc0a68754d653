// TokenVerifier at the JWS level: signatures of every algorithm, key
// selection by kid / key type, and the parse-layer reasons, through the
// production verifier (tests/testutil/keys_verifier.h: one provider holding
// the given keys). Payloads are claims sets the provider accepts, so a token
// whose signature verifies is a VerifiedToken.

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "core/base64url.h"
#include "core/jws.h"
#include "core/verifier.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/keys_verifier.h"
#include "tests/testutil/test_keys.h"

namespace jwtauth {
namespace {

using ::jwtauth::testutil::CachedTestKey;
using ::jwtauth::testutil::GenerateTestKey;
using ::jwtauth::testutil::KeysVerifier;
using ::jwtauth::testutil::KeysVerifierOptions;
using ::jwtauth::testutil::SignJws;
using ::jwtauth::testutil::SignJwsWithHeader;
using ::jwtauth::testutil::TestKey;
using json = nlohmann::json;

// The claims every KeysVerifier (default options) accepts.
std::string Claims() { return KeysVerifier({}).Claims().dump(); }

std::string N(Algorithm a) { return std::string(AlgorithmName(a)); }

std::string Name(const ::testing::TestParamInfo<Algorithm>& info) {
  return std::string(AlgorithmName(info.param));
}

class JwsRoundTripTest : public ::testing::TestWithParam<Algorithm> {};

TEST_P(JwsRoundTripTest, SignThenVerify) {
  const TestKey& k = CachedTestKey(GetParam());
  KeysVerifier v({k.key});
  const std::string payload = Claims();
  KeysVerifier::Outcome r = v.Verify(SignJws(k, payload, {{"typ", "JOSE"}}));
  ASSERT_TRUE(r.ok()) << FailureReasonName(r.reason()) << " "
                      << r.result.failure().detail;
  EXPECT_TRUE(r.signature_verified);
  EXPECT_EQ(r.result->claims_json(), payload);
  EXPECT_EQ(r.result->alg(), GetParam());
  EXPECT_EQ(r.result->kid(), k.kid);
  EXPECT_EQ(r.result->provider(), KeysVerifier::kProvider);
}

TEST_P(JwsRoundTripTest, BinaryPayloadVerifiesThenIsNoClaimsSet) {
  // Binary, not JSON, with an embedded NUL: length from the array, not by
  // hand. The signature is checked first (the provider is named); the
  // payload then fails the claims step.
  const TestKey& k = CachedTestKey(GetParam());
  constexpr char kPayload[] = "\x00\x01 not json \xff";
  const std::string payload(kPayload, sizeof(kPayload) - 1);
  KeysVerifier::Outcome r = KeysVerifier({k.key}).Verify(SignJws(k, payload));
  EXPECT_TRUE(r.signature_verified);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.reason(), FailureReason::kMalformed);
}

TEST_P(JwsRoundTripTest, ForgedTokenWithBadPayloadFailsOnItsSignature) {
  // A named provider's payload is judged once the signature verified: a
  // forged token is reported as a bad signature, never by its payload's
  // failure. Any reordering of TryProvider (core/verifier.cc) must keep
  // this.
  const TestKey& k = CachedTestKey(GetParam());
  KeysVerifierOptions o;
  o.payload_limits.max_depth = 2;
  KeysVerifier v({k.key}, o);
  json deep = v.Claims();
  deep["d"] = {{"e", {{"f", 1}}}};  // depth 3
  for (const std::string& payload :
       {std::string("not json"), deep.dump(), std::string("[1]")}) {
    const std::string input = MakeSigningInput(
        json{{"alg", AlgorithmName(GetParam())}, {"kid", k.kid}}.dump(),
        payload);
    std::string sig = *k.signer->Sign(input);
    ASSERT_EQ(v.Verify(CompleteCompactJws(input, sig)).reason(),
              FailureReason::kMalformed)
        << payload;
    sig[sig.size() / 2] ^= 0x01;
    KeysVerifier::Outcome forged = v.Verify(CompleteCompactJws(input, sig));
    EXPECT_FALSE(forged.signature_verified) << payload;
    EXPECT_EQ(forged.reason(), FailureReason::kSignatureInvalid) << payload;
  }
}

TEST_P(JwsRoundTripTest, EveryFlippedSignatureBitFails) {
  const TestKey& k = CachedTestKey(GetParam());
  std::string input = MakeSigningInput(
      json{{"alg", AlgorithmName(GetParam())}, {"kid", k.kid}}.dump(),
      Claims());
  std::string sig = *k.signer->Sign(input);
  KeysVerifier v({k.key});
  ASSERT_TRUE(v.Verify(CompleteCompactJws(input, sig)).ok());
  // Every bit for short signatures; every 7th for RSA (2048 bits) to keep
  // the run short while still touching every byte.
  const size_t step = sig.size() > 200 ? 7 : 1;
  for (size_t bit = 0; bit < sig.size() * 8; bit += step) {
    std::string bad = sig;
    bad[bit / 8] ^= static_cast<char>(1 << (bit % 8));
    KeysVerifier::Outcome r = v.Verify(CompleteCompactJws(input, bad));
    ASSERT_FALSE(r.signature_verified) << "bit " << bit;
    EXPECT_EQ(r.reason(), FailureReason::kSignatureInvalid) << "bit " << bit;
  }
}

TEST_P(JwsRoundTripTest, TruncatedOrExtendedSignatureFails) {
  const TestKey& k = CachedTestKey(GetParam());
  std::string input = MakeSigningInput(
      json{{"alg", AlgorithmName(GetParam())}, {"kid", k.kid}}.dump(),
      Claims());
  std::string sig = *k.signer->Sign(input);
  KeysVerifier v({k.key});
  for (size_t len = 0; len < sig.size(); ++len) {
    KeysVerifier::Outcome r =
        v.Verify(CompleteCompactJws(input, sig.substr(0, len)));
    EXPECT_FALSE(r.ok()) << "len " << len;
    EXPECT_FALSE(r.signature_verified) << "len " << len;
  }
  EXPECT_FALSE(v.Verify(CompleteCompactJws(input, sig + '\0')).ok());
  EXPECT_FALSE(
      v.Verify(CompleteCompactJws(input, std::string(1, '\0') + sig)).ok());
}

TEST_P(JwsRoundTripTest, ModifiedPayloadOrHeaderFails) {
  const TestKey& k = CachedTestKey(GetParam());
  KeysVerifier v({k.key});
  std::string token = SignJws(k, Claims());
  size_t dot1 = token.find('.');
  size_t dot2 = token.find('.', dot1 + 1);
  json other = json::parse(Claims());
  other["sub"] = "mallory";
  std::string other_payload = token.substr(0, dot1 + 1) +
                              Base64UrlEncode(other.dump()) +
                              token.substr(dot2);
  EXPECT_EQ(v.Verify(other_payload).reason(), FailureReason::kSignatureInvalid);
  std::string other_header = Base64UrlEncode(json{
                                 {"alg", AlgorithmName(GetParam())},
                                 {"kid", k.kid},
                                 {"x", 1}}.dump()) +
                             token.substr(dot1);
  EXPECT_EQ(v.Verify(other_header).reason(), FailureReason::kSignatureInvalid);
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, JwsRoundTripTest,
                         ::testing::ValuesIn(kAllAlgorithms), Name);

// A token signed by one key/alg never verifies under another key or alg.
TEST(JwsCrossTest, NoTokenVerifiesUnderAnotherKeyOrAlg) {
  std::vector<Key> all;
  for (Algorithm a : kAllAlgorithms) all.push_back(CachedTestKey(a).key);
  KeysVerifier all_keys(all);
  std::vector<std::unique_ptr<KeysVerifier>> one_key;
  for (const Key& key : all) {
    one_key.push_back(std::make_unique<KeysVerifier>(std::vector<Key>{key}));
  }
  for (Algorithm signer_alg : kAllAlgorithms) {
    const TestKey& s = CachedTestKey(signer_alg);
    for (Algorithm header_alg : kAllAlgorithms) {
      // The signer's signature, under every header alg and every key's kid.
      for (size_t i = 0; i < all.size(); ++i) {
        json h = {{"alg", N(header_alg)}, {"kid", all[i].kid()}};
        std::string token = SignJwsWithHeader(*s.signer, h.dump(), Claims());
        const bool expect = header_alg == signer_alg && all[i].kid() == s.kid;
        EXPECT_EQ(one_key[i]->Verify(token).ok(), expect)
            << "signed " << AlgorithmName(signer_alg) << ", header "
            << AlgorithmName(header_alg) << ", key " << all[i].kid();
        EXPECT_EQ(all_keys.Verify(token).ok(), expect);
      }
    }
  }
}

TEST(JwsCrossTest, SameAlgDifferentKeyFails) {
  for (Algorithm a : kAllAlgorithms) {
    TestKey other = GenerateTestKey(a, CachedTestKey(a).kid);
    EXPECT_EQ(KeysVerifier({other.key})
                  .Verify(SignJws(CachedTestKey(a), Claims()))
                  .reason(),
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
  KeysVerifier v({rsa.key});
  std::string token = SignJwsWithHeader(
      **signer, json{{"alg", "HS256"}, {"kid", rsa.kid}}.dump(), Claims());
  EXPECT_EQ(v.Verify(token).reason(), FailureReason::kUnsupportedAlgorithm);
  // Without kid only keys of the alg's type (oct) are candidates: none.
  std::string no_kid =
      SignJwsWithHeader(**signer, json{{"alg", "HS256"}}.dump(), Claims());
  EXPECT_EQ(v.Verify(no_kid).reason(), FailureReason::kKeyNotFound);
}

TEST(JwsKeySelectionTest, NoKeys) {
  EXPECT_EQ(KeysVerifier({})
                .Verify(SignJws(CachedTestKey(Algorithm::kEs256), Claims()))
                .reason(),
            FailureReason::kKeyNotFound);
}

TEST(JwsKeySelectionTest, UnknownKid) {
  const TestKey& k = CachedTestKey(Algorithm::kEs256);
  EXPECT_EQ(KeysVerifier({k.key})
                .Verify(SignJws(k, Claims(), {{"kid", "nope"}}))
                .reason(),
            FailureReason::kKeyNotFound);
}

TEST(JwsKeySelectionTest, KidSelectsOnlyThatKey) {
  // The right key material is present but under another kid: not used.
  const TestKey& k = CachedTestKey(Algorithm::kEs256);
  TestKey decoy = GenerateTestKey(Algorithm::kEs256, "wanted");
  KeysVerifier v({decoy.key, k.key});
  EXPECT_EQ(v.Verify(SignJws(k, Claims(), {{"kid", "wanted"}})).reason(),
            FailureReason::kSignatureInvalid);
  KeysVerifier::Outcome r = v.Verify(SignJws(k, Claims()));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.result->kid(), k.kid);
}

TEST(JwsKeySelectionTest, KidMatchesButAlgNotServed) {
  const TestKey& k = CachedTestKey(Algorithm::kEs256);
  std::string token = SignJwsWithHeader(
      *k.signer, json{{"alg", "ES384"}, {"kid", k.kid}}.dump(), Claims());
  EXPECT_EQ(KeysVerifier({k.key}).Verify(token).reason(),
            FailureReason::kUnsupportedAlgorithm);
}

TEST(JwsKeySelectionTest, KidlessTokenTriesKeysThatServeAlg) {
  const TestKey& k = CachedTestKey(Algorithm::kEdDsa);
  TestKey noise1 = GenerateTestKey(Algorithm::kEdDsa, "n1");
  KeysVerifier v({CachedTestKey(Algorithm::kRs256).key, noise1.key, k.key});
  std::string token =
      SignJwsWithHeader(*k.signer, json{{"alg", "EdDSA"}}.dump(), Claims());
  KeysVerifier::Outcome r = v.Verify(token);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.result->kid(), k.kid);
}

TEST(JwsKeySelectionTest, KidlessCandidatesAreBounded) {
  const TestKey& k = CachedTestKey(Algorithm::kHs256);
  std::vector<Key> keys;
  for (int i = 0; i < 4; ++i) {
    keys.push_back(
        GenerateTestKey(Algorithm::kHs256, "n" + std::to_string(i)).key);
  }
  keys.push_back(k.key);  // fifth
  std::string token =
      SignJwsWithHeader(*k.signer, json{{"alg", "HS256"}}.dump(), Claims());
  // Candidates left untried: KEY_NOT_FOUND, not SIGNATURE_INVALID.
  KeysVerifierOptions o;
  o.max_keys_without_kid = 4;
  EXPECT_EQ(KeysVerifier(keys, o).Verify(token).reason(),
            FailureReason::kKeyNotFound);
  o.max_keys_without_kid = 5;
  EXPECT_TRUE(KeysVerifier(keys, o).Verify(token).ok());
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
      *k.signer, json{{"alg", "HS256"}, {"kid", ""}}.dump(), Claims());
  KeysVerifier::Outcome r = KeysVerifier(keys).Verify(token);
  EXPECT_EQ(r.reason(), FailureReason::kKeyNotFound);
  EXPECT_FALSE(r.signature_verified);
}

TEST(JwsKeySelectionTest, KidlessTokenNoKeyServesAlg) {
  // The only EC key is P-256; an ES512 token without kid has no candidate.
  const TestKey& k = CachedTestKey(Algorithm::kEs512);
  std::string token =
      SignJwsWithHeader(*k.signer, json{{"alg", "ES512"}}.dump(), Claims());
  EXPECT_EQ(KeysVerifier({CachedTestKey(Algorithm::kEs256).key})
                .Verify(token)
                .reason(),
            FailureReason::kKeyNotFound);
}

TEST(JwsParseFailuresTest, ParseLayerReasonsPassThrough) {
  KeysVerifier v({CachedTestKey(Algorithm::kHs256).key});
  EXPECT_EQ(v.Verify("").reason(), FailureReason::kTokenMissing);
  EXPECT_EQ(v.Verify("a.b").reason(), FailureReason::kMalformed);
  std::string none = Base64UrlEncode(R"({"alg":"none"})") + "." +
                     Base64UrlEncode(Claims()) + ".AAAA";
  EXPECT_EQ(v.Verify(none).reason(), FailureReason::kUnsupportedAlgorithm);
  KeysVerifierOptions small;
  small.jws_limits.max_token_bytes = 16;
  EXPECT_EQ(KeysVerifier({CachedTestKey(Algorithm::kHs256).key}, small)
                .Verify(SignJws(CachedTestKey(Algorithm::kHs256), Claims()))
                .reason(),
            FailureReason::kTokenTooLarge);
}

// The alphabet check reads eight bytes at a time: every byte value at every
// lane of a block, and in the unaligned tail, is judged alone. A byte
// outside the alphabet is MALFORMED with the alphabet's detail; one inside
// it never gets that detail (the token then fails later, or verifies).
TEST(JwsParseFailuresTest, AlphabetCheckJudgesEveryByteAtEveryLane) {
  const TestKey& k = CachedTestKey(Algorithm::kHs256);
  KeysVerifier v({k.key});
  const std::string token = SignJws(k, Claims());
  ASSERT_TRUE(v.Verify(token).ok());
  ASSERT_NE(token.size() % 8, 0u) << "the test wants an unaligned tail";
  std::vector<size_t> positions;
  for (size_t i = 0; i < 24; ++i) positions.push_back(i);
  for (size_t i = token.size() - 9; i < token.size(); ++i) {
    positions.push_back(i);
  }
  auto in_alphabet = [](int c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  };
  int outside = 0;
  for (size_t pos : positions) {
    for (int c = 0; c < 256; ++c) {
      std::string t = token;
      t[pos] = static_cast<char>(c);
      KeysVerifier::Outcome r = v.Verify(t);
      const bool alphabet_failure =
          !r.ok() && r.reason() == FailureReason::kMalformed &&
          absl::StrContains(r.result.failure().detail, "alphabet");
      EXPECT_EQ(alphabet_failure, !in_alphabet(c))
          << "byte " << c << " at " << pos;
      outside += !in_alphabet(c);
    }
  }
  EXPECT_EQ(outside, static_cast<int>(positions.size()) * (256 - 65));
}

TEST(JwsHeaderKeysIgnoredTest, EmbeddedJwkDoesNotSupplyAKey) {
  TestKey attacker = GenerateTestKey(Algorithm::kEs256, "kid");
  const TestKey& real = CachedTestKey(Algorithm::kEs256);
  json h = {{"alg", "ES256"},
            {"kid", real.kid},
            {"jwk", *attacker.key.ToPublicJwk()},
            {"jku", "https://attacker.example/jwks"}};
  std::string token = SignJwsWithHeader(*attacker.signer, h.dump(), Claims());
  EXPECT_EQ(KeysVerifier({real.key}).Verify(token).reason(),
            FailureReason::kSignatureInvalid);
}

TEST(JwsKeySelectionTest, ResultNamesTheKeyThatVerified) {
  const TestKey& a = CachedTestKey(Algorithm::kPs256);
  const TestKey& b = CachedTestKey(Algorithm::kEs384);
  const std::string payload = Claims();
  for (const std::vector<Key>& keys :
       {std::vector<Key>{a.key, b.key}, std::vector<Key>{b.key, a.key}}) {
    KeysVerifier::Outcome r = KeysVerifier(keys).Verify(SignJws(b, payload));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.result->kid(), b.kid);
    EXPECT_EQ(r.result->alg(), Algorithm::kEs384);
    EXPECT_EQ(r.result->claims_json(), payload);
  }
}

// The payload's byte limit maps to TOKEN_TOO_LARGE, every other payload
// limit to MALFORMED (from the parser's typed error kind), whether the
// payload is parsed to route by "iss" or after the signature check.
TEST(JwsPayloadLimitsTest, ByteLimitIsTooLargeOtherLimitsAreMalformed) {
  const TestKey& k = CachedTestKey(Algorithm::kEs256);
  KeysVerifierOptions o;
  o.payload_limits.max_bytes = 200;
  o.payload_limits.max_depth = 3;
  KeysVerifier v({k.key}, o);
  json big = v.Claims();
  big["pad"] = std::string(200, 'x');
  json deep = v.Claims();
  deep["d"] = {{"e", {{"f", {{"g", 1}}}}}};  // depth 4
  std::string dup = v.Claims().dump();
  dup.insert(1, R"("a":1,"a":2,)");
  const struct {
    std::string payload;
    FailureReason want;
  } cases[] = {{big.dump(), FailureReason::kTokenTooLarge},
               {deep.dump(), FailureReason::kMalformed},
               {dup, FailureReason::kMalformed}};
  for (const auto& c : cases) {
    const std::string token = SignJws(k, c.payload);
    KeysVerifier::Outcome named = v.Verify(token);  // signature first
    EXPECT_TRUE(named.signature_verified) << c.payload;
    EXPECT_EQ(named.reason(), c.want) << c.payload;
    VerifyResult routed = v.verifier().Verify(token);  // parsed to route
    ASSERT_FALSE(routed.ok()) << c.payload;
    EXPECT_EQ(routed.failure().reason, c.want) << c.payload;
  }
  EXPECT_TRUE(v.Verify(SignJws(k, v.Claims().dump())).ok());
}

}  // namespace
}  // namespace jwtauth
