#include "core/key_set.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace jwtauth {
namespace {

std::atomic<uint64_t> next_entry_id{1};

}  // namespace

KeyEntry::KeyEntry(std::string provider, std::string source_id, Key key,
                   uint64_t id, std::shared_ptr<KeyUsageCounters> usage)
    : provider_(std::move(provider)),
      source_id_(std::move(source_id)),
      key_(std::move(key)),
      id_(id != 0 ? id : next_entry_id.fetch_add(1, std::memory_order_relaxed)),
      identity_(IdentityOf(key_)),
      usage_(usage != nullptr ? std::move(usage)
                              : std::make_shared<KeyUsageCounters>()) {}

std::string KeyEntry::IdentityOf(const Key& key) {
  // The fingerprint is a SHA-256 (hex) of the public key or secret: safe to
  // keep in memory next to the key, never logged.
  // The issuer binding is part of the identity: a reload that rebinds a
  // key gets a fresh entry id, so no cached result verified under the old
  // binding can be served under the new one.
  return absl::StrCat(key.kid(), "\x1f",
                      key.alg() ? AlgorithmName(*key.alg()) : "*", "\x1f",
                      key.material().Fingerprint(), "\x1f", key.issuer());
}

ProviderKeys::ProviderKeys(std::string provider,
                           std::vector<KeyEntryPtr> entries,
                           bool has_loaded_source, bool has_pending_source)
    : provider_(std::move(provider)),
      entries_(std::move(entries)),
      has_loaded_(has_loaded_source),
      has_pending_(has_pending_source) {
  ids_.reserve(entries_.size());
  for (const KeyEntryPtr& e : entries_) {
    const KeyEntry* p = e.get();
    if (!p->key().kid().empty()) by_kid_[p->key().kid()].push_back(p);
    by_type_[static_cast<int>(p->key().kty())].push_back(p);
    ids_.insert(p->id());
  }
}

absl::Span<const KeyEntry* const> ProviderKeys::FindByKid(
    absl::string_view kid) const {
  auto it = by_kid_.find(kid);
  if (it == by_kid_.end()) return {};
  return it->second;
}

absl::Span<const KeyEntry* const> ProviderKeys::FindByType(KeyType kty) const {
  return by_type_[static_cast<int>(kty)];
}

KeySet::Builder& KeySet::Builder::AddProvider(ProviderKeysPtr keys) {
  std::string name = keys->provider();
  providers_[std::move(name)] = std::move(keys);
  return *this;
}

std::shared_ptr<const KeySet> KeySet::Builder::Build() && {
  return std::shared_ptr<const KeySet>(
      new KeySet(generation_, std::move(providers_)));
}

std::shared_ptr<const KeySet> KeySet::Empty() {
  return std::shared_ptr<const KeySet>(new KeySet(0, {}));
}

KeySet::KeySet(uint64_t generation,
               absl::flat_hash_map<std::string, ProviderKeysPtr> providers)
    : generation_(generation), providers_(std::move(providers)) {
  for (const auto& [name, keys] : providers_) size_ += keys->entries().size();
}

const ProviderKeys* KeySet::provider(absl::string_view name) const {
  auto it = providers_.find(name);
  return it == providers_.end() ? nullptr : it->second.get();
}

absl::Span<const KeyEntry* const> KeySet::FindByKid(
    absl::string_view provider_name, absl::string_view kid) const {
  const ProviderKeys* p = provider(provider_name);
  return p == nullptr ? absl::Span<const KeyEntry* const>() : p->FindByKid(kid);
}

absl::Span<const KeyEntry* const> KeySet::FindByType(
    absl::string_view provider_name, KeyType kty) const {
  const ProviderKeys* p = provider(provider_name);
  return p == nullptr ? absl::Span<const KeyEntry* const>()
                      : p->FindByType(kty);
}

bool KeySet::ContainsKey(absl::string_view provider_name, uint64_t id) const {
  const ProviderKeys* p = provider(provider_name);
  return p != nullptr && p->ContainsId(id);
}

std::vector<std::string> KeySet::ProviderNames() const {
  std::vector<std::string> names;
  names.reserve(providers_.size());
  for (const auto& [name, keys] : providers_) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<const KeyEntry*> KeySet::AllEntries() const {
  std::vector<const KeyEntry*> out;
  out.reserve(size_);
  for (const std::string& name : ProviderNames()) {
    for (const KeyEntryPtr& e : provider(name)->entries())
      out.push_back(e.get());
  }
  return out;
}

}  // namespace jwtauth
