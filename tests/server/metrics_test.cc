#include "server/metrics.h"

#include <atomic>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"
#include "tests/testutil/fake_clock.h"

namespace jwtauth::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

bool ParseValue(absl::string_view v, double* d) {
  if (v == "+Inf") {
    *d = INFINITY;
  } else if (v == "-Inf") {
    *d = -INFINITY;
  } else if (v == "NaN") {
    *d = NAN;
  } else {
    return absl::SimpleAtod(v, d);
  }
  return true;
}

// One histogram series (labels without le) as read.
struct HistogramSeries {
  std::vector<std::pair<double, double>> buckets;  // (le, cumulative count)
  std::optional<double> count;
};

// Histograms: le strictly ascending, counts cumulative (non-decreasing),
// the last bucket +Inf and equal to _count.
void CheckHistograms(const std::map<std::string, HistogramSeries>& series) {
  for (const auto& [key, h] : series) {
    ASSERT_FALSE(h.buckets.empty()) << key;
    for (size_t i = 1; i < h.buckets.size(); ++i) {
      EXPECT_LT(h.buckets[i - 1].first, h.buckets[i].first) << key;
      EXPECT_LE(h.buckets[i - 1].second, h.buckets[i].second)
          << "buckets not cumulative: " << key;
    }
    EXPECT_TRUE(std::isinf(h.buckets.back().first)) << "no +Inf: " << key;
    ASSERT_TRUE(h.count.has_value()) << "no _count: " << key;
    EXPECT_EQ(h.buckets.back().second, *h.count) << key;
  }
}

// A strict reader of the text exposition format 0.0.4: every line is a
// HELP, a TYPE or a sample of the grammar; each family has one TYPE before
// its samples and its lines are contiguous; sample names belong to their
// family (histograms: _bucket/_sum/_count); no duplicate sample; histograms
// as CheckHistograms. Returns {"name{labels}": value}.
std::map<std::string, double> ParseStrict(const std::string& text) {
  static const std::regex kSample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\[\\"n]|[^"\\])*")(,[a-zA-Z_][a-zA-Z0-9_]*="(\\[\\"n]|[^"\\])*")*\})? ([^ ]+)$)");
  static const std::regex kLe(R"(,?le="([^"]*)\")");
  static const std::set<std::string> kTypes = {"counter", "gauge", "histogram",
                                               "summary", "untyped"};
  std::map<std::string, double> samples;
  std::map<std::string, std::string> types;
  std::set<std::string> finished;  // families whose lines are over
  std::string current;
  std::map<std::string, HistogramSeries> histograms;
  auto enter = [&](const std::string& family) {
    if (family == current) return;
    EXPECT_FALSE(finished.count(family)) << family << " is not contiguous";
    if (!current.empty()) finished.insert(current);
    current = family;
  };
  EXPECT_TRUE(text.empty() || text.back() == '\n');
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    if (absl::StartsWith(line, "# HELP ")) {
      std::vector<std::string> parts =
          absl::StrSplit(line, absl::MaxSplits(' ', 3));
      EXPECT_EQ(parts.size(), 4u) << line;
      if (parts.size() == 4) enter(parts[2]);
      continue;
    }
    if (absl::StartsWith(line, "# TYPE ")) {
      std::vector<std::string> parts = absl::StrSplit(line, ' ');
      EXPECT_EQ(parts.size(), 4u) << line;
      if (parts.size() != 4) continue;
      enter(parts[2]);
      EXPECT_TRUE(kTypes.count(parts[3])) << line;
      EXPECT_TRUE(types.emplace(parts[2], parts[3]).second)
          << "second TYPE for " << parts[2];
      continue;
    }
    std::cmatch m;
    const std::string l(line);
    if (!std::regex_match(l.c_str(), m, kSample)) {
      ADD_FAILURE() << "bad line: " << l;
      continue;
    }
    const std::string name = m[1];
    const std::string labels = m[2];
    double value = 0;
    EXPECT_TRUE(ParseValue(m[7].str(), &value)) << l;
    std::string family = name;
    std::string suffix;
    for (const char* s : {"_bucket", "_sum", "_count"}) {
      if (absl::EndsWith(name, s) && !types.count(name)) {
        family = name.substr(0, name.size() - strlen(s));
        suffix = s;
      }
    }
    if (!types.count(family)) {
      ADD_FAILURE() << "no TYPE before " << l;
      continue;
    }
    enter(family);
    EXPECT_EQ(!suffix.empty(),
              types[family] == "histogram" || types[family] == "summary")
        << l;
    if (types[family] == "histogram") {
      std::smatch le;
      std::string key = labels;
      if (std::regex_search(labels, le, kLe)) {
        double bound = 0;
        EXPECT_TRUE(ParseValue(le[1].str(), &bound)) << l;
        key = std::regex_replace(labels, kLe, "");
        if (key == "{}") key.clear();
        histograms[family + key].buckets.emplace_back(bound, value);
      } else if (suffix == "_count") {
        histograms[family + key].count = value;
      }
    }
    const std::string sample_key = name + labels;
    EXPECT_FALSE(samples.count(sample_key)) << "duplicate sample " << l;
    samples[sample_key] = value;
  }
  CheckHistograms(histograms);
  return samples;
}

