// jwtauth-server: the gRPC JWT verification/issuing service.
//
//   jwtauth-server [--config FILE] [--check-config] [--print-dev-config]
//                  [--version] [--help]
//
// Config: --config FILE, else $JWTAUTH_CONFIG, else the embedded dev default
// (loopback only, ephemeral key, loud warning). --check-config loads the
// config, reads every key and secret file, builds everything, prints "config
// OK" and exits 0 (or prints the error and exits 1) without listening.
//
// Threading (server.threading): the async API with dedicated polling threads
// per completion queue (default) or the callback API; handlers never block
// (a Verify is CPU-only on a snapshot). Measurements: docs/PERFORMANCE.md.
//
// Signals are blocked in every thread before any thread starts. SIGHUP is
// taken by the config watcher's thread and reloads the config file;
// SIGTERM/SIGINT, taken here, set health NOT_SERVING and /readyz 503, wait
// server.drain_delay, stop accepting, drain in-flight RPCs for
// server.shutdown_grace, stop the JWKS refresher and exit 0.
//
// Exit codes: 0 clean shutdown / config OK, 1 runtime or config error during
// build, 2 usage or config parse error.

#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "server/admin_http_server.h"
#include "server/application.h"
#include "server/config.h"
#include "server/dev_defaults.h"
#include "server/grpc_server.h"
#include "server/library_logs.h"
#include "server/logging.h"
#include "server/metrics.h"
#include "server/public_http_server.h"

#ifndef JWTAUTH_VERSION
#define JWTAUTH_VERSION "0.0.0"
#endif

namespace jwtauth::server {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

struct Flags {
  std::string config_path;  // "" = $JWTAUTH_CONFIG, else the dev default
  bool check_only = false;
  bool print_dev_config = false;
};

// The flags (CLI11), or the exit code when the command line is already
// answered: --help / --version / --print-dev-config (0) or a usage error
// (2, CLI11's message).
std::optional<int> ParseFlags(int argc, char** argv, Flags* flags) {
  CLI::App app(
      "jwtauth-server: the jwtauth gRPC JWT verification and "
      "issuing service",
      "jwtauth-server");
  app.set_version_flag("--version", JWTAUTH_VERSION);
  app.add_option("--config", flags->config_path,
                 "Config file (YAML or JSON); default $JWTAUTH_CONFIG, else "
                 "the embedded dev default");
  app.add_flag("--check-config", flags->check_only,
               "Load and build the config (every key and secret file), "
               "print \"config OK\" and exit without listening");
  app.add_flag("--print-dev-config", flags->print_dev_config,
               "Print the embedded dev default config and exit");
  app.footer(
      "Env overrides: JWTAUTH_SERVER_LISTEN, JWTAUTH_SERVER_ADMIN_LISTEN, "
      "JWTAUTH_LOG_LEVEL.\nExit codes: 0 clean shutdown / config OK, 1 "
      "runtime or config build error, 2 usage or config parse error.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      app.exit(e);
      return kExitOk;
    }
    std::fprintf(stderr,
                 "jwtauth-server: %s\nRun with --help for more "
                 "information.\n",
                 e.what());
    return kExitUsage;
  }
  if (flags->print_dev_config) {
    std::fwrite(DevDefaultConfigYaml().data(), 1, DevDefaultConfigYaml().size(),
                stdout);
    return kExitOk;
  }
  if (flags->config_path.empty()) {
    if (const char* env = std::getenv("JWTAUTH_CONFIG"); env && *env) {
      flags->config_path = env;
    }
  }
  return std::nullopt;
}

int ConfigError(absl::string_view message, int exit_code) {
  std::fprintf(stderr, "jwtauth-server: invalid config: %s\n",
               std::string(message).c_str());
  return exit_code;
}

void WarnDevMode(Logger& logger) {
  std::fprintf(stderr,
               "\n**********************************************************"
               "**********\n*** %s\n*****************************************"
               "***************************\n\n",
               kDevModeWarning);
  logger.Log(LogLevel::kWarn, "dev_mode", {{"detail", kDevModeWarning}});
}

// Blocks the signals in this thread before any other thread exists, so
// every thread inherits the mask: only the config watcher (SIGHUP) and
// WaitForShutdownSignal (SIGTERM, SIGINT) take them.
void BlockSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

