#ifndef JWTAUTH_SERVER_METRICS_H_
#define JWTAUTH_SERVER_METRICS_H_

// Metrics: the process's Prometheus metrics on prometheus-cpp: a
// prometheus::Registry for the event-driven counters and gauges, plus
// Collectables read at scrape time, all rendered by
// prometheus::TextSerializer (text exposition format 0.0.4). Failure
// reasons are label values spelled as the proto enum names
// (result="SIGNATURE_INVALID"), and "OK" for success.
//
// Families (names and labels are what dashboards and alerts use):
//   jwtauth_build_info{compiler,version}                      gauge 1
//   jwtauth_rpc_total{method,result[,route]}                  counter
//   jwtauth_rpc_latency_seconds{method,result[,route]}        histogram
//     (route only on method="Check": server/rpc_metrics.h)
//   jwtauth_cache_lookups_total{result="hit"|"miss"}          counter
//     (the sum of every AddCacheSource() source)
//   jwtauth_key_verifications_total{provider,kid}             counter
//   jwtauth_key_last_used_timestamp_seconds{provider,kid}     gauge
//   jwtauth_keys{provider}                                    gauge
//   jwtauth_jwks_fetch_total{url,result}                      counter
//   jwtauth_jwks_last_success_age_seconds{url}                gauge (+Inf:
//                                                             never)
//   jwtauth_jwks_last_success_timestamp_seconds{url}          gauge (0: never)
//   jwtauth_jwks_max_stale_seconds{url}                       gauge (+Inf:
//                                                             no max_stale)
//     (url = RedactUrl(url): no userinfo, query or fragment; metrics are
//     unauthenticated and kept by scrapers, server/source_redaction.h. The
//     three gauges exist for the current URL of each configured source.)
//   jwtauth_config_reloads_total{result="ok"|"rejected"}      counter
//   jwtauth_config_generation                                 gauge
//   jwtauth_config_last_reload_successful                     gauge 1/0
//   jwtauth_config_last_reload_success_timestamp_seconds      gauge
//     (the startup load counts as a reload)
//   process_cpu_seconds_total, process_resident_memory_bytes,
//   process_virtual_memory_bytes, process_open_fds, process_max_fds,
//   process_start_time_seconds (server/process_metrics.h)
//   ...plus whatever registered collectors return.
//
// Thread-safety and cost: every method is thread-safe. The request path
// resolves its series once (Rpc()) and records lock-free
// (RpcSeries::Record). Per-key usage is not recorded here at all: core
// counts every verification on the key itself (KeyUsageCounters, also
// behind ListKeys), and the key-usage source reads those counters at render
// time (at most kMaxKeySeries series, extras folded into kid="_other").
// Not copyable or movable.
//
//   RpcSeries* verify = metrics.Rpc("Verify");                // once
//   verify->Record(FailureReason::kSignatureInvalid, latency);  // per call
//   std::string text = metrics.RenderPrometheus();

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "core/failure.h"
#include "prometheus/metric_family.h"
#include "server/rpc_metrics.h"

namespace jwtauth::server {

struct BuildInfo {
  std::string version;   // e.g. "0.1.0"
  std::string compiler;  // e.g. "gcc-12.2"
};

class Metrics final {
 public:
  // Latency histogram upper bounds, in seconds (+Inf implied).
  static constexpr auto kLatencyBuckets = RpcSeries::kLatencyBuckets;
  static constexpr size_t kMaxKeySeries = 10000;

  // `clock` must outlive this object (used for last-used times, ages and
  // the reload timestamp).
  explicit Metrics(const BuildInfo& build_info = {},
                   const Clock* clock = &RealClock::Get());
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // The request path: resolve once (locks), keep the pointer (valid as long
  // as this object), record lock-free. method: "Verify", "IssueToken",
  // "ListKeys", "Check". Check series carry a route label: RouteLabel().
  RpcSeries* Rpc(absl::string_view method) { return rpc_.Series(method); }
  RpcSeries* Rpc(absl::string_view method, absl::string_view route) {
    return rpc_.Series(method, route);
  }
  // The route label of an ext_authz route name ("" = the top-level
  // defaults → RpcMetrics::kDefaultRoute).
  static absl::string_view RouteLabel(absl::string_view route_name) {
    return route_name.empty() ? RpcMetrics::kDefaultRoute : route_name;
  }

  // Convenience for rare paths and tests (resolves the series each call).
  // result: "OK" or a FailureReason name, or a gRPC code name.
  void RecordRpc(absl::string_view method, absl::string_view result,
                 absl::Duration latency);
  // result = "OK" for kUnspecified, else the reason name.
  void RecordRpc(absl::string_view method, FailureReason reason,
                 absl::Duration latency);

