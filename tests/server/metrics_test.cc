#include "server/metrics.h"

#include <atomic>
#include <cmath>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/fake_clock.h"

namespace jwtauth::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Parses the exposition text into {"name{labels}": value}, checking that
// every sample's family has HELP and TYPE lines before it.
std::map<std::string, double> ParseProm(const std::string& text) {
  std::map<std::string, double> samples;
  std::map<std::string, std::string> types;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty()) continue;
    if (absl::StartsWith(line, "# TYPE ")) {
      std::vector<std::string> parts = absl::StrSplit(line, ' ');
      EXPECT_EQ(parts.size(), 4u) << line;
      types[parts[2]] = parts[3];
      continue;
    }
    if (absl::StartsWith(line, "# HELP ")) continue;
    size_t sp = line.rfind(' ');
    EXPECT_NE(sp, absl::string_view::npos) << line;
    std::string key(line.substr(0, sp));
    std::string name = key.substr(0, key.find('{'));
    std::string family = name;
    for (absl::string_view suffix : {"_bucket", "_sum", "_count"}) {
      if (absl::EndsWith(name, suffix) && !types.count(name)) {
        family = name.substr(0, name.size() - suffix.size());
      }
    }
    EXPECT_TRUE(types.count(family)) << "no TYPE for " << line;
    absl::string_view v = line.substr(sp + 1);
    double d = 0;
    if (v == "+Inf") {
      d = INFINITY;
    } else {
      EXPECT_TRUE(absl::SimpleAtod(v, &d)) << line;
    }
    EXPECT_FALSE(samples.count(key)) << "duplicate sample " << key;
    samples[key] = d;
  }
  return samples;
}

TEST(MetricsTest, RpcCountersAndHistogramByMethodAndResult) {
  Metrics m({.version = "1.2.3", .compiler = "gcc"});
  m.RecordRpc("Verify", "OK", absl::Microseconds(80));
  m.RecordRpc("Verify", "OK", absl::Milliseconds(3));
  m.RecordRpc("Verify", FailureReason::kSignatureInvalid,
              absl::Microseconds(40));
  m.RecordRpc("IssueToken", "PERMISSION_DENIED", absl::Microseconds(10));
  auto s = ParseProm(m.RenderPrometheus());
  EXPECT_EQ(s["jwtauth_build_info{version=\"1.2.3\",compiler=\"gcc\"}"], 1);
  EXPECT_EQ(s["jwtauth_rpc_total{method=\"Verify\",result=\"OK\"}"], 2);
  EXPECT_EQ(
      s["jwtauth_rpc_total{method=\"Verify\",result=\"SIGNATURE_INVALID\"}"],
      1);
  EXPECT_EQ(s["jwtauth_rpc_total{method=\"IssueToken\",result=\"PERMISSION_"
              "DENIED\"}"],
            1);
  const std::string ok = "method=\"Verify\",result=\"OK\"";
  EXPECT_EQ(s["jwtauth_rpc_latency_seconds_bucket{" + ok + ",le=\"5e-05\"}"],
            0);
  EXPECT_EQ(s["jwtauth_rpc_latency_seconds_bucket{" + ok + ",le=\"0.0001\"}"],
            1);
  EXPECT_EQ(s["jwtauth_rpc_latency_seconds_bucket{" + ok + ",le=\"0.0025\"}"],
            1);
  EXPECT_EQ(s["jwtauth_rpc_latency_seconds_bucket{" + ok + ",le=\"0.005\"}"],
            2);
  EXPECT_EQ(s["jwtauth_rpc_latency_seconds_bucket{" + ok + ",le=\"+Inf\"}"], 2);
  EXPECT_EQ(s["jwtauth_rpc_latency_seconds_count{" + ok + "}"], 2);
  EXPECT_NEAR(s["jwtauth_rpc_latency_seconds_sum{" + ok + "}"], 0.00308, 1e-9);
  // Unobserved series are not rendered.
  EXPECT_FALSE(s.count("jwtauth_rpc_total{method=\"ListKeys\",result=\"OK\"}"));
  EXPECT_EQ(m.RpcCount("Verify", "OK"), 2u);
}

TEST(MetricsTest, UnknownLabelValuesAreEscapedAndCounted) {
  Metrics m;
  m.RecordRpc("Custom\"x", "weird\nvalue", absl::ZeroDuration());
  std::string text = m.RenderPrometheus();
  EXPECT_THAT(text,
              HasSubstr("method=\"Custom\\\"x\",result=\"weird\\nvalue\"} 1"));
  EXPECT_EQ(m.RpcCount("Custom\"x", "weird\nvalue"), 1u);
}