void WaitForShutdownSignal(Logger& logger) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  int sig = 0;
  while (sigwait(&signals, &sig) != 0) {
  }
  logger.Log(LogLevel::kInfo, "shutdown_requested",
             {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
}

// Unready first, still serving for server.drain_delay so load balancers
// and Kubernetes endpoints stop routing here; then drain and stop.
void ShutDown(Application& app, GrpcServer& grpc, AdminHttpServer* admin,
              PublicHttpServer* pub, Logger& logger) {
  app.BeginShutdown();
  grpc.StopServing();
  const absl::Duration drain_delay = app.config()->server.drain_delay;
  if (drain_delay > absl::ZeroDuration()) {
    logger.Log(LogLevel::kInfo, "draining",
               {{"drain_delay", absl::FormatDuration(drain_delay)}});
    absl::SleepFor(drain_delay);
  }
  grpc.Shutdown(app.config()->server.shutdown_grace);
  app.StopWatching();
  app.StopRefresher();
  if (admin != nullptr) admin->Stop();
  if (pub != nullptr) pub->Stop();
  logger.Log(LogLevel::kInfo, "stopped");
}

// Listens, serves until SIGTERM/SIGINT, shuts down.
int Serve(const ServerConfig& config, Application& app,
          std::shared_ptr<grpc::ServerCredentials> creds, Metrics& metrics,
          Logger& logger) {
  auto grpc = GrpcServer::Start(config.server, std::move(creds), app.context());
  if (!grpc.ok()) {
    std::fprintf(stderr, "jwtauth-server: %s\n",
                 std::string(grpc.status().message()).c_str());
    logger.Log(LogLevel::kError, "listen_failed",
               {{"address", config.server.listen}});
    return kExitRuntime;
  }
  std::unique_ptr<AdminHttpServer> admin;
  if (!config.server.admin_listen.empty()) {
    auto started = AdminHttpServer::Start(config.server.admin_listen,
                                          MakeAdminHandlers(&app, &metrics));
    if (!started.ok()) {
      std::fprintf(stderr, "jwtauth-server: %s\n",
                   std::string(started.status().message()).c_str());
      return kExitRuntime;
    }
    admin = *std::move(started);
  }
  std::unique_ptr<PublicHttpServer> pub;
  if (!config.server.public_listen.empty()) {
    auto started = PublicHttpServer::Start(config.server.public_listen,
                                           MakePublicHandlers(&app));
    if (!started.ok()) {
      std::fprintf(stderr, "jwtauth-server: %s\n",
                   std::string(started.status().message()).c_str());
      return kExitRuntime;
    }
    pub = *std::move(started);
  }
  app.StartWatching();
  (*grpc)->FollowReadiness([&app] { return app.Ready(); }, &logger);
  logger.Log(LogLevel::kInfo, "serving",
             {{"grpc_port", absl::StrCat((*grpc)->port())},
              {"admin_port", absl::StrCat(admin ? admin->port() : 0)},
              {"public_port", absl::StrCat(pub ? pub->port() : 0)},
              {"listen", config.server.listen},
              {"tls", config.server.tls ? "true" : "false"},
              {"version", JWTAUTH_VERSION}});
  WaitForShutdownSignal(logger);
  ShutDown(app, **grpc, admin.get(), pub.get(), logger);
  return kExitOk;
}

int Run(int argc, char** argv) {
  Flags flags;
  if (std::optional<int> exit_code = ParseFlags(argc, argv, &flags)) {
    return *exit_code;
  }
  Logger logger(LogLevel::kInfo);
  // protobuf's and gRPC's own messages as JSON lines too.
  const LibraryLogRoute library_logs(&logger);
  absl::StatusOr<ServerConfig> config =
      flags.config_path.empty() ? DevDefaultConfig()
                                : LoadServerConfigFile(flags.config_path);
  if (!config.ok()) {
    logger.Log(LogLevel::kError, "config_invalid",
               {{"error", std::string(config.status().message())}});
    return ConfigError(config.status().message(), kExitUsage);
  }
  if (auto level = LogLevelFromName(config->log.level)) logger.SetLevel(*level);
  if (config->dev_mode) WarnDevMode(logger);
  BlockSignals();

  Metrics metrics(BuildInfo{
      JWTAUTH_VERSION, absl::StrCat("gcc-", __GNUC__, ".", __GNUC_MINOR__)});
  auto app = Application::Create(*config, {.logger = &logger,
                                           .metrics = &metrics,
                                           .start_refresher = !flags.check_only,
                                           .reload_on_sighup = true});
  if (!app.ok()) return ConfigError(app.status().message(), kExitRuntime);
  auto creds = GrpcServer::Credentials(config->server);
  if (!creds.ok()) return ConfigError(creds.status().message(), kExitRuntime);
  if (flags.check_only) {
    std::printf("config OK: %s (%zu providers)\n",
                flags.config_path.empty() ? "<embedded dev config>"
                                          : flags.config_path.c_str(),
                config->providers.size());
    return kExitOk;
  }
  return Serve(*config, **app, *std::move(creds), metrics, logger);
}

}  // namespace
}  // namespace jwtauth::server

int main(int argc, char** argv) {
  // Debian's Abseil keeps the mutex deadlock detector on in every build; it
  // records each lock acquisition in a global graph (several % of a Verify
  // under load). The test suites keep it on; the server does not pay for it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // The flag parser (CLI11) and the JSON/YAML libraries throw; Run catches
  // what it expects, and nothing else may escape main. The message is fixed:
  // an exception's text could quote an argument (a token, a secret).
  try {
    return jwtauth::server::Run(argc, argv);
  } catch (...) {
    std::fputs("jwtauth-server: internal error (unexpected exception)\n",
               stderr);
  }
  return 1;  // kExitRuntime
}
