#include "server/metrics.h"

#include <cmath>
#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/source_redaction.h"

namespace jwtauth::server {

struct Metrics::Series {
  std::string method;
  std::string result;
  std::atomic<uint64_t> count{0};
  std::atomic<uint64_t> sum_ns{0};
  // Non-cumulative per-bucket counts; the last slot is +Inf.
  std::array<std::atomic<uint64_t>, kLatencyBuckets.size() + 1> buckets{};
};

namespace {

constexpr absl::string_view kMethods[] = {"Verify", "IssueToken", "ListKeys",
                                          "Check"};
// Canonical status codes 1..16 (gRPC and absl share numbers and names).
constexpr int kMaxCanonicalCode = 16;

// The fixed result vocabulary: "OK", every FailureReason name (including
// FAILURE_REASON_UNSPECIFIED), every non-OK gRPC code name. Built once.
const std::vector<std::string>& KnownResults() {
  static const auto* results = [] {
    auto* v = new std::vector<std::string>{"OK"};
    for (int i = 0; i <= kMaxFailureReason; ++i) {
      v->emplace_back(FailureReasonName(static_cast<FailureReason>(i)));
    }
    for (int code = 1; code <= kMaxCanonicalCode; ++code) {
      v->emplace_back(
          absl::StatusCodeToString(static_cast<absl::StatusCode>(code)));
    }
    return v;
  }();
  return *results;
}

const absl::flat_hash_map<absl::string_view, int>& ResultIndex() {
  static const auto* index = [] {
    auto* m = new absl::flat_hash_map<absl::string_view, int>();
    const auto& r = KnownResults();
    for (size_t i = 0; i < r.size(); ++i) m->emplace(r[i], static_cast<int>(i));
    return m;
  }();
  return *index;
}

int MethodIndex(absl::string_view method) {
  for (size_t i = 0; i < std::size(kMethods); ++i) {
    if (kMethods[i] == method) return static_cast<int>(i);
  }
  return -1;
}

std::string FormatDouble(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  return buf;
}

void Header(std::string* out, absl::string_view name, absl::string_view type,
            absl::string_view help) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type,
                  "\n");
}

}  // namespace

std::string PromLabelEscape(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Metrics::Metrics(BuildInfo build_info, const Clock* clock)
    : build_info_(std::move(build_info)), clock_(clock) {
  const auto& results = KnownResults();
  fixed_.reserve(std::size(kMethods) * results.size());
  for (absl::string_view m : kMethods) {
    for (const std::string& r : results) {
      auto s = std::make_unique<Series>();
      s->method = std::string(m);
      s->result = r;
      fixed_.push_back(std::move(s));
    }
  }
}

Metrics::~Metrics() = default;

Metrics::Series* Metrics::FixedSeries(absl::string_view method,
                                      absl::string_view result) const {
  int m = MethodIndex(method);
  if (m < 0) return nullptr;
  const auto& index = ResultIndex();
  auto it = index.find(result);
  if (it == index.end()) return nullptr;
  return fixed_[m * KnownResults().size() + it->second].get();
}

Metrics::Series* Metrics::FindSeries(absl::string_view method,
                                     absl::string_view result) const {
  if (Series* fixed = FixedSeries(method, result)) return fixed;
  absl::MutexLock lock(&dyn_mu_);
  auto it = dynamic_.find(absl::StrCat(method, std::string(1, '\0'), result));
  return it == dynamic_.end() ? nullptr : it->second.get();
}

Metrics::Series* Metrics::FindOrCreateSeries(absl::string_view method,
                                             absl::string_view result) {
  if (Series* fixed = FixedSeries(method, result)) return fixed;
  absl::MutexLock lock(&dyn_mu_);
  std::unique_ptr<Series>& s =
      dynamic_[absl::StrCat(method, std::string(1, '\0'), result)];
  if (s == nullptr) {
    s = std::make_unique<Series>();
    s->method = std::string(method);
    s->result = std::string(result);
  }
  return s.get();
}

void Metrics::Record(Series* s, absl::Duration latency) {
  const double secs = absl::ToDoubleSeconds(latency);
  size_t b = 0;
  while (b < Metrics::kLatencyBuckets.size() &&
         secs > Metrics::kLatencyBuckets[b]) {
    ++b;
  }
  s->buckets[b].fetch_add(1, std::memory_order_relaxed);
  int64_t ns = absl::ToInt64Nanoseconds(latency);
  s->sum_ns.fetch_add(ns > 0 ? static_cast<uint64_t>(ns) : 0,
                      std::memory_order_relaxed);
  s->count.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::RecordRpc(absl::string_view method, absl::string_view result,
                        absl::Duration latency) {
  Record(FindOrCreateSeries(method, result), latency);
}

void Metrics::RecordRpc(absl::string_view method, FailureReason reason,
                        absl::Duration latency) {
  RecordRpc(method,
            reason == FailureReason::kUnspecified ? absl::string_view("OK")
                                                  : FailureReasonName(reason),
            latency);
}

int Metrics::AddCacheSource(CacheSource source) {
  absl::MutexLock lock(&mu_);
  const int id = next_collector_id_++;
  cache_sources_.emplace(id, std::move(source));
  return id;
}

void Metrics::RemoveCacheSource(int id) {
  absl::MutexLock lock(&mu_);
  cache_sources_.erase(id);
}

Metrics::CacheCounts Metrics::CacheLookups() const {
  std::vector<CacheSource> sources;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, source] : cache_sources_) sources.push_back(source);
  }
  CacheCounts total;
  for (const CacheSource& source : sources) {  // outside the lock
    const CacheCounts c = source();
    total.hits += c.hits;
    total.misses += c.misses;
  }
  return total;
}

