// jwtauth issue: asks the server to issue a token (IssueToken RPC), in
// direct mode (claims from the flags) or exchange mode (--subject-token).

#include <iostream>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cli/args.h"
#include "cli/commands.h"
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

// The request from the flags, or the message of a usage error.
absl::StatusOr<v1::IssueTokenRequest> RequestFrom(const Args& args) {
  nlohmann::json claims = nlohmann::json::object();
  if (auto c = args.Get("claims")) {
    claims = nlohmann::json::parse(*c, nullptr, false);
    if (!claims.is_object()) {
      return absl::InvalidArgumentError("--claims must be a JSON object");
    }
  }
  for (const std::string& kv : args.All("claim")) {
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
  req.set_subject(args.Get("sub").value_or(""));
  for (const std::string& a : args.All("aud")) req.add_audiences(a);
  if (auto t = args.Get("ttl")) {
    absl::Duration d;
    if (!absl::ParseDuration(*t, &d) || d < absl::ZeroDuration()) {
      return absl::InvalidArgumentError("--ttl: not a duration (e.g. 15m)");
    }
    req.mutable_ttl()->set_seconds(absl::ToInt64Seconds(d));
  }
  if (auto st = args.Get("subject-token")) {
    req.set_subject_token(*st == "-" ? ReadStdinToken() : *st);
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

}  // namespace

int RunIssue(int argc, char** argv) {
  Args args;
  if (auto err =
          ParseArgs(argc, argv, 2,
                    WithConnectionFlags({"sub", "aud", "claim", "claims", "ttl",
                                         "subject-token", "caller-token"}),
                    {"json"}, &args)) {
    return UsageError(*err);
  }
  if (!args.positional.empty()) {
    return UsageError("issue takes no positional arguments");
  }
  absl::StatusOr<v1::IssueTokenRequest> req = RequestFrom(args);
  if (!req.ok()) return UsageError(req.status().message());
  client::CallOptions call;
  call.caller_token = args.Get("caller-token").value_or("");
  absl::StatusOr<client::Client> client = Connect(args);
  if (!client.ok()) return ReportError("issue", client.status());
  absl::StatusOr<v1::IssueTokenResponse> r = client->IssueToken(*req, call);
  if (!r.ok()) return ReportError("issue", r.status());
  PrintIssued(*r, args.Has("json"));
  return kExitOk;
}

}  // namespace jwtauth::cli
