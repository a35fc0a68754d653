#include "client/client.h"

#include <chrono>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "client/channel_factory.h"
#include "core/status_macros.h"

namespace jwtauth::client {

struct client_internal::AsyncCallCount {
  void Begin() {
    absl::MutexLock lock(&mu);
    ++count;
  }
  void End() {
    absl::MutexLock lock(&mu);
    --count;
    if (count == 0) none.SignalAll();
  }
  void WaitForNone() {
    absl::MutexLock lock(&mu);
    while (count > 0) none.Wait(&mu);
  }
  absl::Mutex mu;
  absl::CondVar none;
  int count ABSL_GUARDED_BY(mu) = 0;
};

namespace {

// What one async call owns until its callback has run: gRPC reads the
// context, request and response through raw pointers meanwhile.
template <typename Request, typename Response>
struct AsyncCall {
  grpc::ClientContext context;
  Request request;
  Response response;
};

using AsyncStub = v1::AuthService::StubInterface::async_interface;

// Set while this thread runs the callback of an async call (any Client's):
// a gRPC callback thread, which must neither block nor drop a channel.
thread_local bool in_async_callback = false;

// Ends the call however the callback leaves (gRPC swallows exceptions): the
// flag goes back to what it was, the count goes down.
class CallbackScope {
 public:
  explicit CallbackScope(client_internal::AsyncCallCount* calls)
      : calls_(calls), was_in_callback_(in_async_callback) {
    in_async_callback = true;
  }
  ~CallbackScope() {
    in_async_callback = was_in_callback_;
    calls_->End();
  }
  CallbackScope(const CallbackScope&) = delete;
  CallbackScope& operator=(const CallbackScope&) = delete;

 private:
  client_internal::AsyncCallCount* calls_;
  bool was_in_callback_;
};

// What an async call owns until its callback runs. gRPC copies the
// completion std::function (the stub and CallbackUnaryCall take it by value),
// and a copy may outlive the callback on the thread that started the call;
// so the lambda's copies share one Pending, and the callback empties it:
// whichever copy goes last, none of them still holds the context (and its
// channel reference) or the caller's callback.
template <typename Request, typename Response, typename T>
struct Pending {
  std::shared_ptr<AsyncCall<Request, Response>> call;
  ResultCallback<T> done;
};

// Starts the call through `start(async, context, request, response,
// on_done)` and calls done(convert(response)) or done(error) when it
// finishes. `call` lives until then; it and `done` are released before the
// call counts as ended, so nothing of it outlives the Client's stub and
// channel (see Client::ReleaseAfterCalls).
template <typename Request, typename Response, typename T, typename Start,
          typename Convert>
void StartAsync(AsyncStub* async,
                std::shared_ptr<AsyncCall<Request, Response>> call,
                std::shared_ptr<client_internal::AsyncCallCount> in_flight,
                ResultCallback<T> done, Start start, Convert convert) {
  if (async == nullptr) {
    done(absl::UnimplementedError("the injected stub has no async()"));
    return;
  }
  AsyncCall<Request, Response>* state = call.get();
  auto pending = std::make_shared<Pending<Request, Response, T>>(
      Pending<Request, Response, T>{std::move(call), std::move(done)});
  // The Client owns the count too, and outlives this function.
  client_internal::AsyncCallCount* count = in_flight.get();
  count->Begin();
  try {
    start(async, &state->context, &state->request, &state->response,
          [pending = std::move(pending), in_flight = std::move(in_flight),
           convert](const grpc::Status& status) {
            // First, so the call ends (last) however the rest leaves.
            const CallbackScope scope(in_flight.get());
            std::shared_ptr<AsyncCall<Request, Response>> finished =
                std::move(pending->call);
            absl::StatusOr<T> result =
                status.ok()
                    ? absl::StatusOr<T>(convert(std::move(finished->response)))
                    : absl::StatusOr<T>(StatusFromGrpc(status));
            finished.reset();  // the context and its channel reference go now
            ResultCallback<T> done = std::move(pending->done);
            pending->done = nullptr;
            done(std::move(result));
            done = nullptr;  // the caller's captures, before the call ends
          });
  } catch (...) {
    count->End();  // not started (allocation failure): no callback will run
    throw;
  }
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
      options_(std::move(options)),
      calls_(std::make_shared<client_internal::AsyncCallCount>()) {}

Client::Client(std::unique_ptr<v1::AuthService::StubInterface> stub,
               ClientOptions options)
    : stub_(std::move(stub)),
      options_(std::move(options)),
      calls_(std::make_shared<client_internal::AsyncCallCount>()) {}

Client& Client::operator=(Client&& other) noexcept {
  if (this != &other) {
    ReleaseAfterCalls();
    channel_ = std::move(other.channel_);
    stub_ = std::move(other.stub_);
    options_ = std::move(other.options_);
    calls_ = std::move(other.calls_);
  }
  return *this;
}

Client::~Client() { ReleaseAfterCalls(); }

void Client::ReleaseAfterCalls() noexcept {
  if (calls_ == nullptr) return;  // moved from
  auto release = [calls = std::move(calls_), stub = std::move(stub_),
                  channel = std::move(channel_)]() mutable {
    calls->WaitForNone();
    stub.reset();
    channel.reset();
  };
  if (!in_async_callback) {
    release();
    return;
  }
  // On a gRPC callback thread (a callback that owned this Client, say):
  // another thread waits for the calls (this callback's own ends when it
  // returns) and then drops the stub and the channel.
  std::thread(std::move(release)).detach();
}

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
  Prepare(state->context, call);
  StartAsync(
      stub_->async(), std::move(state), calls_, std::move(done),
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
  Prepare(state->context, call);
  StartAsync(
      stub_->async(), std::move(state), calls_, std::move(done),
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
  Prepare(state->context, call);
  StartAsync(
      stub_->async(), std::move(state), calls_, std::move(done),
      [](AsyncStub* async, auto&&... args) {
        async->ListKeys(std::forward<decltype(args)>(args)...);
      },
      &Identity<v1::ListKeysResponse>);
}

}  // namespace jwtauth::client
