#include "core/verifier.h"

#include <atomic>
#include <cctype>
#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/base64url.h"
#include "core/failure.h"
#include "core/key_store.h"
#include "core/verification_cache.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testutil/fake_clock.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/test_keys.h"
#include "tests/testutil/wait.h"

// Options structs are filled with designated initializers that leave the
// remaining members at their defaults; g++ -Wextra would flag each one.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace jwtauth {
namespace {

using ::jwtauth::testutil::CachedTestKey;
using ::jwtauth::testutil::FakeClock;
using ::jwtauth::testutil::GenerateTestKey;
using ::jwtauth::testutil::kWaitTimeout;
using ::jwtauth::testutil::SignJws;
using ::jwtauth::testutil::TestKey;
using ::jwtauth::testutil::WaitUntil;
using json = nlohmann::json;

constexpr char kIss[] = "https://issuer.example";
constexpr char kAud[] = "api://orders";

class RecordingObserver final : public UnknownKidObserver {
 public:
  void OnUnknownKid(absl::string_view provider,
                    absl::string_view kid) override {
    calls.push_back(absl::StrCat(provider, "/", kid));
  }
  std::vector<std::string> calls;
};

class VerifierTest : public ::testing::Test {
 protected:
  VerifierTest() : key_(CachedTestKey(Algorithm::kEs256)) {
    store_.SetSourceKeys("default", "static", {key_.key});
  }

  static ProviderOptions Options() {
    ProviderOptions o;
    o.name = "default";
    o.issuers = {kIss};
    o.audiences = {kAud};
    return o;
  }

  std::unique_ptr<TokenVerifier> Make(std::vector<ProviderOptions> providers,
                                      VerificationCache* cache = nullptr) {
    auto v = TokenVerifier::Create({.providers = std::move(providers),
                                    .key_store = &store_,
                                    .clock = &clock_,
                                    .cache = cache,
                                    .unknown_kid_observer = &observer_});
    EXPECT_THAT(v, testutil::IsOk());
    return v.ok() ? *std::move(v) : nullptr;
  }
  std::unique_ptr<TokenVerifier> Make() { return Make({Options()}); }

  int64_t Now() const { return absl::ToUnixSeconds(clock_.Now()); }
  json Claims() const {
    return {{"iss", kIss},
            {"aud", kAud},
            {"sub", "alice"},
            {"iat", Now()},
            {"exp", Now() + 300}};
  }
  std::string Sign(const json& claims) const {
    return SignJws(key_, claims.dump());
  }
  std::string Sign(const json& claims, const TestKey& key) const {
    return SignJws(key, claims.dump());
  }

