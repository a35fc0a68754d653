#include "client/client.h"

#include <chrono>
#include <utility>

#include "grpcpp/client_context.h"

namespace jwtauth::client {

absl::Status StatusFromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  int code = static_cast<int>(status.error_code());
  // Canonical codes 0..16 are numbered identically in gRPC and absl.
  if (code < 0 || code > 16)
    code = static_cast<int>(absl::StatusCode::kUnknown);
  return absl::Status(static_cast<absl::StatusCode>(code),
                      status.error_message());
}

Client::Client(std::shared_ptr<grpc::Channel> channel, ClientOptions options)
    : channel_(std::move(channel)),
      stub_(v1::AuthService::NewStub(channel_)),
      options_(options) {}

Client::Client(std::unique_ptr<v1::AuthService::StubInterface> stub,
               ClientOptions options)
    : stub_(std::move(stub)), options_(options) {}

void Client::Prepare(grpc::ClientContext& context,
                     const CallOptions& call) const {
  absl::Duration timeout = call.timeout > absl::ZeroDuration()
                               ? call.timeout
                               : options_.default_timeout;
  if (timeout <= absl::ZeroDuration()) timeout = absl::Seconds(10);
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoMicroseconds(timeout));
  if (!call.caller_token.empty()) {
    context.AddMetadata("authorization", "Bearer " + call.caller_token);
  }
  for (const auto& [key, value] : call.metadata) {
    context.AddMetadata(key, value);
  }
}

absl::StatusOr<VerifyResult> Client::Verify(const v1::VerifyRequest& request,
                                            const CallOptions& call) const {
  grpc::ClientContext context;
  Prepare(context, call);
  v1::VerifyResponse response;
  grpc::Status status = stub_->Verify(&context, request, &response);
  if (!status.ok()) return StatusFromGrpc(status);
  return VerifyResultFromResponse(std::move(response));
}

absl::StatusOr<VerifyResult> Client::Verify(absl::string_view token,
                                            const CallOptions& call) const {
  v1::VerifyRequest request;
  request.set_token(std::string(token));
  return Verify(request, call);
}

absl::StatusOr<v1::IssueTokenResponse> Client::IssueToken(
    const v1::IssueTokenRequest& request, const CallOptions& call) const {
  grpc::ClientContext context;
  Prepare(context, call);
  v1::IssueTokenResponse response;
  grpc::Status status = stub_->IssueToken(&context, request, &response);
  if (!status.ok()) return StatusFromGrpc(status);
  return response;
}

absl::StatusOr<v1::ListKeysResponse> Client::ListKeys(
    const v1::ListKeysRequest& request, const CallOptions& call) const {
  grpc::ClientContext context;
  Prepare(context, call);
  v1::ListKeysResponse response;
  grpc::Status status = stub_->ListKeys(&context, request, &response);
  if (!status.ok()) return StatusFromGrpc(status);
  return response;
}

}  // namespace jwtauth::client
