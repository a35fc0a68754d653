// jwtauth-server: the gRPC JWT verification/issuing service.
//
//   jwtauth-server [--config FILE] [--check-config] [--threading=callback|sync]
//
// Config: --config FILE, else $JWTAUTH_CONFIG, else the embedded dev default
// (loopback only, ephemeral key, loud warning). --check-config loads the
// config, reads every key and secret file, builds everything, prints "config
// OK" and exits 0 (or prints the error and exits 1) without listening.
//
// Threading: services use the gRPC callback API (handlers never block; a
// Verify is CPU-only on a snapshot), which serves this CPU-bound unary
// workload with more throughput than the sync API (see docs/benchmarks.md).
// --threading=sync serves Verify from a sync-API baseline service instead:
// for benchmarks only.
//
// Signals are blocked in every thread and taken by one thread with sigwait:
// SIGHUP reloads the config file; SIGTERM/SIGINT set health NOT_SERVING and
// /readyz 503, stop accepting, drain in-flight RPCs for server.shutdown_grace,
// stop the JWKS refresher and exit 0.
//
// Exit codes: 0 clean shutdown / config OK, 1 runtime or config error during
// build, 2 usage or config parse error.

#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "core/verifier.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "jwtauth/v1/auth.grpc.pb.h"
#include "server/admin_http_server.h"
#include "server/application.h"
#include "server/auth_service.h"
#include "server/config.h"
#include "server/dev_defaults.h"
#include "server/ext_authz_service.h"
#include "server/logging.h"
#include "server/metrics.h"
#include "server/status_mapping.h"

#ifndef JWTAUTH_VERSION
#define JWTAUTH_VERSION "0.0.0"
#endif

namespace jwtauth::server {
namespace {

constexpr char kUsage[] =
    "usage: jwtauth-server [--config FILE] [--check-config] "
    "[--threading=callback|sync] [--print-dev-config]\n"
    "  config: --config FILE, else $JWTAUTH_CONFIG, else the embedded dev "
    "default\n"
    "  env overrides: JWTAUTH_SERVER_LISTEN, JWTAUTH_SERVER_ADMIN_LISTEN, "
    "JWTAUTH_LOG_LEVEL\n";

// Sync-API Verify, for the threading benchmark only (--threading=sync). The
// production path is AuthService (callback API).
class SyncVerifyBaseline final : public v1::AuthService::Service {
 public:
  explicit SyncVerifyBaseline(ServiceContext ctx) : ctx_(ctx) {}
  grpc::Status Verify(grpc::ServerContext*, const v1::VerifyRequest* request,
                      v1::VerifyResponse* response) override {
    const absl::Time start = absl::Now();
    std::shared_ptr<const ServingState> state = ctx_.state->Current();
    absl::string_view token = request->token();
    if (absl::StartsWith(token, "Bearer ")) token.remove_prefix(7);
    VerifyOptions options;
    options.provider = request->provider();
    options.audience = request->audience();
    VerifyResult r = state->verifier->Verify(token, options);
    response->set_valid(r.ok());
    if (r.ok()) {
      response->set_provider(r->provider());
      response->set_kid(r->kid());
      response->set_claims_json(r->claims_json());
    } else {
      response->set_reason(ToProtoReason(r.failure().reason));
      response->set_detail(r.failure().detail);
    }
    ctx_.metrics->RecordRpc("Verify", ResultLabel(r.reason()),
                            absl::Now() - start);
    return grpc::Status::OK;
  }

