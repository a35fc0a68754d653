// Application: readiness (Ready, Readiness) and the admin HTTP handlers.
// Split from application.cc to keep files small; see application.h.

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "core/jwks_refresher.h"
#include "core/key_store.h"
#include "server/application.h"
#include "server/config.h"
#include "server/source_redaction.h"

namespace jwtauth::server {

bool Application::Ready() const {
  if (shutting_down_.load() || state_.Current() == nullptr) return false;
  std::shared_ptr<JwksRefresher> r;
  std::vector<std::string> required;
  {
    absl::MutexLock lock(&config_mu_);
    r = current_refresher_;
    required = required_sources_;
  }
  if (r == nullptr || required.empty()) return true;
  std::set<std::string> loaded;
  for (const JwksSourceStats& s : r->Stats()) {
    if (s.loaded) loaded.insert(s.source_id);
  }
  for (const std::string& id : required) {
    if (!loaded.count(id)) return false;
  }
  return true;
}

bool Application::WaitUntilReady(absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  while (!Ready()) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return true;
}

ReadinessReport Application::Readiness() const {
  ReadinessReport r;
  r.ready = Ready();
  r.shutting_down = shutting_down_.load();
  r.generation = generation();
  std::shared_ptr<const ServerConfig> c = config();
  std::shared_ptr<JwksRefresher> refresher;
  std::set<std::string> required;
  {
    absl::MutexLock lock(&config_mu_);
    refresher = current_refresher_;
    required.insert(required_sources_.begin(), required_sources_.end());
  }
  std::map<std::string, JwksSourceStats> stats;
  if (refresher != nullptr) {
    for (JwksSourceStats& s : refresher->Stats()) stats[s.source_id] = s;
  }
  std::map<std::string, ProviderReadiness> by_name;
  if (c != nullptr) {
    for (const ProviderConfig& p : c->providers) {
      by_name[p.name].name = p.name;
      by_name[p.name].issuers = p.issuers;
    }
  }
  const absl::Time now = options_.clock->Now();
  KeySetSnapshot snap = key_store_->Current();
  std::map<std::pair<std::string, std::string>, absl::Time> loaded_at;
  for (const KeyEntry* e : snap->AllEntries()) {
    auto& t = loaded_at[{e->provider(), e->source_id()}];
    t = std::max(t, e->key().loaded_at());
  }
  // Unauthenticated endpoint: public source ids and no error text unless
  // the operator opted in (server.admin_verbose).
  const bool verbose = c != nullptr && c->server.admin_verbose;
  for (const SourceInfo& s : key_store_->Sources()) {
    SourceReadiness sr;
    sr.source_id = verbose ? s.source_id : PublicSourceId(s.source_id);
    sr.loaded = !s.pending;
    sr.key_count = s.key_count;
    auto st = stats.find(s.source_id);
    if (st != stats.end()) {
      sr.required = required.count(s.source_id) > 0;
      if (st->second.last_success != absl::InfinitePast()) {
        sr.age = now - st->second.last_success;
      }
      const std::string& error = st->second.last_error;
      sr.last_error = verbose || error.empty() ? error : "fetch failed";
    } else {
      auto it = loaded_at.find({s.provider, s.source_id});
      if (it != loaded_at.end() && it->second != absl::InfinitePast()) {
        sr.age = now - it->second;
      }
    }
    by_name[s.provider].name = s.provider;
    by_name[s.provider].sources.push_back(std::move(sr));
  }
  for (auto& [name, p] : by_name) r.providers.push_back(std::move(p));
  return r;
}

AdminHandlers MakeAdminHandlers(const Application* app, Metrics* metrics) {
  AdminHandlers handlers;
  handlers.metrics = [metrics] { return metrics->RenderPrometheus(); };
  handlers.readiness = [app] { return app->Readiness(); };
  handlers.jwks = [app] { return app->PublicJwksJson(); };
  return handlers;
}

}  // namespace jwtauth::server