  FakeClock clock_;
  KeyStore store_;
  RecordingObserver observer_;
  TestKey key_;
};

TEST_F(VerifierTest, ValidTokenVerifiesWithAllFields) {
  ProviderOptions o = Options();
  o.metadata = {{.path = "org.id", .field = "", .required = true}};
  auto v = Make({o});
  json c = Claims();
  c["org"] = {{"id", "acme"}};
  VerifyResult r = v->Verify(Sign(c));
  ASSERT_TRUE(r.ok()) << r.failure().detail;
  EXPECT_EQ(r->provider(), "default");
  EXPECT_EQ(r->kid(), key_.kid);
  EXPECT_EQ(r->alg(), Algorithm::kEs256);
  EXPECT_EQ(r->claims()["sub"], "alice");
  EXPECT_EQ(json::parse(r->claims_json()), c);
  EXPECT_EQ(r->expires_at(), absl::FromUnixSeconds(Now() + 300));
  EXPECT_EQ(r->metadata().at("id"), "acme");
}

TEST_F(VerifierTest, CreateRejectsInvalidProviderAndDuplicates) {
  ProviderOptions bad = Options();
  bad.clock_skew = absl::Minutes(11);
  auto v = TokenVerifier::Create(
      {.providers = {bad}, .key_store = &store_, .clock = &clock_});
  EXPECT_THAT(v, testutil::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(v.status().message()),
              ::testing::HasSubstr("clock_skew"));
  auto dup = TokenVerifier::Create({.providers = {Options(), Options()},
                                    .key_store = &store_,
                                    .clock = &clock_});
  EXPECT_THAT(dup, testutil::StatusIs(absl::StatusCode::kInvalidArgument));
  auto no_store = TokenVerifier::Create({.providers = {}, .clock = &clock_});
  EXPECT_FALSE(no_store.ok());
}

// Produces every FailureReason through TokenVerifier and checks the set is
// complete (1..kMaxFailureReason).
TEST_F(VerifierTest, EveryFailureReasonIsProduced) {
  ProviderOptions o = Options();
  o.max_lifetime = absl::Hours(1);
  o.subject = {SubjectRule::Kind::kPrefix, {"ali"}};
  o.required_claims = {"scope"};
  o.claim_rules = {{.claim = "tenant",
                    .op = ClaimRule::Op::kEquals,
                    .values = {"%{tenant}"}}};
  ProviderOptions pending;
  pending.name = "pending";
  pending.issuers = {"https://pending.example"};
  pending.audiences = {kAud};
  store_.MarkSourcePending("pending", "jwks:https://pending.example/keys");
  auto v = Make({o, pending});
  VerifyOptions opts{.context = {{"tenant", "t1"}}};

  json good = Claims();
  good["scope"] = "read";
  good["tenant"] = "t1";
  ASSERT_TRUE(v->Verify(Sign(good), opts).ok());

  std::set<FailureReason> seen;
  auto expect = [&](const std::string& token, FailureReason want,
                    const VerifyOptions& vo) {
    VerifyResult r = v->Verify(token, vo);
    ASSERT_FALSE(r.ok()) << FailureReasonName(want);
    EXPECT_EQ(r.failure().reason, want)
        << "want " << FailureReasonName(want) << " got "
        << FailureReasonName(r.failure().reason) << ": " << r.failure().detail;
    seen.insert(r.failure().reason);
  };
  auto with = [&](const char* name, json value) {
    json c = good;
    if (value.is_null()) {
      c.erase(name);
    } else {
      c[name] = value;
    }
    return Sign(c);
  };

  expect("", FailureReason::kTokenMissing, opts);
  expect(std::string(9000, 'a'), FailureReason::kTokenTooLarge, opts);
  expect("abc.def", FailureReason::kMalformed, opts);
  expect(absl::StrCat(Base64UrlEncode(R"({"alg":"none"})"), ".",
                      Base64UrlEncode(good.dump()), ".c2ln"),
         FailureReason::kUnsupportedAlgorithm, opts);
  expect(
      SignJws(key_, good.dump(), {{"crit", {"x-unknown"}}, {"x-unknown", 1}}),
      FailureReason::kHeaderRejected, opts);
  expect(SignJws(key_, good.dump(), {{"kid", "no-such-kid"}}),
         FailureReason::kKeyNotFound, opts);
  std::string bad_sig = Sign(good);
  bad_sig[bad_sig.size() - 2] = bad_sig[bad_sig.size() - 2] == 'A' ? 'B' : 'A';
  expect(bad_sig, FailureReason::kSignatureInvalid, opts);
  expect(with("exp", Now() - 61), FailureReason::kExpired, opts);
  expect(with("nbf", Now() + 61), FailureReason::kNotYetValid, opts);
  expect(with("iat", Now() + 61), FailureReason::kIssuedInFuture, opts);
  {
    json c = good;
    c["iat"] = Now() - 10;
    c["exp"] = Now() + 3600;
    expect(Sign(c), FailureReason::kLifetimeTooLong, opts);
  }
  expect(with("iss", "https://other.example"), FailureReason::kIssuerMismatch,
         opts);
  expect(with("aud", json::array()), FailureReason::kAudienceMismatch, opts);
  expect(with("sub", "bob"), FailureReason::kSubjectMismatch, opts);
  expect(with("scope", nullptr), FailureReason::kClaimMissing, opts);
  expect(with("tenant", "t2"), FailureReason::kClaimInvalid, opts);
  {
    json c = good;
    c["iss"] = "https://pending.example";
    expect(Sign(c), FailureReason::kKeysUnavailable, opts);
  }
  for (int r = 1; r <= kMaxFailureReason; ++r) {
    EXPECT_TRUE(seen.contains(static_cast<FailureReason>(r)))
        << FailureReasonName(static_cast<FailureReason>(r));
  }
}

TEST_F(VerifierTest, ExpAndNbfAtSkewEdges) {
  auto v = Make();  // skew 60 s
  auto result = [&](const char* claim, int64_t value) {
    json c = Claims();
    c[claim] = value;
    if (std::string(claim) != "exp") c["exp"] = Now() + 600;
    return v->Verify(Sign(c)).reason();
  };
  // Expired ⇔ exp <= now - skew.
  EXPECT_EQ(result("exp", Now() - 59), FailureReason::kUnspecified);
  EXPECT_EQ(result("exp", Now() - 60), FailureReason::kExpired);
  EXPECT_EQ(result("exp", Now() - 61), FailureReason::kExpired);
  // Not yet valid ⇔ nbf > now + skew.
  EXPECT_EQ(result("nbf", Now() + 59), FailureReason::kUnspecified);
  EXPECT_EQ(result("nbf", Now() + 60), FailureReason::kUnspecified);
  EXPECT_EQ(result("nbf", Now() + 61), FailureReason::kNotYetValid);
  // iat > now + skew → ISSUED_IN_FUTURE.
  EXPECT_EQ(result("iat", Now() + 60), FailureReason::kUnspecified);
  EXPECT_EQ(result("iat", Now() + 61), FailureReason::kIssuedInFuture);
}

TEST_F(VerifierTest, ZeroSkewExpEqualToNowIsExpired) {
  ProviderOptions o = Options();
  o.clock_skew = absl::ZeroDuration();
  auto v = Make({o});
  json c = Claims();
  c["exp"] = Now();
  EXPECT_EQ(v->Verify(Sign(c)).reason(), FailureReason::kExpired);
  c["exp"] = Now() + 1;
  EXPECT_TRUE(v->Verify(Sign(c)).ok());
}

TEST_F(VerifierTest, SignatureBitFlipAndTruncationSweep) {
  auto v = Make();
  std::string token = Sign(Claims());
  ASSERT_TRUE(v->Verify(token).ok());
  size_t dot = token.rfind('.');
  std::optional<std::string> sig = Base64UrlDecode(token.substr(dot + 1));
  ASSERT_TRUE(sig.has_value());
  for (size_t i = 0; i < sig->size() * 8; ++i) {
    std::string s = *sig;
    s[i / 8] = static_cast<char>(s[i / 8] ^ (1 << (i % 8)));
    std::string t = token.substr(0, dot + 1) + Base64UrlEncode(s);
    EXPECT_EQ(v->Verify(t).reason(), FailureReason::kSignatureInvalid) << i;
  }
  // An empty signature is malformed at the JWS layer; any other prefix is a
  // wrong signature.
  EXPECT_FALSE(v->Verify(token.substr(0, dot + 1)).ok());
  for (size_t n = 1; n < sig->size(); ++n) {
    std::string t =
        token.substr(0, dot + 1) + Base64UrlEncode(sig->substr(0, n));
    EXPECT_EQ(v->Verify(t).reason(), FailureReason::kSignatureInvalid) << n;
  }
  // Truncating the token text anywhere never verifies.
  for (size_t n = 0; n < token.size(); n += 7) {
    EXPECT_FALSE(v->Verify(token.substr(0, n)).ok()) << n;
  }
}

// The alphabet check ahead of the cache reads sixteen, then eight, then one
// byte at a time: every byte value, at a position in each of those blocks
// and at both ends, is refused as MALFORMED with the alphabet's detail iff
// it is outside A-Z a-z 0-9 - _ . (and the cached valid token stays valid).
TEST_F(VerifierTest, EveryByteOutsideTheAlphabetIsRefusedInEveryBlock) {
  auto cache = VerificationCache::Create({.max_entries = 16, .shards = 1});
  ASSERT_THAT(cache, testutil::IsOk());
  auto v = Make({Options()}, cache->get());
  const std::string token = Sign(Claims());
  ASSERT_TRUE(v->Verify(token).ok());
  const size_t n = token.size();
  const std::vector<size_t> positions = {
      0, 1, 7, 8, 15, 16, 17, 31, n / 2, n - 9, n - 8, n - 7, n - 2, n - 1};
  for (size_t pos : positions) {
    for (int b = 0; b < 256; ++b) {
      const auto c = static_cast<unsigned char>(b);
      const bool in_alphabet =
          std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.';
      std::string t = token;
      t[pos] = static_cast<char>(c);
      const VerifyResult r = v->Verify(t);
      const bool alphabet_refusal =
          !r.ok() && r.failure().reason == FailureReason::kMalformed &&
          absl::StrContains(r.failure().detail, "alphabet");
      EXPECT_EQ(alphabet_refusal, !in_alphabet)
          << "position " << pos << " byte " << b;
      if (in_alphabet && t != token) {
        EXPECT_FALSE(r.ok()) << "position " << pos << " byte " << b;
      }
    }
  }
  EXPECT_TRUE(v->Verify(token).ok());
}

TEST_F(VerifierTest, UnknownKidCallsObserverAndAlgMismatchIsRejected) {
  auto v = Make();
  EXPECT_EQ(
      v->Verify(SignJws(key_, Claims().dump(), {{"kid", "k-new"}})).reason(),
      FailureReason::kKeyNotFound);
  EXPECT_THAT(observer_.calls, ::testing::ElementsAre("default/k-new"));
  // Same kid, different alg: an ES384 key cannot pose as the ES256 kid.
  TestKey es384 = GenerateTestKey(Algorithm::kEs384, key_.kid);
  EXPECT_EQ(v->Verify(Sign(Claims(), es384)).reason(),
            FailureReason::kUnsupportedAlgorithm);
  EXPECT_EQ(observer_.calls.size(), 1u);
}

TEST_F(VerifierTest, TokenWithoutKidTriesBoundedKeysOfItsType) {
  ProviderOptions o = Options();
  o.max_keys_without_kid = 2;
  std::vector<Key> keys;
  std::vector<TestKey> generated;
  for (int i = 0; i < 3; ++i) {
    generated.push_back(GenerateTestKey(Algorithm::kHs256, ""));
    keys.push_back(generated.back().key);
  }
  store_.SetSourceKeys("default", "hs", keys);
  auto v = Make({o});
  EXPECT_TRUE(v->Verify(Sign(Claims(), generated[0])).ok());
  EXPECT_TRUE(v->Verify(Sign(Claims(), generated[1])).ok());
  // The third key is beyond the bound.
  EXPECT_EQ(v->Verify(Sign(Claims(), generated[2])).reason(),
            FailureReason::kKeyNotFound);
  // An unknown key of a type with few enough candidates: SIGNATURE_INVALID.
  TestKey stranger = GenerateTestKey(Algorithm::kEs256, "");
  EXPECT_EQ(v->Verify(Sign(Claims(), stranger)).reason(),
            FailureReason::kSignatureInvalid);
  // No key of the type at all.
  TestKey ed = GenerateTestKey(Algorithm::kEdDsa, "");
  EXPECT_EQ(v->Verify(Sign(Claims(), ed)).reason(),
            FailureReason::kKeyNotFound);
}

TEST_F(VerifierTest, ProviderOptionSelectsProviderAndAudienceOverrides) {
  ProviderOptions other = Options();
  other.name = "other";
  other.audiences = {"api://other"};
  store_.SetSourceKeys("other", "static", {key_.key});
  auto v = Make({Options(), other});
  json c = Claims();
  c["aud"] = json::array({"api://other", "api://x"});
  VerifyResult r = v->Verify(Sign(c));  // routed by iss: both accept kIss
  ASSERT_TRUE(r.ok()) << r.failure().detail;
  VerifyResult d = v->Verify(Sign(c), {.provider = "default"});
  EXPECT_EQ(d.reason(), FailureReason::kAudienceMismatch);
  EXPECT_EQ(v->Verify(Sign(c), {.provider = "other"})->provider(), "other");
  EXPECT_TRUE(
      v->Verify(Sign(c), {.provider = "default", .audience = "api://x"}).ok());
  EXPECT_EQ(v->Verify(Sign(c), {.provider = "nope"}).reason(),
            FailureReason::kKeyNotFound);
}

TEST_F(VerifierTest, UnknownIssuerKidLookupOnlyWhenConfigured) {
  json c = Claims();
  c["iss"] = "https://unknown.example";
  auto strict = Make();
  EXPECT_EQ(strict->Verify(Sign(c)).reason(), FailureReason::kIssuerMismatch);
  ProviderOptions o = Options();
  o.allow_any_issuer_kid_lookup = true;
  o.issuers = {kIss, "https://unknown.example"};
  // Issuer is accepted by the provider: routed directly.
  EXPECT_TRUE(Make({o})->Verify(Sign(c)).ok());
  // Issuer not accepted, lookup allowed: key found, policy still says no.
  o.issuers = {kIss};
  EXPECT_EQ(Make({o})->Verify(Sign(c)).reason(),
            FailureReason::kIssuerMismatch);
  EXPECT_EQ(
      Make({o})->Verify(SignJws(key_, c.dump(), {{"kid", "zz"}})).reason(),
      FailureReason::kKeyNotFound);
}

TEST_F(VerifierTest, PendingSourceStopsBeingUnavailableOnLoad) {
  store_.MarkSourcePending("default", "jwks:https://idp/keys");
  store_.RemoveSource("default", "static");
  auto v = Make();
  EXPECT_EQ(v->Verify(Sign(Claims())).reason(),
            FailureReason::kKeysUnavailable);
  store_.SetSourceKeys("default", "jwks:https://idp/keys", {key_.key});
  EXPECT_TRUE(v->Verify(Sign(Claims())).ok());
}

TEST_F(VerifierTest, CountsVerificationsPerKey) {
  auto v = Make();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(v->Verify(Sign(Claims())).ok());
  KeySetSnapshot snap = v->key_store()->Current();
  std::vector<const KeyEntry*> entries = snap->AllEntries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0]->key().kid(), key_.kid);
  EXPECT_EQ(entries[0]->verifications(), 3u);
  EXPECT_EQ(entries[0]->last_used(), clock_.Now());
}

