#ifndef JWTAUTH_SERVER_APPLICATION_H_
#define JWTAUTH_SERVER_APPLICATION_H_

// Application: connects the parts the server runs, minus the gRPC server
// itself (main owns that):
//   ServingStateBuilder  config → keys, policies, verifier, issuer
//   KeyStore + JwksRefresher  the keys every generation verifies with
//   ServingStateHolder   the published generation the services read
//   ConfigWatcher        file changes and SIGHUP → ReloadFromFile()
//   Readiness            /readyz and the health status
//
// Reload(config) builds a complete new generation off the request path —
// files read, keys imported, policies, issuer, ext_authz rules and the new
// TokenVerifier all created — while the old generation keeps serving and the
// KeyStore is untouched. Only when all of that succeeded does it change
// shared state, with nothing fallible in between: stop the old JWKS
// refresher, replace the KeyStore's sources in one publish (JWKS sources
// keep their last good keys), start the new refresher and publish the new
// ServingState. Any failure leaves the old generation and its keys serving;
// the error names file:line:col: field and is logged.
//
// Metrics: besides its collector (jwtauth_ready, keys per provider), the
// Application feeds jwtauth_cache_lookups_total from the hit/miss stats of
// every generation's VerificationCache (Metrics::AddCacheSource): live caches
// are read at scrape time, and a cache's final counts are folded into a
// running total when the last RPC of its generation releases the verifier,
// so the counter never resets on reload and loses no lookup.
//
// Lifetime: in-flight RPCs keep their generation (and, through it, the
// verifier's cache and JWKS refresher) alive after a reload.
// Thread-safe: Reload/ReloadFromFile are serialised by a mutex; readers
// (context(), Readiness(), PublicJwksJson()) never block on a reload's I/O.
// Not copyable or movable.
//
//   auto app = Application::Create(std::move(config), {.logger = &logger,
//                                                      .metrics = &metrics});
//   AuthService auth((*app)->context());
//   (*app)->StartWatching();

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "core/clock.h"
#include "server/admin_http_server.h"
#include "server/config.h"
#include "server/config_watcher.h"
#include "server/logging.h"
#include "server/metrics.h"
#include "server/public_http_server.h"
#include "server/readiness.h"
#include "server/service_context.h"
#include "server/serving_state_builder.h"

namespace jwtauth::server {

struct ApplicationOptions {
  Logger* logger = nullptr;                // required, not owned
  Metrics* metrics = nullptr;              // required, not owned
  const Clock* clock = &RealClock::Get();  // not owned
  // Lookup for secret_env (default: getenv) and config reloads.
  ConfigLoadOptions load_options{};
  // Do not start the JWKS refresher thread (--check-config, tests that call
  // RefreshJwksOnce()).
  bool start_refresher = true;
  // The watcher also reloads on SIGHUP (main; SIGHUP must be blocked in
  // every thread, see ConfigWatcher).
  bool reload_on_sighup = false;
};

class Application final {
 public:
  // Builds and publishes generation 1. Errors as for Reload().
  static absl::StatusOr<std::unique_ptr<Application>> Create(
      ServerConfig config, ApplicationOptions options);
  ~Application();  // StopWatching(), stops the refresher
  Application(const Application&) = delete;
  Application& operator=(const Application&) = delete;

  // What the gRPC services are constructed with.
  ServiceContext context();
  ServingStateHolder* state() { return &state_; }

  // Builds a new generation from `config` and publishes it, or returns the
  // error (InvalidArgument "file:line:col: field: reason") and keeps the old
  // one. Logs either way and counts jwtauth_config_reloads_total.
  absl::Status Reload(ServerConfig config) ABSL_LOCKS_EXCLUDED(reload_mu_);
  // Re-reads the config file the current generation came from.
  // FailedPrecondition in dev mode (no file).
  absl::Status ReloadFromFile() ABSL_LOCKS_EXCLUDED(reload_mu_);

