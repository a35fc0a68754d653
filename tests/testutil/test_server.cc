#include "tests/testutil/test_server.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/status_macros.h"
#include "server/config.h"

namespace jwtauth::testutil {

struct TestServer::LogSink {
  absl::Mutex mu;
  std::string text ABSL_GUARDED_BY(mu);
};

namespace {

template <typename Ctx>
void SetDeadline(Ctx& ctx) {
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
}

}  // namespace

absl::StatusOr<std::unique_ptr<TestServer>> TestServer::Start(
    absl::string_view config_yaml,
    const std::map<std::string, std::string>& files,
    TestServerOptions options) {
  auto s = std::unique_ptr<TestServer>(new TestServer());
  for (const auto& [name, content] : files) s->dir_.Write(name, content);
  std::string text =
      absl::StrReplaceAll(config_yaml, {{"{dir}", s->dir_.path()}});
  if (!absl::StrContains(text, "server:")) {
    text = absl::StrCat(
        "server: {listen: \"127.0.0.1:0\", admin_listen: \"\"}\n", text);
  }
  const std::string config_path = s->dir_.Write("config.yaml", text);

  s->log_sink_ = std::make_shared<LogSink>();
  s->logger_ = std::make_unique<server::Logger>(
      server::LogLevel::kDebug, [sink = s->log_sink_](absl::string_view line) {
        absl::MutexLock lock(&sink->mu);
        sink->text.append(line.data(), line.size());
      });
  server::ConfigLoadOptions load;
  load.apply_env_overrides = false;
  JWTAUTH_ASSIGN_OR_RETURN(server::ServerConfig config,
                           server::LoadServerConfigFile(config_path, load));
  server::ApplicationOptions app_options;
  app_options.logger = s->logger_.get();
  app_options.metrics = &s->metrics_;
  if (options.clock != nullptr) app_options.clock = options.clock;
  app_options.load_options = load;
  app_options.start_refresher = options.start_refresher;
  server::ServerSection section = config.server;
  if (options.threading.has_value()) section.threading = *options.threading;
  JWTAUTH_ASSIGN_OR_RETURN(
      s->app_, server::Application::Create(std::move(config), app_options));
  JWTAUTH_RETURN_IF_ERROR(s->StartServing(std::move(section)));
  return s;
}

absl::Status TestServer::StartServing(server::ServerSection section) {
  section.listen = "127.0.0.1:0";
  JWTAUTH_ASSIGN_OR_RETURN(
      server_,
      server::GrpcServer::Start(section, grpc::InsecureServerCredentials(),
                                app_->context()));
  port_ = server_->port();
  if (!section.admin_listen.empty()) {
    JWTAUTH_ASSIGN_OR_RETURN(
        admin_, server::AdminHttpServer::Start(
                    section.admin_listen,
                    server::MakeAdminHandlers(app_.get(), &metrics_)));
  }
  auto channel =
      grpc::CreateChannel(target(), grpc::InsecureChannelCredentials());
  auth_stub_ = v1::AuthService::NewStub(channel);
  ext_stub_ = envoy::service::auth::v3::Authorization::NewStub(channel);
  return absl::OkStatus();
}

TestServer::~TestServer() {
  if (admin_ != nullptr) admin_->Stop();
  server_.reset();  // shuts down with no grace
  app_.reset();
}

std::string TestServer::target() const {
  return absl::StrCat("127.0.0.1:", port_);
}

grpc::Status TestServer::Verify(const v1::VerifyRequest& request,
                                v1::VerifyResponse* response) {
  grpc::ClientContext ctx;
  SetDeadline(ctx);
  return auth_stub_->Verify(&ctx, request, response);
}

v1::VerifyResponse TestServer::Verify(absl::string_view token,
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

grpc::Status TestServer::IssueToken(
    const v1::IssueTokenRequest& request, v1::IssueTokenResponse* response,
    const std::multimap<std::string, std::string>& metadata) {
  grpc::ClientContext ctx;
  SetDeadline(ctx);
  for (const auto& [k, v] : metadata) ctx.AddMetadata(k, v);
  return auth_stub_->IssueToken(&ctx, request, response);
}

grpc::Status TestServer::ListKeys(const v1::ListKeysRequest& request,
                                  v1::ListKeysResponse* response) {
  grpc::ClientContext ctx;
  SetDeadline(ctx);
  return auth_stub_->ListKeys(&ctx, request, response);
}

grpc::Status TestServer::Check(
    const envoy::service::auth::v3::CheckRequest& request,
    envoy::service::auth::v3::CheckResponse* response) {
  grpc::ClientContext ctx;
  SetDeadline(ctx);
  return ext_stub_->Check(&ctx, request, response);
}

std::string TestServer::logs() const {
  absl::MutexLock lock(&log_sink_->mu);
  return log_sink_->text;
}

}  // namespace jwtauth::testutil
