#ifndef JWTAUTH_SERVER_METRICS_H_
#define JWTAUTH_SERVER_METRICS_H_

// Metrics: the process's Prometheus registry, rendered in text exposition
// format 0.0.4. Every name is prefixed `jwtauth_`; failure reasons are label
// values spelled as the proto enum names (reason="SIGNATURE_INVALID"), and
// "OK" for success.
//
// Families:
//   jwtauth_build_info{version,compiler}                     gauge 1
//   jwtauth_rpc_total{method,result}                          counter
//   jwtauth_rpc_latency_seconds{method,result}                histogram
//   jwtauth_cache_lookups_total{result="hit"|"miss"}          counter
//     (the sum of every AddCacheSource() source)
//   jwtauth_key_verifications_total{provider,kid}             counter
//   jwtauth_key_last_used_timestamp_seconds{provider,kid}     gauge
//   jwtauth_keys{provider}                                    gauge
//   jwtauth_jwks_fetch_total{url,result}                      counter
//   jwtauth_jwks_last_success_age_seconds{url}                gauge
//     (url = RedactUrl(url): no userinfo, query or fragment; metrics are
//     unauthenticated and kept by scrapers, server/source_redaction.h)
//   jwtauth_config_reloads_total{result="ok"|"rejected"}      counter
//   jwtauth_config_generation                                 gauge
//   ...plus whatever registered collectors append.
//
// Thread-safety and cost: every method is thread-safe. RecordRpc is on every
// request: for the known methods ("Verify", "IssueToken", "ListKeys",
// "Check") and results (OK, every FailureReason name, every gRPC code name)
// it is a table lookup plus three relaxed atomic increments, no lock, no
// allocation. Unknown label values fall back to a short mutex-guarded map.
// Per-key usage is not recorded here at all: core counts every
// verification on the key itself (KeyUsageCounters, also behind ListKeys),
// and the key-usage source reads those counters at render time (at most
// kMaxKeySeries series, extras folded into kid="_other").
// Not copyable or movable.
//
//   metrics.RecordRpc("Verify", "SIGNATURE_INVALID", absl::Microseconds(40));
//   std::string text = metrics.RenderPrometheus();

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "core/failure.h"

namespace jwtauth::server {

struct BuildInfo {
  std::string version;   // e.g. "0.1.0"
  std::string compiler;  // e.g. "gcc-12.2"
};

class Metrics final {
 public:
  // Latency histogram upper bounds, in seconds (+Inf implied).
  static constexpr std::array<double, 14> kLatencyBuckets = {
      0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
      0.01,    0.025,  0.05,    0.1,    0.25,  0.5,    1.0};
  static constexpr size_t kMaxKeySeries = 10000;

  // `clock` must outlive this object (used for last-used times and ages).
  explicit Metrics(BuildInfo build_info = {},
                   const Clock* clock = &RealClock::Get());
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // method: "Verify", "IssueToken", "ListKeys", "Check".
  // result: "OK" or a FailureReason name, or a gRPC code name for RPC errors.
  void RecordRpc(absl::string_view method, absl::string_view result,
                 absl::Duration latency);
  // Convenience: result = "OK" for kUnspecified, else the reason name.
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

  // JWKS fetch outcomes, fed by the refresher wiring. `result` is "ok" or a
  // short error class ("http_error", "timeout", "parse_error", ...).
  void RecordJwksFetch(absl::string_view url, absl::string_view result);
  void SetJwksLastSuccess(absl::string_view url, absl::Time when);
  // Replaces the keys-per-provider gauge (on each KeySet publish).
  void SetKeyCounts(std::map<std::string, int64_t> keys_per_provider);
  void RecordConfigReload(bool ok, uint64_t generation);

  // A collector appends complete metric families (HELP/TYPE + samples) at
  // render time; used for gauges pulled from the KeyStore or refresher.
  using Collector = std::function<void(std::string* out)>;
  // Returns an id for RemoveCollector.
  int AddCollector(Collector collector);
  void RemoveCollector(int id);

  std::string RenderPrometheus() const;

  // Reads for tests and /readyz.
  uint64_t RpcCount(absl::string_view method, absl::string_view result) const;
  // Totals as rendered: the sum of every cache source.
  CacheCounts CacheLookups() const;
  uint64_t CacheHits() const { return CacheLookups().hits; }
  uint64_t CacheMisses() const { return CacheLookups().misses; }
  uint64_t KeyVerifications(absl::string_view provider,
                            absl::string_view kid) const;

 private:
  struct Series;  // one (method, result) counter + histogram
  struct KeySeries {
    uint64_t count = 0;
    std::optional<absl::Time> last_used;
  };
  using KeySeriesMap = std::map<std::pair<std::string, std::string>, KeySeries>;
  KeySeriesMap CollectKeySeries() const ABSL_LOCKS_EXCLUDED(mu_);
  struct JwksSeries {
    std::map<std::string, uint64_t> results;
    absl::Time last_success = absl::InfinitePast();
  };

  static void Record(Series* s, absl::Duration latency);
  // The preallocated series of a known (method, result) pair, else nullptr
  // (lock-free: the table is built in the constructor and never changes).
  Series* FixedSeries(absl::string_view method, absl::string_view result) const;
  Series* FindSeries(absl::string_view method, absl::string_view result) const;
  Series* FindOrCreateSeries(absl::string_view method,
                             absl::string_view result);

  // RenderPrometheus sections, in output order.
  void RenderRpcSeries(std::string* out) const ABSL_LOCKS_EXCLUDED(dyn_mu_);
  void RenderKeySeries(const KeySeriesMap& series, std::string* out) const;
  void RenderKeysAndJwksLocked(std::string* out) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RenderConfigLocked(std::string* out) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const BuildInfo build_info_;
  const Clock* const clock_;  // not owned

  // Fixed table for known (method, result) pairs; index = m * R + r.
  std::vector<std::unique_ptr<Series>> fixed_;
  // Dynamic series for unknown labels, keyed "method\0result".
  mutable absl::Mutex dyn_mu_;
  std::map<std::string, std::unique_ptr<Series>> dynamic_
      ABSL_GUARDED_BY(dyn_mu_);

  mutable absl::Mutex mu_;
  std::map<std::string, JwksSeries> jwks_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int64_t> key_counts_ ABSL_GUARDED_BY(mu_);
  std::map<int, Collector> collectors_ ABSL_GUARDED_BY(mu_);
  std::map<int, CacheSource> cache_sources_ ABSL_GUARDED_BY(mu_);
  KeyUsageSource key_usage_source_ ABSL_GUARDED_BY(mu_);
  int next_collector_id_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t reloads_ok_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t reloads_rejected_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
};

// Escapes a Prometheus label value (backslash, quote, newline).
std::string PromLabelEscape(absl::string_view s);

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_METRICS_H_