void Metrics::SetKeyUsageSource(KeyUsageSource source) {
  absl::MutexLock lock(&mu_);
  key_usage_source_ = std::move(source);
}

Metrics::KeySeriesMap Metrics::CollectKeySeries() const {
  KeyUsageSource source;
  {
    absl::MutexLock lock(&mu_);
    source = key_usage_source_;
  }
  KeySeriesMap out;
  if (!source) return out;
  for (KeyUsageSample& k : source()) {
    std::pair<std::string, std::string> label(std::move(k.provider),
                                              std::move(k.kid));
    if (out.size() >= kMaxKeySeries && !out.contains(label)) {
      label.second = "_other";
    }
    KeySeries& series = out[std::move(label)];
    series.count += k.verifications;
    if (k.last_used.has_value() &&
        (!series.last_used.has_value() || *series.last_used < *k.last_used)) {
      series.last_used = k.last_used;
    }
  }
  return out;
}

void Metrics::RecordJwksFetch(absl::string_view url, absl::string_view result) {
  std::string label = RedactUrl(url);  // never a query string or userinfo
  absl::MutexLock lock(&mu_);
  ++jwks_[std::move(label)].results[std::string(result)];
}

void Metrics::SetJwksLastSuccess(absl::string_view url, absl::Time when) {
  std::string label = RedactUrl(url);
  absl::MutexLock lock(&mu_);
  jwks_[std::move(label)].last_success = when;
}

void Metrics::SetKeyCounts(std::map<std::string, int64_t> keys_per_provider) {
  absl::MutexLock lock(&mu_);
  key_counts_ = std::move(keys_per_provider);
}

void Metrics::RecordConfigReload(bool ok, uint64_t generation) {
  absl::MutexLock lock(&mu_);
  if (ok) {
    ++reloads_ok_;
    generation_ = generation;
  } else {
    ++reloads_rejected_;
  }
}

int Metrics::AddCollector(Collector collector) {
  absl::MutexLock lock(&mu_);
  int id = next_collector_id_++;
  collectors_[id] = std::move(collector);
  return id;
}

void Metrics::RemoveCollector(int id) {
  absl::MutexLock lock(&mu_);
  collectors_.erase(id);
}

uint64_t Metrics::RpcCount(absl::string_view method,
                           absl::string_view result) const {
  Series* s = FindSeries(method, result);
  return s == nullptr ? 0 : s->count.load(std::memory_order_relaxed);
}

uint64_t Metrics::KeyVerifications(absl::string_view provider,
                                   absl::string_view kid) const {
  KeySeriesMap series = CollectKeySeries();
  auto it =
      series.find(std::make_pair(std::string(provider), std::string(kid)));
  return it == series.end() ? 0 : it->second.count;
}

std::string Metrics::RenderPrometheus() const {
  // Collectors run first (outside the lock; they may take their own locks):
  // they may update state rendered below (SetKeyCounts), which must be
  // current on this scrape, not the next. Their text goes last.
  std::vector<Collector> collectors;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, c] : collectors_) collectors.push_back(c);
  }
  std::string collected;
  for (const Collector& c : collectors) c(&collected);
  const KeySeriesMap key_series = CollectKeySeries();

  std::string out;
  out.reserve(16 * 1024);

  Header(&out, "jwtauth_build_info", "gauge", "Build information; always 1.");
  absl::StrAppend(&out, "jwtauth_build_info{version=\"",
                  PromLabelEscape(build_info_.version), "\",compiler=\"",
                  PromLabelEscape(build_info_.compiler), "\"} 1\n");
  RenderRpcSeries(&out);

  Header(&out, "jwtauth_cache_lookups_total", "counter",
         "Verification cache lookups, by result.");
  const CacheCounts cache = CacheLookups();  // one read: hit and miss agree
  absl::StrAppend(
      &out, "jwtauth_cache_lookups_total{result=\"hit\"} ", cache.hits, "\n",
      "jwtauth_cache_lookups_total{result=\"miss\"} ", cache.misses, "\n");

  RenderKeySeries(key_series, &out);
  {
    absl::MutexLock lock(&mu_);
    RenderKeysAndJwksLocked(&out);
    RenderConfigLocked(&out);
  }
  out += collected;
  return out;
}