 private:
  ServiceContext ctx_;
};

std::shared_ptr<grpc::ServerCredentials> ServerCredentials(
    const ServerConfig& config, std::string* error) {
  if (!config.server.tls.has_value()) return grpc::InsecureServerCredentials();
  const TlsConfig& tls = *config.server.tls;
  auto read = [&](const std::string& path, std::string* out) {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
      *error = tls.location.Error(
          absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
      return false;
    }
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out->append(buf, n);
    std::fclose(f);
    return true;
  };
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  if (!read(tls.cert_file, &pair.cert_chain) ||
      !read(tls.key_file, &pair.private_key)) {
    return nullptr;
  }
  grpc::SslServerCredentialsOptions opts;
  opts.pem_key_cert_pairs.push_back(std::move(pair));
  if (!tls.client_ca_file.empty()) {
    if (!read(tls.client_ca_file, &opts.pem_root_certs)) return nullptr;
    opts.client_certificate_request =
        tls.require_client_cert
            ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
            : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
  } else {
    opts.client_certificate_request = GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE;
  }
  return grpc::SslServerCredentials(opts);
}

int Run(int argc, char** argv) {
  std::string config_path;
  bool check_only = false;
  bool sync_baseline = false;
  for (int i = 1; i < argc; ++i) {
    absl::string_view a = argv[i];
    if (a == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (absl::StartsWith(a, "--config=")) {
      config_path = std::string(a.substr(9));
    } else if (a == "--check-config") {
      check_only = true;
    } else if (a == "--threading=sync") {
      sync_baseline = true;
    } else if (a == "--threading=callback") {
      sync_baseline = false;
    } else if (a == "--print-dev-config") {
      std::fwrite(DevDefaultConfigYaml().data(), 1,
                  DevDefaultConfigYaml().size(), stdout);
      return 0;
    } else if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      std::fprintf(stderr, "jwtauth-server: unknown argument %s\n%s", argv[i],
                   kUsage);
      return 2;
    }
  }
  if (config_path.empty()) {
    if (const char* env = std::getenv("JWTAUTH_CONFIG"); env && *env) {
      config_path = env;
    }
  }

  Logger logger(LogLevel::kInfo);
  absl::StatusOr<ServerConfig> config =
      config_path.empty() ? DevDefaultConfig() : LoadServerConfigFile(config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "jwtauth-server: invalid config: %s\n",
                 std::string(config.status().message()).c_str());
    logger.Log(LogLevel::kError, "config_invalid",
               {{"error", std::string(config.status().message())}});
    return 2;
  }
  if (auto level = LogLevelFromName(config->log.level)) logger.SetLevel(*level);
  if (config->dev_mode) {
    std::fprintf(stderr,
                 "\n**********************************************************"
                 "**********\n*** %s\n*****************************************"
                 "***************************\n\n",
                 kDevModeWarning);
    logger.Log(LogLevel::kWarn, "dev_mode", {{"detail", kDevModeWarning}});
  }

