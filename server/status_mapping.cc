#include "server/status_mapping.h"

#include <array>
#include <string>

namespace jwtauth::server {

namespace {
constexpr int kMaxCanonicalCode = 16;  // UNAUTHENTICATED
}  // namespace

grpc::StatusCode ToGrpcCode(absl::StatusCode code) {
  const int n = static_cast<int>(code);
  // absl and gRPC both use the canonical google.rpc.Code numbering.
  if (n < 0 || n > kMaxCanonicalCode) return grpc::StatusCode::UNKNOWN;
  return static_cast<grpc::StatusCode>(n);
}

absl::StatusCode FromGrpcCode(grpc::StatusCode code) {
  const int n = static_cast<int>(code);
  if (n < 0 || n > kMaxCanonicalCode) return absl::StatusCode::kUnknown;
  return static_cast<absl::StatusCode>(n);
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(ToGrpcCode(status.code()), std::string(status.message()));
}

absl::string_view GrpcCodeName(grpc::StatusCode code) {
  // absl spells the canonical codes exactly as gRPC does; the table is built
  // once so the returned views stay valid.
  static const auto* const kNames = [] {
    auto* names = new std::array<std::string, kMaxCanonicalCode + 1>();
    for (int i = 0; i <= kMaxCanonicalCode; ++i) {
      (*names)[i] = absl::StatusCodeToString(static_cast<absl::StatusCode>(i));
    }
    return names;
  }();
  return (*kNames)[static_cast<size_t>(FromGrpcCode(code))];
}

v1::FailureReason ToProtoReason(FailureReason reason) {
  switch (reason) {
    case FailureReason::kUnspecified:
      return v1::FAILURE_REASON_UNSPECIFIED;
    case FailureReason::kTokenMissing:
      return v1::TOKEN_MISSING;
    case FailureReason::kTokenTooLarge:
      return v1::TOKEN_TOO_LARGE;
    case FailureReason::kMalformed:
      return v1::MALFORMED;
    case FailureReason::kUnsupportedAlgorithm:
      return v1::UNSUPPORTED_ALGORITHM;
    case FailureReason::kHeaderRejected:
      return v1::HEADER_REJECTED;
    case FailureReason::kKeyNotFound:
      return v1::KEY_NOT_FOUND;
    case FailureReason::kSignatureInvalid:
      return v1::SIGNATURE_INVALID;
    case FailureReason::kExpired:
      return v1::EXPIRED;
    case FailureReason::kNotYetValid:
      return v1::NOT_YET_VALID;
    case FailureReason::kIssuedInFuture:
      return v1::ISSUED_IN_FUTURE;
    case FailureReason::kLifetimeTooLong:
      return v1::LIFETIME_TOO_LONG;
    case FailureReason::kIssuerMismatch:
      return v1::ISSUER_MISMATCH;
    case FailureReason::kAudienceMismatch:
      return v1::AUDIENCE_MISMATCH;
    case FailureReason::kSubjectMismatch:
      return v1::SUBJECT_MISMATCH;
    case FailureReason::kClaimMissing:
      return v1::CLAIM_MISSING;
    case FailureReason::kClaimInvalid:
      return v1::CLAIM_INVALID;
    case FailureReason::kKeysUnavailable:
      return v1::KEYS_UNAVAILABLE;
  }
  return v1::FAILURE_REASON_UNSPECIFIED;
}

FailureReason FromProtoReason(v1::FailureReason reason) {
  switch (reason) {
    case v1::FAILURE_REASON_UNSPECIFIED:
      return FailureReason::kUnspecified;
    case v1::TOKEN_MISSING:
      return FailureReason::kTokenMissing;
    case v1::TOKEN_TOO_LARGE:
      return FailureReason::kTokenTooLarge;
    case v1::MALFORMED:
      return FailureReason::kMalformed;
    case v1::UNSUPPORTED_ALGORITHM:
      return FailureReason::kUnsupportedAlgorithm;
    case v1::HEADER_REJECTED:
      return FailureReason::kHeaderRejected;
    case v1::KEY_NOT_FOUND:
      return FailureReason::kKeyNotFound;
    case v1::SIGNATURE_INVALID:
      return FailureReason::kSignatureInvalid;
    case v1::EXPIRED:
      return FailureReason::kExpired;
    case v1::NOT_YET_VALID:
      return FailureReason::kNotYetValid;
    case v1::ISSUED_IN_FUTURE:
      return FailureReason::kIssuedInFuture;
    case v1::LIFETIME_TOO_LONG:
      return FailureReason::kLifetimeTooLong;
    case v1::ISSUER_MISMATCH:
      return FailureReason::kIssuerMismatch;
    case v1::AUDIENCE_MISMATCH:
      return FailureReason::kAudienceMismatch;
    case v1::SUBJECT_MISMATCH:
      return FailureReason::kSubjectMismatch;
    case v1::CLAIM_MISSING:
      return FailureReason::kClaimMissing;
    case v1::CLAIM_INVALID:
      return FailureReason::kClaimInvalid;
    case v1::KEYS_UNAVAILABLE:
      return FailureReason::kKeysUnavailable;
    default:
      break;  // proto3 open enums: out-of-range numbers
  }
  return FailureReason::kUnspecified;
}

v1::KeyState ToProtoKeyState(KeyState state) {
  switch (state) {
    case KeyState::kNext:
      return v1::KEY_STATE_NEXT;
    case KeyState::kActive:
      return v1::KEY_STATE_ACTIVE;
    case KeyState::kRetiring:
      return v1::KEY_STATE_RETIRING;
  }
  return v1::KEY_STATE_UNSPECIFIED;
}

std::optional<KeyState> FromProtoKeyState(v1::KeyState state) {
  switch (state) {
    case v1::KEY_STATE_NEXT:
      return KeyState::kNext;
    case v1::KEY_STATE_ACTIVE:
      return KeyState::kActive;
    case v1::KEY_STATE_RETIRING:
      return KeyState::kRetiring;
    default:
      return std::nullopt;
  }
}

absl::string_view ResultLabel(FailureReason reason) {
  if (reason == FailureReason::kUnspecified) return "OK";
  return FailureReasonName(reason);
}

}  // namespace jwtauth::server
