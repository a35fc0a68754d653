// jwtauth verify: against a running server (Verify RPC), or offline against
// a server config file or a JWKS (cli/offline_verifier.h); the same output
// either way.

#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/connection.h"
#include "cli/offline_verifier.h"
#include "core/status_macros.h"
#include "jwtauth/v1/auth.pb.h"
#include "nlohmann/json.hpp"

namespace jwtauth::cli {
namespace {

nlohmann::json ResultJson(const v1::VerifyResponse& r) {
  nlohmann::json out = {{"valid", r.valid()}};
  if (!r.valid()) {
    out["reason"] = v1::FailureReason_Name(r.reason());
    out["detail"] = r.detail();
    return out;
  }
  out["provider"] = r.provider();
  out["kid"] = r.kid();
  out["alg"] = r.alg();
  if (r.has_expires_at()) out["expires_at"] = FormatTimestamp(r.expires_at());
  out["claims"] = nlohmann::json::parse(r.claims_json(), nullptr, false);
  out["metadata"] = nlohmann::json::object();
  for (const auto& [k, v] : r.metadata()) out["metadata"][k] = v;
  return out;
}

void PrintResultText(const v1::VerifyResponse& r) {
  if (!r.valid()) {
    std::cout << "invalid: " << v1::FailureReason_Name(r.reason()) << ": "
              << r.detail() << "\n";
    return;
  }
  std::cout << "valid: provider=" << r.provider() << " kid=" << r.kid()
            << " alg=" << r.alg();
  if (r.has_expires_at()) {
    std::cout << " expires=" << FormatTimestamp(r.expires_at());
  }
  std::cout << "\n";
  nlohmann::json claims =
      nlohmann::json::parse(r.claims_json(), nullptr, false);
  if (!claims.is_discarded()) std::cout << claims.dump(2) << "\n";
  for (const auto& [k, v] : r.metadata()) {
    std::cout << "metadata " << k << "=" << v << "\n";
  }
}

int PrintVerifyResult(const v1::VerifyResponse& r, bool json) {
  if (json) {
    std::cout << ResultJson(r).dump(2) << "\n";
  } else {
    PrintResultText(r);
  }
  return r.valid() ? kExitOk : kExitInvalidToken;
}

struct VerifyFlags {
  std::string token;
  std::optional<std::string> config;
  std::optional<std::string> jwks;
  std::vector<std::string> issuers;
  std::vector<std::string> audiences;
  std::string provider;
  std::string audience;
  bool json = false;
  ConnectionFlags connection;
};

absl::StatusOr<v1::VerifyResponse> Verify(const VerifyFlags& f,
                                          const v1::VerifyRequest& req) {
  if (f.config.has_value()) return VerifyOffline(*f.config, req);
  if (f.jwks.has_value()) {
    return VerifyOfflineWithJwks(
        {.jwks = *f.jwks, .issuers = f.issuers, .audiences = f.audiences}, req);
  }
  JWTAUTH_ASSIGN_OR_RETURN(client::Client client, Connect(f.connection));
  JWTAUTH_ASSIGN_OR_RETURN(client::VerifyResult result, client.Verify(req));
  return std::move(result.raw);
}

int RunVerify(const VerifyFlags& f) {
  if (f.jwks.has_value() && (f.issuers.empty() || f.audiences.empty())) {
    return UsageError("verify", "--jwks needs --iss and --aud");
  }
  if (!f.jwks.has_value() && (!f.issuers.empty() || !f.audiences.empty())) {
    return UsageError("verify", "--iss and --aud go with --jwks");
  }
  v1::VerifyRequest req;
  req.set_token(TokenArgument(f.token));
  req.set_provider(f.provider);
  req.set_audience(f.audience);
  absl::StatusOr<v1::VerifyResponse> r = Verify(f, req);
  if (!r.ok()) return ReportError("verify", r.status());
  return PrintVerifyResult(*r, f.json);
}

}  // namespace

Command AddVerifyCommand(CLI::App& root) {
  auto f = std::make_shared<VerifyFlags>();
  CLI::App* app = root.add_subcommand(
      "verify",
      "Verify a token with a running server, or offline with --config (a "
      "server config file: exactly its providers, keys and limits) or --jwks "
      "(a JWKS file or URL, with --iss and --aud). Exit 0 valid, 1 invalid.");
  app->add_option("token", f->token,
                  "The token (raw or \"Bearer ...\"); - reads it from stdin")
      ->required();
  CLI::Option* config = app->add_option(
      "--config", f->config, "Verify offline with this server config file");
  CLI::Option* jwks = app->add_option(
      "--jwks", f->jwks,
      "Verify offline with this JWKS (or JWK) file or http(s) URL");
  AddRepeatable(app, "--iss", &f->issuers,
                "With --jwks: an accepted issuer (repeatable)");
  AddRepeatable(app, "--aud", &f->audiences,
                "With --jwks: an accepted audience (repeatable)");
  app->add_option("--provider", f->provider,
                  "Only this provider (server or --config)");
  app->add_option("--audience", f->audience,
                  "Expect this audience instead of the provider's");
  AddJsonFlag(app, &f->json);
  AddConnectionFlags(app, &f->connection);
  CLI::Option* server = app->get_option("--server");
  config->excludes(jwks)->excludes(server);
  jwks->excludes(server);
  return {app, [f] { return RunVerify(*f); }};
}

}  // namespace jwtauth::cli
