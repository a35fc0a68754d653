#ifndef JWTAUTH_SERVER_APPLICATION_H_
#define JWTAUTH_SERVER_APPLICATION_H_

// Application: everything the server runs, built from a ServerConfig, minus
// the gRPC server itself (main owns that). It owns the KeyStore, the JWKS
// fetcher and refresher, the verification cache, and publishes ServingState
// generations (TokenVerifier, TokenIssuer, IssuePolicy, ExtAuthzPolicy)
// through a ServingStateHolder that the gRPC services read once per RPC.
//
// Reload(config) builds a complete new generation off the request path:
// reads every key/secret file, imports keys, validates policies, the issuer
// and ext_authz rules. Only when all of that succeeded does it touch shared
// state: stop the old refresher, replace the KeyStore's sources in one
// publish (JWKS sources keep their last good keys), start the new refresher
// and publish the new ServingState. Any failure leaves the old generation
// serving; the error names file:line:col: field and is logged.
//
// Watching: StartWatching() starts one thread that every
// `server.watch_interval` (default 2 s) stats the config file and every file
// it references — following symlinks and also comparing the resolved target
// path, inode, size, mtime and a SHA-256 of the content, because Kubernetes
// updates mounted ConfigMaps/Secrets by swapping a `..data` symlink — and
// reloads on any change. SIGHUP handling lives in main (it calls
// ReloadFromFile()).
//
// Metrics: besides its collector (jwtauth_ready, keys per provider), the
// Application feeds jwtauth_cache_lookups_total from the hit/miss stats of
// every generation's VerificationCache (Metrics::AddCacheSource): live caches
// are read at scrape time, and a cache's final counts are folded into a
// running total when the last RPC of its generation releases the verifier,
// so the counter never resets on reload and loses no lookup.
//
// Lifetime: in-flight RPCs keep their generation (and, through it, the
// verifier's cache and unknown-kid observer) alive after a reload.
// Thread-safe: Reload/ReloadFromFile are serialised by a mutex; readers
// (context(), Readiness(), PublicJwksJson()) never block on a reload's I/O.
// Not copyable or movable.
//
//   auto app = Application::Create(std::move(config), {.logger = &logger,
//                                                      .metrics = &metrics});
//   AuthService auth((*app)->context());
//   (*app)->StartWatching();

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "server/admin_http_server.h"
#include "server/config.h"
#include "server/logging.h"
#include "server/metrics.h"
#include "server/service_context.h"

namespace jwtauth {
class JwksFetcher;
class JwksRefresher;
class KeyStore;
}  // namespace jwtauth

namespace jwtauth::server {

struct ApplicationOptions {
  Logger* logger = nullptr;    // required, not owned
  Metrics* metrics = nullptr;  // required, not owned
  const Clock* clock = &RealClock::Get();  // not owned
  // JWKS fetcher; null = a CurlJwksFetcher owned by the Application (with
  // the CA file from the config). Not owned when given.
  JwksFetcher* fetcher = nullptr;
  // Lookup for secret_env (default: getenv) and config reloads.
  ConfigLoadOptions load_options;
  // Do not start the JWKS refresher thread (--check-config, tests that call
  // RefreshJwksOnce()).
  bool start_refresher = true;
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
  KeyStore* key_store() { return key_store_.get(); }

  // Builds a new generation from `config` and publishes it, or returns the
  // error (InvalidArgument "file:line:col: field: reason") and keeps the old
  // one. Logs either way and counts jwtauth_config_reloads_total.
  absl::Status Reload(ServerConfig config) ABSL_LOCKS_EXCLUDED(reload_mu_);
  // Re-reads the config file the current generation came from.
  // FailedPrecondition in dev mode (no file).
  absl::Status ReloadFromFile() ABSL_LOCKS_EXCLUDED(reload_mu_);

  // Checks watched files once; reloads if any changed. Returns true if a
  // reload was attempted. (The watcher thread calls this.)
  bool CheckFilesOnce() ABSL_LOCKS_EXCLUDED(reload_mu_);
  void StartWatching();
  void StopWatching();

  // Ready = a generation is published, every required JWKS source has a
  // good key set, and shutdown has not begun.
  bool Ready() const;
  ReadinessReport Readiness() const;
  // Waits until Ready() or timeout (checks every 50 ms). For main/tests.
  bool WaitUntilReady(absl::Duration timeout) const;
  // Marks the app as shutting down: Ready() turns false.
  void BeginShutdown() { shutting_down_.store(true); }
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
  struct Generation;  // what a build produces (application.cc)
  struct CacheLookupTotals;  // hit/miss sums over generations (application.cc)
  struct FileStamp {
    std::string resolved;
    uint64_t dev = 0, ino = 0, size = 0;
    int64_t mtime_ns = 0;
    std::string content_hash;
    bool exists = false;
    bool operator==(const FileStamp&) const = default;
  };

  explicit Application(ApplicationOptions options);
  absl::StatusOr<std::unique_ptr<Generation>> Build(const ServerConfig& config)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(reload_mu_);
  absl::Status Activate(std::unique_ptr<Generation> gen, ServerConfig config)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(reload_mu_);
  absl::Status ReloadLocked(ServerConfig config)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(reload_mu_);
  static FileStamp Stamp(const std::string& path);
  void RecordStampsLocked(const ServerConfig& config)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(reload_mu_);
  void WatchLoop();

  ApplicationOptions options_;
  std::unique_ptr<JwksFetcher> owned_fetcher_;
  std::unique_ptr<KeyStore> key_store_;
  ServingStateHolder state_;
  std::atomic<bool> shutting_down_{false};
  int collector_id_ = 0;
  // Shared with the verifiers' deleters, which may outlive the Application.
  std::shared_ptr<CacheLookupTotals> cache_totals_;
  int cache_source_id_ = 0;

  absl::Mutex reload_mu_;
  uint64_t next_generation_ ABSL_GUARDED_BY(reload_mu_) = 1;
  std::shared_ptr<JwksRefresher> refresher_ ABSL_GUARDED_BY(reload_mu_);
  std::vector<std::pair<std::string, FileStamp>> stamps_
      ABSL_GUARDED_BY(reload_mu_);

  mutable absl::Mutex config_mu_;
  std::shared_ptr<const ServerConfig> config_ ABSL_GUARDED_BY(config_mu_);
  // The refresher of the current generation, for readiness reads.
  std::shared_ptr<JwksRefresher> current_refresher_ ABSL_GUARDED_BY(config_mu_);
  std::vector<std::string> required_sources_ ABSL_GUARDED_BY(config_mu_);

  absl::Mutex watch_mu_;
  bool watch_stop_ ABSL_GUARDED_BY(watch_mu_) = false;
  std::thread watcher_;
};

// The admin HTTP handlers main() serves (server/admin_http_server.h):
// /metrics from `metrics`, /readyz from app->Readiness(), the JWKS from
// app->PublicJwksJson(). Both pointers must outlive the handlers.
AdminHandlers MakeAdminHandlers(const Application* app, Metrics* metrics);

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_APPLICATION_H_
