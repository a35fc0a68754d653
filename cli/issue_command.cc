// jwtauth issue: asks the server to issue a token (IssueToken RPC), in
// direct mode (claims from the flags) or exchange mode (--subject-token).

#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/connection.h"
#include "jwtauth/v1/auth.pb.h"
#include "nlohmann/json.hpp"
#include "server/proto_json.h"

namespace jwtauth::cli {
namespace {

// "--claim k=v": v is parsed as JSON when it is valid JSON (numbers, true,
// arrays, quoted strings), else taken as a plain string.
nlohmann::json ClaimValue(absl::string_view v) {
  nlohmann::json j = nlohmann::json::parse(v, nullptr, false);
  if (j.is_discarded()) return std::string(v);
  return j;
}

struct IssueFlags {
  std::string sub;
  std::vector<std::string> audiences;
  std::vector<std::string> claim;
  std::optional<std::string> claims;
  std::optional<std::string> ttl;
  std::optional<std::string> subject_token;
  std::string caller_token;
  bool json = false;
  ConnectionFlags connection;
};

// The request from the flags, or the message of a usage error.
absl::StatusOr<v1::IssueTokenRequest> RequestFrom(const IssueFlags& f) {
  nlohmann::json claims = nlohmann::json::object();
  if (f.claims.has_value()) {
    claims = nlohmann::json::parse(*f.claims, nullptr, false);
    if (!claims.is_object()) {
      return absl::InvalidArgumentError("--claims must be a JSON object");
    }
  }
  for (const std::string& kv : f.claim) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError("--claim needs KEY=VALUE");
    }
    claims[kv.substr(0, eq)] = ClaimValue(absl::string_view(kv).substr(eq + 1));
  }
  v1::IssueTokenRequest req;
  if (!claims.empty()) {
    absl::StatusOr<google::protobuf::Struct> s = server::JsonToStruct(claims);
    if (!s.ok()) return s.status();
    *req.mutable_claims() = *std::move(s);
  }
  req.set_subject(f.sub);
  for (const std::string& a : f.audiences) req.add_audiences(a);
  if (f.ttl.has_value()) {
    absl::Duration d;
    if (!absl::ParseDuration(*f.ttl, &d) || d < absl::ZeroDuration()) {
      return absl::InvalidArgumentError("--ttl: not a duration (e.g. 15m)");
    }
    req.mutable_ttl()->set_seconds(absl::ToInt64Seconds(d));
  }
  if (f.subject_token.has_value()) {
    req.set_subject_token(TokenArgument(*f.subject_token));
  }
  return req;
}

void PrintIssued(const v1::IssueTokenResponse& r, bool json) {
  if (!json) {
    std::cout << r.token() << "\n";
    return;
  }
  nlohmann::json out = {{"token", r.token()},
                        {"kid", r.kid()},
                        {"alg", r.alg()},
                        {"jti", r.jti()},
                        {"issuer", r.issuer()},
                        {"mode", r.mode()},
                        {"expires_at", FormatTimestamp(r.expires_at())}};
  std::cout << out.dump(2) << "\n";
}

int RunIssue(const IssueFlags& f) {
  absl::StatusOr<v1::IssueTokenRequest> req = RequestFrom(f);
  if (!req.ok()) return UsageError("issue", req.status().message());
  client::CallOptions call;
  call.caller_token = f.caller_token;
  absl::StatusOr<client::Client> client = Connect(f.connection);
  if (!client.ok()) return ReportError("issue", client.status());
  absl::StatusOr<v1::IssueTokenResponse> r = client->IssueToken(*req, call);
  if (!r.ok()) return ReportError("issue", r.status());
  PrintIssued(*r, f.json);
  return kExitOk;
}

}  // namespace

Command AddIssueCommand(CLI::App& root) {
  auto f = std::make_shared<IssueFlags>();
  CLI::App* app = root.add_subcommand(
      "issue",
      "Ask the server to issue a token and print it. Direct mode (claims "
      "from the flags): the server must allow the caller (mTLS identity, "
      "--caller-token with the required scope, or the dev default's "
      "loopback rule). Exchange mode (--subject-token): needs --aud values "
      "the server's issue.exchange policy allows.");
  app->add_option("--sub", f->sub, "Subject (sub claim)");
  AddRepeatable(app, "--aud", &f->audiences, "Audience (repeatable)");
  AddRepeatable(app, "--claim", &f->claim,
                "KEY=VALUE claim (repeatable; VALUE is JSON if it parses, "
                "else a string)");
  app->add_option("--claims", f->claims, "Claims as one JSON object");
  app->add_option("--ttl", f->ttl,
                  "Lifetime, e.g. 15m (default: the server's)");
  app->add_option("--subject-token", f->subject_token,
                  "Exchange this token (- reads it from stdin)");
  app->add_option("--caller-token", f->caller_token,
                  "Authenticate the call with this token (Bearer metadata)");
  AddJsonFlag(app, &f->json);
  AddConnectionFlags(app, &f->connection);
  return {app, [f] { return RunIssue(*f); }};
}

}  // namespace jwtauth::cli
