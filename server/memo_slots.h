#ifndef JWTAUTH_SERVER_MEMO_SLOTS_H_
#define JWTAUTH_SERVER_MEMO_SLOTS_H_

// The VerifiedToken::Memo slot each server module owns (one type per slot).

#include <cstddef>

#include "core/verifier.h"

namespace jwtauth::server {

// std::string: the serialized v1.VerifyResponse (server/verify_handler.cc).
inline constexpr size_t kVerifyResponseMemo = 0;
// AllowedCheckMemo: allowed CheckResponses (and upstream tokens) by route
// (server/ext_authz_answer_memo.h).
inline constexpr size_t kAllowedCheckMemo = 1;
static_assert(kAllowedCheckMemo < VerifiedToken::kMemoSlots);

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_MEMO_SLOTS_H_
