#include "client/client.h"

#include <chrono>
#include <utility>

#include "client/channel_factory.h"
#include "core/status_macros.h"

namespace jwtauth::client {
namespace {

// What one async call owns until its callback has run: gRPC reads the
// context, request and response through raw pointers meanwhile. Holding the
// channel lets the Client go away first.
template <typename Request, typename Response>
struct AsyncCall {
  grpc::ClientContext context;
  Request request;
  Response response;
  std::shared_ptr<grpc::Channel> channel;
};

using AsyncStub = v1::AuthService::StubInterface::async_interface;

// Starts the call through `start(async, context, request, response,
// on_done)` and calls done(convert(response)) or done(error) when it
// finishes. `call` lives until then (the lambda holds it).
template <typename Request, typename Response, typename T, typename Start,
          typename Convert>
void StartAsync(AsyncStub* async,
                std::shared_ptr<AsyncCall<Request, Response>> call,
                ResultCallback<T> done, Start start, Convert convert) {
  if (async == nullptr) {
    done(absl::UnimplementedError("the injected stub has no async()"));
    return;
  }
  AsyncCall<Request, Response>* state = call.get();
  start(async, &state->context, &state->request, &state->response,
        [call = std::move(call), done = std::move(done),
         convert](const grpc::Status& status) {
          if (!status.ok()) {
            done(StatusFromGrpc(status));
            return;
          }
          done(convert(std::move(call->response)));
        });
}

template <typename Response>
absl::StatusOr<Response> Identity(Response response) {
  return response;
}

}  // namespace

absl::Status StatusFromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  int code = static_cast<int>(status.error_code());
  // Canonical codes 0..16 are numbered identically in gRPC and absl.
  if (code < 0 || code > 16)
    code = static_cast<int>(absl::StatusCode::kUnknown);
  return absl::Status(static_cast<absl::StatusCode>(code),
                      status.error_message());
}

absl::StatusOr<Client> Client::Create(const ClientOptions& options) {
  JWTAUTH_ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel,
                           MakeChannel(options));
  return Client(std::move(channel), options);
}

Client::Client(std::shared_ptr<grpc::Channel> channel, ClientOptions options)
    : channel_(std::move(channel)),
      stub_(v1::AuthService::NewStub(channel_)),
      options_(std::move(options)) {}

Client::Client(std::unique_ptr<v1::AuthService::StubInterface> stub,
               ClientOptions options)
    : stub_(std::move(stub)), options_(std::move(options)) {}

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

void Client::VerifyAsync(const v1::VerifyRequest& request,
                         const CallOptions& call,
                         ResultCallback<VerifyResult> done) const {
  auto state =
      std::make_shared<AsyncCall<v1::VerifyRequest, v1::VerifyResponse>>();
  state->request = request;
  state->channel = channel_;
  Prepare(state->context, call);
  StartAsync(
      stub_->async(), std::move(state), std::move(done),
      [](AsyncStub* async, auto&&... args) {
        async->Verify(std::forward<decltype(args)>(args)...);
      },
      [](v1::VerifyResponse response) {
        return VerifyResultFromResponse(std::move(response));
      });
}

void Client::IssueTokenAsync(
    const v1::IssueTokenRequest& request, const CallOptions& call,
    ResultCallback<v1::IssueTokenResponse> done) const {
  auto state = std::make_shared<
      AsyncCall<v1::IssueTokenRequest, v1::IssueTokenResponse>>();
  state->request = request;
  state->channel = channel_;
  Prepare(state->context, call);
  StartAsync(
      stub_->async(), std::move(state), std::move(done),
      [](AsyncStub* async, auto&&... args) {
        async->IssueToken(std::forward<decltype(args)>(args)...);
      },
      &Identity<v1::IssueTokenResponse>);
}

void Client::ListKeysAsync(const v1::ListKeysRequest& request,
                           const CallOptions& call,
                           ResultCallback<v1::ListKeysResponse> done) const {
  auto state =
      std::make_shared<AsyncCall<v1::ListKeysRequest, v1::ListKeysResponse>>();
  state->request = request;
  state->channel = channel_;
  Prepare(state->context, call);
  StartAsync(
      stub_->async(), std::move(state), std::move(done),
      [](AsyncStub* async, auto&&... args) {
        async->ListKeys(std::forward<decltype(args)>(args)...);
      },
      &Identity<v1::ListKeysResponse>);
}

}  // namespace jwtauth::client
