// ceiling_server: the ceiling of this gRPC stack for a unary RPC. It answers
// grpc.health.v1.Health/Check with SERVING and does no other work, so its
// throughput is what gRPC itself costs; jwtauth's Verify and Check are
// measured against it in the same run (tests/bench/ceiling/README.md).
//
//   ceiling_server [--threading callback|async|sync] [--queues N]
//                  [--threads-per-queue M] [--sync-threads N]
//                  [--listen 127.0.0.1:0] [--reply-file FILE]
//
// --reply-file (callback only): the "sized" ceiling. Check becomes a
// raw-buffer method that never parses the request and answers every call
// with FILE's bytes (a serialized message, e.g. jwtauth's own answer), so
// h2load can send it jwtauth's request and get an answer of jwtauth's size:
// what moving those bytes costs this gRPC stack, with no other work.
//
// Logs one line {"event":"serving","grpc_port":"NNNN"} to stderr, the same
// shape as jwtauth-server's, so scripts parse both alike. SIGTERM or SIGINT
// shut it down cleanly (exit 0). Plaintext on loopback only.

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/status_macros.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace jwtauth::bench {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

enum class Threading { kCallback, kAsync, kSync };

struct CeilingOptions {
  Threading threading = Threading::kCallback;
  // async: completion queues, each polled by its own threads.
  int queues = static_cast<int>(std::thread::hardware_concurrency());
  int threads_per_queue = 2;
  // async: Check requests kept posted on each queue, so a call never waits
  // for a handler to re-arm.
  int requests_per_queue = 256;
  // sync: min = max polling threads per completion queue (gRPC makes one
  // queue per core); 0 keeps gRPC's defaults (1 and 2). Not a ResourceQuota
  // thread cap: at the cap gRPC answers RESOURCE_EXHAUSTED ("Server
  // Threadpool Exhausted"), which h2load, checking only HTTP status, would
  // count as success.
  int sync_threads = 0;
  std::string listen = "127.0.0.1:0";
  // callback only: answer every call with these bytes (--reply-file).
  std::optional<std::string> reply;
};

// A reply file larger than this is a mistake, not a benchmark message.
constexpr std::streamsize kMaxReplyBytes = 1 << 20;

constexpr absl::string_view kUsage =
    "usage: ceiling_server [--threading callback|async|sync] [--queues N]\n"
    "         [--threads-per-queue M] [--requests-per-queue R]\n"
    "         [--sync-threads N] [--listen 127.0.0.1:0]\n"
    "         [--reply-file FILE]   (callback only)\n";

// Loopback only: this server has no credentials and no purpose elsewhere.
bool IsLoopback(absl::string_view listen) {
  return absl::StartsWith(listen, "127.") ||
         absl::StartsWith(listen, "localhost:") ||
         absl::StartsWith(listen, "[::1]:");
}

absl::Status ParsePositive(absl::string_view flag, absl::string_view value,
                           int min, int* out) {
  if (!absl::SimpleAtoi(value, out) || *out < min) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " wants an integer >= ", min, ", got ", value));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadReplyFile(absl::string_view path) {
  std::ifstream in{std::string(path), std::ios::binary};
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  std::string reply = std::move(bytes).str();
  if (in.bad() || static_cast<std::streamsize>(reply.size()) > kMaxReplyBytes) {
    return absl::InvalidArgumentError(absl::StrCat("--reply-file ", path,
                                                   ": unreadable or over ",
                                                   kMaxReplyBytes, " bytes"));
  }
  return reply;
}