TEST(MetricsTest, JwksUrlLabelsCarryNoCredentials) {
  Metrics m;
  m.RecordJwksFetch("https://user:pw@idp/jwks?token=SECRET", "ok");
  m.SetJwksLastSuccess("https://idp/jwks?token=SECRET",
                       absl::FromUnixSeconds(1));
  const std::string text = m.RenderPrometheus();
  EXPECT_THAT(text, ::testing::Not(::testing::HasSubstr("SECRET")));
  EXPECT_THAT(text, ::testing::Not(::testing::HasSubstr("user:pw")));
  EXPECT_THAT(
      text,
      ::testing::ContainsRegex(
          "jwtauth_jwks_fetch_total\\{url=\"https://idp/jwks#[0-9a-f]{8}\""));
}

TEST(MetricsTest, CacheKeysJwksAndReloads) {
  testutil::FakeClock clock(absl::FromUnixSeconds(1'000'000));
  Metrics m({}, &clock);
  m.AddCacheSource([] { return Metrics::CacheCounts{2, 1}; });
  clock.Set(absl::FromUnixSeconds(1'000'050));
  // Two keys share (default, k1) (e.g. two sources): summed, latest use.
  m.SetKeyUsageSource([] {
    return std::vector<Metrics::KeyUsageSample>{
        {"default", "k1", 1, absl::FromUnixSeconds(1'000'010)},
        {"default", "k1", 1, absl::FromUnixSeconds(1'000'050)},
        {"default", "unused", 0, std::nullopt}};
  });
  m.SetKeyCounts({{"default", 3}, {"other", 0}});
  m.RecordJwksFetch("https://idp/jwks", "ok");
  m.RecordJwksFetch("https://idp/jwks", "http_error");
  m.SetJwksLastSuccess("https://idp/jwks", absl::FromUnixSeconds(1'000'020));
  m.RecordJwksFetch("https://never/jwks", "timeout");
  m.RecordConfigReload(true, 7);
  m.RecordConfigReload(false, 0);
  auto s = ParseProm(m.RenderPrometheus());
  EXPECT_EQ(s["jwtauth_cache_lookups_total{result=\"hit\"}"], 2);
  EXPECT_EQ(s["jwtauth_cache_lookups_total{result=\"miss\"}"], 1);
  EXPECT_EQ(
      s["jwtauth_key_verifications_total{provider=\"default\",kid=\"k1\"}"], 2);
  EXPECT_EQ(s["jwtauth_key_last_used_timestamp_seconds{provider=\"default\","
              "kid=\"k1\"}"],
            1'000'050);
  EXPECT_EQ(
      s["jwtauth_key_verifications_total{provider=\"default\",kid=\"unused\"}"],
      0);
  EXPECT_EQ(s.count("jwtauth_key_last_used_timestamp_seconds{provider="
                    "\"default\",kid=\"unused\"}"),
            0u);
  EXPECT_EQ(s["jwtauth_keys{provider=\"default\"}"], 3);
  EXPECT_EQ(s["jwtauth_keys{provider=\"other\"}"], 0);
  EXPECT_EQ(
      s["jwtauth_jwks_fetch_total{url=\"https://idp/jwks\",result=\"ok\"}"], 1);
  EXPECT_EQ(s["jwtauth_jwks_fetch_total{url=\"https://idp/"
              "jwks\",result=\"http_error\"}"],
            1);
  EXPECT_EQ(
      s["jwtauth_jwks_last_success_age_seconds{url=\"https://idp/jwks\"}"], 30);
  EXPECT_TRUE(std::isinf(
      s["jwtauth_jwks_last_success_age_seconds{url=\"https://never/jwks\"}"]));
  EXPECT_EQ(s["jwtauth_config_reloads_total{result=\"ok\"}"], 1);
  EXPECT_EQ(s["jwtauth_config_reloads_total{result=\"rejected\"}"], 1);
  EXPECT_EQ(s["jwtauth_config_generation"], 7);
  EXPECT_EQ(m.KeyVerifications("default", "k1"), 2u);
}

