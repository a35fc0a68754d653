// Key store + policy + verifier benchmarks. Not a test.
//
//   cmake --preset release -B build/release
//   cmake --build build/release --target store_benchmark
//   build/release/tests/bench/store_benchmark
//
// Prints, after the usual table, the ratio of a full TokenVerifier::Verify
// (store snapshot + header parse + key selection + signature + bounded
// payload parse + policy) to the raw signature check on the same key and
// signing input, and the cache-hit latency.

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "core/clock.h"
#include "core/crypto/key_material.h"
#include "core/crypto/signature_verifier.h"
#include "core/jws.h"
#include "core/key.h"
#include "core/key_store.h"
#include "core/verification_cache.h"
#include "core/verifier.h"
#include "nlohmann/json.hpp"
#include "tests/testutil/test_keys.h"

namespace jwtauth {
namespace {

using ::jwtauth::testutil::CachedTestKey;
using ::jwtauth::testutil::SignJws;

constexpr char kIss[] = "https://issuer.example";
constexpr char kAud[] = "api://orders";

// A realistic ~300-byte token payload.
std::string Payload() {
  int64_t now = absl::ToUnixSeconds(absl::Now());
  nlohmann::json c = {{"iss", kIss},
                      {"aud", kAud},
                      {"sub", "user-1234567890"},
                      {"iat", now},
                      {"exp", now + 3600},
                      {"scope", "orders:read orders:write profile"},
                      {"org", {{"id", "acme-corp"}, {"tier", "gold"}}},
                      {"jti", "c2FtcGxlLWp0aS0xMjM0NTY"}};
  return c.dump();
}

// One store + verifier (+ cache) for all algorithms, built once.
struct Env {
  KeyStore store;
  std::unique_ptr<VerificationCache> cache;
  std::unique_ptr<TokenVerifier> verifier;
  std::unique_ptr<TokenVerifier> cached_verifier;
  std::map<Algorithm, std::string> tokens;

