#ifndef JWTAUTH_TESTS_CORE_CRYPTO_OUTCOMES_OUTCOME_LOG_H_
#define JWTAUTH_TESTS_CORE_CRYPTO_OUTCOMES_OUTCOME_LOG_H_

// One line per case on stdout, the format compare_backends.sh diffs:
//   <case id> accepted|rejected <reason>
// The id is unique and stable (file and tcId, or attack name); the reason is
// a FailureReason name or a fixed phrase from core (never OpenSSL text), so
// the lines of two backends compare byte for byte.

#include <cstdio>
#include <string>

#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"

namespace jwtauth::testutil {

inline void EmitOutcome(absl::string_view id, bool accepted,
                        absl::string_view reason) {
  const std::string r =
      absl::StrReplaceAll(reason.empty() ? "-" : reason, {{" ", "_"}});
  std::printf("%.*s %s %s\n", static_cast<int>(id.size()), id.data(),
              accepted ? "accepted" : "rejected", r.c_str());
}

}  // namespace jwtauth::testutil

#endif  // JWTAUTH_TESTS_CORE_CRYPTO_OUTCOMES_OUTCOME_LOG_H_
