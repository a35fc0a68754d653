#ifndef JWTAUTH_TESTS_TESTUTIL_STATUS_MATCHERS_H_
#define JWTAUTH_TESTS_TESTUTIL_STATUS_MATCHERS_H_

// IsOk(), StatusIs(code), IsOkAndHolds(m) for absl::Status / StatusOr.

#include <ostream>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace jwtauth::testutil {

namespace internal {
inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}
}  // namespace internal

MATCHER(IsOk, "is OK") {
  const absl::Status& s = internal::GetStatus(arg);
  if (!s.ok()) *result_listener << "status is " << s;
  return s.ok();
}

MATCHER_P(StatusIs, code, "has status code " + testing::PrintToString(code)) {
  const absl::Status& s = internal::GetStatus(arg);
  *result_listener << "status is " << s;
  return s.code() == code;
}

MATCHER_P(IsOkAndHolds, m, "is OK and holds a value that matches") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  return testing::ExplainMatchResult(m, *arg, result_listener);
}

}  // namespace jwtauth::testutil

#endif  // JWTAUTH_TESTS_TESTUTIL_STATUS_MATCHERS_H_
