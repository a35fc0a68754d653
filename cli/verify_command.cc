// jwtauth verify: against a running server (Verify RPC) or offline against a
// server config file (cli/offline_verifier.h); the same output either way.

#include <iostream>
#include <string>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/connection.h"
#include "cli/offline_verifier.h"
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

}  // namespace

int RunVerify(int argc, char** argv) {
  Args args;
  if (auto err =
          ParseArgs(argc, argv, 2,
                    WithConnectionFlags({"config", "provider", "audience"}),
                    {"json"}, &args)) {
    return UsageError(*err);
  }
  if (args.positional.size() != 1) {
    return UsageError("verify needs exactly one TOKEN (or -)");
  }
  if (args.Get("config") && args.Get("server")) {
    return UsageError("--server and --config are mutually exclusive");
  }
  v1::VerifyRequest req;
  req.set_token(args.positional[0] == "-" ? ReadStdinToken()
                                          : args.positional[0]);
  req.set_provider(args.Get("provider").value_or(""));
  req.set_audience(args.Get("audience").value_or(""));

  if (auto config = args.Get("config")) {
    absl::StatusOr<v1::VerifyResponse> r = VerifyOffline(*config, req);
    if (!r.ok()) return ReportError("verify --config", r.status());
    return PrintVerifyResult(*r, args.Has("json"));
  }
  absl::StatusOr<client::Client> client = Connect(args);
  if (!client.ok()) return ReportError("verify", client.status());
  absl::StatusOr<v1::VerifyResponse> r = client->Verify(req);
  if (!r.ok()) return ReportError("verify", r.status());
  return PrintVerifyResult(*r, args.Has("json"));
}

}  // namespace jwtauth::cli
