#include "server/grpc_server.h"

#include <chrono>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "server/connection_options.h"
#include "server/tls_credentials.h"

namespace jwtauth::server {
namespace {

constexpr int kMaxReceiveMessageBytes = 1 << 20;
constexpr absl::Duration kHealthPollInterval = absl::Milliseconds(100);

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>>
GrpcServer::Credentials(const ServerSection& server) {
  return ServerCredentialsFor(server);
}

GrpcServer::GrpcServer(ServiceContext context)
    : auth_service_(context), ext_authz_service_(context) {}

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(
    const ServerSection& server,
    std::shared_ptr<grpc::ServerCredentials> credentials,
    ServiceContext context) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  std::unique_ptr<GrpcServer> s(new GrpcServer(context));
  grpc::ServerBuilder builder;
  builder.AddListeningPort(server.listen, std::move(credentials), &s->port_);
  if (server.threading == ServerThreading::kAsync) {
    s->async_ = std::make_unique<AsyncTransport>(
        s->auth_service_, s->ext_authz_service_, server.async_queues,
        server.async_threads_per_queue);
    s->async_->Register(builder);
  } else {
    builder.RegisterService(&s->auth_service_);
    builder.RegisterService(&s->ext_authz_service_);
  }
  builder.SetMaxReceiveMessageSize(kMaxReceiveMessageBytes);
  ApplyConnectionOptions(server.connection, builder);
  s->server_ = builder.BuildAndStart();
  if (s->server_ == nullptr || s->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", server.listen));
  }
  if (s->async_ != nullptr) s->async_->Start();
  s->SetHealth(false);
  return s;
}

GrpcServer::~GrpcServer() { Shutdown(absl::ZeroDuration()); }

void GrpcServer::SetHealth(bool serving) {
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health == nullptr) return;
  for (const char* name :
       {"jwtauth.v1.AuthService", "envoy.service.auth.v3.Authorization"}) {
    health->SetServingStatus(name, serving);
  }
  health->SetServingStatus(serving);  // every service, including ""
}

void GrpcServer::FollowReadiness(std::function<bool()> ready, Logger* logger) {
  if (health_thread_.joinable()) return;
  health_thread_ = std::thread([this, ready = std::move(ready), logger] {
    bool last = false;
    while (!stop_health_.WaitForNotificationWithTimeout(kHealthPollInterval)) {
      const bool now = ready();
      if (now == last) continue;
      SetHealth(now);
      logger->Log(LogLevel::kInfo, now ? "ready" : "not_ready");
      last = now;
    }
  });
}

void GrpcServer::StopServing() {
  if (server_ == nullptr) return;
  if (!stop_health_.HasBeenNotified()) stop_health_.Notify();
  if (health_thread_.joinable()) health_thread_.join();
  SetHealth(false);
}

void GrpcServer::Shutdown(absl::Duration grace) {
  if (server_ == nullptr) return;
  StopServing();
  server_->Shutdown(std::chrono::system_clock::now() +
                    absl::ToChronoMilliseconds(grace));
  server_->Wait();
  // Every call has finished: now the queues can be shut down and drained.
  if (async_ != nullptr) async_->Stop();
  server_.reset();
}

}  // namespace jwtauth::server
