#include "client/offline_verifier.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "client/client.h"
#include "server/application.h"
#include "server/auth_service.h"
#include "server/config.h"
#include "server/logging.h"
#include "server/metrics.h"

namespace jwtauth::client {

absl::StatusOr<v1::VerifyResponse> VerifyOffline(
    const std::string& config_path, const v1::VerifyRequest& request) {
  absl::StatusOr<server::ServerConfig> config =
      server::LoadServerConfigFile(config_path);
  if (!config.ok()) return config.status();
  // Warnings and errors of the build go to stderr as JSON lines, like the
  // server's; info chatter is suppressed.
  server::Logger logger(server::LogLevel::kWarn);
  server::Metrics metrics;
  server::ApplicationOptions options;
  options.logger = &logger;
  options.metrics = &metrics;
  options.start_refresher = false;
  absl::StatusOr<std::unique_ptr<server::Application>> app =
      server::Application::Create(*std::move(config), options);
  if (!app.ok()) return app.status();
  (*app)->RefreshJwksOnce();
  std::shared_ptr<const server::ServingState> state =
      (*app)->state()->Current();
  v1::VerifyResponse response;
  grpc::Status status =
      server::VerifyWithState(state.get(), request, &response);
  if (!status.ok()) return StatusFromGrpc(status);
  return response;
}

}  // namespace jwtauth::client