std::map<std::string, double> Scrape(const Metrics& m) {
  return ParseStrict(m.RenderPrometheus());
}

TEST(MetricsTest, TheStrictReaderRejectsMalformedExpositions) {
  EXPECT_NONFATAL_FAILURE(ParseStrict("x 1\n"), "no TYPE");
  EXPECT_NONFATAL_FAILURE(ParseStrict("# TYPE x gauge\nx{a=b} 1\n"),
                          "bad line");
  EXPECT_NONFATAL_FAILURE(
      ParseStrict("# TYPE x gauge\nx 1\n# TYPE y gauge\ny 1\nx{a=\"b\"} 2\n"),
      "not contiguous");
  EXPECT_NONFATAL_FAILURE(ParseStrict("# TYPE h histogram\n"
                                      "h_bucket{le=\"1\"} 2\n"
                                      "h_bucket{le=\"+Inf\"} 1\n"
                                      "h_count 1\nh_sum 0\n"),
                          "not cumulative");
}

TEST(MetricsTest, RpcCountersAndHistogramByMethodAndResult) {
  Metrics m({.version = "1.2.3", .compiler = "gcc"});
  m.RecordRpc("Verify", "OK", absl::Microseconds(80));
  m.RecordRpc("Verify", "OK", absl::Milliseconds(3));
  m.RecordRpc("Verify", FailureReason::kSignatureInvalid,
              absl::Microseconds(40));
  m.RecordRpc("IssueToken", "PERMISSION_DENIED", absl::Microseconds(10));
  auto s = Scrape(m);
  EXPECT_EQ(s["jwtauth_build_info{compiler=\"gcc\",version=\"1.2.3\"}"], 1);
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

TEST(MetricsTest, PreResolvedSeriesAreStableAndRecordByReasonOrName) {
  Metrics m;
  RpcSeries* verify = m.Rpc("Verify");
  EXPECT_EQ(verify, m.Rpc("Verify"));
  verify->Record(FailureReason::kUnspecified, absl::Microseconds(1));
  verify->Record("OK", absl::Microseconds(1));
  verify->Record(FailureReason::kExpired, absl::Microseconds(1));
  verify->Record("UNAVAILABLE", absl::Microseconds(1));
  EXPECT_EQ(m.RpcCount("Verify", "OK"), 2u);
  EXPECT_EQ(m.RpcCount("Verify", "EXPIRED"), 1u);
  EXPECT_EQ(m.RpcCount("Verify", "UNAVAILABLE"), 1u);
  EXPECT_EQ(verify->Count("EXPIRED"), 1u);
}

TEST(MetricsTest, CheckSeriesCarryARouteLabelOtherMethodsNone) {
  Metrics m;
  RpcSeries* orders = m.Rpc("Check", "orders");
  EXPECT_EQ(orders, m.Rpc("Check", "orders"));
  EXPECT_NE(orders, m.Rpc("Check"));
  orders->Record("OK", absl::Microseconds(5));
  m.Rpc("Check", Metrics::RouteLabel(""))->Record("OK", absl::Microseconds(5));
  m.Rpc("Check", RpcMetrics::kNoRoute)
      ->Record("PERMISSION_DENIED", absl::Microseconds(5));
  m.RecordRpc("Verify", "OK", absl::Microseconds(5));
  auto s = Scrape(m);
  EXPECT_EQ(
      s["jwtauth_rpc_total{method=\"Check\",result=\"OK\",route=\"orders\"}"],
      1);
  EXPECT_EQ(
      s["jwtauth_rpc_total{method=\"Check\",result=\"OK\",route=\"_default\"}"],
      1);
  EXPECT_EQ(s["jwtauth_rpc_total{method=\"Check\",result=\"PERMISSION_DENIED\","
              "route=\"_none\"}"],
            1);
  EXPECT_EQ(s["jwtauth_rpc_latency_seconds_count{method=\"Check\",result="
              "\"OK\",route=\"orders\"}"],
            1);
  EXPECT_EQ(s["jwtauth_rpc_total{method=\"Verify\",result=\"OK\"}"], 1);
  EXPECT_EQ(m.RpcCount("Check", "OK"), 2u);  // every route
  EXPECT_EQ(m.RpcCount("Check", "OK", "orders"), 1u);
  EXPECT_EQ(m.RpcCount("Check", "OK", "nope"), 0u);
}

TEST(MetricsTest, RouteValuesAreBoundedPerMethod) {
  Metrics m;
  for (size_t i = 0; i < RpcMetrics::kMaxRoutes; ++i) {
    m.Rpc("Check", absl::StrCat("r", i))->Record("OK", absl::ZeroDuration());
  }
  RpcSeries* extra = m.Rpc("Check", "one-too-many");
  EXPECT_EQ(extra->route(), RpcMetrics::kOtherRoute);
  EXPECT_EQ(m.Rpc("Check", "another"), extra);
  extra->Record("OK", absl::ZeroDuration());
  // Known routes still resolve to their own series.
  EXPECT_EQ(m.Rpc("Check", "r7")->route(), "r7");
  const std::string text = m.RenderPrometheus();
  EXPECT_THAT(text, Not(HasSubstr("one-too-many")));
  EXPECT_THAT(text, HasSubstr("route=\"_other\"} 1\n"));
}

TEST(MetricsTest, UnknownLabelValuesAreEscapedAndCounted) {
  Metrics m;
  m.RecordRpc("Custom\"x", "weird\nvalue", absl::ZeroDuration());
  std::string text = m.RenderPrometheus();
  EXPECT_THAT(text,
              HasSubstr("method=\"Custom\\\"x\",result=\"weird\\nvalue\"} 1"));
  EXPECT_EQ(m.RpcCount("Custom\"x", "weird\nvalue"), 1u);
  ParseStrict(text);
}

TEST(MetricsTest, JwksUrlLabelsCarryNoCredentials) {
  Metrics m;
  m.SetJwksSources({{"jwks:https://u:p@idp2/jwks?k=SECRET2",
                     "https://u:p@idp2/jwks?k=SECRET2", absl::Minutes(1)}});
  m.RecordJwksFetch("https://user:pw@idp/jwks?token=SECRET", "ok");
  m.SetJwksLastSuccess("https://idp/jwks?token=SECRET",
                       absl::FromUnixSeconds(1));
  const std::string text = m.RenderPrometheus();
  EXPECT_THAT(text, Not(HasSubstr("SECRET")));
  EXPECT_THAT(text, Not(HasSubstr("user:pw")));
  EXPECT_THAT(text, Not(HasSubstr("u:p@")));
  EXPECT_THAT(
      text,
      ::testing::ContainsRegex(
          "jwtauth_jwks_fetch_total\\{url=\"https://idp/jwks#[0-9a-f]{8}\""));
  EXPECT_THAT(text, ::testing::ContainsRegex(
                        "jwtauth_jwks_max_stale_seconds\\{url=\"https://idp2/"
                        "jwks#[0-9a-f]{8}\"\\} 60\n"));
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
  auto s = Scrape(m);
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
  EXPECT_EQ(s["jwtauth_jwks_last_success_timestamp_seconds{url=\"https://idp/"
              "jwks\"}"],
            1'000'020);
  EXPECT_TRUE(std::isinf(
      s["jwtauth_jwks_last_success_age_seconds{url=\"https://never/jwks\"}"]));
  EXPECT_EQ(s["jwtauth_jwks_last_success_timestamp_seconds{url=\"https://"
              "never/jwks\"}"],
            0);
  EXPECT_EQ(s["jwtauth_config_reloads_total{result=\"ok\"}"], 1);
  EXPECT_EQ(s["jwtauth_config_reloads_total{result=\"rejected\"}"], 1);
  EXPECT_EQ(s["jwtauth_config_generation"], 7);
  EXPECT_EQ(m.KeyVerifications("default", "k1"), 2u);
}

TEST(MetricsTest, ConfigReloadGaugesFollowTheLastLoad) {
  testutil::FakeClock clock(absl::FromUnixSeconds(2'000'000));
  Metrics m({}, &clock);
  auto s = Scrape(m);
  EXPECT_EQ(s["jwtauth_config_last_reload_successful"], 0);
  EXPECT_EQ(s["jwtauth_config_last_reload_success_timestamp_seconds"], 0);
  m.RecordConfigReload(true, 1);  // the startup load
  s = Scrape(m);
  EXPECT_EQ(s["jwtauth_config_last_reload_successful"], 1);
  EXPECT_EQ(s["jwtauth_config_last_reload_success_timestamp_seconds"],
            2'000'000);
  clock.Set(absl::FromUnixSeconds(2'000'100));
  m.RecordConfigReload(false, 0);
  s = Scrape(m);
  EXPECT_EQ(s["jwtauth_config_last_reload_successful"], 0);
  EXPECT_EQ(s["jwtauth_config_last_reload_success_timestamp_seconds"],
            2'000'000);
  EXPECT_EQ(s["jwtauth_config_generation"], 1);
  clock.Set(absl::FromUnixSeconds(2'000'200));
  m.RecordConfigReload(true, 2);
  s = Scrape(m);
  EXPECT_EQ(s["jwtauth_config_last_reload_successful"], 1);
  EXPECT_EQ(s["jwtauth_config_last_reload_success_timestamp_seconds"],
            2'000'200);
  EXPECT_EQ(s["jwtauth_config_generation"], 2);
  EXPECT_EQ(s["jwtauth_config_reloads_total{result=\"ok\"}"], 2);
}

TEST(MetricsTest, JwksSourcesExposeFreshnessAndMaxStale) {
  testutil::FakeClock clock(absl::FromUnixSeconds(3'000'000));
  Metrics m({}, &clock);
  m.SetJwksSources({{"jwks:https://a/jwks", "https://a/jwks", absl::Hours(1)},
                    {"oidc:https://b/.well-known/openid-configuration",
                     "https://b/.well-known/openid-configuration",
                     absl::InfiniteDuration()}});
  const std::string a = "{url=\"https://a/jwks\"}";
  const std::string b0 = "{url=\"https://b/.well-known/openid-configuration\"}";
  const std::string b1 = "{url=\"https://b/keys\"}";
  auto s = Scrape(m);  // configured, never fetched
  EXPECT_EQ(s["jwtauth_jwks_last_success_timestamp_seconds" + a], 0);
  EXPECT_TRUE(std::isinf(s["jwtauth_jwks_last_success_age_seconds" + a]));
  EXPECT_EQ(s["jwtauth_jwks_max_stale_seconds" + a], 3600);
  EXPECT_TRUE(std::isinf(s["jwtauth_jwks_max_stale_seconds" + b0]));

  m.RecordJwksFetch("https://a/jwks", "ok", "jwks:https://a/jwks");
  m.SetJwksLastSuccess("https://a/jwks", absl::FromUnixSeconds(2'999'990));
  // After discovery the source's events report its JWKS URL: the gauges
  // move there and the discovery URL's do not linger (they would age).
  m.RecordJwksFetch("https://b/keys", "ok",
                    "oidc:https://b/.well-known/openid-configuration");
  m.SetJwksLastSuccess("https://b/keys", absl::FromUnixSeconds(2'999'000));
  s = Scrape(m);
  EXPECT_EQ(s["jwtauth_jwks_last_success_timestamp_seconds" + a], 2'999'990);
  EXPECT_EQ(s["jwtauth_jwks_last_success_age_seconds" + a], 10);
  EXPECT_EQ(s["jwtauth_jwks_last_success_timestamp_seconds" + b1], 2'999'000);
  EXPECT_TRUE(std::isinf(s["jwtauth_jwks_max_stale_seconds" + b1]));
  EXPECT_FALSE(s.count("jwtauth_jwks_last_success_timestamp_seconds" + b0));
  EXPECT_FALSE(s.count("jwtauth_jwks_max_stale_seconds" + b0));

  // A reload keeps b (at its current URL) and removes a: a's gauges go, its
  // fetch counts stay (counters never go back).
  m.SetJwksSources(
      {{"oidc:https://b/.well-known/openid-configuration",
        "https://b/.well-known/openid-configuration", absl::Minutes(5)}});
  s = Scrape(m);
  EXPECT_FALSE(s.count("jwtauth_jwks_last_success_timestamp_seconds" + a));
  EXPECT_FALSE(s.count("jwtauth_jwks_max_stale_seconds" + a));
  EXPECT_EQ(s["jwtauth_jwks_fetch_total{url=\"https://a/jwks\",result=\"ok\"}"],
            1);
  EXPECT_EQ(s["jwtauth_jwks_max_stale_seconds" + b1], 300);
  EXPECT_EQ(s["jwtauth_jwks_last_success_timestamp_seconds" + b1], 2'999'000);
}

TEST(MetricsTest, ProcessFamiliesAreExposed) {
  auto s = Scrape(Metrics());
  for (const char* name :
       {"process_cpu_seconds_total", "process_resident_memory_bytes",
        "process_virtual_memory_bytes", "process_open_fds", "process_max_fds",
        "process_start_time_seconds"}) {
    ASSERT_TRUE(s.count(name)) << name;
  }
  EXPECT_GT(s["process_resident_memory_bytes"], 0);
  EXPECT_GE(s["process_max_fds"], s["process_open_fds"]);
}

TEST(MetricsTest, CacheSourcesAddToCacheLookups) {
  Metrics m;
  m.AddCacheSource([] { return Metrics::CacheCounts{0, 1}; });
  std::atomic<uint64_t> hits{5};
  int id = m.AddCacheSource([&hits] {
    return Metrics::CacheCounts{hits.load(), 2};
  });
  m.AddCacheSource([] { return Metrics::CacheCounts{1, 1}; });
  auto s = Scrape(m);
  EXPECT_EQ(s["jwtauth_cache_lookups_total{result=\"hit\"}"], 6);
  EXPECT_EQ(s["jwtauth_cache_lookups_total{result=\"miss\"}"], 4);
  hits = 9;  // read at render time, not at registration
  EXPECT_EQ(Scrape(m)["jwtauth_cache_lookups_total{result=\"hit\"}"], 10);
  EXPECT_EQ(m.CacheHits(), 10u);
  m.RemoveCacheSource(id);
  EXPECT_EQ(m.CacheHits(), 1u);
  EXPECT_EQ(m.CacheMisses(), 2u);
}

TEST(MetricsTest, CollectorsAppendAndCanBeRemoved) {
  Metrics m;
  int id = m.AddCollector([] {
    return std::vector<prometheus::MetricFamily>{
        GaugeFamily("jwtauth_custom", "x", 42)};
  });
  EXPECT_EQ(Scrape(m)["jwtauth_custom"], 42);
  m.RemoveCollector(id);
  EXPECT_THAT(m.RenderPrometheus(), Not(HasSubstr("jwtauth_custom")));
}

TEST(MetricsTest, KeyCountsSetByACollectorShowOnTheSameScrape) {
  // The application's collector refreshes jwtauth_keys on each scrape; the
  // first scrape after start must already show them (not one scrape late).
  Metrics m;
  int n = 0;
  m.AddCollector([&m, &n] {
    ++n;
    if (n == 1) {
      m.SetKeyCounts({{"p", n}, {"gone", 1}});
    } else {
      m.SetKeyCounts({{"p", n}});
    }
    return std::vector<prometheus::MetricFamily>();
  });
  std::string text = m.RenderPrometheus();
  EXPECT_THAT(text, HasSubstr("jwtauth_keys{provider=\"p\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("jwtauth_keys{provider=\"gone\"} 1\n"));
  text = m.RenderPrometheus();
  EXPECT_THAT(text, HasSubstr("jwtauth_keys{provider=\"p\"} 2\n"));
  EXPECT_THAT(text, Not(HasSubstr("provider=\"gone\"")));
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
  RpcSeries* check = m.Rpc("Check", "r");
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        m.RecordRpc("Verify", i % 2 ? "OK" : "EXPIRED",
                    absl::Microseconds(i % 700));
        check->Record(
            t % 2 ? FailureReason::kUnspecified : FailureReason::kExpired,
            absl::Microseconds(i % 300));
        (i % 3 == 0 ? cache_hits : cache_misses).fetch_add(1);
        if (i % 5000 == 0) ParseStrict(m.RenderPrometheus());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(m.RpcCount("Verify", "OK") + m.RpcCount("Verify", "EXPIRED"),
            uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(m.RpcCount("Check", "OK", "r"),
            uint64_t{kThreads} * kPerThread / 2);
  EXPECT_EQ(m.CacheHits() + m.CacheMisses(), uint64_t{kThreads} * kPerThread);
  auto s = Scrape(m);
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
