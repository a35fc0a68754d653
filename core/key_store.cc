#include "core/key_store.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

namespace jwtauth {

KeyStore::KeyStore() : KeyStore(&RealClock::Get()) {}

KeyStore::KeyStore(const Clock* clock)
    : clock_(clock), current_(KeySet::Empty()) {}

KeySetSnapshot KeyStore::Current() const {
  return current_.load(std::memory_order_acquire);
}

std::vector<std::string> KeyStore::FindDuplicateKids(
    const std::vector<Key>& keys) {
  absl::flat_hash_set<absl::string_view> seen;
  absl::flat_hash_set<absl::string_view> reported;
  std::vector<std::string> dups;
  for (const Key& k : keys) {
    if (k.kid().empty()) continue;
    if (!seen.insert(k.kid()).second && reported.insert(k.kid()).second) {
      dups.push_back(k.kid());
    }
  }
  return dups;
}

void KeyStore::SetLocked(const std::string& provider,
                         const std::string& source_id, std::vector<Key> keys,
                         absl::Time refreshed_at) {
  ProviderSources& sources = sources_[provider];
  // Entries of the provider by identity, so a reload of the same key keeps
  // its id (cache entries stay valid) and its usage counters.
  absl::flat_hash_map<absl::string_view, const KeyEntry*> previous;
  for (const auto& [id, record] : sources) {
    for (const KeyEntryPtr& e : record.entries) {
      previous.emplace(e->identity(), e.get());
    }
  }
  SourceRecord record;
  record.loaded = true;
  record.refreshed_at = refreshed_at;
  record.duplicate_kids = FindDuplicateKids(keys);
  record.entries.reserve(keys.size());
  for (Key& key : keys) {
    std::string identity = KeyEntry::IdentityOf(key);
    auto it = previous.find(identity);
    if (it != previous.end()) {
      record.entries.push_back(std::make_shared<const KeyEntry>(
          provider, source_id, std::move(key), it->second->id(),
          it->second->usage()));
    } else {
      record.entries.push_back(std::make_shared<const KeyEntry>(
          provider, source_id, std::move(key)));
    }
  }
  sources[source_id] = std::move(record);
}

void KeyStore::RebuildProviderLocked(const std::string& provider) {
  auto it = sources_.find(provider);
  if (it == sources_.end() || it->second.empty()) {
    if (it != sources_.end()) sources_.erase(it);
    provider_keys_.erase(provider);
    return;
  }
  std::vector<KeyEntryPtr> entries;
  bool loaded = false;
  bool pending = false;
  for (const auto& [id, record] : it->second) {
    (record.loaded ? loaded : pending) = true;
    entries.insert(entries.end(), record.entries.begin(), record.entries.end());
  }
  provider_keys_[provider] = std::make_shared<const ProviderKeys>(
      provider, std::move(entries), loaded, pending);
}

void KeyStore::PublishLocked() {
  KeySet::Builder builder(++generation_);
  for (const auto& [name, keys] : provider_keys_) builder.AddProvider(keys);
  current_.store(std::move(builder).Build(), std::memory_order_release);
}

void KeyStore::SetSourceKeys(absl::string_view provider,
                             absl::string_view source_id,
                             std::vector<Key> keys) {
  std::string p(provider);
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  SetLocked(p, std::string(source_id), std::move(keys), now);
  RebuildProviderLocked(p);
  PublishLocked();
}

void KeyStore::MarkSourceRefreshed(absl::string_view provider,
                                   absl::string_view source_id) {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  auto p = sources_.find(std::string(provider));
  if (p == sources_.end()) return;
  auto s = p->second.find(std::string(source_id));
  if (s == p->second.end() || !s->second.loaded) return;
  s->second.refreshed_at = now;
}

void KeyStore::MarkSourcePending(absl::string_view provider,
                                 absl::string_view source_id) {
  std::string p(provider);
  absl::MutexLock lock(&mu_);
  ProviderSources& sources = sources_[p];
  if (sources.contains(std::string(source_id))) return;  // keep old keys
  sources[std::string(source_id)] = SourceRecord{};
  RebuildProviderLocked(p);
  PublishLocked();
}

void KeyStore::RemoveSource(absl::string_view provider,
                            absl::string_view source_id) {
  std::string p(provider);
  absl::MutexLock lock(&mu_);
  auto it = sources_.find(p);
  if (it == sources_.end() || it->second.erase(std::string(source_id)) == 0) {
    return;
  }
  RebuildProviderLocked(p);
  PublishLocked();
}

void KeyStore::ReplaceAll(
    std::vector<SourceKeys> sources,
    const std::vector<std::pair<std::string, std::string>>& keep) {
  absl::MutexLock lock(&mu_);
  // Old state, used for "keep" and for pending entries of loaded sources.
  std::map<std::string, ProviderSources> old = std::move(sources_);
  sources_.clear();
  for (const auto& [provider, source_id] : keep) {
    auto p = old.find(provider);
    if (p == old.end()) continue;
    auto s = p->second.find(source_id);
    if (s != p->second.end()) sources_[provider][source_id] = s->second;
  }
  for (SourceKeys& s : sources) {
    if (s.pending) {
      auto p = old.find(s.provider);
      if (p != old.end()) {
        auto o = p->second.find(s.source_id);
        if (o != p->second.end()) {
          sources_[s.provider][s.source_id] = o->second;
          continue;
        }
      }
      sources_[s.provider][s.source_id] = SourceRecord{};
      continue;
    }
    // Let identity carry-over see the provider's old keys.
    ProviderSources& target = sources_[s.provider];
    auto p = old.find(s.provider);
    std::vector<std::string> borrowed;
    if (p != old.end()) {
      for (auto& [id, record] : p->second) {
        if (!target.contains(id)) {
          target[id] = record;
          borrowed.push_back(id);
        }
      }
    }
    std::string source_id = s.source_id;
    SetLocked(s.provider, source_id, std::move(s.keys), absl::InfinitePast());
    for (const std::string& id : borrowed) {
      if (id != source_id) target.erase(id);
    }
  }
  provider_keys_.clear();
  std::vector<std::string> names;
  for (const auto& [name, unused] : sources_) names.push_back(name);
  for (const std::string& name : names) RebuildProviderLocked(name);
  PublishLocked();
}

std::vector<SourceInfo> KeyStore::Sources() const {
  absl::MutexLock lock(&mu_);
  std::vector<SourceInfo> out;
  for (const auto& [provider, sources] : sources_) {
    for (const auto& [id, record] : sources) {
      out.push_back(SourceInfo{provider, id, !record.loaded,
                               record.entries.size(), record.duplicate_kids,
                               record.refreshed_at});
    }
  }
  return out;
}

}  // namespace jwtauth