TEST_F(VerifierTest, RetiringAndNextKeysVerify) {
  for (KeyState state : {KeyState::kNext, KeyState::kRetiring}) {
    TestKey k = GenerateTestKey(Algorithm::kEdDsa, "own");
    absl::StatusOr<Key> key = Key::Create(
        {.kid = "own", .alg = Algorithm::kEdDsa, .source = "t", .state = state},
        k.key.material());
    ASSERT_THAT(key, testutil::IsOk());
    store_.SetSourceKeys("default", "own", {*key});
    EXPECT_TRUE(Make()->Verify(Sign(Claims(), k)).ok()) << KeyStateName(state);
  }
}

// Random claim sets signed with random keys verify iff an independent oracle
// says the policy accepts them.
TEST_F(VerifierTest, PropertyRandomClaimsVerifyIffPolicyAccepts) {
  const uint32_t seed = std::random_device{}();
  std::printf("PropertyRandomClaimsVerifyIffPolicyAccepts seed=%u\n", seed);
  SCOPED_TRACE(absl::StrCat("seed=", seed));
  std::mt19937 rng(seed);
  const Algorithm algs[] = {Algorithm::kHs256, Algorithm::kEs256,
                            Algorithm::kEdDsa, Algorithm::kHs512};
  std::vector<TestKey> known, unknown;
  std::vector<Key> keys;
  for (Algorithm a : algs) {
    known.push_back(CachedTestKey(a));
    keys.push_back(known.back().key);
    unknown.push_back(GenerateTestKey(a, known.back().kid));  // same kid!
  }
  store_.SetSourceKeys("default", "static", keys);
  ProviderOptions o = Options();
  o.audiences = {kAud, "api://second"};
  o.max_lifetime = absl::Hours(2);
  auto v = Make({o});
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  for (int iter = 0; iter < 400; ++iter) {
    bool expect_ok = true;
    bool use_known = pick(4) != 0;
    const TestKey& k = use_known ? known[pick(4)] : unknown[pick(4)];
    expect_ok &= use_known;
    json c = json::object();
    int64_t now = Now();
    int64_t iat = now - pick(200);
    int exp_mode = pick(5);
    if (exp_mode == 0) {
      expect_ok = false;  // missing exp
    } else {
      int64_t exp = now + pick(400) - 150;            // around the skew edge
      if (exp_mode == 1) exp = iat + 7200 + pick(3);  // lifetime edge
      c["exp"] = exp;
      expect_ok &= exp > now - 60;
      expect_ok &= exp - iat <= 7200;
    }
    c["iat"] = iat;
    if (pick(3) == 0) {
      int64_t nbf = now + pick(200) - 100;
      c["nbf"] = nbf;
      expect_ok &= nbf <= now + 60;
    }
    switch (pick(4)) {
      case 0:
        c["aud"] = kAud;
        break;
      case 1:
        c["aud"] = json::array({"x", "api://second"});
        break;
      case 2:
        c["aud"] = json::array();
        expect_ok = false;
        break;
      default:
        c["aud"] = "api://orders/";
        expect_ok = false;
        break;
    }
    if (pick(6) == 0) {
      c["iss"] = "https://issuer.example/";  // no normalisation
      expect_ok = false;
    } else {
      c["iss"] = kIss;
    }
    c["sub"] = absl::StrCat("user-", pick(1000));
    if (pick(5) == 0) c["extra"] = json::array({1, "two", json::object()});
    VerifyResult r = v->Verify(SignJws(k, c.dump()));
    EXPECT_EQ(r.ok(), expect_ok)
        << "iter " << iter << " claims " << c.dump() << " known=" << use_known
        << " reason=" << FailureReasonName(r.reason());
  }
}

