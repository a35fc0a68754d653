#ifndef JWTAUTH_SERVER_VERIFY_HANDLER_H_
#define JWTAUTH_SERVER_VERIFY_HANDLER_H_

// The Verify operation without a transport: jwtauth.v1.VerifyRequest →
// VerifyResponse on one ServingState generation. AuthService::Verify (gRPC)
// and the CLI's offline `jwtauth verify --config` both call HandleVerify, so
// both answer exactly alike.
//
// Semantics (proto/jwtauth/v1/auth.proto): `token` is a raw token or
// "Bearer <token>" (RFC 6750: scheme case-insensitive, 1*SP). A token
// problem is an answer (valid=false with reason and detail), never an error.
// Errors: Unavailable when no state is published yet, InvalidArgument for an
// unknown `provider`. Pure and thread-safe (verification is CPU-only on the
// given state).
//
//   absl::StatusOr<v1::VerifyResponse> r = HandleVerify(state.get(), request);
//
// HandleVerifySerialized answers the same in wire form for the gRPC
// transports: for a valid token the serialized VerifyResponse is built once
// per VerifiedToken (VerifiedToken::Memo) and every cache hit of that token
// reuses the bytes; nothing is converted or serialized per call.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/bearer_token.h"
#include "core/failure.h"
#include "core/verifier.h"
#include "jwtauth/v1/auth.pb.h"
#include "server/service_context.h"

namespace jwtauth::server {

// `state` may be null (nothing published yet: Unavailable).
absl::StatusOr<v1::VerifyResponse> HandleVerify(
    const ServingState* state, const v1::VerifyRequest& request);

// A Verify answer in wire form, plus what metrics and logs need.
class SerializedVerifyResponse final {
 public:
  static SerializedVerifyResponse Valid(VerifiedToken token);
  static SerializedVerifyResponse Invalid(const Failure& failure);

  bool valid() const { return token_.has_value(); }
  // kUnspecified when valid.
  FailureReason reason() const { return reason_; }
  // A serialized jwtauth.v1.VerifyResponse; valid while this object lives.
  absl::string_view bytes() const;

 private:
  SerializedVerifyResponse() = default;
  std::optional<VerifiedToken> token_;  // owns the memoised bytes
  FailureReason reason_ = FailureReason::kUnspecified;
  std::string owned_;  // a rejection's bytes
};

// HandleVerify's answer, serialized (errors are the same).
absl::StatusOr<SerializedVerifyResponse> HandleVerifySerialized(
    const ServingState* state, const v1::VerifyRequest& request);

// core/bearer_token.h: the one reading of "Bearer <t>" (RFC 6750 §2.1).
using ::jwtauth::ExtractBearerOrRawToken;
using ::jwtauth::ParseBearerHeader;

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_VERIFY_HANDLER_H_