absl::Status ApplyFlag(absl::string_view name, absl::string_view value,
                       CeilingOptions* options) {
  if (name == "--threading") {
    if (value == "callback") {
      options->threading = Threading::kCallback;
    } else if (value == "async") {
      options->threading = Threading::kAsync;
    } else if (value == "sync") {
      options->threading = Threading::kSync;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("--threading wants callback|async|sync, got ", value));
    }
    return absl::OkStatus();
  }
  if (name == "--queues")
    return ParsePositive(name, value, 1, &options->queues);
  if (name == "--threads-per-queue") {
    return ParsePositive(name, value, 1, &options->threads_per_queue);
  }
  if (name == "--requests-per-queue") {
    return ParsePositive(name, value, 1, &options->requests_per_queue);
  }
  if (name == "--sync-threads") {
    return ParsePositive(name, value, 0, &options->sync_threads);
  }
  if (name == "--listen") {
    if (!IsLoopback(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--listen must be a loopback address, got ", value));
    }
    options->listen = std::string(value);
    return absl::OkStatus();
  }
  if (name == "--reply-file") {
    absl::StatusOr<std::string> reply = ReadReplyFile(value);
    if (!reply.ok()) return reply.status();
    options->reply = *std::move(reply);
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown flag ", name));
}

// Accepts "--flag value" and "--flag=value".
absl::StatusOr<CeilingOptions> ParseFlags(int argc, char** argv) {
  CeilingOptions options;
  if (options.queues < 1) options.queues = 1;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    absl::string_view value;
    if (size_t eq = arg.find('='); eq != absl::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat(arg, " needs a value"));
    }
    JWTAUTH_RETURN_IF_ERROR(ApplyFlag(arg, value, &options));
  }
  if (options.reply.has_value() && options.threading != Threading::kCallback) {
    return absl::InvalidArgumentError(
        "--reply-file needs --threading callback");
  }
  return options;
}

class CallbackHealth final : public Health::CallbackService {
 public:
  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const HealthCheckRequest* /*request*/,
                                  HealthCheckResponse* response) override {
    response->set_status(HealthCheckResponse::SERVING);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

// The sized ceiling (--reply-file): the same callback unary path as
// CallbackHealth, raw: the request bytes are not parsed, the answer is a
// copy of fixed bytes (as jwtauth copies a memoised answer).
class CallbackRawReply final
    : public Health::WithRawCallbackMethod_Check<Health::CallbackService> {
 public:
  explicit CallbackRawReply(std::string reply) : reply_(std::move(reply)) {}

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const grpc::ByteBuffer* /*request*/,
                                  grpc::ByteBuffer* response) override {
    grpc::Slice slice(reply_.data(), reply_.size());
    *response = grpc::ByteBuffer(&slice, 1);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  const std::string reply_;
};

class SyncHealth final : public Health::Service {
 public:
  grpc::Status Check(grpc::ServerContext* /*context*/,
                     const HealthCheckRequest* /*request*/,
                     HealthCheckResponse* response) override {
    response->set_status(HealthCheckResponse::SERVING);
    return grpc::Status::OK;
  }
};

// One async Check call: posted on a queue, answered when it arrives, deleted
// when the answer is sent. Each arrival posts its successor first, so the
// queue always holds requests_per_queue posted calls while serving.
class AsyncCheckCall final {
 public:
  AsyncCheckCall(Health::AsyncService* service,
                 grpc::ServerCompletionQueue* queue)
      : service_(service), queue_(queue), responder_(&context_) {
    service_->RequestCheck(&context_, &request_, &responder_, queue_, queue_,
                           this);
  }
  AsyncCheckCall(const AsyncCheckCall&) = delete;
  AsyncCheckCall& operator=(const AsyncCheckCall&) = delete;

  // `ok` is false when the server shuts down before a call arrived (or the
  // answer could not be sent): then the call just goes away. No successor
  // is posted after a failure, so none is posted once Shutdown() returned.
  void Proceed(bool ok) {
    if (answered_ || !ok) {
      delete this;
      return;
    }
    new AsyncCheckCall(service_, queue_);
    response_.set_status(HealthCheckResponse::SERVING);
    answered_ = true;
    responder_.Finish(response_, grpc::Status::OK, this);
  }

 private:
  Health::AsyncService* service_;       // Not owned; outlives every call.
  grpc::ServerCompletionQueue* queue_;  // Not owned; outlives every call.
  grpc::ServerContext context_;
  HealthCheckRequest request_;
  HealthCheckResponse response_;
  grpc::ServerAsyncResponseWriter<HealthCheckResponse> responder_;
  bool answered_ = false;
};

void PollQueue(grpc::ServerCompletionQueue* queue) {
  void* tag = nullptr;
  bool ok = false;
  while (queue->Next(&tag, &ok)) static_cast<AsyncCheckCall*>(tag)->Proceed(ok);
}

void BlockStopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

void WaitForStopSignal() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  int sig = 0;
  while (sigwait(&signals, &sig) != 0) {
  }
}

