#include "core/failure.h"

namespace jwtauth {

absl::string_view FailureReasonName(FailureReason reason) {
  switch (reason) {
    case FailureReason::kUnspecified:
      return "FAILURE_REASON_UNSPECIFIED";
    case FailureReason::kTokenMissing:
      return "TOKEN_MISSING";
    case FailureReason::kTokenTooLarge:
      return "TOKEN_TOO_LARGE";
    case FailureReason::kMalformed:
      return "MALFORMED";
    case FailureReason::kUnsupportedAlgorithm:
      return "UNSUPPORTED_ALGORITHM";
    case FailureReason::kHeaderRejected:
      return "HEADER_REJECTED";
    case FailureReason::kKeyNotFound:
      return "KEY_NOT_FOUND";
    case FailureReason::kSignatureInvalid:
      return "SIGNATURE_INVALID";
    case FailureReason::kExpired:
      return "EXPIRED";
    case FailureReason::kNotYetValid:
      return "NOT_YET_VALID";
    case FailureReason::kIssuedInFuture:
      return "ISSUED_IN_FUTURE";
    case FailureReason::kLifetimeTooLong:
      return "LIFETIME_TOO_LONG";
    case FailureReason::kIssuerMismatch:
      return "ISSUER_MISMATCH";
    case FailureReason::kAudienceMismatch:
      return "AUDIENCE_MISMATCH";
    case FailureReason::kSubjectMismatch:
      return "SUBJECT_MISMATCH";
    case FailureReason::kClaimMissing:
      return "CLAIM_MISSING";
    case FailureReason::kClaimInvalid:
      return "CLAIM_INVALID";
    case FailureReason::kKeysUnavailable:
      return "KEYS_UNAVAILABLE";
  }
  return "FAILURE_REASON_UNSPECIFIED";
}

}  // namespace jwtauth