TEST(MetricsTest, CacheSourcesAddToCacheLookups) {
  Metrics m;
  m.AddCacheSource([] { return Metrics::CacheCounts{0, 1}; });
  std::atomic<uint64_t> hits{5};
  int id = m.AddCacheSource([&hits] {
    return Metrics::CacheCounts{hits.load(), 2};
  });
  m.AddCacheSource([] { return Metrics::CacheCounts{1, 1}; });
  auto s = ParseProm(m.RenderPrometheus());
  EXPECT_EQ(s["jwtauth_cache_lookups_total{result=\"hit\"}"], 6);
  EXPECT_EQ(s["jwtauth_cache_lookups_total{result=\"miss\"}"], 4);
  hits = 9;  // read at render time, not at registration
  EXPECT_EQ(
      ParseProm(
          m.RenderPrometheus())["jwtauth_cache_lookups_total{result=\"hit\"}"],
      10);
  EXPECT_EQ(m.CacheHits(), 10u);
  m.RemoveCacheSource(id);
  EXPECT_EQ(m.CacheHits(), 1u);
  EXPECT_EQ(m.CacheMisses(), 2u);
}

TEST(MetricsTest, CollectorsAppendAndCanBeRemoved) {
  Metrics m;
  int id = m.AddCollector([](std::string* out) {
    *out +=
        "# HELP jwtauth_custom x\n# TYPE jwtauth_custom gauge\njwtauth_custom "
        "42\n";
  });
  EXPECT_EQ(ParseProm(m.RenderPrometheus())["jwtauth_custom"], 42);
  m.RemoveCollector(id);
  EXPECT_THAT(m.RenderPrometheus(), Not(HasSubstr("jwtauth_custom")));
}

TEST(MetricsTest, KeyCountsSetByACollectorShowOnTheSameScrape) {
  // The application's collector refreshes jwtauth_keys on each scrape; the
  // first scrape after start must already show them (not one scrape late).
  Metrics m;
  int n = 0;
  m.AddCollector([&m, &n](std::string*) { m.SetKeyCounts({{"p", ++n}}); });
  EXPECT_THAT(m.RenderPrometheus(),
              HasSubstr("jwtauth_keys{provider=\"p\"} 1\n"));
  EXPECT_THAT(m.RenderPrometheus(),
              HasSubstr("jwtauth_keys{provider=\"p\"} 2\n"));
}

TEST(MetricsTest, KeySeriesBeyondTheLimitFoldIntoOther) {
  Metrics m;
  m.SetKeyUsageSource([] {
    std::vector<Metrics::KeyUsageSample> samples;
    for (size_t i = 0; i < Metrics::kMaxKeySeries + 2; ++i) {
      samples.push_back({"p", absl::StrCat("k", i), 1, std::nullopt});
    }
    return samples;
  });
  EXPECT_EQ(m.KeyVerifications("p", "k0"), 1u);
  // The first kMaxKeySeries pairs get their own series, the rest fold.
  EXPECT_EQ(m.KeyVerifications("p", "_other"), 2u);
  m.SetKeyUsageSource(nullptr);
  EXPECT_EQ(m.KeyVerifications("p", "k0"), 0u);
}

TEST(MetricsTest, ConcurrentRecordingLosesNothing) {
  Metrics m;
  constexpr int kThreads = 4, kPerThread = 20000;
  std::atomic<uint64_t> cache_hits{0}, cache_misses{0};
  m.AddCacheSource([&] {
    return Metrics::CacheCounts{cache_hits.load(), cache_misses.load()};
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        m.RecordRpc("Verify", i % 2 ? "OK" : "EXPIRED",
                    absl::Microseconds(i % 700));
        (i % 3 == 0 ? cache_hits : cache_misses).fetch_add(1);
        if (i % 5000 == 0) m.RenderPrometheus();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(m.RpcCount("Verify", "OK") + m.RpcCount("Verify", "EXPIRED"),
            uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(m.CacheHits() + m.CacheMisses(), uint64_t{kThreads} * kPerThread);
  auto s = ParseProm(m.RenderPrometheus());
  EXPECT_EQ(
      s["jwtauth_rpc_latency_seconds_count{method=\"Verify\",result=\"OK\"}"],
      kThreads * kPerThread / 2);
}

TEST(MetricsTest, EveryFailureReasonHasAFixedSeries) {
  Metrics m;
  for (int i = 0; i <= kMaxFailureReason; ++i) {
    m.RecordRpc("Check", FailureReasonName(static_cast<FailureReason>(i)),
                absl::ZeroDuration());
  }
  std::string text = m.RenderPrometheus();
  EXPECT_THAT(
      text,
      HasSubstr(
          "jwtauth_rpc_total{method=\"Check\",result=\"KEYS_UNAVAILABLE\"} 1"));
  EXPECT_THAT(
      text,
      HasSubstr(
          "jwtauth_rpc_total{method=\"Check\",result=\"TOKEN_MISSING\"} 1"));
}

}  // namespace
}  // namespace jwtauth::server
