#include "server/readiness.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "server/source_redaction.h"

namespace jwtauth::server {
namespace {

using SourceKey = std::pair<std::string, std::string>;  // provider, source

// Newest Key::loaded_at per (provider, source): the age of static sources.
std::map<SourceKey, absl::Time> LoadedAt(const KeySet& snap) {
  std::map<SourceKey, absl::Time> loaded_at;
  for (const KeyEntry* e : snap.AllEntries()) {
    auto& t = loaded_at[{e->provider(), e->source_id()}];
    t = std::max(t, e->key().loaded_at());
  }
  return loaded_at;
}

std::map<std::string, JwksSourceStats> StatsById(const JwksRefresher* r) {
  std::map<std::string, JwksSourceStats> stats;
  if (r == nullptr) return stats;
  for (JwksSourceStats& s : r->Stats()) stats[s.source_id] = s;
  return stats;
}

}  // namespace

Readiness::Readiness(const ServingStateHolder* state, const KeyStore* key_store,
                     const Clock* clock)
    : state_(state), key_store_(key_store), clock_(clock) {}

void Readiness::SetGeneration(ReadinessInputs inputs) {
  absl::MutexLock lock(&mu_);
  inputs_ = std::move(inputs);
}

ReadinessInputs Readiness::Inputs() const {
  absl::MutexLock lock(&mu_);
  return inputs_;
}

bool Readiness::Ready() const {
  if (shutting_down_.load() || state_->Current() == nullptr) return false;
  const ReadinessInputs in = Inputs();
  if (in.refresher == nullptr || in.required_jwks_ids.empty()) return true;
  std::set<std::string> loaded;
  for (const JwksSourceStats& s : in.refresher->Stats()) {
    if (s.loaded) loaded.insert(s.source_id);
  }
  for (const std::string& id : in.required_jwks_ids) {
    if (!loaded.count(id)) return false;
  }
  return true;
}

ReadinessReport Readiness::Report() const {
  ReadinessReport r;
  r.ready = Ready();
  r.shutting_down = shutting_down_.load();
  std::shared_ptr<const ServingState> state = state_->Current();
  r.generation = state == nullptr ? 0 : state->generation;
  const ReadinessInputs in = Inputs();
  const std::set<std::string> required(in.required_jwks_ids.begin(),
                                       in.required_jwks_ids.end());
  const std::map<std::string, JwksSourceStats> stats =
      StatsById(in.refresher.get());
  std::map<std::string, ProviderReadiness> by_name;
  for (const auto& [name, issuers] : in.providers) {
    by_name[name].name = name;
    by_name[name].issuers = issuers;
  }
  const absl::Time now = clock_->Now();
  const std::map<SourceKey, absl::Time> loaded_at =
      LoadedAt(*key_store_->Current());
  for (const SourceInfo& s : key_store_->Sources()) {
    SourceReadiness sr;
    // Unauthenticated endpoint: public source ids and no error text unless
    // the operator opted in (server.admin_verbose).
    sr.source_id = in.verbose ? s.source_id : PublicSourceId(s.source_id);
    sr.loaded = !s.pending;
    sr.key_count = s.key_count;
    if (auto st = stats.find(s.source_id); st != stats.end()) {
      sr.required = required.count(s.source_id) > 0;
      if (st->second.last_success != absl::InfinitePast()) {
        sr.age = now - st->second.last_success;
      }
      const std::string& error = st->second.last_error;
      sr.last_error = in.verbose || error.empty() ? error : "fetch failed";
    } else if (auto it = loaded_at.find({s.provider, s.source_id});
               it != loaded_at.end() && it->second != absl::InfinitePast()) {
      sr.age = now - it->second;
    }
    by_name[s.provider].name = s.provider;
    by_name[s.provider].sources.push_back(std::move(sr));
  }
  for (auto& [name, p] : by_name) r.providers.push_back(std::move(p));
  return r;
}

}  // namespace jwtauth::server