// Starts the server (for async, after the caller added its queues), logs
// the serving line and blocks until SIGTERM/SIGINT; then shuts down calls
// in flight. The caller drains its queues afterwards.
absl::Status ServeUntilSignal(grpc::ServerBuilder& builder,
                              const CeilingOptions& options,
                              std::unique_ptr<grpc::Server>* server,
                              const std::function<void()>& on_started) {
  int port = 0;
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(),
                           &port);
  *server = builder.BuildAndStart();
  if (*server == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen));
  }
  if (on_started) on_started();
  std::fprintf(stderr, "{\"event\":\"serving\",\"grpc_port\":\"%d\"}\n", port);
  std::fflush(stderr);
  WaitForStopSignal();
  (*server)->Shutdown(std::chrono::system_clock::now() +
                      std::chrono::seconds(1));
  return absl::OkStatus();
}

absl::Status RunAsync(const CeilingOptions& options) {
  Health::AsyncService service;
  grpc::ServerBuilder builder;
  builder.RegisterService(&service);
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> queues;
  queues.reserve(static_cast<size_t>(options.queues));
  for (int i = 0; i < options.queues; ++i) {
    queues.push_back(builder.AddCompletionQueue());
  }
  std::unique_ptr<grpc::Server> server;
  std::vector<std::thread> pollers;
  absl::Status served = ServeUntilSignal(builder, options, &server, [&] {
    for (auto& queue : queues) {
      for (int i = 0; i < options.requests_per_queue; ++i) {
        new AsyncCheckCall(&service, queue.get());
      }
      for (int i = 0; i < options.threads_per_queue; ++i) {
        pollers.emplace_back(PollQueue, queue.get());
      }
    }
  });
  // Queues shut down only after the server (gRPC's rule); the pollers then
  // drain and delete every posted call.
  for (auto& queue : queues) queue->Shutdown();
  for (std::thread& poller : pollers) poller.join();
  if (!served.ok()) {
    // BuildAndStart failed: nothing was posted, drain the empty queues.
    for (auto& queue : queues) PollQueue(queue.get());
  }
  server.reset();
  return served;
}

absl::Status Run(const CeilingOptions& options) {
  switch (options.threading) {
    case Threading::kAsync:
      return RunAsync(options);
    case Threading::kCallback: {
      CallbackHealth service;
      std::optional<CallbackRawReply> raw;
      grpc::ServerBuilder builder;
      if (options.reply.has_value()) {
        builder.RegisterService(&raw.emplace(*options.reply));
      } else {
        builder.RegisterService(&service);
      }
      std::unique_ptr<grpc::Server> server;  // Destroyed before the service.
      return ServeUntilSignal(builder, options, &server, nullptr);
    }
    case Threading::kSync: {
      SyncHealth service;
      grpc::ServerBuilder builder;
      builder.RegisterService(&service);
      if (options.sync_threads > 0) {
        builder.SetSyncServerOption(grpc::ServerBuilder::MIN_POLLERS,
                                    options.sync_threads);
        builder.SetSyncServerOption(grpc::ServerBuilder::MAX_POLLERS,
                                    options.sync_threads);
      }
      std::unique_ptr<grpc::Server> server;  // Destroyed before the service.
      return ServeUntilSignal(builder, options, &server, nullptr);
    }
  }
  return absl::InternalError("unknown threading mode");
}

}  // namespace
}  // namespace jwtauth::bench

int main(int argc, char** argv) {
  absl::StatusOr<jwtauth::bench::CeilingOptions> options =
      jwtauth::bench::ParseFlags(argc, argv);
  if (!options.ok()) {
    std::fprintf(stderr, "ceiling_server: %s\n%s",
                 std::string(options.status().message()).c_str(),
                 std::string(jwtauth::bench::kUsage).c_str());
    return 2;
  }
  // Before gRPC starts threads, so only sigwait sees the stop signals.
  jwtauth::bench::BlockStopSignals();
  absl::Status status = jwtauth::bench::Run(*options);
  if (!status.ok()) {
    std::fprintf(stderr, "ceiling_server: %s\n",
                 std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
