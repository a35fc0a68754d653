#ifndef JWTAUTH_CORE_UNKNOWN_KID_LIMITER_H_
#define JWTAUTH_CORE_UNKNOWN_KID_LIMITER_H_

// The two brakes on refetches triggered by tokens naming an unknown kid
// (JwksRefresher::OnUnknownKid), kept apart from the refresher's thread and
// fetch logic so each rule can be read and tested on its own:
//
//  - EarlyRefetchLimiter (one per source): at most one unknown-kid refetch
//    per window; a request inside the window defers the refetch to the
//    window's end instead of dropping it.
//  - NegativeKidCache (one per refresher): kids still unknown after such a
//    refetch are remembered per provider for a TTL and trigger nothing.
//    Bounded: when full, expired entries go first, then everything.
//
// Neither is thread-safe: JwksRefresher guards both with its mutex. Both are
// copyable and movable. Time comes from the caller (no clock inside).

#include <cstddef>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace jwtauth {

class EarlyRefetchLimiter {
 public:
  // Asks for an early refetch at `now`. Returns true if one was scheduled,
  // false if one is already pending (the caller need not wake anyone).
  bool Request(absl::Time now, absl::Duration min_interval);
  // When the pending early refetch is due; InfiniteFuture if none is.
  absl::Time due() const { return due_; }
  // A fetch of the source starts at `now` and serves any pending request.
  // True if it counts as an early refetch (`forced`, or the pending one is
  // due), which starts a new window.
  bool BeginFetch(absl::Time now, bool forced);

 private:
  absl::Time due_ = absl::InfiniteFuture();  // none pending
  absl::Time last_ = absl::InfinitePast();   // last early fetch start
};

class NegativeKidCache {
 public:
  // `max_entries` 0 disables the cache.
  NegativeKidCache(absl::Duration ttl, size_t max_entries)
      : ttl_(ttl), max_entries_(max_entries) {}

  // True while `kid` of `provider` is remembered as unknown at `now`.
  bool Contains(absl::string_view provider, absl::string_view kid,
                absl::Time now) const;
  // Remembers `kid` as unknown until now + ttl (refreshes an existing entry).
  void Remember(const std::string& provider, const std::string& kid,
                absl::Time now);
  // The kid is known again.
  void Forget(const std::string& provider, const std::string& kid);
  size_t size() const { return entries_; }

 private:
  // Full: drop expired entries, and everything if that is not enough.
  void MakeRoom(absl::Time now);

  absl::Duration ttl_;
  size_t max_entries_;
  // provider → kid → until when it is known to be unknown.
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, absl::Time>>
      by_provider_;
  size_t entries_ = 0;
};

}  // namespace jwtauth

#endif  // JWTAUTH_CORE_UNKNOWN_KID_LIMITER_H_
