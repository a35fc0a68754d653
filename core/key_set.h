#ifndef JWTAUTH_CORE_KEY_SET_H_
#define JWTAUTH_CORE_KEY_SET_H_

// KeySet: an immutable snapshot of every verification key the service
// knows, grouped by provider (tenant) and indexed by (provider, kid) and by
// (provider, key type) for tokens without a kid. A provider's issuers are
// part of its policy, so "(issuer, kid)" lookups go issuer → provider(s)
// (TokenVerifier) → (provider, kid) here.
//
// Each key sits in a KeyEntry that also carries its usage counters
// (verifications, last use). Entries are shared between successive
// snapshots while their source is unchanged, and a source reload that brings
// back the same key (same kid, alg binding, material fingerprint, issuer
// binding) carries the counters and the entry id over, so a JWKS refresh
// neither resets usage nor invalidates cached verification results.
//
// Ownership: a KeySet owns shared_ptrs to its entries; KeySetSnapshot is the
// shared handle readers hold for the duration of one request.
// Thread-safety: immutable after Build(); KeyEntry::RecordUse() updates
// relaxed atomics and may be called from any thread.
// Failure modes: none at lookup time; lookups return empty spans.
//
//   KeySet::Builder b(/*generation=*/7);
//   b.AddProvider(std::make_shared<const ProviderKeys>(
//       "default", entries, /*has_loaded_source=*/true,
//       /*has_pending_source=*/false));
//   KeySetSnapshot snap = std::move(b).Build();
//   for (const KeyEntry* e : snap->FindByKid("default", "k1")) { /* ... */ }

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/algorithm.h"
#include "core/key.h"

namespace jwtauth {

// Usage counters of one key. Lock-free (relaxed atomics): a counter may lag
// a concurrent reader by a few increments, never more.
class KeyUsageCounters final {
 public:
  KeyUsageCounters() = default;
  KeyUsageCounters(const KeyUsageCounters&) = delete;
  KeyUsageCounters& operator=(const KeyUsageCounters&) = delete;

  void Record(absl::Time now) {
    verifications_.fetch_add(1, std::memory_order_relaxed);
    last_used_ns_.store(absl::ToUnixNanos(now), std::memory_order_relaxed);
  }
  uint64_t verifications() const {
    return verifications_.load(std::memory_order_relaxed);
  }
  // nullopt until the key verified its first token.
  std::optional<absl::Time> last_used() const {
    int64_t ns = last_used_ns_.load(std::memory_order_relaxed);
    if (ns == kNever) return std::nullopt;
    return absl::FromUnixNanos(ns);
  }

 private:
  static constexpr int64_t kNever = INT64_MIN;
  std::atomic<uint64_t> verifications_{0};
  std::atomic<int64_t> last_used_ns_{kNever};
};

// One key of one (provider, source). Immutable except for its counters.
// Not copyable (shared through shared_ptr<const KeyEntry>).
class KeyEntry final {
 public:
  // `id` 0 = assign a fresh process-unique id; `usage` null = fresh counters.
  KeyEntry(std::string provider, std::string source_id, Key key,
           uint64_t id = 0, std::shared_ptr<KeyUsageCounters> usage = nullptr);
  KeyEntry(const KeyEntry&) = delete;
  KeyEntry& operator=(const KeyEntry&) = delete;

  const std::string& provider() const { return provider_; }
  const std::string& source_id() const { return source_id_; }
  const Key& key() const { return key_; }
  // Process-unique; stays the same across reloads of an identical key.
  uint64_t id() const { return id_; }
  // "Same key" identity used to carry ids/counters across reloads:
  // kid, alg binding, material fingerprint and issuer binding.
  const std::string& identity() const { return identity_; }

  void RecordUse(absl::Time now) const { usage_->Record(now); }
  uint64_t verifications() const { return usage_->verifications(); }
  std::optional<absl::Time> last_used() const { return usage_->last_used(); }
  const std::shared_ptr<KeyUsageCounters>& usage() const { return usage_; }

