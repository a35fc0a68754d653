#include "core/verification_cache.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "absl/hash/hash.h"

namespace jwtauth {

// One cached result. Immutable once inserted except `generation` (the last
// KeySet generation it was validated under) and the CLOCK bit, both relaxed
// atomics written by readers.
struct VerificationCache::Entry {
  Entry(absl::string_view k, uint64_t vid, uint64_t gen, absl::Time exp,
        size_t b, VerifiedToken t)
      : key(k),
        verifier_id(vid),
        generation(gen),
        expires_at(exp),
        bytes(b),
        token(std::move(t)) {}
  const std::string key;
  const uint64_t verifier_id;
  std::atomic<uint64_t> generation;
  const absl::Time expires_at;
  const size_t bytes;
  const VerifiedToken token;
  std::atomic<bool> referenced{false};
};

struct VerificationCache::Shard {
  absl::Mutex mu;
  // Keys view Entry::key (entries never move: they are heap nodes).
  absl::flat_hash_map<absl::string_view, size_t> index ABSL_GUARDED_BY(mu);
  // CLOCK ring: null = free slot (listed in `free`), reused before growing.
  std::vector<std::unique_ptr<Entry>> ring ABSL_GUARDED_BY(mu);
  std::vector<size_t> free ABSL_GUARDED_BY(mu);
  size_t hand ABSL_GUARDED_BY(mu) = 0;
  size_t bytes ABSL_GUARDED_BY(mu) = 0;
  std::atomic<uint64_t> inserts{0};
  std::atomic<uint64_t> evictions{0};
  std::atomic<uint64_t> invalidations{0};