  // Block the signals in this thread before any other thread exists, so
  // every thread inherits the mask and only the sigwait thread takes them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Metrics metrics(BuildInfo{JWTAUTH_VERSION,
                            absl::StrCat("gcc-", __GNUC__, ".", __GNUC_MINOR__)});
  ApplicationOptions app_options;
  app_options.logger = &logger;
  app_options.metrics = &metrics;
  app_options.start_refresher = !check_only;
  auto app = Application::Create(*config, app_options);
  if (!app.ok()) {
    std::fprintf(stderr, "jwtauth-server: invalid config: %s\n",
                 std::string(app.status().message()).c_str());
    return 1;
  }
  std::string cred_error;
  std::shared_ptr<grpc::ServerCredentials> creds =
      ServerCredentials(*config, &cred_error);
  if (creds == nullptr) {
    std::fprintf(stderr, "jwtauth-server: invalid config: %s\n",
                 cred_error.c_str());
    return 1;
  }
  if (check_only) {
    std::printf("config OK: %s (%zu providers)\n",
                config_path.empty() ? "<embedded dev config>"
                                    : config_path.c_str(),
                config->providers.size());
    return 0;
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  AuthService auth_service((*app)->context());
  ExtAuthzService ext_authz_service((*app)->context());
  SyncVerifyBaseline sync_service((*app)->context());
  grpc::ServerBuilder builder;
  int grpc_port = 0;
  builder.AddListeningPort(config->server.listen, creds, &grpc_port);
  builder.RegisterService(sync_baseline
                              ? static_cast<grpc::Service*>(&sync_service)
                              : static_cast<grpc::Service*>(&auth_service));
  builder.RegisterService(&ext_authz_service);
  builder.SetMaxReceiveMessageSize(1 << 20);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || grpc_port == 0) {
    std::fprintf(stderr, "jwtauth-server: cannot listen on %s\n",
                 config->server.listen.c_str());
    logger.Log(LogLevel::kError, "listen_failed",
               {{"address", config->server.listen}});
    return 1;
  }
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  auto set_health = [health](bool serving) {
    if (health == nullptr) return;
    // Named explicitly so probes that ask for a service name get its status
    // (the default service only knows "" otherwise: NOT_FOUND).
    for (const char* name : {"jwtauth.v1.AuthService",
                             "envoy.service.auth.v3.Authorization"}) {
      health->SetServingStatus(name, serving);
    }
    health->SetServingStatus(serving);  // every service, including ""
  };
  set_health(false);

  Application* a = app->get();
  std::unique_ptr<AdminHttpServer> admin;
  int admin_port = 0;
  if (!config->server.admin_listen.empty()) {
    auto started = AdminHttpServer::Start(config->server.admin_listen,
                                          MakeAdminHandlers(a, &metrics));
    if (!started.ok()) {
      std::fprintf(stderr, "jwtauth-server: %s\n",
                   std::string(started.status().message()).c_str());
      server->Shutdown();
      return 1;
    }
    admin = *std::move(started);
    admin_port = admin->port();
  }
  a->StartWatching();
  logger.Log(LogLevel::kInfo, "serving",
             {{"grpc_port", absl::StrCat(grpc_port)},
              {"admin_port", absl::StrCat(admin_port)},
              {"listen", config->server.listen},
              {"tls", config->server.tls ? "true" : "false"},
              {"threading", sync_baseline ? "sync" : "callback"},
              {"version", JWTAUTH_VERSION}});

  // Health follows readiness (every required key source loaded).
  absl::Notification shutdown;
  std::thread health_thread([&] {
    bool last = false;
    while (!shutdown.WaitForNotificationWithTimeout(absl::Milliseconds(100))) {
      bool ready = a->Ready();
      if (ready != last) {
        set_health(ready);
        logger.Log(LogLevel::kInfo, ready ? "ready" : "not_ready");
        last = ready;
      }
    }
  });

  std::thread signal_thread([&] {
    while (true) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0) continue;
      if (sig == SIGHUP) {
        logger.Log(LogLevel::kInfo, "sighup_reload");
        (void)a->ReloadFromFile();  // logs its own outcome
        continue;
      }
      logger.Log(LogLevel::kInfo, "shutdown_requested",
                 {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
      shutdown.Notify();
      return;
    }
  });

  shutdown.WaitForNotification();
  a->BeginShutdown();
  set_health(false);
  const absl::Duration drain_delay = a->config()->server.drain_delay;
  if (drain_delay > absl::ZeroDuration()) {
    // Still serving, but unready: lets load balancers and Kubernetes
    // endpoints stop routing here before the listener closes.
    logger.Log(LogLevel::kInfo, "draining",
               {{"drain_delay", absl::FormatDuration(drain_delay)}});
    absl::SleepFor(drain_delay);
  }
  const absl::Duration grace = a->config()->server.shutdown_grace;
  server->Shutdown(std::chrono::system_clock::now() +
                   absl::ToChronoMilliseconds(grace));
  server->Wait();
  health_thread.join();
  signal_thread.join();
  a->StopWatching();
  a->StopRefresher();
  if (admin != nullptr) admin->Stop();
  logger.Log(LogLevel::kInfo, "stopped");
  return 0;
}

}  // namespace
}  // namespace jwtauth::server

int main(int argc, char** argv) { return jwtauth::server::Run(argc, argv); }
