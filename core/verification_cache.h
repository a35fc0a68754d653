#ifndef JWTAUTH_CORE_VERIFICATION_CACHE_H_
#define JWTAUTH_CORE_VERIFICATION_CACHE_H_

// VerificationCache: a bounded, sharded cache of successful verification
// results, used by TokenVerifier (VerifierConfig.cache).
//
// Key: a canonical length-prefixed encoding of the token bytes and every
// VerifyOptions field that changes the result (provider, audience, context;
// see KeyFor). Exact bytes rather than SHA-256: a lookup then costs one fast
// hash and one memcmp, and two keys are equal only when every part is equal,
// so no framing inside a token or an option can collide with another
// request (the verifier additionally refuses any token byte outside the
// compact-JWS alphabet before the lookup). The memory cost (token size per
// entry) is counted in the byte bound. Each entry also records the id of the
// TokenVerifier (config generation) that produced it and is only served to
// that verifier, so one cache may be shared across config reloads.
//
// An entry is served only while:
//   - now < the token's exp (a token without exp is never cached), and
//   - the KeySet generation is the one it was verified under, or the key
//     that verified it (KeyEntry::id, stable across reloads of the same key
//     material) is still in the provider's keys of the current snapshot.
//     Otherwise it is dropped (a removed or replaced key never serves).
// Failures are never cached: most are found before any crypto (cheap to
// recompute); KEY_NOT_FOUND / KEYS_UNAVAILABLE / time failures are
// transient; and caching attacker-chosen garbage would let an attacker evict
// good entries.
//
// Bounds: max_entries and max_bytes (approximate: token data + overhead),
// split evenly across shards; CLOCK (second-chance) eviction within a shard.
//
// Cost of a hit (the hot path): no allocation and no lock for a token this
// thread looked up recently: each thread keeps a small direct-mapped table
// (kThreadSlots entries per thread, shared by all caches, tagged with the
// cache's uid) in front of the shards, validated by the same rules as a
// shard entry (verifier id, exp, key still present, Clear()). Otherwise a
// shard's reader lock (hits do not exclude each other: no LRU splice, just
// a relaxed "referenced" bit for CLOCK). Counters are striped relaxed
// atomics. A thread-table entry keeps its result alive after the shard
// evicted it (never past exp or its key's removal): at most kThreadSlots
// results per thread beyond max_entries/max_bytes.
//
// Thread-safe. Not copyable or movable.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/key_set.h"
#include "core/verifier.h"

namespace jwtauth {

class VerificationCache final {
 public:
  struct Options {
    size_t max_entries = 100000;
    size_t max_bytes = 64 * 1024 * 1024;
    size_t shards = 16;
  };
  struct Stats {
    uint64_t hits = 0;
    uint64_t misses = 0;
    uint64_t inserts = 0;
    uint64_t evictions = 0;      // size/byte bound
    uint64_t invalidations = 0;  // expired or key removed
    size_t entries = 0;
    size_t bytes = 0;
  };
  // A view of the key bytes; see KeyFor().
  using CacheKey = absl::string_view;
  // Per-thread fast table size (direct-mapped by key hash).
  static constexpr size_t kThreadSlots = 64;

  // InvalidArgument when a bound is zero or shards > max_entries.
  static absl::StatusOr<std::unique_ptr<VerificationCache>> Create(
      const Options& options);
  ~VerificationCache();
  VerificationCache(const VerificationCache&) = delete;
  VerificationCache& operator=(const VerificationCache&) = delete;

  // The cache key of (token, options): every part length-prefixed (4 bytes,
  // little-endian), context pairs sorted. A view of a thread-local buffer,
  // valid until the next KeyFor() call on this thread. No allocation once
  // the buffer has grown.
  static CacheKey KeyFor(absl::string_view token, const VerifyOptions& options);

  std::optional<VerifiedToken> Lookup(const CacheKey& key, uint64_t verifier_id,
                                      const KeySet& snapshot, absl::Time now);
  void Insert(const CacheKey& key, uint64_t verifier_id, uint64_t generation,
              const VerifiedToken& token);
  void Clear();
  Stats stats() const;

 private:
  struct Entry;
  struct Shard;
  struct ThreadSlot;
  // Striped so concurrent hits on different threads rarely share a line.
  static constexpr size_t kStripes = 16;
  struct alignas(64) Counters {
    std::atomic<uint64_t> hits{0};
    std::atomic<uint64_t> misses{0};
  };

  explicit VerificationCache(const Options& options);
  Shard& ShardFor(size_t hash);
  Counters& CountersForThisThread();
  static ThreadSlot& SlotFor(size_t hash);
  std::optional<VerifiedToken> LookupThreadSlot(
      ThreadSlot& slot, const CacheKey& key, size_t hash, uint64_t verifier_id,
      const KeySet& snapshot, absl::Time now);
  std::optional<VerifiedToken> LookupShard(Shard& s, const CacheKey& key,
                                           uint64_t verifier_id,
                                           const KeySet& snapshot,
                                           absl::Time now);
  void EraseIfStale(Shard& s, const CacheKey& key, const KeySet& snapshot,
                    absl::Time now);

  const uint64_t uid_;  // process-unique: tags this cache's thread slots
  std::atomic<uint64_t> clear_epoch_{0};
  size_t max_entries_per_shard_;
  size_t max_bytes_per_shard_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::array<Counters, kStripes> counters_;
};

}  // namespace jwtauth

#endif  // JWTAUTH_CORE_VERIFICATION_CACHE_H_