  void EraseAt(size_t i) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  void EvictOne() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
};

// A copy of a shard hit, private to one thread. `cache_uid` 0 = empty.
struct VerificationCache::ThreadSlot {
  uint64_t cache_uid = 0;
  uint64_t clear_epoch = 0;
  size_t hash = 0;
  std::string key;
  uint64_t verifier_id = 0;
  uint64_t generation = 0;
  absl::Time expires_at;
  std::optional<VerifiedToken> token;
};

namespace {

std::atomic<uint64_t> next_cache_uid{1};

// True while a result verified by `key_id` of `provider` under generation
// `generation` may still be served under `snapshot` at `now`.
bool StillValid(absl::Time expires_at, uint64_t generation,
                const std::string& provider, uint64_t key_id,
                const KeySet& snapshot, absl::Time now) {
  if (now >= expires_at) return false;
  return generation == snapshot.generation() ||
         snapshot.ContainsKey(provider, key_id);
}

}  // namespace

size_t VerifiedToken::ApproxBytes() const {
  // A claims tree, when a caller has one built (Check, exchange), costs a
  // few times its text and a memoised serialized answer about twice: both
  // are counted up front, as the cached token may gain them while cached.
  // The constant covers the Data block, strings' headers, the shared_ptr
  // control block and the memo slots.
  size_t n =
      384 + d_->provider.size() + d_->kid.size() + d_->claims_json.size() * 6;
  for (const auto& [k, v] : d_->metadata) n += 64 + k.size() + v.size();
  return n;
}

absl::StatusOr<std::unique_ptr<VerificationCache>> VerificationCache::Create(
    const Options& options) {
  if (options.max_entries == 0 || options.max_bytes == 0 ||
      options.shards == 0) {
    return absl::InvalidArgumentError(
        "cache: max_entries, max_bytes and shards must be positive");
  }
  if (options.shards > options.max_entries) {
    return absl::InvalidArgumentError("cache: shards must be <= max_entries");
  }
  return std::unique_ptr<VerificationCache>(new VerificationCache(options));
}

VerificationCache::VerificationCache(const Options& options)
    : uid_(next_cache_uid.fetch_add(1, std::memory_order_relaxed)),
      max_entries_per_shard_(
          std::max<size_t>(1, options.max_entries / options.shards)),
      max_bytes_per_shard_(
          std::max<size_t>(1, options.max_bytes / options.shards)) {
  shards_.reserve(options.shards);
  for (size_t i = 0; i < options.shards; ++i) {
    shards_.push_back(std::make_unique<Shard>());
  }
}

VerificationCache::~VerificationCache() = default;

VerificationCache::CacheKey VerificationCache::KeyFor(
    absl::string_view token, const VerifyOptions& options) {
  // A canonical, self-delimiting encoding of every input that changes the
  // result: each part is a 4-byte little-endian length followed by its
  // bytes, the context is a count followed by its pairs sorted by key (a
  // map's iteration order is unspecified). No choice of token, provider,
  // audience or context bytes can encode the same string as another tuple,
  // whatever bytes they contain (the verifier also refuses tokens outside
  // the compact-JWS alphabet before any lookup; this does not rely on it).
  static thread_local std::string buf;
  buf.clear();
  auto add_len = [](size_t len) {
    const uint32_t n = static_cast<uint32_t>(len);
    const char le[4] = {static_cast<char>(n & 0xff),
                        static_cast<char>((n >> 8) & 0xff),
                        static_cast<char>((n >> 16) & 0xff),
                        static_cast<char>((n >> 24) & 0xff)};
    buf.append(le, sizeof(le));
  };
  auto add = [&add_len](absl::string_view s) {
    add_len(s.size());
    buf.append(s.data(), s.size());
  };
  add(token);
  add(options.provider);
  add(options.audience);
  add_len(options.context.size());
  if (!options.context.empty()) {
    std::vector<std::pair<absl::string_view, absl::string_view>> ctx(
        options.context.begin(), options.context.end());
    std::sort(ctx.begin(), ctx.end());
    for (const auto& [k, v] : ctx) {
      add(k);
      add(v);
    }
  }
  return buf;
}

VerificationCache::Shard& VerificationCache::ShardFor(size_t hash) {
  // High bits pick the shard, low bits the thread slot and (rehashed) the
  // map bucket, so the three do not correlate.
  return *shards_[(hash >> 32) % shards_.size()];
}

VerificationCache::Counters& VerificationCache::CountersForThisThread() {
  static std::atomic<size_t> next_stripe{0};
  static thread_local const size_t stripe =
      next_stripe.fetch_add(1, std::memory_order_relaxed) % kStripes;
  return counters_[stripe];
}

VerificationCache::ThreadSlot& VerificationCache::SlotFor(size_t hash) {
  // Shared by every cache in the process; a slot is tagged with its cache's
  // uid, so a slot of another (or a destroyed) cache never matches.
  static thread_local std::array<ThreadSlot, kThreadSlots> slots;
  return slots[hash % kThreadSlots];
}

std::optional<VerifiedToken> VerificationCache::Lookup(const CacheKey& key,
                                                       uint64_t verifier_id,
                                                       const KeySet& snapshot,
                                                       absl::Time now) {
  const size_t hash = absl::HashOf(key);
  ThreadSlot& slot = SlotFor(hash);
  std::optional<VerifiedToken> out =
      LookupThreadSlot(slot, key, hash, verifier_id, snapshot, now);
  if (!out.has_value()) {
    // Read before the shard: a Clear() after this makes the slot stale.
    const uint64_t epoch = clear_epoch_.load(std::memory_order_acquire);
    out = LookupShard(ShardFor(hash), key, verifier_id, snapshot, now);
    if (!out.has_value()) {
      CountersForThisThread().misses.fetch_add(1, std::memory_order_relaxed);
      return std::nullopt;
    }
    slot.cache_uid = uid_;
    slot.clear_epoch = epoch;
    slot.hash = hash;
    slot.key.assign(key.data(), key.size());
    slot.verifier_id = verifier_id;
    slot.generation = snapshot.generation();
    slot.expires_at = *out->expires_at();
    slot.token = *out;
  }
  CountersForThisThread().hits.fetch_add(1, std::memory_order_relaxed);
  if (out->d_->usage) out->d_->usage->Record(now);
  return out;
}

std::optional<VerifiedToken> VerificationCache::LookupThreadSlot(
    ThreadSlot& slot, const CacheKey& key, size_t hash, uint64_t verifier_id,
    const KeySet& snapshot, absl::Time now) {
  if (slot.cache_uid != uid_ || slot.hash != hash ||
      slot.verifier_id != verifier_id || slot.key != key) {
    return std::nullopt;
  }
  const VerifiedToken::Data& d = *slot.token->d_;
  if (slot.clear_epoch != clear_epoch_.load(std::memory_order_acquire) ||
      !StillValid(slot.expires_at, slot.generation, d.provider, d.key_id,
                  snapshot, now)) {
    // Fall through to the shard, which drops the entry for good.
    slot.cache_uid = 0;
    slot.token.reset();
    return std::nullopt;
  }
  slot.generation = snapshot.generation();
  return slot.token;
}

std::optional<VerifiedToken> VerificationCache::LookupShard(
    Shard& s, const CacheKey& key, uint64_t verifier_id, const KeySet& snapshot,
    absl::Time now) {
  {
    absl::ReaderMutexLock lock(&s.mu);
    auto it = s.index.find(key);
    if (it == s.index.end()) return std::nullopt;
    Entry& e = *s.ring[it->second];
    if (e.verifier_id != verifier_id) return std::nullopt;
    const VerifiedToken::Data& d = *e.token.d_;
    if (StillValid(e.expires_at, e.generation.load(std::memory_order_relaxed),
                   d.provider, d.key_id, snapshot, now)) {
      if (e.generation.load(std::memory_order_relaxed) !=
          snapshot.generation()) {
        e.generation.store(snapshot.generation(), std::memory_order_relaxed);
      }
      if (!e.referenced.load(std::memory_order_relaxed)) {
        e.referenced.store(true, std::memory_order_relaxed);
      }
      return e.token;
    }
  }
  EraseIfStale(s, key, snapshot, now);
  return std::nullopt;
}

void VerificationCache::EraseIfStale(Shard& s, const CacheKey& key,
                                     const KeySet& snapshot, absl::Time now) {
  absl::MutexLock lock(&s.mu);
  auto it = s.index.find(key);
  if (it == s.index.end()) return;  // another thread got there first
  const Entry& e = *s.ring[it->second];
  const VerifiedToken::Data& d = *e.token.d_;
  if (StillValid(e.expires_at, e.generation.load(std::memory_order_relaxed),
                 d.provider, d.key_id, snapshot, now)) {
    return;
  }
  s.invalidations.fetch_add(1, std::memory_order_relaxed);
  s.EraseAt(it->second);
}

void VerificationCache::Shard::EraseAt(size_t i) {
  std::unique_ptr<Entry>& e = ring[i];
  bytes -= e->bytes;
  index.erase(absl::string_view(e->key));
  e.reset();
  free.push_back(i);
}

void VerificationCache::Shard::EvictOne() {
  // Second chance: a referenced entry loses its bit and survives this
  // pass; two passes always find a victim (the shard is not empty).
  for (size_t step = 0; step < 2 * ring.size(); ++step) {
    if (hand >= ring.size()) hand = 0;
    const size_t i = hand++;
    Entry* e = ring[i].get();
    if (e == nullptr) continue;
    if (e->referenced.load(std::memory_order_relaxed)) {
      e->referenced.store(false, std::memory_order_relaxed);
      continue;
    }
    evictions.fetch_add(1, std::memory_order_relaxed);
    EraseAt(i);
    return;
  }
}

void VerificationCache::Insert(const CacheKey& key, uint64_t verifier_id,
                               uint64_t generation,
                               const VerifiedToken& token) {
  if (!token.expires_at().has_value()) return;  // never cache without exp
  size_t bytes = token.ApproxBytes() + sizeof(Entry) + 64 + key.size();
  if (bytes > max_bytes_per_shard_) return;
  Shard& s = ShardFor(absl::HashOf(key));
  absl::MutexLock lock(&s.mu);
  auto existing = s.index.find(key);
  if (existing != s.index.end()) s.EraseAt(existing->second);
  while (!s.index.empty() && (s.index.size() >= max_entries_per_shard_ ||
                              s.bytes + bytes > max_bytes_per_shard_)) {
    s.EvictOne();
  }
  size_t at = s.ring.size();
  if (s.free.empty()) {
    s.ring.emplace_back();
  } else {
    at = s.free.back();
    s.free.pop_back();
  }
  s.ring[at] = std::make_unique<Entry>(key, verifier_id, generation,
                                       *token.expires_at(), bytes, token);
  s.index.emplace(absl::string_view(s.ring[at]->key), at);
  s.bytes += bytes;
  s.inserts.fetch_add(1, std::memory_order_relaxed);
}

void VerificationCache::Clear() {
  // Thread slots compare this epoch on every hit: none serves after this.
  clear_epoch_.fetch_add(1, std::memory_order_acq_rel);
  for (auto& sp : shards_) {
    absl::MutexLock lock(&sp->mu);
    sp->index.clear();
    sp->ring.clear();
    sp->free.clear();
    sp->hand = 0;
    sp->bytes = 0;
  }
}

VerificationCache::Stats VerificationCache::stats() const {
  Stats total;
  for (const Counters& c : counters_) {
    total.hits += c.hits.load(std::memory_order_relaxed);
    total.misses += c.misses.load(std::memory_order_relaxed);
  }
  for (const auto& sp : shards_) {
    absl::MutexLock lock(&sp->mu);
    total.inserts += sp->inserts.load(std::memory_order_relaxed);
    total.evictions += sp->evictions.load(std::memory_order_relaxed);
    total.invalidations += sp->invalidations.load(std::memory_order_relaxed);
    total.entries += sp->index.size();
    total.bytes += sp->bytes;
  }
  return total;
}

}  // namespace jwtauth
