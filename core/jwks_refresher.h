#ifndef JWTAUTH_CORE_JWKS_REFRESHER_H_
#define JWTAUTH_CORE_JWKS_REFRESHER_H_

// JwksRefresher: keeps the keys of every configured JWKS URL current in a
// KeyStore, in the background, never on the request path.
//
// Per source (one JWKS URL, or one OpenID discovery document that names
// one) it fetches at start-up, then again when the response's cache headers
// say (clamped to the source's [min, max], ± jitter). Failures retry with
// exponential backoff plus jitter, capped at the normal interval.
// Stale-while-error: a failed fetch, a non-200, an unparsable body or a body
// with zero usable keys never replaces the last good set; its age is
// tracked, and with `max_stale` the source's keys are dropped once the last
// good set is older than that. A 304 (conditional GET with ETag /
// Last-Modified) confirms the set and reschedules.
//
// As UnknownKidObserver it reacts to a token naming a kid that a provider
// does not have: an early refetch of that provider's sources, asynchronous,
// single-flight and at most once per `unknown_kid_min_interval` per source
// (a request inside the window defers the refetch to the window's end);
// kids still unknown after such a refetch are negatively cached for
// `negative_cache_ttl` and trigger nothing.
//
// Ownership: owns one background thread (started by Start(), stopped and
// joined by Stop() or the destructor, which interrupt waits and in-flight
// fetches promptly). Borrows the KeyStore, JwksFetcher and Clock, which must
// outlive it. Thread-safe; not copyable or movable. The event callback runs
// on the fetching thread without internal locks held; it must not call
// Stop().
//
//   auto r = JwksRefresher::Create(options, {source}, &store, &fetcher,
//   &clock);
//   (*r)->Start();
//   (*r)->WaitForInitialLoad(absl::Seconds(10));  // readiness
//   auto verifier = TokenVerifier::Create({.providers = {provider},
//                                          .key_store = &store,
//                                          .clock = &clock,
//                                          .unknown_kid_observer = r->get()});

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/cache_control.h"
#include "core/clock.h"
#include "core/crypto/key_material.h"
#include "core/jwks_fetcher.h"
#include "core/jwks_source.h"
#include "core/key_store.h"
#include "core/unknown_kid_limiter.h"

namespace jwtauth {

struct JwksEvent {
  enum class Type {
    kLoaded,       // 200 with usable keys: a new set was published
    kNotModified,  // 304: last good set confirmed
    kFetchFailed,  // last good set (if any) kept
    kKeysDropped,  // max_stale exceeded: keys removed from the store
  };
  Type type{};
  std::string provider{};
  std::string source_id{};
  std::string url{};      // the JWKS URL fetched (no credentials: refused)
  absl::Status status{};  // kFetchFailed: short reason, no secrets
  size_t keys = 0;        // keys now held for the source
  size_t skipped = 0;     // JWKS entries skipped at import
  // Why, one line each ("key 2 (kid \"a\"): RSA modulus too small"); for
  // logs, not for unauthenticated endpoints (kids come from the document).
  std::vector<std::string> skipped_reasons{};
  bool early = false;  // fetch triggered by an unknown kid
  absl::Time next_refresh = absl::InfinitePast();
};
absl::string_view JwksEventTypeName(JwksEvent::Type type);

struct JwksSourceStats {
  std::string provider{};
  std::string source_id{};
  std::string url{};      // current JWKS URL (after discovery), may be empty
  uint64_t fetch_ok = 0;  // 200 with usable keys
  uint64_t fetch_not_modified = 0;  // 304
  uint64_t fetch_failed = 0;
  uint64_t early_refetches = 0;  // fetches triggered by unknown kids
  uint64_t unknown_kid_requests = 0;
  uint64_t unknown_kid_suppressed = 0;  // negative-cache hits
  // When an unknown-kid refetch is pending, when it will run; else infinite.
  absl::Time early_refetch_due = absl::InfiniteFuture();
  size_t keys_loaded = 0;
  bool loaded = false;     // has a good set now
  bool attempted = false;  // first attempt finished
  int consecutive_failures = 0;
  absl::Time last_success = absl::InfinitePast();
  absl::Time last_attempt = absl::InfinitePast();
  absl::Time next_refresh = absl::InfinitePast();
  absl::Duration age = absl::InfiniteDuration();  // now − last_success
  std::string last_error{};  // short phrase, empty after a success
};

struct JwksRefresherOptions {
  absl::Duration unknown_kid_min_interval = absl::Seconds(30);
  absl::Duration negative_cache_ttl = absl::Minutes(5);
  size_t negative_cache_max_entries = 10000;
  double jitter_fraction = 0.1;
  absl::Duration initial_backoff = absl::Seconds(1);
  // Uniform random numbers in [0, 1) for jitter; default: absl::BitGen.
  std::function<double()> random{};
  std::function<void(const JwksEvent&)> on_event{};
};

class JwksRefresher final : public UnknownKidObserver {
 public:
  // Validates every source (InvalidArgument, nothing is fetched) and marks
  // each one pending in `store`. Does not start the thread.
  static absl::StatusOr<std::unique_ptr<JwksRefresher>> Create(
      JwksRefresherOptions options, std::vector<JwksSourceConfig> sources,
      KeyStore* store, JwksFetcher* fetcher, const Clock* clock);

