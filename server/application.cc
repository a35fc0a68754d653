#include "server/application.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/issuer.h"
#include "core/jwk.h"
#include "core/jwks_fetcher.h"
#include "core/jwks_refresher.h"
#include "core/jwks_source.h"
#include "core/key_store.h"
#include "core/status_macros.h"
#include "core/verification_cache.h"
#include "core/verifier.h"
#include "nlohmann/json.hpp"
#include "server/ext_authz_policy.h"
#include "server/jwks_event_log.h"

namespace jwtauth::server {
namespace {

// The Check series of every configured route (ServingState::check_series).
std::vector<RpcSeries*> CheckSeries(Metrics& metrics,
                                    const ExtAuthzPolicy* policy) {
  std::vector<RpcSeries*> series;
  if (policy == nullptr) return series;
  series.reserve(policy->routes.size());
  for (const ExtAuthzRoute& route : policy->routes) {
    series.push_back(metrics.Rpc("Check", Metrics::RouteLabel(route.name)));
  }
  return series;
}

std::vector<Metrics::JwksSourceInfo> JwksSourcesOf(
    const std::vector<JwksSourceConfig>& sources) {
  std::vector<Metrics::JwksSourceInfo> out;
  out.reserve(sources.size());
  for (const JwksSourceConfig& s : sources) {
    out.push_back({JwksSourceId(s), s.url.empty() ? DiscoveryUrl(s) : s.url,
                   s.max_stale});
  }
  return out;
}

}  // namespace

// Verification-cache lookups of every generation. A cache is "live" from the
// moment its verifier exists until the verifier's deleter runs (the last
// in-flight RPC of that generation finished); then its final stats are added
// to `retired` under the same lock, so a read never sees a cache twice or
// not at all and the sum never decreases. Thread-safe.
struct Application::CacheLookupTotals {
  void Attach(const VerificationCache* cache) {
    absl::MutexLock lock(&mu);
    live.push_back(cache);
  }
  void Retire(const VerificationCache* cache) {
    absl::MutexLock lock(&mu);
    const VerificationCache::Stats s = cache->stats();
    retired.hits += s.hits;
    retired.misses += s.misses;
    live.erase(std::remove(live.begin(), live.end(), cache), live.end());
  }
  Metrics::CacheCounts Read() const {
    absl::MutexLock lock(&mu);
    Metrics::CacheCounts total = retired;
    for (const VerificationCache* cache : live) {
      const VerificationCache::Stats s = cache->stats();
      total.hits += s.hits;
      total.misses += s.misses;
    }
    return total;
  }

  mutable absl::Mutex mu;
  std::vector<const VerificationCache*> live ABSL_GUARDED_BY(mu);
  Metrics::CacheCounts retired ABSL_GUARDED_BY(mu);
};

// One generation's JWKS machinery. The refresher borrows the fetcher, so it
// is declared last and destroyed first.
struct Application::Jwks {
  std::unique_ptr<JwksFetcher> fetcher;
  std::unique_ptr<JwksRefresher> refresher;
};

// The verifier is created before the refresher of its generation exists
// (creating a refresher registers its sources in the shared KeyStore, which
// must not change before the swap); the relay forwards unknown kids to the
// refresher once it is attached, right before the generation is published.
class Application::UnknownKidRelay final : public UnknownKidObserver {
 public:
  void Attach(UnknownKidObserver* target) { target_.store(target); }
  void OnUnknownKid(absl::string_view provider,
                    absl::string_view kid) override {
    if (UnknownKidObserver* t = target_.load()) t->OnUnknownKid(provider, kid);
  }

