#include "core/verification_cache.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "absl/hash/hash.h"

namespace jwtauth {

size_t VerifiedToken::ApproxBytes() const {
  // The JSON tree costs a few times its text; the constant covers the Data
  // block, strings' headers and the shared_ptr control block.
  size_t n =
      256 + d_->provider.size() + d_->kid.size() + d_->claims_json.size() * 4;
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
    : max_entries_per_shard_(
          std::max<size_t>(1, options.max_entries / options.shards)),
      max_bytes_per_shard_(
          std::max<size_t>(1, options.max_bytes / options.shards)) {
  shards_.reserve(options.shards);
  for (size_t i = 0; i < options.shards; ++i) {
    shards_.push_back(std::make_unique<Shard>());
  }
}

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

VerificationCache::Shard& VerificationCache::ShardFor(const CacheKey& key) {
  // A different seed from the map's own hashing, so shards do not correlate
  // with buckets.
  size_t h = absl::HashOf(key, 0x9e3779b9u);
  return *shards_[h % shards_.size()];
}

void VerificationCache::EraseLocked(Shard& s, std::list<Entry>::iterator it) {
  s.bytes -= it->bytes;
  s.map.erase(absl::string_view(it->key));
  s.lru.erase(it);
}

std::optional<VerifiedToken> VerificationCache::Lookup(const CacheKey& key,
                                                       uint64_t verifier_id,
                                                       const KeySet& snapshot,
                                                       absl::Time now) {
  Shard& s = ShardFor(key);
  std::optional<VerifiedToken> out;
  {
    absl::MutexLock lock(&s.mu);
    auto it = s.map.find(key);
    if (it == s.map.end() || it->second->verifier_id != verifier_id) {
      ++s.stats.misses;
      return std::nullopt;
    }
    Entry& e = *it->second;
    if (now >= e.expires_at) {
      ++s.stats.invalidations;
      ++s.stats.misses;
      EraseLocked(s, it->second);
      return std::nullopt;
    }
    if (e.generation != snapshot.generation()) {
      const VerifiedToken::Data& d = *e.token.d_;
      if (!snapshot.ContainsKey(d.provider, d.key_id)) {
        ++s.stats.invalidations;
        ++s.stats.misses;
        EraseLocked(s, it->second);
        return std::nullopt;
      }
      e.generation = snapshot.generation();
    }
    s.lru.splice(s.lru.begin(), s.lru, it->second);
    ++s.stats.hits;
    out.emplace(e.token);
  }
  if (out->d_->usage) out->d_->usage->Record(now);
  return out;
}

void VerificationCache::Insert(const CacheKey& key, uint64_t verifier_id,
                               uint64_t generation,
                               const VerifiedToken& token) {
  if (!token.expires_at().has_value()) return;  // never cache without exp
  size_t bytes = token.ApproxBytes() + sizeof(Entry) + 64 + key.size();
  if (bytes > max_bytes_per_shard_) return;
  Shard& s = ShardFor(key);
  absl::MutexLock lock(&s.mu);
  auto existing = s.map.find(key);
  if (existing != s.map.end()) EraseLocked(s, existing->second);
  while (!s.lru.empty() && (s.lru.size() >= max_entries_per_shard_ ||
                            s.bytes + bytes > max_bytes_per_shard_)) {
    ++s.stats.evictions;
    EraseLocked(s, std::prev(s.lru.end()));
  }
  s.lru.push_front(Entry{std::string(key), verifier_id, generation,
                         *token.expires_at(), bytes, token});
  s.map.emplace(absl::string_view(s.lru.front().key), s.lru.begin());
  s.bytes += bytes;
  ++s.stats.inserts;
}

void VerificationCache::Clear() {
  for (auto& sp : shards_) {
    absl::MutexLock lock(&sp->mu);
    sp->map.clear();
    sp->lru.clear();
    sp->bytes = 0;
  }
}

VerificationCache::Stats VerificationCache::stats() const {
  Stats total;
  for (const auto& sp : shards_) {
    absl::MutexLock lock(&sp->mu);
    total.hits += sp->stats.hits;
    total.misses += sp->stats.misses;
    total.inserts += sp->stats.inserts;
    total.evictions += sp->stats.evictions;
    total.invalidations += sp->stats.invalidations;
    total.entries += sp->lru.size();
    total.bytes += sp->bytes;
  }
  return total;
}

}  // namespace jwtauth
