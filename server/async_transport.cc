#include "server/async_transport.h"

#include <algorithm>
#include <mutex>
#include <thread>
#include <utility>

#include "server/unary_rpc.h"

namespace jwtauth::server {
namespace {

namespace authv3 = envoy::service::auth::v3;

// Calls kept requested per queue and method: enough of the hot ones that
// arrivals rarely wait in gRPC's list of unmatched calls (which Shutdown
// cancels instead of serving), fewer of the rare ones.
constexpr int kHotRequested = 128;
constexpr int kColdRequested = 16;
constexpr int kMaxDefaultQueues = 64;

// A completion-queue tag: one call with exactly one operation pending.
class AsyncCall {
 public:
  virtual ~AsyncCall() = default;
  // The pending operation completed. `stopping`: the queue is being shut
  // down, so no new operation may be started on it.
  virtual void Proceed(bool ok, bool stopping) = 0;
};

// One method of an async service: how to request its calls and its body.
template <typename Service, typename Request, typename Response>
struct UnaryMethod {
  using RequestFn = void (Service::*)(
      grpc::ServerContext*, Request*,
      grpc::ServerAsyncResponseWriter<Response>*, grpc::CompletionQueue*,
      grpc::ServerCompletionQueue*, void*);
  Service* service;
  RequestFn request;
  UnaryHandler<Request, Response> handler;
};

// One unary call: requested → (arrived) body runs, Finish → deleted. Owns
// itself; deleted when its last operation completes.
template <typename Service, typename Request, typename Response>
class UnaryCall final : public AsyncCall {
 public:
  using Method = UnaryMethod<Service, Request, Response>;

  // A new call waiting for the next arrival of `method` on `cq`.
  static void Await(const Method* method, grpc::ServerCompletionQueue* cq) {
    auto* call = new UnaryCall(method, cq);
    (method->service->*method->request)(&call->context_, &call->request_,
                                        &call->writer_, cq, cq,
                                        static_cast<AsyncCall*>(call));
  }

  void Proceed(bool ok, bool stopping) override {
    // !ok while requested: the server is shutting down.
    if (finishing_ || !ok || stopping) {
      delete this;
      return;
    }
    Await(method_, cq_);  // keep the number of requested calls
    const grpc::Status status =
        method_->handler(&context_, &request_, &response_);
    finishing_ = true;
    if (status.ok()) {
      writer_.Finish(response_, status, static_cast<AsyncCall*>(this));
    } else {
      writer_.FinishWithError(status, static_cast<AsyncCall*>(this));
    }
  }

 private:
  UnaryCall(const Method* method, grpc::ServerCompletionQueue* cq)
      : method_(method), cq_(cq), writer_(&context_) {}

  const Method* method_;
  grpc::ServerCompletionQueue* cq_;
  grpc::ServerContext context_;
  Request request_;
  Response response_;
  grpc::ServerAsyncResponseWriter<Response> writer_;
  bool finishing_ = false;
};

// `queues`, or for 0 one per core (as many as server.async_queues allows).
int QueueCount(int queues) {
  if (queues > 0) return queues;
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  return std::clamp(cores, 1, kMaxDefaultQueues);
}

using AuthAsync = v1::AuthService::AsyncService;
using ExtAuthzAsync = authv3::Authorization::AsyncService;

template <typename Service, typename Request, typename Response>
void RequestCalls(const UnaryMethod<Service, Request, Response>& method,
                  grpc::ServerCompletionQueue* cq, int count) {
  for (int i = 0; i < count; ++i) {
    UnaryCall<Service, Request, Response>::Await(&method, cq);
  }
}

}  // namespace

struct AsyncTransport::Methods {
  Methods(const AuthService& a, const ExtAuthzService& e)
      : verify{&auth, &AuthAsync::RequestVerify,
               [&a](grpc::ServerContextBase* c, const v1::VerifyRequest* q,
                    v1::VerifyResponse* r) { return a.ServeVerify(c, q, r); }},
        issue_token{
            &auth, &AuthAsync::RequestIssueToken,
            [&a](grpc::ServerContextBase* c, const v1::IssueTokenRequest* q,
                 v1::IssueTokenResponse* r) {
              return a.ServeIssueToken(c, q, r);
            }},
        list_keys{
            &auth, &AuthAsync::RequestListKeys,
            [&a](grpc::ServerContextBase* c, const v1::ListKeysRequest* q,
                 v1::ListKeysResponse* r) { return a.ServeListKeys(c, q, r); }},
        check{
            &ext_authz, &ExtAuthzAsync::RequestCheck,
            [&e](grpc::ServerContextBase* c, const authv3::CheckRequest* q,
                 authv3::CheckResponse* r) { return e.ServeCheck(c, q, r); }} {}

