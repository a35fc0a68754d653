#ifndef JWTAUTH_SERVER_RPC_METRICS_H_
#define JWTAUTH_SERVER_RPC_METRICS_H_

// RpcMetrics: the request-path families jwtauth_rpc_total (counter) and
// jwtauth_rpc_latency_seconds (histogram), recorded without a lock and
// exposed to prometheus-cpp as a Collectable (serialized by
// prometheus::TextSerializer with the rest of the registry).
//
// Why not prometheus::Histogram / Family::Add: prometheus-cpp 1.0 takes a
// std::mutex in Histogram::Observe, and Family::Add hashes the label map
// under a lock. Here each (method[, route]) is resolved once into an
// RpcSeries holding one slot per known result ("OK", every FailureReason
// name, every gRPC status code name); a call is an index computation and
// three relaxed atomic adds. Results outside that vocabulary go to a small
// mutex-guarded map (never on the request path in practice).
//
// Labels: {method, result} for every method. Check series carry a third
// label, route: the ext_authz route that decided (a configured route name,
// kDefaultRoute for the top-level defaults, kNoRoute when no route was
// selected). Route values are never request-derived; at most kMaxRoutes
// per method, further ones fold into kOtherRoute. Other methods have no
// route label. Only observed (method, result[, route]) combinations are
// exposed; rpc_total equals the histogram's _count on every scrape.
//
// Thread-safety: everything is thread-safe; Series() locks (call it once
// and keep the pointer), RpcSeries::Record* never does for known results.
// Series live as long as the RpcMetrics. Not copyable or movable.
//
//   RpcSeries* verify = rpc.Series("Verify");       // once
//   verify->Record(FailureReason::kExpired, latency);  // per call

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/failure.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace jwtauth::server {

// The series of one method (and, for Check, one route): a counter and a
// latency histogram per result.
class RpcSeries final {
 public:
  // Latency histogram upper bounds, in seconds (+Inf implied).
  static constexpr std::array<double, 14> kLatencyBuckets = {
      0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
      0.01,    0.025,  0.05,    0.1,    0.25,  0.5,    1.0};

  RpcSeries(std::string method, std::optional<std::string> route);
  ~RpcSeries();
  RpcSeries(const RpcSeries&) = delete;
  RpcSeries& operator=(const RpcSeries&) = delete;

  // result: "OK", a FailureReason name or a gRPC code name (lock-free);
  // anything else is counted under its own label value (locks).
  void Record(absl::string_view result, absl::Duration latency);
  // kUnspecified → "OK", else the reason's name. Lock-free.
  void Record(FailureReason reason, absl::Duration latency);

  uint64_t Count(absl::string_view result) const;
  const std::string& method() const { return method_; }
  const std::optional<std::string>& route() const { return route_; }

  // Appends this series' observed samples to the two families.
  void CollectInto(prometheus::MetricFamily* total,
                   prometheus::MetricFamily* latency) const;

 private:
  struct Slot {
    std::atomic<uint64_t> sum_ns{0};
    // Non-cumulative per-bucket counts; the last one is +Inf.
    std::array<std::atomic<uint64_t>, kLatencyBuckets.size() + 1> buckets{};
  };
  static void Observe(Slot& slot, absl::Duration latency);
  void CollectSlot(const Slot& slot, absl::string_view result,
                   prometheus::MetricFamily* total,
                   prometheus::MetricFamily* latency) const;

  const std::string method_;
  const std::optional<std::string> route_;
  std::unique_ptr<Slot[]> fixed_;  // one per known result
  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<Slot>> other_ ABSL_GUARDED_BY(mu_);
};

class RpcMetrics final : public prometheus::Collectable {
 public:
  static constexpr absl::string_view kNoRoute = "_none";
  static constexpr absl::string_view kDefaultRoute = "_default";
  static constexpr absl::string_view kOtherRoute = "_other";
  static constexpr size_t kMaxRoutes = 1000;

  RpcMetrics();
  ~RpcMetrics() override;
  RpcMetrics(const RpcMetrics&) = delete;
  RpcMetrics& operator=(const RpcMetrics&) = delete;

  // The series of `method` without a route label. Never null; stable.
  RpcSeries* Series(absl::string_view method) ABSL_LOCKS_EXCLUDED(mu_);
  // The series of `method` for `route` (route label set). Never null.
  RpcSeries* Series(absl::string_view method, absl::string_view route)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Sum over every series of `method` (any route).
  uint64_t Count(absl::string_view method, absl::string_view result) const
      ABSL_LOCKS_EXCLUDED(mu_);
  // The series of exactly (method, route); 0 when it does not exist.
  uint64_t Count(absl::string_view method, absl::string_view result,
                 absl::string_view route) const ABSL_LOCKS_EXCLUDED(mu_);

  // jwtauth_rpc_total and jwtauth_rpc_latency_seconds.
  std::vector<prometheus::MetricFamily> Collect() const override
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  std::vector<const RpcSeries*> AllSeries() const ABSL_LOCKS_EXCLUDED(mu_);

  mutable absl::Mutex mu_;
  // Keyed by (method, route or nullopt); creation order kept for output.
  std::map<std::pair<std::string, std::optional<std::string>>, RpcSeries*>
      index_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<RpcSeries>> series_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, size_t> routes_per_method_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_RPC_METRICS_H_