  // Checks watched files once; reloads if any changed. Returns true if a
  // reload was attempted. (The watcher thread does this periodically.)
  bool CheckFilesOnce() { return watcher_.CheckOnce(); }
  void StartWatching() { watcher_.Start(); }
  void StopWatching() { watcher_.Stop(); }

  // Ready = a generation is published, every required JWKS source has a
  // good key set, and shutdown has not begun.
  bool Ready() const { return readiness_.Ready(); }
  ReadinessReport Readiness() const { return readiness_.Report(); }
  // Marks the app as shutting down: Ready() turns false.
  void BeginShutdown() { readiness_.BeginShutdown(); }
  // Stops the JWKS refresher (after the gRPC server drained).
  void StopRefresher() ABSL_LOCKS_EXCLUDED(reload_mu_);
  // Synchronously fetches every JWKS source (tests, --check-config).
  void RefreshJwksOnce() ABSL_LOCKS_EXCLUDED(reload_mu_);

  // {"keys":[...]}: the service's own public JWKS (/.well-known/jwks.json,
  // = ListKeys.jwks_json without a provider): the public halves of the own
  // signing keys (next, active, retiring) only, never a provider's keys.
  std::string PublicJwksJson() const;

  // The config of the current generation.
  std::shared_ptr<const ServerConfig> config() const
      ABSL_LOCKS_EXCLUDED(config_mu_);
  uint64_t generation() const;

 private:
  struct CacheLookupTotals;  // hit/miss sums over generations
  struct Jwks;               // one generation's fetcher and refresher
  class UnknownKidRelay;     // the new verifier's link to its refresher

  explicit Application(ApplicationOptions options);
  void RegisterMetrics();
  absl::Status ReloadLocked(ServerConfig config)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(reload_mu_);
  absl::Status Reject(const absl::Status& status, uint64_t number)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(reload_mu_);
  // Publishes a built generation. Cannot fail: everything fallible happened
  // in the build.
  void Activate(uint64_t number, BuiltServingState built,
                std::shared_ptr<UnknownKidRelay> relay, ServerConfig config)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(reload_mu_);
  std::shared_ptr<Jwks> StartJwks(const BuiltServingState& built)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(reload_mu_);
  std::shared_ptr<const TokenVerifier> ShareVerifier(
      BuiltServingState& built, std::shared_ptr<Jwks> jwks,
      std::shared_ptr<UnknownKidRelay> relay);
  // The watcher compares against the files of `config` from now on.
  void ArmWatcher(const ServerConfig& config);

  ApplicationOptions options_;
  std::unique_ptr<KeyStore> key_store_;
  ServingStateHolder state_;
  ServingStateBuilder builder_;
  ::jwtauth::server::Readiness readiness_;
  int collector_id_ = 0;
  // Shared with the verifiers' deleters, which may outlive the Application.
  std::shared_ptr<CacheLookupTotals> cache_totals_;
  int cache_source_id_ = 0;

  absl::Mutex reload_mu_;
  uint64_t next_generation_ ABSL_GUARDED_BY(reload_mu_) = 1;
  std::shared_ptr<Jwks> jwks_ ABSL_GUARDED_BY(reload_mu_);

  mutable absl::Mutex config_mu_;
  std::shared_ptr<const ServerConfig> config_ ABSL_GUARDED_BY(config_mu_);

  // Last: its thread calls ReloadFromFile() and is joined before the
  // members above go away.
  ConfigWatcher watcher_;
};

// The admin HTTP handlers main() serves (server/admin_http_server.h):
// /metrics from `metrics`, /readyz from app->Readiness(), the JWKS from
// app->PublicJwksJson(). Both pointers must outlive the handlers.
AdminHandlers MakeAdminHandlers(const Application* app, Metrics* metrics);
// The public port's handlers (server/public_http_server.h): the same JWKS,
// the issuer and jwks_uri of the current generation's config. `app` must
// outlive them.
PublicHandlers MakePublicHandlers(const Application* app);

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_APPLICATION_H_
