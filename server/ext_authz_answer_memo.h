#ifndef JWTAUTH_SERVER_EXT_AUTHZ_ANSWER_MEMO_H_
#define JWTAUTH_SERVER_EXT_AUTHZ_ANSWER_MEMO_H_

// AllowedCheckMemo: the allowed Check answers of ONE verified token, by
// (route, token source), kept on the token (VerifiedToken::Memo slot
// kAllowedCheckMemo) so every verification-cache hit of a hot token reuses
// them.
//
// Two kinds of answer:
//  - fixed (refresh_at = InfiniteFuture): the serialized CheckResponse is
//    built once and served for the token's life. Lock-free: append-only
//    slots, a reader never waits; a lost publish race builds once more.
//  - expiring (refresh_at set; a route with issue_upstream_token): the answer
//    carries a minted token with a jti and exp. It is served until
//    refresh_at, never after: the first request at or past it rebuilds
//    (signs) under the item's mutex, so concurrent requests for a hot token
//    wait for that one signature instead of each signing.
// Keys are addresses (route, source) of the ServingState's ExtAuthzPolicy: a
// VerifiedToken is only served by the verifier of the generation that holds
// that policy, so the addresses outlive the memo.
//
// Thread-safe. Not copyable or movable.

#include <array>
#include <atomic>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace jwtauth::server {

struct CheckAnswer {
  std::string bytes;           // the serialized allowed CheckResponse
  std::string upstream_token;  // "" = none
  absl::Time refresh_at = absl::InfiniteFuture();  // served while now < it
};

class AllowedCheckMemo final {
 public:
  using Build = absl::FunctionRef<absl::StatusOr<CheckAnswer>()>;
  static constexpr size_t kSlots = 4;

  AllowedCheckMemo() = default;
  AllowedCheckMemo(const AllowedCheckMemo&) = delete;
  AllowedCheckMemo& operator=(const AllowedCheckMemo&) = delete;
  ~AllowedCheckMemo();

  // The answer for (route, source) at `now`, built by `build` on first use
  // and, for an expiring answer, again once now >= refresh_at. `*hold`
  // keeps an expiring (or unmemoised) answer alive while the caller uses
  // it. When every slot is taken by other keys, builds into `*hold` each
  // time. A build error is returned and nothing is stored.
  absl::StatusOr<const CheckAnswer*> Get(
      const void* route, const void* source, absl::Time now, Build build,
      std::shared_ptr<const CheckAnswer>* hold);

 private:
  struct Item {
    const void* route;
    const void* source;
    std::unique_ptr<const CheckAnswer> fixed;  // set = a fixed answer
    absl::Mutex mu;  // expiring answers: serialises refreshes
    std::shared_ptr<const CheckAnswer> current ABSL_GUARDED_BY(mu);
  };
  static absl::StatusOr<const CheckAnswer*> Current(
      Item& item, absl::Time now, Build build,
      std::shared_ptr<const CheckAnswer>* hold);

  std::array<std::atomic<Item*>, kSlots> slots_{};
};

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_EXT_AUTHZ_ANSWER_MEMO_H_
