#include "core/unknown_kid_limiter.h"

#include <algorithm>

namespace jwtauth {

bool EarlyRefetchLimiter::Request(absl::Time now, absl::Duration min_interval) {
  if (due_ != absl::InfiniteFuture()) return false;  // already pending
  due_ = std::max(now, last_ + min_interval);
  return true;
}

bool EarlyRefetchLimiter::BeginFetch(absl::Time now, bool forced) {
  const bool early = forced || due_ <= now;
  if (early) last_ = now;
  due_ = absl::InfiniteFuture();  // this fetch serves those requests
  return early;
}

bool NegativeKidCache::Contains(absl::string_view provider,
                                absl::string_view kid, absl::Time now) const {
  auto p = by_provider_.find(provider);
  if (p == by_provider_.end()) return false;
  auto k = p->second.find(kid);
  return k != p->second.end() && k->second > now;
}

void NegativeKidCache::Remember(const std::string& provider,
                                const std::string& kid, absl::Time now) {
  if (entries_ >= max_entries_) MakeRoom(now);
  if (max_entries_ == 0) return;
  auto [it, inserted] =
      by_provider_[provider].insert_or_assign(kid, now + ttl_);
  if (inserted) ++entries_;
}

void NegativeKidCache::Forget(const std::string& provider,
                              const std::string& kid) {
  auto p = by_provider_.find(provider);
  if (p != by_provider_.end() && p->second.erase(kid) > 0) --entries_;
}

void NegativeKidCache::MakeRoom(absl::Time now) {
  entries_ = 0;
  for (auto& [provider, kids] : by_provider_) {
    absl::erase_if(kids, [now](const auto& e) { return e.second <= now; });
    entries_ += kids.size();
  }
  if (entries_ >= max_entries_) {
    for (auto& [provider, kids] : by_provider_) kids.clear();
    entries_ = 0;
  }
}

}  // namespace jwtauth
