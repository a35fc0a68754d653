#include "cli/offline_verifier.h"

#include <memory>
#include <utility>

#include "core/clock.h"
#include "core/jwks_fetcher.h"
#include "core/jwks_refresher.h"
#include "core/key_store.h"
#include "core/status_macros.h"
#include "server/config.h"
#include "server/jwks_event_log.h"
#include "server/logging.h"
#include "server/serving_state_builder.h"
#include "server/verify_handler.h"

namespace jwtauth::cli {
namespace {

// Fetches every JWKS source of `built` once into `store`; failures are
// logged and leave the source pending (KEYS_UNAVAILABLE), as in the server.
absl::Status FetchJwksOnce(const server::BuiltServingState& built,
                           KeyStore* store, server::Logger* logger) {
  if (built.jwks_sources.empty()) return absl::OkStatus();
  CurlJwksFetcherOptions fo;
  fo.ca_file = built.jwks_ca_file;
  CurlJwksFetcher fetcher(fo);
  JwksRefresherOptions ro;
  ro.on_event = server::JwksEventLog(logger, /*metrics=*/nullptr);
  JWTAUTH_ASSIGN_OR_RETURN(
      std::unique_ptr<JwksRefresher> refresher,
      JwksRefresher::Create(std::move(ro), built.jwks_sources, store, &fetcher,
                            &RealClock::Get()));
  refresher->RefreshOnce();
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::VerifyResponse> VerifyOffline(
    const std::string& config_path, const v1::VerifyRequest& request) {
  JWTAUTH_ASSIGN_OR_RETURN(server::ServerConfig config,
                           server::LoadServerConfigFile(config_path));
  // Info chatter is suppressed; warnings and errors are shown.
  server::Logger logger(server::LogLevel::kWarn);
  KeyStore store(&RealClock::Get());
  server::ServingStateBuilder builder({.key_store = &store});
  JWTAUTH_ASSIGN_OR_RETURN(server::BuiltServingState built,
                           builder.Build(config));
  for (const std::string& w : built.warnings) {
    logger.Log(server::LogLevel::kWarn, "config_warning", {{"detail", w}});
  }
  store.ReplaceAll(std::move(built.key_sources));
  JWTAUTH_RETURN_IF_ERROR(FetchJwksOnce(built, &store, &logger));
  server::ServingState state;
  state.generation = 1;
  state.verifier = std::move(built.verifier);
  return server::HandleVerify(&state, request);
}

}  // namespace jwtauth::cli
