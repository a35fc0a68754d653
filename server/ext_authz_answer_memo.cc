#include "server/ext_authz_answer_memo.h"

#include <utility>

#include "core/status_macros.h"

namespace jwtauth::server {

AllowedCheckMemo::~AllowedCheckMemo() {
  for (auto& slot : slots_) delete slot.load(std::memory_order_acquire);
}

absl::StatusOr<const CheckAnswer*> AllowedCheckMemo::Current(
    Item& item, absl::Time now, Build build,
    std::shared_ptr<const CheckAnswer>* hold) {
  if (item.fixed != nullptr) return item.fixed.get();
  absl::MutexLock lock(&item.mu);
  if (item.current == nullptr || now >= item.current->refresh_at) {
    JWTAUTH_ASSIGN_OR_RETURN(CheckAnswer fresh, build());
    item.current = std::make_shared<const CheckAnswer>(std::move(fresh));
  }
  *hold = item.current;
  return hold->get();
}

absl::StatusOr<const CheckAnswer*> AllowedCheckMemo::Get(
    const void* route, const void* source, absl::Time now, Build build,
    std::shared_ptr<const CheckAnswer>* hold) {
  for (auto& slot : slots_) {
    Item* item = slot.load(std::memory_order_acquire);
    if (item == nullptr) {
      JWTAUTH_ASSIGN_OR_RETURN(CheckAnswer answer, build());
      auto fresh = std::make_unique<Item>();
      fresh->route = route;
      fresh->source = source;
      std::shared_ptr<const CheckAnswer> first;
      if (answer.refresh_at == absl::InfiniteFuture()) {
        fresh->fixed = std::make_unique<const CheckAnswer>(std::move(answer));
      } else {
        first = std::make_shared<const CheckAnswer>(std::move(answer));
        absl::MutexLock lock(&fresh->mu);
        fresh->current = first;
      }
      Item* expected = nullptr;
      if (slot.compare_exchange_strong(expected, fresh.get(),
                                       std::memory_order_acq_rel)) {
        Item* published = fresh.release();
        if (published->fixed != nullptr) return published->fixed.get();
        *hold = std::move(first);  // served at least once, even if stale
        return hold->get();
      }
      item = expected;  // another thread published first
    }
    if (item->route == route && item->source == source) {
      return Current(*item, now, build, hold);
    }
  }
  JWTAUTH_ASSIGN_OR_RETURN(CheckAnswer answer, build());
  *hold = std::make_shared<const CheckAnswer>(std::move(answer));
  return hold->get();
}

}  // namespace jwtauth::server
