// sync_baseline_server: Verify on gRPC's synchronous API, for the threading
// benchmark only (tests/bench/run_server_bench.sh, docs/PERFORMANCE.md). It
// builds the same Application from the same config as jwtauth-server and
// answers with the same HandleVerify, so the only difference from the
// production server (callback API) is the threading model.
//
//   sync_baseline_server --config FILE
//
// Logs the same "serving" line (with grpc_port) as jwtauth-server; SIGTERM
// or SIGINT stop it. Plaintext only; no ext_authz, health or admin server.

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "jwtauth/v1/auth.grpc.pb.h"
#include "server/application.h"
#include "server/config.h"
#include "server/logging.h"
#include "server/metrics.h"
#include "server/status_mapping.h"
#include "server/verify_handler.h"

namespace jwtauth::bench {
namespace {

using server::Application;
using server::Logger;
using server::LogLevel;

class SyncVerifyBaseline final : public v1::AuthService::Service {
 public:
  explicit SyncVerifyBaseline(server::ServiceContext ctx) : ctx_(ctx) {}
  grpc::Status Verify(grpc::ServerContext*, const v1::VerifyRequest* request,
                      v1::VerifyResponse* response) override {
    const absl::Time start = absl::Now();
    std::shared_ptr<const server::ServingState> state = ctx_.state->Current();
    absl::StatusOr<v1::VerifyResponse> r =
        server::HandleVerify(state.get(), *request);
    if (!r.ok()) return server::ToGrpcStatus(r.status());
    *response = *std::move(r);
    ctx_.metrics->RecordRpc(
        "Verify",
        server::ResultLabel(server::FromProtoReason(response->reason())),
        absl::Now() - start);
    return grpc::Status::OK;
  }

 private:
  server::ServiceContext ctx_;
};

void WaitForStopSignal() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  int sig = 0;
  while (sigwait(&signals, &sig) != 0) {
  }
}

int Run(int argc, char** argv) {
  if (argc != 3 || std::string(argv[1]) != "--config") {
    std::fprintf(stderr, "usage: sync_baseline_server --config FILE\n");
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Logger logger(LogLevel::kInfo);
  server::Metrics metrics;
  absl::StatusOr<server::ServerConfig> config =
      server::LoadServerConfigFile(argv[2]);
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n",
                 std::string(config.status().message()).c_str());
    return 2;
  }
  auto app =
      Application::Create(*config, {.logger = &logger, .metrics = &metrics});
  if (!app.ok()) {
    std::fprintf(stderr, "%s\n", std::string(app.status().message()).c_str());
    return 1;
  }
  SyncVerifyBaseline service((*app)->context());
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(config->server.listen,
                           grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> grpc_server = builder.BuildAndStart();
  if (grpc_server == nullptr || port == 0) {
    std::fprintf(stderr, "cannot listen on %s\n",
                 config->server.listen.c_str());
    return 1;
  }
  logger.Log(LogLevel::kInfo, "serving",
             {{"grpc_port", absl::StrCat(port)}, {"threading", "sync"}});
  WaitForStopSignal();
  grpc_server->Shutdown(std::chrono::system_clock::now());
  grpc_server->Wait();
  return 0;
}

}  // namespace
}  // namespace jwtauth::bench

int main(int argc, char** argv) { return jwtauth::bench::Run(argc, argv); }
