// jwtauth keys: the server's keys as a table, or its public JWKS (ListKeys).

#include <iostream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/connection.h"
#include "jwtauth/v1/auth.pb.h"
#include "nlohmann/json.hpp"

namespace jwtauth::cli {
namespace {

void PrintKeyTable(const v1::ListKeysResponse& r) {
  std::cout << "PROVIDER\tKID\tALG\tKTY\tSTATE\tPRIMARY\tVERIFICATIONS\t"
               "LAST_USED\tSOURCE\n";
  for (const v1::KeyInfo& k : r.keys()) {
    const std::string state_name = v1::KeyState_Name(k.state());
    absl::string_view state = state_name;
    absl::ConsumePrefix(&state, "KEY_STATE_");
    std::cout << k.provider() << "\t" << (k.kid().empty() ? "-" : k.kid())
              << "\t" << (k.alg().empty() ? "-" : k.alg()) << "\t" << k.kty()
              << "\t" << absl::AsciiStrToLower(std::string(state)) << "\t"
              << (k.primary() ? "yes" : "no") << "\t" << k.verifications()
              << "\t"
              << (k.has_last_used() ? FormatTimestamp(k.last_used()) : "never")
              << "\t" << k.source() << "\n";
  }
}

}  // namespace

int RunKeys(int argc, char** argv) {
  Args args;
  if (auto err = ParseArgs(argc, argv, 2, WithConnectionFlags({"provider"}),
                           {"jwks"}, &args)) {
    return UsageError(*err);
  }
  if (!args.positional.empty()) {
    return UsageError("keys takes no positional arguments");
  }
  absl::StatusOr<client::Client> client = Connect(args);
  if (!client.ok()) return ReportError("keys", client.status());
  v1::ListKeysRequest req;
  req.set_provider(args.Get("provider").value_or(""));
  absl::StatusOr<v1::ListKeysResponse> r = client->ListKeys(req);
  if (!r.ok()) return ReportError("keys", r.status());
  if (args.Has("jwks")) {
    nlohmann::json j = nlohmann::json::parse(r->jwks_json(), nullptr, false);
    std::cout << (j.is_discarded() ? r->jwks_json() : j.dump(2)) << "\n";
    return kExitOk;
  }
  PrintKeyTable(*r);
  return kExitOk;
}

}  // namespace jwtauth::cli
