#include "tests/security/security_server.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/config.h"

namespace jwtauth::testing {
namespace fs = std::filesystem;

struct SecurityServer::LogSink {
  absl::Mutex mu;
  std::string text ABSL_GUARDED_BY(mu);
};

namespace {

std::atomic<int> next_dir{0};

template <typename Ctx>
void SetDeadline(Ctx& ctx) {
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
}

}  // namespace

absl::StatusOr<std::unique_ptr<SecurityServer>> SecurityServer::Start(
    absl::string_view config_yaml,
    const std::map<std::string, std::string>& files,
    SecurityServerOptions options) {
  auto s = std::unique_ptr<SecurityServer>(new SecurityServer());
  s->dir_ = (fs::temp_directory_path() /
             absl::StrCat("jwtauth_security_", ::getpid(), "_",
                          next_dir.fetch_add(1)))
                .string();
  fs::remove_all(s->dir_);
  fs::create_directories(s->dir_);
  for (const auto& [name, content] : files) {
    fs::path p = fs::path(s->dir_) / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
  }
  std::string text = absl::StrReplaceAll(config_yaml, {{"{dir}", s->dir_}});
  if (!absl::StrContains(text, "server:")) {
    text = absl::StrCat("server: {listen: \"127.0.0.1:0\", admin_listen: \"\"}\n",
                        text);
  }
  const std::string config_path = s->dir_ + "/config.yaml";
  std::ofstream(config_path, std::ios::binary | std::ios::trunc) << text;

  s->log_sink_ = std::make_shared<LogSink>();
  std::shared_ptr<LogSink> sink = s->log_sink_;
  s->logger_ = std::make_unique<server::Logger>(
      server::LogLevel::kDebug, [sink](absl::string_view line) {
        absl::MutexLock lock(&sink->mu);
        sink->text.append(line.data(), line.size());
      });
  server::ConfigLoadOptions load;
  load.apply_env_overrides = false;
  absl::StatusOr<server::ServerConfig> config =
      server::LoadServerConfigFile(config_path, load);
  if (!config.ok()) return config.status();
  server::ApplicationOptions app_options;
  app_options.logger = s->logger_.get();
  app_options.metrics = &s->metrics_;
  app_options.load_options = load;
  app_options.start_refresher = options.start_refresher;
  const std::string admin_listen = config->server.admin_listen;
  auto app = server::Application::Create(*std::move(config), app_options);
  if (!app.ok()) return app.status();
  s->app_ = *std::move(app);

  s->auth_service_ = std::make_unique<server::AuthService>(s->app_->context());
  s->ext_authz_service_ =
      std::make_unique<server::ExtAuthzService>(s->app_->context());
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &s->port_);
  builder.RegisterService(s->auth_service_.get());
  builder.RegisterService(s->ext_authz_service_.get());
  builder.SetMaxReceiveMessageSize(1 << 20);
  s->server_ = builder.BuildAndStart();
  if (s->server_ == nullptr || s->port_ == 0) {
    return absl::InternalError("cannot start gRPC server on 127.0.0.1:0");
  }
  if (!admin_listen.empty()) {
    auto admin = server::AdminHttpServer::Start(
        admin_listen, server::MakeAdminHandlers(s->app_.get(), &s->metrics_));
    if (!admin.ok()) return admin.status();
    s->admin_ = *std::move(admin);
  }
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", s->port_),
                                     grpc::InsecureChannelCredentials());
  s->auth_stub_ = v1::AuthService::NewStub(channel);
  s->ext_stub_ = envoy::service::auth::v3::Authorization::NewStub(channel);
  return s;
}

SecurityServer::~SecurityServer() {
  if (admin_ != nullptr) admin_->Stop();
  if (server_ != nullptr) server_->Shutdown(std::chrono::system_clock::now());
  server_.reset();
  app_.reset();
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
}

grpc::Status SecurityServer::Verify(const v1::VerifyRequest& request,
                                    v1::VerifyResponse* response) {
  grpc::ClientContext ctx;
  SetDeadline(ctx);
  return auth_stub_->Verify(&ctx, request, response);
}

v1::VerifyResponse SecurityServer::Verify(absl::string_view token,
                                          absl::string_view audience,
                                          absl::string_view provider) {
  v1::VerifyRequest request;
  request.set_token(std::string(token));
  request.set_audience(std::string(audience));
  request.set_provider(std::string(provider));
  v1::VerifyResponse response;
  grpc::Status status = Verify(request, &response);
  if (!status.ok()) {
    response.Clear();
    response.set_valid(false);
    response.set_detail(absl::StrCat("grpc status ", status.error_code(), ": ",
                                     status.error_message()));
  }
  return response;
}

grpc::Status SecurityServer::IssueToken(
    const v1::IssueTokenRequest& request, v1::IssueTokenResponse* response,
    const std::multimap<std::string, std::string>& metadata) {
  grpc::ClientContext ctx;
  SetDeadline(ctx);
  for (const auto& [k, v] : metadata) ctx.AddMetadata(k, v);
  return auth_stub_->IssueToken(&ctx, request, response);
}

grpc::Status SecurityServer::ListKeys(const v1::ListKeysRequest& request,
                                      v1::ListKeysResponse* response) {
  grpc::ClientContext ctx;
  SetDeadline(ctx);
  return auth_stub_->ListKeys(&ctx, request, response);
}

grpc::Status SecurityServer::Check(
    const envoy::service::auth::v3::CheckRequest& request,
    envoy::service::auth::v3::CheckResponse* response) {
  grpc::ClientContext ctx;
  SetDeadline(ctx);
  return ext_stub_->Check(&ctx, request, response);
}

std::string SecurityServer::logs() const {
  absl::MutexLock lock(&log_sink_->mu);
  return log_sink_->text;
}

}  // namespace jwtauth::testing