TEST_F(VerifierTest, ConcurrentVerifiesDuringSnapshotSwaps) {
  auto v = Make();
  const std::string token = Sign(Claims());
  TestKey extra = GenerateTestKey(Algorithm::kHs256, "extra");
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::atomic<int> verified{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!stop.load(std::memory_order_acquire)) {
        if (!v->Verify(token).ok()) failures.fetch_add(1);
        verified.fetch_add(1);
      }
    });
  }
  for (int i = 0; i < 200; ++i) {
    // The verifying key is re-published (same material) and another source
    // toggles: every snapshot contains the key.
    store_.SetSourceKeys("default", "static", {key_.key});
    if (i % 2 == 0) {
      store_.SetSourceKeys("default", "extra", {extra.key});
    } else {
      store_.RemoveSource("default", "extra");
    }
  }
  // Let readers run at least a few verifications against late snapshots.
  const bool verified_enough = WaitUntil([&] { return verified.load() >= 50; });
  stop.store(true, std::memory_order_release);
  for (auto& t : readers) t.join();
  ASSERT_TRUE(verified_enough)
      << "readers made only " << verified.load()
      << " of 50 verifications within " << kWaitTimeout;
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(store_.Current()->generation(), 400u);
}

// --- issuer binding (RFC 8725 §3.8) ---

