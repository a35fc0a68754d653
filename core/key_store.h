#ifndef JWTAUTH_CORE_KEY_STORE_H_
#define JWTAUTH_CORE_KEY_STORE_H_

// KeyStore: holds the current KeySet snapshot and publishes replacements
// with one atomic pointer swap. Readers call Current() once per request and
// never block on writers. Writers (config load, the JWKS refresher) are
// serialised by an internal mutex and build the new KeySet off the hot path.
//
// Keys are grouped by (provider, source): a source is one configured static
// key, key file, JWKS file or JWKS URL. Replacing one source's keys leaves
// every other source untouched. A source registered as pending (a JWKS URL
// that has never loaded) makes its provider report KEYS_UNAVAILABLE instead
// of KEY_NOT_FOUND until its first successful load.
//
// Thread-safe. Not copyable or movable.
//
//   store.SetSourceKeys("default", "jwks:https://idp/keys", std::move(keys));
//   KeySetSnapshot snap = store.Current();   // hot path, lock-free

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
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

class KeyStore final {
 public:
  KeyStore();
  KeyStore(const KeyStore&) = delete;
  KeyStore& operator=(const KeyStore&) = delete;

  // Lock-free snapshot read (std::atomic<std::shared_ptr<const KeySet>>).
  KeySetSnapshot Current() const;

  // Replace all keys of (provider, source_id) and publish. Clears "pending".
  void SetSourceKeys(absl::string_view provider, absl::string_view source_id,
                     std::vector<Key> keys) ABSL_LOCKS_EXCLUDED(mu_);
  // Register a source that has not loaded yet (keeps old keys if any).
  void MarkSourcePending(absl::string_view provider,
                         absl::string_view source_id) ABSL_LOCKS_EXCLUDED(mu_);
  void RemoveSource(absl::string_view provider, absl::string_view source_id)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Replace every source at once (config reload): sources not named in
  // `keep_sources` and not in `sources` are removed.
  // (Exact shape owned by the key-store implementation.)

 private:
  mutable absl::Mutex mu_;
  // ... source map guarded by mu_; atomic snapshot pointer.
};

}  // namespace jwtauth

#endif  // JWTAUTH_CORE_KEY_STORE_H_