 private:
  std::atomic<UnknownKidObserver*> target_{nullptr};
};

Application::Application(ApplicationOptions options)
    : options_(std::move(options)),
      key_store_(std::make_unique<KeyStore>(options_.clock)),
      builder_({.key_store = key_store_.get(),
                .clock = options_.clock,
                .load = options_.load_options}),
      readiness_(&state_, key_store_.get(), options_.clock),
      cache_totals_(std::make_shared<CacheLookupTotals>()),
      watcher_({.logger = options_.logger,
                .reload = [this] { (void)ReloadFromFile(); },
                .interval =
                    [this] {
                      std::shared_ptr<const ServerConfig> c = config();
                      return c == nullptr ? absl::ZeroDuration()
                                          : c->server.watch_interval;
                    },
                .reload_on_sighup = options_.reload_on_sighup}) {}

Application::~Application() {
  StopWatching();
  StopRefresher();
  if (collector_id_ != 0) {
    options_.metrics->RemoveCollector(collector_id_);
    options_.metrics->SetKeyUsageSource(nullptr);
  }
  if (cache_source_id_ != 0) {
    options_.metrics->RemoveCacheSource(cache_source_id_);
  }
}

absl::StatusOr<std::unique_ptr<Application>> Application::Create(
    ServerConfig config, ApplicationOptions options) {
  if (options.logger == nullptr || options.metrics == nullptr ||
      options.clock == nullptr) {
    return absl::InvalidArgumentError(
        "Application: logger, metrics, clock required");
  }
  std::unique_ptr<Application> app(new Application(std::move(options)));
  app->RegisterMetrics();
  absl::MutexLock lock(&app->reload_mu_);
  JWTAUTH_RETURN_IF_ERROR(app->ReloadLocked(std::move(config)));
  return app;
}

void Application::RegisterMetrics() {
  collector_id_ = options_.metrics->AddCollector([this] {
    std::map<std::string, int64_t> counts;
    for (const SourceInfo& s : key_store_->Sources()) {
      counts[s.provider] += static_cast<int64_t>(s.key_count);
    }
    options_.metrics->SetKeyCounts(counts);
    std::vector<prometheus::MetricFamily> families;
    families.push_back(GaugeFamily(
        "jwtauth_ready", "1 when every required key source has loaded.",
        Ready() ? 1 : 0));
    return families;
  });
  options_.metrics->SetKeyUsageSource([store = key_store_.get()] {
    std::vector<Metrics::KeyUsageSample> samples;
    // Held for the loop: AllEntries() points into the snapshot, and a
    // temporary one would be released (and, after a key swap, freed) before
    // the loop body reads the entries.
    const KeySetSnapshot snapshot = store->Current();
    for (const KeyEntry* e : snapshot->AllEntries()) {
      samples.push_back(
          {e->provider(), e->key().kid(), e->verifications(), e->last_used()});
    }
    return samples;
  });
  cache_source_id_ = options_.metrics->AddCacheSource(
      [totals = cache_totals_] { return totals->Read(); });
}

ServiceContext Application::context() {
  return ServiceContext{&state_, key_store_.get(), options_.metrics,
                        options_.logger};
}

absl::Status Application::ReloadLocked(ServerConfig config) {
  const uint64_t number = next_generation_;
  auto relay = std::make_shared<UnknownKidRelay>();
  absl::StatusOr<BuiltServingState> built = builder_.Build(config, relay.get());
  if (!built.ok()) return Reject(built.status(), number);
  for (const std::string& w : built->warnings) {
    options_.logger->Log(LogLevel::kWarn, "config_warning", {{"detail", w}});
  }
  ArmWatcher(config);
  const std::string file =
      config.source_file.empty() ? "<embedded dev config>" : config.source_file;
  const size_t providers = config.providers.size();
  Activate(number, *std::move(built), std::move(relay), std::move(config));
  ++next_generation_;
  options_.metrics->RecordConfigReload(true, number);
  options_.logger->Log(LogLevel::kInfo, "config_loaded",
                       {{"file", file},
                        {"generation", absl::StrCat(number)},
                        {"providers", absl::StrCat(providers)}});
  return absl::OkStatus();
}

absl::Status Application::Reject(const absl::Status& status, uint64_t number) {
  // Re-arm with the serving config's files: a later edit retriggers.
  if (std::shared_ptr<const ServerConfig> current = config()) {
    ArmWatcher(*current);
  }
  options_.metrics->RecordConfigReload(false, 0);
  options_.logger->Log(LogLevel::kError, "config_rejected",
                       {{"error", std::string(status.message())},
                        {"serving_generation", absl::StrCat(number - 1)}});
  return status;
}

void Application::ArmWatcher(const ServerConfig& config) {
  // The embedded dev config has no files to watch.
  watcher_.Arm(config.source_file.empty() ? std::vector<std::string>()
                                          : config.WatchedFiles());
}

void Application::Activate(uint64_t number, BuiltServingState built,
                           std::shared_ptr<UnknownKidRelay> relay,
                           ServerConfig config) {
  // From here on shared state changes, in one run with nothing that can
  // fail in between: store, refresher, then the state the services read.
  if (jwks_ != nullptr) jwks_->refresher->Stop();
  key_store_->ReplaceAll(std::move(built.key_sources));
  std::shared_ptr<Jwks> jwks = StartJwks(built);
  if (jwks != nullptr) relay->Attach(jwks->refresher.get());

  auto state = std::make_shared<ServingState>();
  state->generation = number;
  state->verifier = ShareVerifier(built, jwks, std::move(relay));
  state->issuer = std::move(built.issuer);
  state->issue_policy = std::move(built.issue_policy);
  state->ext_authz = std::move(built.ext_authz);
  state->check_series = CheckSeries(*options_.metrics, state->ext_authz.get());
  options_.metrics->SetJwksSources(JwksSourcesOf(built.jwks_sources));

  auto shared_config = std::make_shared<const ServerConfig>(std::move(config));
  ReadinessInputs readiness;
  if (jwks != nullptr) {
    readiness.refresher =
        std::shared_ptr<JwksRefresher>(jwks, jwks->refresher.get());
  }
  readiness.required_jwks_ids = std::move(built.required_jwks_ids);
  for (const ProviderConfig& p : shared_config->providers) {
    readiness.providers.emplace_back(p.name, p.issuers);
  }
  readiness.verbose = shared_config->server.admin_verbose;
  jwks_ = std::move(jwks);
  {
    absl::MutexLock lock(&config_mu_);
    config_ = shared_config;
  }
  readiness_.SetGeneration(std::move(readiness));
  state_.Publish(std::move(state));
  if (auto level = LogLevelFromName(shared_config->log.level)) {
    options_.logger->SetLevel(*level);
  }
}

std::shared_ptr<Application::Jwks> Application::StartJwks(
    const BuiltServingState& built) {
  if (built.jwks_sources.empty()) return nullptr;
  auto jwks = std::make_shared<Jwks>();
  CurlJwksFetcherOptions fo;
  fo.ca_file = built.jwks_ca_file;
  jwks->fetcher = std::make_unique<CurlJwksFetcher>(fo);
  JwksRefresherOptions ro;
  ro.on_event = JwksEventLog(options_.logger, options_.metrics);
  auto r =
      JwksRefresher::Create(std::move(ro), built.jwks_sources, key_store_.get(),
                            jwks->fetcher.get(), options_.clock);
  if (!r.ok()) {
    // Every source was validated by the builder: an internal fault.
    options_.logger->Log(LogLevel::kError, "jwks_refresher_failed",
                         {{"error", std::string(r.status().message())}});
    return nullptr;
  }
  jwks->refresher = *std::move(r);
  if (options_.start_refresher) jwks->refresher->Start();
  return jwks;
}

std::shared_ptr<const TokenVerifier> Application::ShareVerifier(
    BuiltServingState& built, std::shared_ptr<Jwks> jwks,
    std::shared_ptr<UnknownKidRelay> relay) {
  // The verifier borrows the cache, the relay and (through it) the
  // refresher: the deleter keeps them alive for as long as any RPC holds
  // the verifier.
  std::shared_ptr<VerificationCache> cache = std::move(built.cache);
  std::shared_ptr<CacheLookupTotals> totals = cache_totals_;
  if (cache != nullptr) totals->Attach(cache.get());
  return std::shared_ptr<const TokenVerifier>(
      built.verifier.release(),
      [cache, jwks = std::move(jwks), relay = std::move(relay),
       totals](const TokenVerifier* v) {
        delete v;  // no lookup can reach `cache` after this
        if (cache != nullptr) totals->Retire(cache.get());
      });
}

absl::Status Application::Reload(ServerConfig config) {
  absl::MutexLock lock(&reload_mu_);
  return ReloadLocked(std::move(config));
}

absl::Status Application::ReloadFromFile() {
  std::shared_ptr<const ServerConfig> current = config();
  if (current == nullptr || current->source_file.empty()) {
    return absl::FailedPreconditionError(
        "running on the embedded dev config: nothing to reload");
  }
  absl::MutexLock lock(&reload_mu_);
  auto loaded =
      LoadServerConfigFile(current->source_file, options_.load_options);
  if (!loaded.ok()) {
    ArmWatcher(*current);
    options_.metrics->RecordConfigReload(false, 0);
    options_.logger->Log(LogLevel::kError, "config_rejected",
                         {{"error", std::string(loaded.status().message())}});
    return loaded.status();
  }
  return ReloadLocked(*std::move(loaded));
}

void Application::StopRefresher() {
  absl::MutexLock lock(&reload_mu_);
  if (jwks_ != nullptr) jwks_->refresher->Stop();
}

void Application::RefreshJwksOnce() {
  absl::MutexLock lock(&reload_mu_);
  if (jwks_ != nullptr) jwks_->refresher->RefreshOnce();
}

std::shared_ptr<const ServerConfig> Application::config() const {
  absl::MutexLock lock(&config_mu_);
  return config_;
}

uint64_t Application::generation() const {
  auto s = state_.Current();
  return s == nullptr ? 0 : s->generation;
}

std::string Application::PublicJwksJson() const {
  KeySetSnapshot snap = key_store_->Current();
  // Only the service's own signing keys (next, active, retiring): relying
  // parties trust this document for signing.issuer, so a provider's or
  // partner's key here would let it mint tokens in the service's name.
  std::vector<const Key*> own;
  for (const KeyEntry* e : snap->AllEntries()) {
    if (IsSigningKeySource(e->source_id())) own.push_back(&e->key());
  }
  return ExportPublicJwksText(own);
}

AdminHandlers MakeAdminHandlers(const Application* app, Metrics* metrics) {
  AdminHandlers handlers;
  handlers.metrics = [metrics] { return metrics->RenderPrometheus(); };
  handlers.readiness = [app] { return app->Readiness(); };
  handlers.jwks = [app] { return app->PublicJwksJson(); };
  return handlers;
}

PublicHandlers MakePublicHandlers(const Application* app) {
  PublicHandlers handlers;
  handlers.jwks = [app] { return app->PublicJwksJson(); };
  handlers.issuer = [app] { return app->config()->signing.issuer; };
  handlers.jwks_uri = [app] { return PublicJwksUri(*app->config()); };
  return handlers;
}

}  // namespace jwtauth::server