constexpr char kIssB[] = "https://b.example";

Key Bound(const TestKey& k, absl::string_view issuer) {
  return k.key.BoundToIssuer(std::string(issuer));
}

// Issuer binding: a key bound to B never verifies a token claiming A.
TEST_F(VerifierTest, BoundKeyRefusesTokenOfAnotherIssuer) {
  TestKey ka = GenerateTestKey(Algorithm::kEs256, "kA");
  TestKey kb = GenerateTestKey(Algorithm::kEs256, "kB");
  store_.SetSourceKeys("default", "static",
                       {Bound(ka, kIss), Bound(kb, kIssB)});
  ProviderOptions o = Options();
  o.issuers = {kIss, kIssB};
  auto v = Make({o});
  json a = Claims();
  json b = Claims();
  b["iss"] = kIssB;
  for (const VerifyOptions& opts :
       {VerifyOptions{}, VerifyOptions{.provider = "default"}}) {
    VerifyResult forged = v->Verify(Sign(a, kb), opts);
    EXPECT_EQ(forged.reason(), FailureReason::kIssuerMismatch);
    EXPECT_EQ(forged.failure().detail, "key is bound to another issuer");
    EXPECT_EQ(v->Verify(Sign(b, ka), opts).reason(),
              FailureReason::kIssuerMismatch);
    EXPECT_TRUE(v->Verify(Sign(a, ka), opts).ok());
    EXPECT_TRUE(v->Verify(Sign(b, kb), opts).ok());
  }
  EXPECT_TRUE(observer_.calls.empty());  // the kid is known: no refetch
  // Only the four accepted tokens counted as verifications.
  uint64_t total = 0;
  KeySetSnapshot snap = v->key_store()->Current();
  for (const KeyEntry* e : snap->AllEntries()) total += e->verifications();
  EXPECT_EQ(total, 4u);
}