  static std::string IdentityOf(const Key& key);

 private:
  std::string provider_;
  std::string source_id_;
  Key key_;
  uint64_t id_;
  std::string identity_;
  std::shared_ptr<KeyUsageCounters> usage_;
};

using KeyEntryPtr = std::shared_ptr<const KeyEntry>;

// The keys of one provider inside a snapshot. Immutable; shared between
// snapshots when the provider's sources did not change.
class ProviderKeys final {
 public:
  // `has_loaded_source`: at least one source of the provider has loaded
  // (static keys always count as loaded, even when empty).
  // `has_pending_source`: at least one source has never loaded yet.
  ProviderKeys(std::string provider, std::vector<KeyEntryPtr> entries,
               bool has_loaded_source, bool has_pending_source);
  ProviderKeys(const ProviderKeys&) = delete;
  ProviderKeys& operator=(const ProviderKeys&) = delete;

  const std::string& provider() const { return provider_; }
  // Every key, in source order.
  const std::vector<KeyEntryPtr>& entries() const { return entries_; }
  absl::Span<const KeyEntry* const> FindByKid(absl::string_view kid) const;
  // Keys of one type (kid or not), in source order.
  absl::Span<const KeyEntry* const> FindByType(KeyType kty) const;
  bool ContainsId(uint64_t id) const { return ids_.contains(id); }
  // True iff every configured source is still pending (never loaded): the
  // provider cannot have any key yet → KEYS_UNAVAILABLE.
  bool keys_unavailable() const { return !has_loaded_ && has_pending_; }
  bool has_pending_source() const { return has_pending_; }

 private:
  std::string provider_;
  std::vector<KeyEntryPtr> entries_;
  absl::flat_hash_map<std::string, std::vector<const KeyEntry*>> by_kid_;
  std::vector<const KeyEntry*> by_type_[4];
  absl::flat_hash_set<uint64_t> ids_;
  bool has_loaded_;
  bool has_pending_;
};

using ProviderKeysPtr = std::shared_ptr<const ProviderKeys>;

class KeySet final {
 public:
  class Builder {
   public:
    explicit Builder(uint64_t generation) : generation_(generation) {}
    // Adds (or replaces) one provider's keys.
    Builder& AddProvider(ProviderKeysPtr keys);
    std::shared_ptr<const KeySet> Build() &&;

   private:
    uint64_t generation_;
    absl::flat_hash_map<std::string, ProviderKeysPtr> providers_;
  };

  // An empty set of generation 0.
  static std::shared_ptr<const KeySet> Empty();

  KeySet(const KeySet&) = delete;
  KeySet& operator=(const KeySet&) = delete;

  // Increases with every publish of the owning KeyStore.
  uint64_t generation() const { return generation_; }
  // nullptr when the provider has no source at all.
  const ProviderKeys* provider(absl::string_view name) const;
  absl::Span<const KeyEntry* const> FindByKid(absl::string_view provider,
                                              absl::string_view kid) const;
  absl::Span<const KeyEntry* const> FindByType(absl::string_view provider,
                                               KeyType kty) const;
  bool ContainsKey(absl::string_view provider, uint64_t id) const;
  // Provider names, sorted.
  std::vector<std::string> ProviderNames() const;
  size_t size() const { return size_; }
  // Every entry of every provider (providers sorted by name).
  std::vector<const KeyEntry*> AllEntries() const;

 private:
  KeySet(uint64_t generation,
         absl::flat_hash_map<std::string, ProviderKeysPtr> providers);
  uint64_t generation_;
  absl::flat_hash_map<std::string, ProviderKeysPtr> providers_;
  size_t size_ = 0;
};

using KeySetSnapshot = std::shared_ptr<const KeySet>;

}  // namespace jwtauth

#endif  // JWTAUTH_CORE_KEY_SET_H_