void Metrics::RenderRpcSeries(std::string* out) const {
  // Only the series that have been observed.
  std::vector<const Series*> series;
  for (const auto& s : fixed_) {
    if (s->count.load(std::memory_order_relaxed) > 0) series.push_back(s.get());
  }
  {
    absl::MutexLock lock(&dyn_mu_);
    for (const auto& [k, s] : dynamic_) series.push_back(s.get());
  }
  Header(out, "jwtauth_rpc_total", "counter",
         "RPCs handled, by method and result (OK, a FailureReason name, or a "
         "gRPC status code name).");
  for (const Series* s : series) {
    absl::StrAppend(out, "jwtauth_rpc_total{method=\"",
                    PromLabelEscape(s->method), "\",result=\"",
                    PromLabelEscape(s->result), "\"} ",
                    s->count.load(std::memory_order_relaxed), "\n");
  }
  Header(out, "jwtauth_rpc_latency_seconds", "histogram",
         "RPC handling latency in seconds, by method and result.");
  for (const Series* s : series) {
    const std::string labels =
        absl::StrCat("method=\"", PromLabelEscape(s->method), "\",result=\"",
                     PromLabelEscape(s->result), "\"");
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= kLatencyBuckets.size(); ++b) {
      cumulative += s->buckets[b].load(std::memory_order_relaxed);
      absl::StrAppend(
          out, "jwtauth_rpc_latency_seconds_bucket{", labels, ",le=\"",
          b < kLatencyBuckets.size() ? FormatDouble(kLatencyBuckets[b])
                                     : std::string("+Inf"),
          "\"} ", cumulative, "\n");
    }
    absl::StrAppend(out, "jwtauth_rpc_latency_seconds_sum{", labels, "} ",
                    FormatDouble(static_cast<double>(s->sum_ns.load(
                                     std::memory_order_relaxed)) /
                                 1e9),
                    "\n");
    // _count equals the +Inf bucket (read once so they agree).
    absl::StrAppend(out, "jwtauth_rpc_latency_seconds_count{", labels, "} ",
                    cumulative, "\n");
  }
}

void Metrics::RenderKeySeries(const KeySeriesMap& series,
                              std::string* out) const {
  Header(out, "jwtauth_key_verifications_total", "counter",
         "Tokens verified, by provider and key id.");
  for (const auto& [k, v] : series) {
    absl::StrAppend(out, "jwtauth_key_verifications_total{provider=\"",
                    PromLabelEscape(k.first), "\",kid=\"",
                    PromLabelEscape(k.second), "\"} ", v.count, "\n");
  }
  Header(out, "jwtauth_key_last_used_timestamp_seconds", "gauge",
         "Unix time a key last verified a token, by provider and key id.");
  for (const auto& [k, v] : series) {
    if (!v.last_used.has_value()) continue;
    absl::StrAppend(
        out, "jwtauth_key_last_used_timestamp_seconds{provider=\"",
        PromLabelEscape(k.first), "\",kid=\"", PromLabelEscape(k.second),
        "\"} ",
        FormatDouble(static_cast<double>(absl::ToUnixMillis(*v.last_used)) /
                     1000.0),
        "\n");
  }
}

void Metrics::RenderKeysAndJwksLocked(std::string* out) const {
  Header(out, "jwtauth_keys", "gauge",
         "Verification keys currently loaded, by provider.");
  for (const auto& [p, n] : key_counts_) {
    absl::StrAppend(out, "jwtauth_keys{provider=\"", PromLabelEscape(p), "\"} ",
                    n, "\n");
  }
  Header(out, "jwtauth_jwks_fetch_total", "counter",
         "JWKS URL fetches, by URL and result.");
  for (const auto& [url, j] : jwks_) {
    for (const auto& [r, n] : j.results) {
      absl::StrAppend(out, "jwtauth_jwks_fetch_total{url=\"",
                      PromLabelEscape(url), "\",result=\"", PromLabelEscape(r),
                      "\"} ", n, "\n");
    }
  }
  Header(out, "jwtauth_jwks_last_success_age_seconds", "gauge",
         "Seconds since the last successful fetch of a JWKS URL (+Inf: "
         "never).");
  const absl::Time now = clock_->Now();
  for (const auto& [url, j] : jwks_) {
    double age = j.last_success == absl::InfinitePast()
                     ? INFINITY
                     : absl::ToDoubleSeconds(now - j.last_success);
    absl::StrAppend(out, "jwtauth_jwks_last_success_age_seconds{url=\"",
                    PromLabelEscape(url), "\"} ", FormatDouble(age), "\n");
  }
}

void Metrics::RenderConfigLocked(std::string* out) const {
  Header(out, "jwtauth_config_reloads_total", "counter",
         "Configuration reloads, by result.");
  absl::StrAppend(out, "jwtauth_config_reloads_total{result=\"ok\"} ",
                  reloads_ok_, "\n",
                  "jwtauth_config_reloads_total{result=\"rejected\"} ",
                  reloads_rejected_, "\n");
  Header(out, "jwtauth_config_generation", "gauge",
         "Generation number of the serving configuration.");
  absl::StrAppend(out, "jwtauth_config_generation ", generation_, "\n");
}

}  // namespace jwtauth::server
