#include "server/rpc_metrics.h"

#include <limits>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"

namespace jwtauth::server {
namespace {

// Canonical status codes 1..16 (gRPC and absl share numbers and names).
constexpr int kMaxCanonicalCode = 16;

// The fixed result vocabulary: "OK", every FailureReason name (including
// FAILURE_REASON_UNSPECIFIED) at 1 + reason, every non-OK gRPC code name.
const std::vector<std::string>& KnownResults() {
  static const auto* const results = [] {
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

// Index into KnownResults(), or -1. The table never changes: no lock.
int ResultIndex(absl::string_view result) {
  static const auto* const index = [] {
    auto* m = new absl::flat_hash_map<absl::string_view, int>();
    const auto& r = KnownResults();
    for (size_t i = 0; i < r.size(); ++i) m->emplace(r[i], static_cast<int>(i));
    return m;
  }();
  auto it = index->find(result);
  return it == index->end() ? -1 : it->second;
}

int ResultIndex(FailureReason reason) {
  const int r = static_cast<int>(reason);
  if (reason == FailureReason::kUnspecified) return 0;
  return r > 0 && r <= kMaxFailureReason ? 1 + r : -1;
}

template <typename Buckets>
uint64_t SlotCount(const Buckets& buckets) {
  uint64_t n = 0;
  for (const auto& b : buckets) n += b.load(std::memory_order_relaxed);
  return n;
}

prometheus::ClientMetric::Label Label(std::string name, std::string value) {
  return {std::move(name), std::move(value)};
}

}  // namespace

RpcSeries::RpcSeries(std::string method, std::optional<std::string> route)
    : method_(std::move(method)),
      route_(std::move(route)),
      fixed_(std::make_unique<Slot[]>(KnownResults().size())) {}

RpcSeries::~RpcSeries() = default;

void RpcSeries::Observe(Slot& slot, absl::Duration latency) {
  const double secs = absl::ToDoubleSeconds(latency);
  size_t b = 0;
  while (b < kLatencyBuckets.size() && secs > kLatencyBuckets[b]) ++b;
  slot.buckets[b].fetch_add(1, std::memory_order_relaxed);
  const int64_t ns = absl::ToInt64Nanoseconds(latency);
  slot.sum_ns.fetch_add(ns > 0 ? static_cast<uint64_t>(ns) : 0,
                        std::memory_order_relaxed);
}

void RpcSeries::Record(FailureReason reason, absl::Duration latency) {
  const int i = ResultIndex(reason);
  if (i < 0) {
    Record(FailureReasonName(reason), latency);
    return;
  }
  Observe(fixed_[i], latency);
}

void RpcSeries::Record(absl::string_view result, absl::Duration latency) {
  const int i = ResultIndex(result);
  if (i >= 0) {
    Observe(fixed_[i], latency);
    return;
  }
  absl::MutexLock lock(&mu_);
  std::unique_ptr<Slot>& slot = other_[std::string(result)];
  if (slot == nullptr) slot = std::make_unique<Slot>();
  Observe(*slot, latency);
}

uint64_t RpcSeries::Count(absl::string_view result) const {
  const int i = ResultIndex(result);
  if (i >= 0) return SlotCount(fixed_[i].buckets);
  absl::MutexLock lock(&mu_);
  auto it = other_.find(std::string(result));
  return it == other_.end() ? 0 : SlotCount(it->second->buckets);
}

void RpcSeries::CollectSlot(const Slot& slot, absl::string_view result,
                            prometheus::MetricFamily* total,
                            prometheus::MetricFamily* latency) const {
  // Each bucket is read once: _count, rpc_total and the +Inf bucket agree.
  prometheus::ClientMetric::Histogram h;
  uint64_t cumulative = 0;
  for (size_t b = 0; b < slot.buckets.size(); ++b) {
    cumulative += slot.buckets[b].load(std::memory_order_relaxed);
    h.bucket.push_back(
        {cumulative, b < kLatencyBuckets.size()
                         ? kLatencyBuckets[b]
                         : std::numeric_limits<double>::infinity()});
  }
  if (cumulative == 0) return;  // only observed combinations are exposed
  h.sample_count = cumulative;
  h.sample_sum =
      static_cast<double>(slot.sum_ns.load(std::memory_order_relaxed)) / 1e9;
  prometheus::ClientMetric m;
  m.label = {Label("method", method_), Label("result", std::string(result))};
  if (route_.has_value()) m.label.push_back(Label("route", *route_));
  m.counter.value = static_cast<double>(cumulative);
  total->metric.push_back(m);
  m.histogram = std::move(h);
  latency->metric.push_back(std::move(m));
}

void RpcSeries::CollectInto(prometheus::MetricFamily* total,
                            prometheus::MetricFamily* latency) const {
  const auto& results = KnownResults();
  for (size_t i = 0; i < results.size(); ++i) {
    CollectSlot(fixed_[i], results[i], total, latency);
  }
  absl::MutexLock lock(&mu_);
  for (const auto& [result, slot] : other_) {
    CollectSlot(*slot, result, total, latency);
  }
}

RpcMetrics::RpcMetrics() = default;
RpcMetrics::~RpcMetrics() = default;

RpcSeries* RpcMetrics::Series(absl::string_view method) {
  absl::MutexLock lock(&mu_);
  auto key = std::make_pair(std::string(method), std::optional<std::string>());
  RpcSeries*& s = index_[key];
  if (s == nullptr) {
    series_.push_back(std::make_unique<RpcSeries>(key.first, std::nullopt));
    s = series_.back().get();
  }
  return s;
}

RpcSeries* RpcMetrics::Series(absl::string_view method,
                              absl::string_view route) {
  absl::MutexLock lock(&mu_);
  auto key =
      std::make_pair(std::string(method), std::optional<std::string>(route));
  if (auto it = index_.find(key); it != index_.end()) return it->second;
  size_t& routes = routes_per_method_[key.first];
  if (routes >= kMaxRoutes) {
    key.second = std::string(kOtherRoute);
    if (auto it = index_.find(key); it != index_.end()) return it->second;
  }
  ++routes;
  series_.push_back(std::make_unique<RpcSeries>(key.first, key.second));
  index_.emplace(std::move(key), series_.back().get());
  return series_.back().get();
}

std::vector<const RpcSeries*> RpcMetrics::AllSeries() const {
  absl::MutexLock lock(&mu_);
  std::vector<const RpcSeries*> out;
  out.reserve(series_.size());
  for (const auto& s : series_) out.push_back(s.get());
  return out;
}

uint64_t RpcMetrics::Count(absl::string_view method,
                           absl::string_view result) const {
  uint64_t n = 0;
  for (const RpcSeries* s : AllSeries()) {
    if (s->method() == method) n += s->Count(result);
  }
  return n;
}

uint64_t RpcMetrics::Count(absl::string_view method, absl::string_view result,
                           absl::string_view route) const {
  for (const RpcSeries* s : AllSeries()) {
    if (s->method() == method && s->route() == route) return s->Count(result);
  }
  return 0;
}

std::vector<prometheus::MetricFamily> RpcMetrics::Collect() const {
  std::vector<prometheus::MetricFamily> out(2);
  prometheus::MetricFamily& total = out[0];
  total.name = "jwtauth_rpc_total";
  total.help =
      "RPCs handled, by method and result (OK, a FailureReason name, or a "
      "gRPC status code name); Check also by ext_authz route.";
  total.type = prometheus::MetricType::Counter;
  prometheus::MetricFamily& latency = out[1];
  latency.name = "jwtauth_rpc_latency_seconds";
  latency.help =
      "RPC handling latency in seconds, by method and result; Check also by "
      "ext_authz route.";
  latency.type = prometheus::MetricType::Histogram;
  for (const RpcSeries* s : AllSeries()) s->CollectInto(&total, &latency);
  return out;
}

}  // namespace jwtauth::server
