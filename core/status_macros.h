#ifndef JWTAUTH_CORE_STATUS_MACROS_H_
#define JWTAUTH_CORE_STATUS_MACROS_H_

// Debian 12's Abseil ships neither RETURN_IF_ERROR nor ASSIGN_OR_RETURN.

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define JWTAUTH_RETURN_IF_ERROR(expr)                  \
  do {                                                 \
    ::absl::Status jwtauth_status_ = (expr);           \
    if (!jwtauth_status_.ok()) return jwtauth_status_; \
  } while (0)

#define JWTAUTH_STATUS_MACROS_CONCAT_INNER_(a, b) a##b
#define JWTAUTH_STATUS_MACROS_CONCAT_(a, b) \
  JWTAUTH_STATUS_MACROS_CONCAT_INNER_(a, b)

#define JWTAUTH_ASSIGN_OR_RETURN(lhs, expr) \
  JWTAUTH_ASSIGN_OR_RETURN_IMPL_(           \
      JWTAUTH_STATUS_MACROS_CONCAT_(jwtauth_statusor_, __LINE__), lhs, expr)

// `lhs` may be a declaration ("auto x"), so it cannot be parenthesized.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define JWTAUTH_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                   \
  if (!statusor.ok()) return std::move(statusor).status();  \
  lhs = std::move(statusor).value()
// NOLINTEND(bugprone-macro-parentheses)

#endif  // JWTAUTH_CORE_STATUS_MACROS_H_
