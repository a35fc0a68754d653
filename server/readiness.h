#ifndef JWTAUTH_SERVER_READINESS_H_
#define JWTAUTH_SERVER_READINESS_H_

// Readiness: whether this process should receive traffic, and the /readyz
// report behind that answer.
//
// Ready = a ServingState generation is published, every required JWKS
// source of that generation holds a good key set, and shutdown has not
// begun. The report lists every provider with its key sources (loaded, key
// count, age, last fetch error). /readyz is unauthenticated, so source ids
// are public ids (PublicSourceId) and errors read "fetch failed" unless the
// config sets server.admin_verbose.
//
// Thread-safe: the wiring calls SetGeneration() at each publish and
// BeginShutdown() once; any thread may read. Not copyable or movable.
//
//   Readiness readiness(&holder, &store, &clock);
//   readiness.SetGeneration({.refresher = r, .required_jwks_ids = ids, ...});
//   if (readiness.Ready()) ...

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "core/jwks_refresher.h"
#include "core/key_store.h"
#include "server/admin_http_server.h"
#include "server/service_context.h"

namespace jwtauth::server {

// What readiness needs to know about the published generation.
struct ReadinessInputs {
  std::shared_ptr<JwksRefresher> refresher{};  // null: no JWKS sources
  std::vector<std::string> required_jwks_ids{};
  // Provider names and issuers, in config order, for the report.
  std::vector<std::pair<std::string, std::vector<std::string>>> providers{};
  bool verbose = false;  // server.admin_verbose
};

class Readiness final {
 public:
  // All pointers are not owned and must outlive this object.
  Readiness(const ServingStateHolder* state, const KeyStore* key_store,
            const Clock* clock);
  Readiness(const Readiness&) = delete;
  Readiness& operator=(const Readiness&) = delete;

  void SetGeneration(ReadinessInputs inputs) ABSL_LOCKS_EXCLUDED(mu_);
  // Ready() turns false for good.
  void BeginShutdown() { shutting_down_.store(true); }

  bool Ready() const ABSL_LOCKS_EXCLUDED(mu_);
  ReadinessReport Report() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  ReadinessInputs Inputs() const ABSL_LOCKS_EXCLUDED(mu_);

  const ServingStateHolder* const state_;
  const KeyStore* const key_store_;
  const Clock* const clock_;
  std::atomic<bool> shutting_down_{false};
  mutable absl::Mutex mu_;
  ReadinessInputs inputs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_READINESS_H_
