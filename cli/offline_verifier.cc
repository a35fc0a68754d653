#include "cli/offline_verifier.h"

#include <filesystem>
#include <memory>
#include <utility>

#include "absl/strings/match.h"
#include "cli/common.h"
#include "core/clock.h"
#include "core/jwks_fetcher.h"
#include "core/jwks_refresher.h"
#include "core/key_store.h"
#include "core/status_macros.h"
#include "nlohmann/json.hpp"
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

absl::StatusOr<v1::VerifyResponse> VerifyWithConfig(
    const server::ServerConfig& config, const v1::VerifyRequest& request) {
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

bool IsUrl(absl::string_view s) {
  return absl::StartsWith(s, "http://") || absl::StartsWith(s, "https://");
}

// The config of `verify --jwks`, as JSON text (JSON is YAML to the config
// parser, and dumping quotes every value).
std::string JwksConfigText(const JwksVerifyOptions& options) {
  nlohmann::json provider = {{"name", "jwks"},
                             {"issuers", options.issuers},
                             {"audiences", options.audiences}};
  if (IsUrl(options.jwks)) {
    provider["jwks_urls"] = nlohmann::json::array({{{"url", options.jwks}}});
  } else {
    provider["keys"] = nlohmann::json::array({{{"jwks_file", options.jwks}}});
  }
  nlohmann::json config = {
      {"server", {{"listen", "127.0.0.1:0"}, {"admin_listen", ""}}},
      {"providers", nlohmann::json::array({provider})}};
  return config.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

absl::StatusOr<v1::VerifyResponse> VerifyOffline(
    const std::string& config_path, const v1::VerifyRequest& request) {
  JWTAUTH_ASSIGN_OR_RETURN(server::ServerConfig config,
                           server::LoadServerConfigFile(config_path));
  return VerifyWithConfig(config, request);
}

absl::StatusOr<v1::VerifyResponse> VerifyOfflineWithJwks(
    const JwksVerifyOptions& options, const v1::VerifyRequest& request) {
  if (options.issuers.empty() || options.audiences.empty()) {
    return absl::InvalidArgumentError(
        "--jwks needs --iss and --aud (what the token must carry)");
  }
  if (!IsUrl(options.jwks)) {
    // A clear error before the config's own ("--jwks:1:...").
    JWTAUTH_RETURN_IF_ERROR(ReadFile(options.jwks).status());
  }
  server::ConfigLoadOptions load;
  load.apply_env_overrides = false;
  std::error_code ec;
  const std::string cwd = std::filesystem::current_path(ec).string();
  JWTAUTH_ASSIGN_OR_RETURN(
      server::ServerConfig config,
      server::ParseServerConfig(JwksConfigText(options), "--jwks", cwd, load));
  return VerifyWithConfig(config, request);
}

}  // namespace jwtauth::cli
