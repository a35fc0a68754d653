#include "server/metrics.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <string>

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"
#include "server/process_metrics.h"
#include "server/source_redaction.h"

namespace jwtauth::server {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

constexpr double kInf = std::numeric_limits<double>::infinity();

MetricFamily Family(std::string name, std::string help, MetricType type) {
  MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

// Appends one sample; labels in the given order (the exposition keeps it).
void AddSample(MetricFamily* f,
               const std::vector<std::pair<std::string, std::string>>& labels,
               double value) {
  ClientMetric m;
  for (const auto& [name, v] : labels) m.label.push_back({name, v});
  if (f->type == MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  f->metric.push_back(std::move(m));
}

double UnixSeconds(absl::Time t) {
  return static_cast<double>(absl::ToUnixMillis(t)) / 1000.0;
}

template <typename T>
void Append(std::vector<T>* out, std::vector<T> more) {
  out->insert(out->end(), std::make_move_iterator(more.begin()),
              std::make_move_iterator(more.end()));
}

}  // namespace

// The event-driven families, owned by a prometheus::Registry. References
// into the registry stay valid as long as it lives (it never removes them).
struct Metrics::Registered {
  prometheus::Registry registry;
  prometheus::Family<prometheus::Counter>& reloads =
      prometheus::BuildCounter()
          .Name("jwtauth_config_reloads_total")
          .Help("Configuration loads (startup included), by result.")
          .Register(registry);
  prometheus::Counter& reloads_ok = reloads.Add({{"result", "ok"}});
  prometheus::Counter& reloads_rejected = reloads.Add({{"result", "rejected"}});
  prometheus::Gauge& generation =
      prometheus::BuildGauge()
          .Name("jwtauth_config_generation")
          .Help("Generation number of the serving configuration.")
          .Register(registry)
          .Add({});
  prometheus::Gauge& last_reload_ok =
      prometheus::BuildGauge()
          .Name("jwtauth_config_last_reload_successful")
          .Help("1 if the last configuration load succeeded, else 0.")
          .Register(registry)
          .Add({});
  prometheus::Gauge& last_success =
      prometheus::BuildGauge()
          .Name("jwtauth_config_last_reload_success_timestamp_seconds")
          .Help(
              "Unix time of the last successful configuration load "
              "(startup included).")
          .Register(registry)
          .Add({});
  prometheus::Family<prometheus::Gauge>& keys =
      prometheus::BuildGauge()
          .Name("jwtauth_keys")
          .Help("Verification keys currently loaded, by provider.")
          .Register(registry);
  absl::Mutex keys_mu;
  std::map<std::string, prometheus::Gauge*> key_gauges ABSL_GUARDED_BY(keys_mu);
  ProcessMetrics process;

  explicit Registered(const BuildInfo& build) {
    prometheus::BuildGauge()
        .Name("jwtauth_build_info")
        .Help("Build information; always 1.")
        .Register(registry)
        .Add({{"version", build.version}, {"compiler", build.compiler}})
        .Set(1);
  }
};

Metrics::Metrics(const BuildInfo& build_info, const Clock* clock)
    : clock_(clock), registered_(std::make_unique<Registered>(build_info)) {}

Metrics::~Metrics() = default;

void Metrics::RecordRpc(absl::string_view method, absl::string_view result,
                        absl::Duration latency) {
  rpc_.Series(method)->Record(result, latency);
}

void Metrics::RecordRpc(absl::string_view method, FailureReason reason,
                        absl::Duration latency) {
  rpc_.Series(method)->Record(reason, latency);
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

void Metrics::SetJwksSources(const std::vector<JwksSourceInfo>& sources) {
  absl::MutexLock lock(&mu_);
  std::map<std::string, JwksSource> next;
  for (const JwksSourceInfo& s : sources) {
    JwksSource& source = next[s.source_id];
    source.max_stale = s.max_stale;
    // A source already serving keeps the URL its events moved it to.
    auto old = jwks_sources_.find(s.source_id);
    source.url =
        old != jwks_sources_.end() ? old->second.url : RedactUrl(s.url);
    JwksUrl& j = jwks_[source.url];
    if (j.source_id.empty()) j.source_id = s.source_id;
  }
  jwks_sources_ = std::move(next);
}

void Metrics::RecordJwksFetch(absl::string_view url, absl::string_view result,
                              absl::string_view source_id) {
  std::string label = RedactUrl(url);  // never a query string or userinfo
  absl::MutexLock lock(&mu_);
  if (!source_id.empty()) {
    if (auto it = jwks_sources_.find(std::string(source_id));
        it != jwks_sources_.end()) {
      it->second.url = label;  // after discovery: the JWKS URL
    }
  }
  JwksUrl& j = jwks_[std::move(label)];
  ++j.results[std::string(result)];
  if (!source_id.empty()) j.source_id = std::string(source_id);
}

void Metrics::SetJwksLastSuccess(absl::string_view url, absl::Time when) {
  std::string label = RedactUrl(url);
  absl::MutexLock lock(&mu_);
  jwks_[std::move(label)].last_success = when;
}

void Metrics::SetKeyCounts(
    const std::map<std::string, int64_t>& keys_per_provider) {
  Registered& r = *registered_;
  absl::MutexLock lock(&r.keys_mu);
  for (auto it = r.key_gauges.begin(); it != r.key_gauges.end();) {
    if (keys_per_provider.contains(it->first)) {
      ++it;
    } else {
      r.keys.Remove(it->second);
      it = r.key_gauges.erase(it);
    }
  }
  for (const auto& [provider, n] : keys_per_provider) {
    prometheus::Gauge*& g = r.key_gauges[provider];
    if (g == nullptr) g = &r.keys.Add({{"provider", provider}});
    g->Set(static_cast<double>(n));
  }
}

void Metrics::RecordConfigReload(bool ok, uint64_t generation) {
  Registered& r = *registered_;
  if (ok) {
    r.reloads_ok.Increment();
    r.generation.Set(static_cast<double>(generation));
    r.last_success.Set(UnixSeconds(clock_->Now()));
  } else {
    r.reloads_rejected.Increment();
  }
  r.last_reload_ok.Set(ok ? 1 : 0);
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

uint64_t Metrics::KeyVerifications(absl::string_view provider,
                                   absl::string_view kid) const {
  KeySeriesMap series = CollectKeySeries();
  auto it =
      series.find(std::make_pair(std::string(provider), std::string(kid)));
  return it == series.end() ? 0 : it->second.count;
}

std::vector<MetricFamily> Metrics::Collect() const {
  // Collectors run first (outside the lock; they may take their own locks):
  // they may update state collected below (SetKeyCounts), which must be
  // current on this scrape, not the next.
  std::vector<Collector> collectors;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, c] : collectors_) collectors.push_back(c);
  }
  std::vector<MetricFamily> out;
  for (const Collector& c : collectors) Append(&out, c());
  Append(&out, rpc_.Collect());
  CollectCacheAndKeys(&out);
  {
    absl::MutexLock lock(&mu_);
    CollectJwksLocked(&out);
  }
  Append(&out, registered_->registry.Collect());
  Append(&out, registered_->process.Collect());
  std::stable_sort(out.begin(), out.end(),
                   [](const MetricFamily& a, const MetricFamily& b) {
                     return a.name < b.name;
                   });
  return out;
}

std::string Metrics::RenderPrometheus() const {
  return prometheus::TextSerializer().Serialize(Collect());
}

void Metrics::CollectCacheAndKeys(std::vector<MetricFamily>* out) const {
  MetricFamily cache =
      Family("jwtauth_cache_lookups_total",
             "Verification cache lookups, by result.", MetricType::Counter);
  const CacheCounts counts = CacheLookups();  // one read: hit and miss agree
  AddSample(&cache, {{"result", "hit"}}, static_cast<double>(counts.hits));
  AddSample(&cache, {{"result", "miss"}}, static_cast<double>(counts.misses));
  out->push_back(std::move(cache));

  MetricFamily verifications =
      Family("jwtauth_key_verifications_total",
             "Tokens verified, by provider and key id.", MetricType::Counter);
  MetricFamily last_used =
      Family("jwtauth_key_last_used_timestamp_seconds",
             "Unix time a key last verified a token, by provider and key id.",
             MetricType::Gauge);
  for (const auto& [k, v] : CollectKeySeries()) {
    AddSample(&verifications, {{"provider", k.first}, {"kid", k.second}},
              static_cast<double>(v.count));
    if (v.last_used.has_value()) {
      AddSample(&last_used, {{"provider", k.first}, {"kid", k.second}},
                UnixSeconds(*v.last_used));
    }
  }
  out->push_back(std::move(verifications));
  out->push_back(std::move(last_used));
}

bool Metrics::HasJwksGaugesLocked(const std::string& url,
                                  const JwksUrl& j) const {
  // A URL outside the configured sources (set directly, without a source)
  // keeps its gauges; one of a source only while it is the source's URL, so
  // a removed source or a pre-discovery URL does not age into an alert.
  if (j.source_id.empty()) return true;
  auto it = jwks_sources_.find(j.source_id);
  return it != jwks_sources_.end() && it->second.url == url;
}

void Metrics::CollectJwksLocked(std::vector<MetricFamily>* out) const {
  MetricFamily fetches =
      Family("jwtauth_jwks_fetch_total", "JWKS URL fetches, by URL and result.",
             MetricType::Counter);
  MetricFamily age = Family(
      "jwtauth_jwks_last_success_age_seconds",
      "Seconds since the last successful fetch of a JWKS URL (+Inf: never).",
      MetricType::Gauge);
  MetricFamily timestamp =
      Family("jwtauth_jwks_last_success_timestamp_seconds",
             "Unix time of the last successful fetch of a JWKS URL (0: "
             "never).",
             MetricType::Gauge);
  MetricFamily max_stale = Family(
      "jwtauth_jwks_max_stale_seconds",
      "Configured max_stale of the JWKS source at this URL: its keys are "
      "dropped this long after the last success (+Inf: never dropped).",
      MetricType::Gauge);
  const absl::Time now = clock_->Now();
  for (const auto& [url, j] : jwks_) {
    for (const auto& [result, n] : j.results) {
      AddSample(&fetches, {{"url", url}, {"result", result}},
                static_cast<double>(n));
    }
    if (!HasJwksGaugesLocked(url, j)) continue;
    const bool never = j.last_success == absl::InfinitePast();
    AddSample(&age, {{"url", url}},
              never ? kInf : absl::ToDoubleSeconds(now - j.last_success));
    AddSample(&timestamp, {{"url", url}},
              never ? 0 : UnixSeconds(j.last_success));
    if (auto it = jwks_sources_.find(j.source_id); it != jwks_sources_.end()) {
      const absl::Duration d = it->second.max_stale;
      AddSample(
          &max_stale, {{"url", url}},
          d == absl::InfiniteDuration() ? kInf : absl::ToDoubleSeconds(d));
    }
  }
  out->push_back(std::move(fetches));
  out->push_back(std::move(age));
  out->push_back(std::move(timestamp));
  out->push_back(std::move(max_stale));
}

MetricFamily GaugeFamily(std::string name, std::string help, double value) {
  MetricFamily f = Family(std::move(name), std::move(help), MetricType::Gauge);
  AddSample(&f, {}, value);
  return f;
}

}  // namespace jwtauth::server