// Issuer binding: without a kid, keys bound to another issuer are no
// candidates (and do not use up max_keys_without_kid).
TEST_F(VerifierTest, BoundKeyIsNoCandidateWithoutKid) {
  TestKey ka = GenerateTestKey(Algorithm::kEs256, "");
  TestKey kb = GenerateTestKey(Algorithm::kEs256, "");
  ProviderOptions o = Options();
  o.issuers = {kIss, kIssB};
  o.max_keys_without_kid = 1;
  auto v = Make({o});
  json a = Claims();
  store_.SetSourceKeys("default", "static",
                       {Bound(kb, kIssB), Bound(ka, kIss)});
  for (const VerifyOptions& opts :
       {VerifyOptions{}, VerifyOptions{.provider = "default"}}) {
    EXPECT_TRUE(v->Verify(Sign(a, ka), opts).ok());
    EXPECT_EQ(v->Verify(Sign(a, kb), opts).reason(),
              FailureReason::kSignatureInvalid);
  }
  store_.SetSourceKeys("default", "static", {Bound(kb, kIssB)});
  for (const VerifyOptions& opts :
       {VerifyOptions{}, VerifyOptions{.provider = "default"}}) {
    EXPECT_EQ(v->Verify(Sign(a, kb), opts).reason(),
              FailureReason::kIssuerMismatch);
  }
}

