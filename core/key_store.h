#ifndef JWTAUTH_CORE_KEY_STORE_H_
#define JWTAUTH_CORE_KEY_STORE_H_

// KeyStore: holds the current KeySet snapshot and publishes replacements
// with one atomic pointer swap. Readers call Current() once per request and
// never block on writers. Writers (config load, the JWKS refresher) are
// serialised by an internal mutex and build the new KeySet off the hot path;
// only the changed provider's index is rebuilt, the others are shared with
// the previous snapshot.
//
// Keys are grouped by (provider, source): a source is one configured static
// key, key file, JWKS file, JWKS URL or the primary signing key. Replacing
// one source's keys leaves every other source untouched. A source registered
// as pending (a JWKS URL that has never loaded) makes its provider report
// KEYS_UNAVAILABLE instead of KEY_NOT_FOUND while all of the provider's
// sources are pending.
//
// The primary signing key lives in TokenIssuer (core/issuer.h); its
// verification half is published here by the wiring code as an ordinary
// source, conventionally "signing:<kid>" (SigningKey::VerificationKey()).
// Rotation = publish the new "signing:<kid>" source and keep the old one
// (state kRetiring) until RemoveSource.
//
// Usage: every key's verification count and last use are counted lock-free
// (KeyEntry::RecordUse) and survive reloads that bring the same key back;
// metrics and ListKeys read them from Current()->AllEntries().
//
// Refresh times: SetSourceKeys() and MarkSourceRefreshed() — the
// per-source path the JWKS refresher uses — stamp the source with the
// injected clock's time (SourceInfo::refreshed_at, ListKeys'
// KeyInfo.refreshed_at). ReplaceAll() (a whole-config load of static keys)
// does not; a pending entry or a `keep` entry of ReplaceAll keeps its stamp.
//
// Thread-safe. Not copyable or movable.
//
//   store.SetSourceKeys("default", "jwks:https://idp/keys", std::move(keys));
//   KeySetSnapshot snap = store.Current();   // hot path, lock-free

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "core/key.h"
#include "core/key_set.h"

namespace jwtauth {

// Told when a token names a kid the provider does not have (the JWKS
// refresher uses it to refetch early). Must be cheap and non-blocking: it is
// called on the request path.
class UnknownKidObserver {
 public:
  virtual ~UnknownKidObserver() = default;
  virtual void OnUnknownKid(absl::string_view provider,
                            absl::string_view kid) = 0;
};

// One source's content for ReplaceAll().
struct SourceKeys {
  std::string provider;
  std::string source_id;
  std::vector<Key> keys;
  bool pending = false;  // true: register as pending (keys ignored)
};

// State of one source (for /readyz and logs).
struct SourceInfo {
  std::string provider;
  std::string source_id;
  bool pending = false;  // never loaded
  size_t key_count = 0;
  std::vector<std::string> duplicate_kids;  // reported at load
  // Last SetSourceKeys()/MarkSourceRefreshed() of this source (clock time);
  // InfinitePast() if never (static sources loaded through ReplaceAll()).
  absl::Time refreshed_at = absl::InfinitePast();
};

class KeyStore final {
 public:
  KeyStore();
  // `clock` stamps SourceInfo::refreshed_at; not owned, must outlive this.
  explicit KeyStore(const Clock* clock);
  KeyStore(const KeyStore&) = delete;
  KeyStore& operator=(const KeyStore&) = delete;

  // Lock-free snapshot read (std::atomic<std::shared_ptr<const KeySet>>).
  // Never null.
  KeySetSnapshot Current() const;

  // Replace all keys of (provider, source_id) and publish. Clears "pending".
  // Duplicate kids within `keys` are kept (each is tried) and reported in
  // Sources().
  void SetSourceKeys(absl::string_view provider, absl::string_view source_id,
                     std::vector<Key> keys) ABSL_LOCKS_EXCLUDED(mu_);
  // Re-stamps refreshed_at of a loaded source whose keys were confirmed
  // unchanged (a JWKS 304 Not Modified). Publishes nothing; no-op for an
  // unknown or pending source.
  void MarkSourceRefreshed(absl::string_view provider,
                           absl::string_view source_id)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Register a source that has not loaded yet (keeps old keys if any).
  void MarkSourcePending(absl::string_view provider,
                         absl::string_view source_id) ABSL_LOCKS_EXCLUDED(mu_);
  void RemoveSource(absl::string_view provider, absl::string_view source_id)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Replace every source at once (config reload), published as one
  // snapshot: each entry of `sources` is set (or marked pending; a pending
  // entry keeps the keys of an already loaded source of the same name), every
  // source listed in `keep` (provider, source_id) is left as it is, and all
  // other sources are removed.
  void ReplaceAll(
      std::vector<SourceKeys> sources,
      const std::vector<std::pair<std::string, std::string>>& keep = {})
      ABSL_LOCKS_EXCLUDED(mu_);

  std::vector<SourceInfo> Sources() const ABSL_LOCKS_EXCLUDED(mu_);

  // Kids that appear more than once in `keys` (each listed once).
  static std::vector<std::string> FindDuplicateKids(
      const std::vector<Key>& keys);

 private:
  struct SourceRecord {
    std::vector<KeyEntryPtr> entries;
    bool loaded = false;
    std::vector<std::string> duplicate_kids;
    absl::Time refreshed_at = absl::InfinitePast();
  };
  using ProviderSources = std::map<std::string, SourceRecord>;

  // `refreshed_at`: the stamp of the new record (InfinitePast: none).
  void SetLocked(const std::string& provider, const std::string& source_id,
                 std::vector<Key> keys, absl::Time refreshed_at)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RebuildProviderLocked(const std::string& provider)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PublishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Clock* const clock_;  // not owned
  mutable absl::Mutex mu_;
  std::map<std::string, ProviderSources> sources_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, ProviderKeysPtr> provider_keys_
      ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<KeySetSnapshot> current_;
};

}  // namespace jwtauth

#endif  // JWTAUTH_CORE_KEY_STORE_H_