  void RequestAll(grpc::ServerCompletionQueue* cq) {
    RequestCalls(verify, cq, kHotRequested);
    RequestCalls(check, cq, kHotRequested);
    RequestCalls(issue_token, cq, kColdRequested);
    RequestCalls(list_keys, cq, kColdRequested);
  }

  AuthAsync auth;
  ExtAuthzAsync ext_authz;
  UnaryMethod<AuthAsync, v1::VerifyRequest, v1::VerifyResponse> verify;
  UnaryMethod<AuthAsync, v1::IssueTokenRequest, v1::IssueTokenResponse>
      issue_token;
  UnaryMethod<AuthAsync, v1::ListKeysRequest, v1::ListKeysResponse> list_keys;
  UnaryMethod<ExtAuthzAsync, authv3::CheckRequest, authv3::CheckResponse> check;
};

// One polling thread. `mu` is held while an event is handled, so Stop()
// setting `stopping` knows no operation is being started on the queue
// (std::mutex: uncontended, taken only by this thread and Stop()).
struct AsyncTransport::Poller {
  grpc::ServerCompletionQueue* cq = nullptr;
  std::mutex mu;
  bool stopping = false;  // guarded by mu
  std::thread thread;

  void Run() {
    void* tag = nullptr;
    bool ok = false;
    while (cq->Next(&tag, &ok)) {
      std::lock_guard<std::mutex> lock(mu);
      static_cast<AsyncCall*>(tag)->Proceed(ok, stopping);
    }
  }
};

AsyncTransport::AsyncTransport(const AuthService& auth,
                               const ExtAuthzService& ext_authz, int queues,
                               int threads_per_queue)
    : queue_count_(QueueCount(queues)),
      threads_per_queue_(std::max(1, threads_per_queue)),
      methods_(std::make_unique<Methods>(auth, ext_authz)) {}

AsyncTransport::~AsyncTransport() { Stop(); }

void AsyncTransport::Register(grpc::ServerBuilder& builder) {
  builder.RegisterService(&methods_->auth);
  builder.RegisterService(&methods_->ext_authz);
  for (int i = 0; i < queue_count_; ++i) {
    queues_.push_back(builder.AddCompletionQueue());
  }
}

void AsyncTransport::Start() {
  for (const auto& cq : queues_) {
    methods_->RequestAll(cq.get());
    for (int t = 0; t < threads_per_queue_; ++t) {
      auto poller = std::make_unique<Poller>();
      poller->cq = cq.get();
      poller->thread = std::thread([p = poller.get()] { p->Run(); });
      pollers_.push_back(std::move(poller));
    }
  }
}

void AsyncTransport::Stop() {
  if (stopped_) return;
  stopped_ = true;
  for (const auto& poller : pollers_) {
    std::lock_guard<std::mutex> lock(poller->mu);
    poller->stopping = true;
  }
  for (const auto& cq : queues_) cq->Shutdown();
  for (const auto& poller : pollers_) poller->thread.join();
  if (!pollers_.empty()) return;
  // Never started: drain here (nothing was requested, only the shutdown).
  for (const auto& cq : queues_) {
    void* tag = nullptr;
    bool ok = false;
    while (cq->Next(&tag, &ok)) static_cast<AsyncCall*>(tag)->Proceed(ok, true);
  }
}

}  // namespace jwtauth::server