// Issuer binding: a token without a string iss matches no bound key.
TEST_F(VerifierTest, BoundKeyNeedsAStringIss) {
  store_.SetSourceKeys("default", "static", {Bound(key_, kIss)});
  auto v = Make();
  json c = Claims();
  c.erase("iss");
  EXPECT_EQ(v->Verify(Sign(c), {.provider = "default"}).reason(),
            FailureReason::kIssuerMismatch);
  c["iss"] = json::array({kIss});
  EXPECT_FALSE(v->Verify(Sign(c), {.provider = "default"}).ok());
  EXPECT_TRUE(v->Verify(Sign(Claims()), {.provider = "default"}).ok());
}

// Issuer binding: an unbound key verifies every issuer of its provider.
TEST_F(VerifierTest, UnboundKeyVerifiesEveryIssuerOfItsProvider) {
  TestKey kb = GenerateTestKey(Algorithm::kEs256, "kB");
  store_.SetSourceKeys("default", "static", {key_.key, Bound(kb, kIssB)});
  ProviderOptions o = Options();
  o.issuers = {kIss, kIssB};
  auto v = Make({o});
  json b = Claims();
  b["iss"] = kIssB;
  EXPECT_TRUE(v->Verify(Sign(Claims())).ok());
  EXPECT_TRUE(v->Verify(Sign(b)).ok());
}