  Env() {
    std::vector<Key> keys;
    for (Algorithm a : kAllAlgorithms) {
      keys.push_back(CachedTestKey(a).key);
      tokens[a] = SignJws(CachedTestKey(a), Payload());
    }
    store.SetSourceKeys("default", "static", keys);
    ProviderOptions o;
    o.name = "default";
    o.issuers = {kIss};
    o.audiences = {kAud};
    o.required_claims = {"sub"};
    o.metadata = {{"org.id", "org_id", true}};
    VerifierConfig cfg;
    cfg.providers = {o};
    cfg.key_store = &store;
    cfg.clock = &RealClock::Get();
    verifier = *TokenVerifier::Create(cfg);
    cache = *VerificationCache::Create({});
    cfg.cache = cache.get();
    cached_verifier = *TokenVerifier::Create(cfg);
  }
  static Env& Get() {
    static Env* env = new Env();
    return *env;
  }
};

void BM_RawSignatureVerify(benchmark::State& state, Algorithm alg) {
  Env& env = Env::Get();
  FailureOr<ParsedJws> jws = ParsedJws::Parse(env.tokens[alg]);
  const crypto::SignatureVerifier* v = CachedTestKey(alg).key.VerifierFor(alg);
  std::string input(jws->signing_input());
  for (auto _ : state) {
    bool ok = v->Verify(input, jws->signature());
    benchmark::DoNotOptimize(ok);
    if (!ok) state.SkipWithError("raw verify failed");
  }
}

void BM_StoreVerify(benchmark::State& state, Algorithm alg) {
  Env& env = Env::Get();
  const std::string& token = env.tokens[alg];
  VerifyOptions opts;
  for (auto _ : state) {
    VerifyResult r = env.verifier->Verify(token, opts);
    benchmark::DoNotOptimize(r);
    if (!r.ok()) state.SkipWithError("verify failed");
  }
}

void BM_CacheHitVerify(benchmark::State& state) {
  Env& env = Env::Get();
  const std::string& token = env.tokens[Algorithm::kEs256];
  VerifyOptions opts;
  if (!env.cached_verifier->Verify(token, opts).ok()) {
    state.SkipWithError("verify failed");
    return;
  }
  for (auto _ : state) {
    VerifyResult r = env.cached_verifier->Verify(token, opts);
    benchmark::DoNotOptimize(r);
  }
}

// The cache alone: key derivation + shard lookup + result copy.
void BM_CacheLookupOnly(benchmark::State& state) {
  Env& env = Env::Get();
  const std::string& token = env.tokens[Algorithm::kEs256];
  VerifyOptions opts;
  (void)env.cached_verifier->Verify(token, opts);
  KeySetSnapshot snap = env.store.Current();
  uint64_t id = env.cached_verifier->id();
  absl::Time now = absl::Now();
  for (auto _ : state) {
    VerificationCache::CacheKey key = VerificationCache::KeyFor(token, opts);
    std::optional<VerifiedToken> hit = env.cache->Lookup(key, id, *snap, now);
    benchmark::DoNotOptimize(hit);
  }
}

// For reference: why the cache keys on token bytes, not crypto::Sha256.
void BM_Sha256Token(benchmark::State& state) {
  const std::string& token = Env::Get().tokens[Algorithm::kEs256];
  for (auto _ : state) {
    std::string d = crypto::Sha256(token);
    benchmark::DoNotOptimize(d);
  }
}

std::vector<Key> ManyHmacKeys(int n, const std::string& prefix) {
  std::vector<Key> keys;
  keys.reserve(n);
  for (int i = 0; i < n; ++i) {
    auto m = crypto::KeyMaterial::FromSecret(crypto::RandomBytes(32));
    keys.push_back(*Key::Create({.kid = absl::StrCat(prefix, i),
                                 .alg = Algorithm::kHs256,
                                 .source = "bench",
                                 .loaded_at = absl::InfinitePast(),
                                 .state = KeyState::kActive},
                                *m));
  }
  return keys;
}

// 10,000 keys in the store; one small source (1 key) is replaced per
// iteration, in the big provider (its index is rebuilt) or in another one.
void BM_SnapshotSwapSmallSource(benchmark::State& state) {
  const bool same_provider = state.range(0) == 1;
  KeyStore store;
  store.SetSourceKeys("big", "jwks", ManyHmacKeys(10000, "k"));
  std::vector<Key> small = ManyHmacKeys(1, "s");
  const char* provider = same_provider ? "big" : "other";
  for (auto _ : state) {
    store.SetSourceKeys(provider, "small", small);
  }
  state.counters["keys"] = static_cast<double>(store.Current()->size());
}

// A full refresh of a 10,000-key JWKS with the same keys (identity carry-over
// keeps usage counters and cached results).
void BM_SnapshotSwapReload10000(benchmark::State& state) {
  KeyStore store;
  std::vector<Key> keys = ManyHmacKeys(10000, "k");
  store.SetSourceKeys("big", "jwks", keys);
  for (auto _ : state) {
    store.SetSourceKeys("big", "jwks", keys);
  }
}

// Readers' cost while snapshots exist: Current() + kid lookup on 10k keys.
void BM_SnapshotReadLookup10000(benchmark::State& state) {
  static KeyStore* store = [] {
    auto* s = new KeyStore();
    s->SetSourceKeys("big", "jwks", ManyHmacKeys(10000, "k"));
    return s;
  }();
  for (auto _ : state) {
    KeySetSnapshot snap = store->Current();
    auto found = snap->FindByKid("big", "k4242");
    benchmark::DoNotOptimize(found);
  }
}

// Collects real time per benchmark and prints ratios at the end.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.run_type == Run::RT_Iteration && !r.error_occurred) {
        ns_[r.benchmark_name()] = r.GetAdjustedRealTime();
      }
    }
  }
  void PrintRatios() const {
    std::printf("\n%-10s %14s %14s %8s\n", "alg", "raw ns", "store ns",
                "ratio");
    for (Algorithm a : kAllAlgorithms) {
      std::string name(AlgorithmName(a));
      auto raw = ns_.find("BM_RawSignatureVerify/" + name);
      auto full = ns_.find("BM_StoreVerify/" + name);
      if (raw == ns_.end() || full == ns_.end()) continue;
      std::printf("%-10s %14.0f %14.0f %7.2fx\n", name.c_str(), raw->second,
                  full->second, full->second / raw->second);
    }
    auto hit = ns_.find("BM_CacheHitVerify");
    auto es = ns_.find("BM_StoreVerify/ES256");
    if (hit != ns_.end() && es != ns_.end()) {
      std::printf(
          "cache hit %0.0f ns vs uncached ES256 verify %0.0f ns (%.1fx "
          "faster)\n",
          hit->second, es->second, es->second / hit->second);
    }
  }

 private:
  std::map<std::string, double> ns_;
};

}  // namespace
}  // namespace jwtauth

int main(int argc, char** argv) {
  using namespace jwtauth;  // NOLINT
  for (Algorithm a : kAllAlgorithms) {
    std::string name(AlgorithmName(a));
    benchmark::RegisterBenchmark(("BM_RawSignatureVerify/" + name).c_str(),
                                 BM_RawSignatureVerify, a);
    benchmark::RegisterBenchmark(("BM_StoreVerify/" + name).c_str(),
                                 BM_StoreVerify, a);
  }
  for (Algorithm a : {Algorithm::kHs256, Algorithm::kEs256}) {
    benchmark::RegisterBenchmark(
        ("BM_StoreVerifyThroughput/" + std::string(AlgorithmName(a))).c_str(),
        BM_StoreVerify, a)
        ->Threads(1)
        ->Threads(2)
        ->UseRealTime();
  }
  benchmark::RegisterBenchmark("BM_CacheHitVerify", BM_CacheHitVerify);
  benchmark::RegisterBenchmark("BM_CacheHitVerifyThroughput", BM_CacheHitVerify)
      ->Threads(1)
      ->Threads(2)
      ->UseRealTime();
  benchmark::RegisterBenchmark("BM_CacheLookupOnly", BM_CacheLookupOnly);
  benchmark::RegisterBenchmark("BM_Sha256Token", BM_Sha256Token);
  benchmark::RegisterBenchmark("BM_SnapshotSwapSmallSource",
                               BM_SnapshotSwapSmallSource)
      ->Arg(1)
      ->Arg(0)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("BM_SnapshotSwapReload10000",
                               BM_SnapshotSwapReload10000)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_SnapshotReadLookup10000",
                               BM_SnapshotReadLookup10000)
      ->Threads(1)
      ->Threads(2)
      ->UseRealTime();
  benchmark::Initialize(&argc, argv);
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios();
  benchmark::Shutdown();
  return 0;
}
