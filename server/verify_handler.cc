#include "server/verify_handler.h"

#include <string>
#include <utility>

#include "core/algorithm.h"
#include "core/failure.h"
#include "core/verifier.h"
#include "server/memo_slots.h"
#include "server/proto_json.h"
#include "server/status_mapping.h"

namespace jwtauth::server {
namespace {

void FillVerified(const VerifiedToken& token, v1::VerifyResponse* response) {
  response->set_valid(true);
  response->set_reason(v1::FAILURE_REASON_UNSPECIFIED);
  response->set_provider(token.provider());
  response->set_kid(token.kid());
  response->set_alg(std::string(AlgorithmName(token.alg())));
  response->set_claims_json(token.claims_json());
  // A tree for this conversion only: the answer is memoised per cached
  // token, and keeping a tree there as well would double its memory.
  const nlohmann::json claims = token.ClaimsCopy();
  if (claims.is_object()) {
    google::protobuf::Value v;
    JsonToValue(claims, &v);
    *response->mutable_claims() = std::move(*v.mutable_struct_value());
  }
  if (token.expires_at().has_value()) {
    *response->mutable_expires_at() = ToProtoTimestamp(*token.expires_at());
  }
  for (const auto& [field, value] : token.metadata()) {
    (*response->mutable_metadata())[field] = value;
  }
}

void FillRejected(const Failure& failure, v1::VerifyResponse* response) {
  response->set_valid(false);
  response->set_reason(ToProtoReason(failure.reason));
  response->set_detail(failure.detail);
}

// The verification of HandleVerify*, before any response is built.
absl::StatusOr<VerifyResult> VerifyRequestOn(const ServingState* state,
                                             const v1::VerifyRequest& request) {
  if (state == nullptr || state->verifier == nullptr) {
    return absl::UnavailableError("no configuration loaded yet");
  }
  const TokenVerifier& verifier = *state->verifier;
  if (!request.provider().empty() &&
      verifier.FindPolicy(request.provider()) == nullptr) {
    return absl::InvalidArgumentError("unknown provider");
  }
  const absl::string_view token = ExtractBearerOrRawToken(request.token());
  VerifyOptions options;
  options.provider = request.provider();
  options.audience = request.audience();
  const VerifyResult result =
      token.empty()
          ? VerifyResult(MakeFailure(FailureReason::kTokenMissing, "no token"))
          : verifier.Verify(token, options);
  return result;
}

}  // namespace

absl::StatusOr<v1::VerifyResponse> HandleVerify(
    const ServingState* state, const v1::VerifyRequest& request) {
  absl::StatusOr<VerifyResult> result = VerifyRequestOn(state, request);
  if (!result.ok()) return result.status();
  v1::VerifyResponse response;
  if (result->ok()) {
    FillVerified(**result, &response);
  } else {
    FillRejected(result->failure(), &response);
  }
  return response;
}

SerializedVerifyResponse SerializedVerifyResponse::Valid(VerifiedToken token) {
  SerializedVerifyResponse out;
  out.token_.emplace(std::move(token));
  return out;
}

SerializedVerifyResponse SerializedVerifyResponse::Invalid(
    const Failure& failure) {
  SerializedVerifyResponse out;
  out.reason_ = failure.reason;
  v1::VerifyResponse response;
  FillRejected(failure, &response);
  response.SerializeToString(&out.owned_);
  return out;
}

absl::string_view SerializedVerifyResponse::bytes() const {
  if (!token_.has_value()) return owned_;
  const VerifiedToken& token = *token_;
  return token.Memo<std::string>(kVerifyResponseMemo, [&token] {
    v1::VerifyResponse response;
    FillVerified(token, &response);
    return response.SerializeAsString();
  });
}

absl::StatusOr<SerializedVerifyResponse> HandleVerifySerialized(
    const ServingState* state, const v1::VerifyRequest& request) {
  absl::StatusOr<VerifyResult> result = VerifyRequestOn(state, request);
  if (!result.ok()) return result.status();
  if (result->ok()) return SerializedVerifyResponse::Valid(**result);
  return SerializedVerifyResponse::Invalid(result->failure());
}

}  // namespace jwtauth::server