// Issuer binding: allow_any_issuer_kid_lookup never reaches a bound key.
TEST_F(VerifierTest, AnyIssuerKidLookupSkipsBoundKeys) {
  store_.SetSourceKeys("default", "static", {Bound(key_, kIss)});
  ProviderOptions o = Options();
  o.allow_any_issuer_kid_lookup = true;
  auto v = Make({o});
  json c = Claims();
  c["iss"] = "https://unknown.example";
  VerifyResult r = v->Verify(Sign(c));
  EXPECT_EQ(r.reason(), FailureReason::kIssuerMismatch);
  EXPECT_EQ(r.failure().detail, "key is bound to another issuer");
  KeySetSnapshot snap = v->key_store()->Current();
  EXPECT_EQ(snap->AllEntries().at(0)->verifications(), 0u);
}

// Issuer binding: a cached result never outlives a rebinding of its key.
TEST_F(VerifierTest, CachedResultIsNotServedAfterRebinding) {
  auto cache = VerificationCache::Create({.max_entries = 16, .shards = 1});
  ASSERT_THAT(cache, testutil::IsOk());
  auto v = Make({Options()}, cache->get());
  std::string token = Sign(Claims());
  ASSERT_TRUE(v->Verify(token).ok());
  store_.SetSourceKeys("default", "static", {Bound(key_, kIssB)});
  EXPECT_FALSE(v->Verify(token).ok());
}

}  // namespace
}  // namespace jwtauth

namespace jwtauth {
namespace {

// VerifyWithAnyOf: each listed provider alone; the first success wins, else
// a policy failure outranks a key failure; an empty list accepts nothing.
TEST_F(VerifierTest, VerifyWithAnyOfTriesOnlyTheListedProviders) {
  ProviderOptions other = Options();
  other.name = "other";  // same issuer, no keys in the store
  ProviderOptions strict = Options();
  strict.name = "strict";
  strict.audiences = {"api://elsewhere"};
  store_.SetSourceKeys("strict", "static", {key_.key});
  auto v = Make({Options(), other, strict});
  const std::string token = Sign(Claims());

  VerifyResult ok = v->VerifyWithAnyOf(token, {"other", "default"});
  ASSERT_TRUE(ok.ok()) << ok.failure().detail;
  EXPECT_EQ(ok->provider(), "default");
  // "other" has no key (KEY_NOT_FOUND); "strict" verified the signature but
  // its policy refused the audience: the policy failure is reported.
  EXPECT_EQ(v->VerifyWithAnyOf(token, {"other", "strict"}).reason(),
            FailureReason::kAudienceMismatch);
  EXPECT_EQ(v->VerifyWithAnyOf(token, {"other"}).reason(),
            FailureReason::kKeyNotFound);
  EXPECT_EQ(v->VerifyWithAnyOf(token, {}).reason(),
            FailureReason::kKeyNotFound);
}

}  // namespace
}  // namespace jwtauth
