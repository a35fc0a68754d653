#ifndef JWTAUTH_TESTS_BENCH_LOADGEN_LOAD_RUNNER_H_
#define JWTAUTH_TESTS_BENCH_LOADGEN_LOAD_RUNNER_H_

// LoadRunner: drives an RpcClient in one of two shapes and records latency.
//
//  - Closed loop (RunClosed): `inflight` calls outstanding; each completion
//    starts the next. Measures the maximum throughput; latency is from the
//    actual send.
//  - Open loop (RunOpen): calls scheduled at start + i / rate whatever the
//    server does; latency is measured from the *scheduled* time, so a
//    stalled server (or client) shows up in the percentiles instead of
//    silently lowering the offered load (no coordinated omission). At most
//    max_outstanding calls are in flight; beyond that the sender waits and
//    the wait counts in the latency of the calls it delays.
//
// Every run is bounded by a request count and a deadline. Latencies go into
// fixed-bucket histograms (all calls, and valid / invalid tokens apart);
// call slots are pooled, so the steady state allocates nothing here.
//
// Not thread-safe: one run at a time, from one thread. Not copyable.
//
//   LoadRunner runner(flags, &tokens);
//   if (runner.RunClosed(flags.warmup, absl::Seconds(30), false) > 0) ...;
//   runner.RunOpen(flags.requests, absl::Seconds(flags.seconds));
//   std::puts(runner.Report().c_str());

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "tests/bench/loadgen/latency_histogram.h"
#include "tests/bench/loadgen/load_flags.h"
#include "tests/bench/loadgen/rpc_client.h"
#include "tests/bench/loadgen/token_set.h"

namespace jwtauth::loadgen {

class LoadRunner final : public CompletionSink {
 public:
  // `tokens` (may be null for the health method) must outlive the runner.
  LoadRunner(const LoadFlags& flags, const TokenSet* tokens);
  ~LoadRunner() override;
  LoadRunner(const LoadRunner&) = delete;
  LoadRunner& operator=(const LoadRunner&) = delete;

  // Closed loop with flags.inflight outstanding. Returns the error count of
  // this run; `record` = false leaves the histograms untouched (warmup).
  int64_t RunClosed(int64_t total, absl::Duration limit, bool record);
  // Open loop at flags.rate. Returns the error count of this run.
  int64_t RunOpen(int64_t total, absl::Duration limit);

  // The one-line, machine-readable result of the last recorded run.
  std::string Report() const;

 private:
  enum class Loop { kClosed, kOpen };

  void Begin(Loop loop, bool record, int64_t total, absl::Duration limit);
  // Drops the starter's guard and waits for every call to finish.
  void WaitForCalls();
  size_t NextToken();
  void Issue(CallSlot& slot, absl::Time scheduled);
  // Open loop: a free slot (growing the pool up to max_outstanding), or
  // null once `deadline` passes.
  CallSlot* AcquireSlot(absl::Time deadline) ABSL_LOCKS_EXCLUDED(mu_);
  CallSlot* NewSlot();
  void EndCall(CallSlot& slot);
  void OnComplete(CallSlot& slot, bool as_expected) override;
  std::string ClassReport(const char* prefix, const LatencyHistogram& h) const;

  const LoadFlags flags_;
  const TokenSet* const tokens_;  // not owned; null for health
  RpcClient client_;

  Loop loop_ = Loop::kClosed;
  bool record_ = false;
  int64_t total_ = 0;
  absl::Time deadline_;
  absl::Time start_, end_;
  std::atomic<int64_t> started_{0}, finished_{0}, errors_{0};
  std::atomic<int64_t> outstanding_{0};
  std::atomic<uint64_t> next_token_{0};
  std::unique_ptr<absl::Notification> done_;

  absl::Mutex mu_;
  std::vector<std::unique_ptr<CallSlot>> slots_;  // the pool, stable addresses
  std::vector<CallSlot*> free_ ABSL_GUARDED_BY(mu_);

  LatencyHistogram all_;
  LatencyHistogram valid_;
  LatencyHistogram invalid_;
};

}  // namespace jwtauth::loadgen

#endif  // JWTAUTH_TESTS_BENCH_LOADGEN_LOAD_RUNNER_H_
