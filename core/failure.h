#ifndef JWTAUTH_CORE_FAILURE_H_
#define JWTAUTH_CORE_FAILURE_H_

// The closed list of reasons a token is rejected. Mirrors
// jwtauth.v1.FailureReason 1:1 (same names, same numbers); a test proves the
// mapping is total. A rejected token is a value, never an exception or an
// absl::Status: absl::Status is for infrastructure errors.

#include <string>
#include <utility>
#include <variant>

#include "absl/strings/string_view.h"

namespace jwtauth {

enum class FailureReason {
  kUnspecified = 0,
  kTokenMissing = 1,
  kTokenTooLarge = 2,
  kMalformed = 3,
  kUnsupportedAlgorithm = 4,
  kHeaderRejected = 5,
  kKeyNotFound = 6,
  kSignatureInvalid = 7,
  kExpired = 8,
  kNotYetValid = 9,
  kIssuedInFuture = 10,
  kLifetimeTooLong = 11,
  kIssuerMismatch = 12,
  kAudienceMismatch = 13,
  kSubjectMismatch = 14,
  kClaimMissing = 15,
  kClaimInvalid = 16,
  kKeysUnavailable = 17,
};

inline constexpr int kMaxFailureReason = 17;

// The proto enum name, e.g. "SIGNATURE_INVALID" (also the metric label value).
absl::string_view FailureReasonName(FailureReason reason);

// A rejected token: one reason plus a short human detail. The detail is a
// fixed phrase naming the claim or header, or expected-vs-got for non-secret
// values; it never contains a token, key, secret or OpenSSL error text.
struct Failure {
  FailureReason reason = FailureReason::kUnspecified;
  std::string detail;
};

inline Failure MakeFailure(FailureReason reason, absl::string_view detail) {
  return Failure{reason, std::string(detail)};
}

// Either a T or a Failure; StatusOr-shaped for token-level outcomes.
// Copyable and movable when T is.
template <typename T>
class FailureOr {
 public:
  // Implicit, like StatusOr, so a function can return either directly.
  // NOLINTNEXTLINE(google-explicit-constructor)
  FailureOr(T value) : v_(std::move(value)) {}
  // NOLINTNEXTLINE(google-explicit-constructor)
  FailureOr(Failure failure) : v_(std::move(failure)) {}
  bool ok() const { return v_.index() == 0; }
  const T& value() const& { return std::get<0>(v_); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  const Failure& failure() const { return std::get<1>(v_); }
  FailureReason reason() const {
    return ok() ? FailureReason::kUnspecified : failure().reason;
  }

 private:
  std::variant<T, Failure> v_;
};

}  // namespace jwtauth

#endif  // JWTAUTH_CORE_FAILURE_H_