  JwksRefresher(const JwksRefresher&) = delete;
  JwksRefresher& operator=(const JwksRefresher&) = delete;
  ~JwksRefresher() override;  // Stop()

  // Starts the background thread; every source is fetched at once. Idempotent.
  void Start() ABSL_LOCKS_EXCLUDED(mu_);
  // Interrupts waits and in-flight fetches, joins. Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  // True once every source has finished its first attempt (success or not)
  // — or `timeout` passed. Returns IsReady() at that point.
  bool WaitForInitialLoad(absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_);
  // Every source holds a good key set.
  bool IsReady() const ABSL_LOCKS_EXCLUDED(mu_);

  // Synchronously fetches every source now, in the caller's thread (tests,
  // CLI). Serialised with the background thread's fetches.
  void RefreshOnce() ABSL_LOCKS_EXCLUDED(mu_, fetch_mu_);
  // Wakes the thread to re-read the clock (after a fake clock moved).
  void Wake() ABSL_LOCKS_EXCLUDED(mu_);

  // UnknownKidObserver: cheap, never blocks on a fetch.
  void OnUnknownKid(absl::string_view provider, absl::string_view kid) override
      ABSL_LOCKS_EXCLUDED(mu_);
  // OnUnknownKid, then waits up to `max_wait` for a fetch of one of the
  // provider's sources to finish. True if one did (the caller may retry).
  bool OnUnknownKidAndWait(absl::string_view provider, absl::string_view kid,
                           absl::Duration max_wait) ABSL_LOCKS_EXCLUDED(mu_);

  std::vector<JwksSourceStats> Stats() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Source;

  JwksRefresher(JwksRefresherOptions options,
                std::vector<JwksSourceConfig> sources, KeyStore* store,
                JwksFetcher* fetcher, const Clock* clock);

  struct Attempt;
  struct Result;
  struct Recorded;

  void Run() ABSL_LOCKS_EXCLUDED(mu_);
  // Fetches one source and records the outcome. Caller holds fetch_mu_.
  // The steps: BeginAttempt (snapshot under mu_) → FetchSource (discovery,
  // conditional GET, import; no lock) → Publish (KeyStore) → RecordLocked
  // (stats, schedule, event) → Emit.
  void RefreshSource(size_t index, bool early)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(fetch_mu_) ABSL_LOCKS_EXCLUDED(mu_);
  std::optional<Attempt> BeginAttempt(Source& s, bool early)
      ABSL_LOCKS_EXCLUDED(mu_);
  Result FetchSource(const Source& s, Attempt& attempt)
      ABSL_LOCKS_EXCLUDED(mu_);
  void ImportBody(const Source& s, Result& result);
  // Sends a loaded set (bound to the source's issuer) or a 304 confirmation
  // to the KeyStore; returns the kids of a loaded set.
  absl::flat_hash_set<std::string> Publish(const Source& s, Result& result);
  Recorded RecordLocked(Source& s, const Attempt& attempt, Result& result,
                        size_t key_count, absl::flat_hash_set<std::string> kids)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Each returns the delay to the next fetch.
  absl::Duration RecordSuccessLocked(Source& s, const Attempt& attempt,
                                     const Result& result, size_t key_count,
                                     absl::flat_hash_set<std::string> kids,
                                     absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Duration RecordFailureLocked(Source& s, const absl::Status& error)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // max_stale exceeded after a failure: forget the set. True if dropped.
  bool DropIfStaleLocked(Source& s, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  double Random() ABSL_LOCKS_EXCLUDED(random_mu_);
  absl::Duration Backoff(const JwksSourceConfig& config, int failures);
  void Emit(const JwksEvent& event);
  void ScheduleEarlyLocked(size_t index, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RememberUnknownLocked(const std::string& provider,
                             const absl::flat_hash_set<std::string>& asked,
                             absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool StopOrWake() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stop_ || wake_;
  }
  bool AllAttempted() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const JwksRefresherOptions options_;
  KeyStore* const store_;       // not owned; outlives this
  JwksFetcher* const fetcher_;  // not owned; outlives this
  const Clock* const clock_;    // not owned; outlives this

  absl::Mutex fetch_mu_ ABSL_ACQUIRED_BEFORE(mu_);  // one fetch at a time
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<Source>> sources_;  // fixed after construction
  absl::flat_hash_map<std::string, std::vector<size_t>> by_provider_;
  NegativeKidCache negative_ ABSL_GUARDED_BY(mu_);
  // provider → count of finished fetches (OnUnknownKidAndWait waits on it).
  absl::flat_hash_map<std::string, uint64_t> completed_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<bool> cancel_{false};  // polled by in-flight fetches
  std::thread thread_;

  absl::Mutex random_mu_;
  absl::BitGen bitgen_ ABSL_GUARDED_BY(random_mu_);
};

}  // namespace jwtauth

#endif  // JWTAUTH_CORE_JWKS_REFRESHER_H_