  // Cumulative verification-cache lookups counted elsewhere: the
  // VerificationCache lives inside core's TokenVerifier, so the wiring
  // (server/application.cc) registers a source that reads its stats(). Sources
  // are called at render time (and by CacheHits()/CacheMisses()), outside
  // Metrics' locks; they must be thread-safe and never decrease. The
  // rendered counts are their sums.
  struct CacheCounts {
    uint64_t hits = 0;
    uint64_t misses = 0;
  };
  using CacheSource = std::function<CacheCounts()>;
  // Returns an id for RemoveCacheSource.
  int AddCacheSource(CacheSource source);
  void RemoveCacheSource(int id);
  // Usage of every current key, read at render time (and by
  // KeyVerifications()), outside Metrics' locks; the source must be
  // thread-safe. Samples sharing a (provider, kid) are summed (last_used:
  // the latest). A key removed from the store drops its series.
  struct KeyUsageSample {
    std::string provider;
    std::string kid;
    uint64_t verifications = 0;
    std::optional<absl::Time> last_used;
  };
  using KeyUsageSource = std::function<std::vector<KeyUsageSample>()>;
  void SetKeyUsageSource(KeyUsageSource source);

  // The configured JWKS sources (replaces the previous set, on each config
  // load). `url` is where the source starts (its JWKS or discovery URL);
  // events move a source to the URL they report.
  struct JwksSourceInfo {
    std::string source_id;  // core/jwks_source.h JwksSourceId()
    std::string url;
    absl::Duration max_stale = absl::InfiniteDuration();
  };
  void SetJwksSources(const std::vector<JwksSourceInfo>& sources);
  // JWKS fetch outcomes, fed by the refresher wiring. `result` is "ok" or a
  // short error class ("error", "not_modified", ...). `source_id` ties the
  // URL to a configured source ("" = none).
  void RecordJwksFetch(absl::string_view url, absl::string_view result,
                       absl::string_view source_id = "");
  void SetJwksLastSuccess(absl::string_view url, absl::Time when);
  // Replaces the keys-per-provider gauge (on each KeySet publish).
  void SetKeyCounts(const std::map<std::string, int64_t>& keys_per_provider);
  // One config load: startup or reload. `generation` is the serving one
  // after a success (ignored after a rejection).
  void RecordConfigReload(bool ok, uint64_t generation);

  // A collector returns complete metric families at render time; used for
  // gauges pulled from the KeyStore or refresher. Collectors run before the
  // rest is collected (outside Metrics' locks), so state they set here
  // (SetKeyCounts) shows on the same scrape.
  using Collector = std::function<std::vector<prometheus::MetricFamily>()>;
  // Returns an id for RemoveCollector.
  int AddCollector(Collector collector);
  void RemoveCollector(int id);

  // Every family, sorted by name.
  std::vector<prometheus::MetricFamily> Collect() const;
  std::string RenderPrometheus() const;

  // Reads for tests and /readyz. RpcCount sums every route.
  uint64_t RpcCount(absl::string_view method, absl::string_view result) const {
    return rpc_.Count(method, result);
  }
  uint64_t RpcCount(absl::string_view method, absl::string_view result,
                    absl::string_view route) const {
    return rpc_.Count(method, result, route);
  }
  // Totals as rendered: the sum of every cache source.
  CacheCounts CacheLookups() const;
  uint64_t CacheHits() const { return CacheLookups().hits; }
  uint64_t CacheMisses() const { return CacheLookups().misses; }
  uint64_t KeyVerifications(absl::string_view provider,
                            absl::string_view kid) const;

 private:
  struct Registered;  // the prometheus::Registry and its families
  struct KeySeries {
    uint64_t count = 0;
    std::optional<absl::Time> last_used;
  };
  using KeySeriesMap = std::map<std::pair<std::string, std::string>, KeySeries>;
  struct JwksUrl {
    std::map<std::string, uint64_t> results;
    absl::Time last_success = absl::InfinitePast();
    std::string source_id;  // "" = not tied to a configured source
  };
  struct JwksSource {
    std::string url;  // the current URL (redacted)
    absl::Duration max_stale;
  };

  KeySeriesMap CollectKeySeries() const ABSL_LOCKS_EXCLUDED(mu_);
  // Scrape-time families, in output order.
  void CollectCacheAndKeys(std::vector<prometheus::MetricFamily>* out) const
      ABSL_LOCKS_EXCLUDED(mu_);
  void CollectJwksLocked(std::vector<prometheus::MetricFamily>* out) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool HasJwksGaugesLocked(const std::string& url, const JwksUrl& j) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Clock* const clock_;  // not owned
  RpcMetrics rpc_;
  std::unique_ptr<Registered> registered_;

  mutable absl::Mutex mu_;
  std::map<std::string, JwksUrl> jwks_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, JwksSource> jwks_sources_ ABSL_GUARDED_BY(mu_);
  std::map<int, Collector> collectors_ ABSL_GUARDED_BY(mu_);
  std::map<int, CacheSource> cache_sources_ ABSL_GUARDED_BY(mu_);
  KeyUsageSource key_usage_source_ ABSL_GUARDED_BY(mu_);
  int next_collector_id_ ABSL_GUARDED_BY(mu_) = 1;
};

// A family of one unlabelled gauge sample (for collectors).
prometheus::MetricFamily GaugeFamily(std::string name, std::string help,
                                     double value);

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_METRICS_H_
