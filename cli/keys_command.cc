// jwtauth keys: the server's keys as a table, or its public JWKS (ListKeys).

#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/connection.h"
#include "jwtauth/v1/auth.pb.h"
#include "nlohmann/json.hpp"

namespace jwtauth::cli {
namespace {

struct KeysFlags {
  std::string provider;
  bool jwks = false;
  bool json = false;
  ConnectionFlags connection;
};

std::string StateName(v1::KeyState state) {
  const std::string name = v1::KeyState_Name(state);
  absl::string_view s = name;
  absl::ConsumePrefix(&s, "KEY_STATE_");
  return absl::AsciiStrToLower(s);
}

// {"keys": [one object per key, as in the table], "jwks": {...}}.
nlohmann::json KeysJson(const v1::ListKeysResponse& r) {
  nlohmann::json keys = nlohmann::json::array();
  for (const v1::KeyInfo& k : r.keys()) {
    nlohmann::json key = {{"provider", k.provider()},
                          {"kid", k.kid()},
                          {"alg", k.alg()},
                          {"kty", k.kty()},
                          {"state", StateName(k.state())},
                          {"primary", k.primary()},
                          {"verifications", k.verifications()},
                          {"source", k.source()}};
    key["last_used"] = k.has_last_used()
                           ? nlohmann::json(FormatTimestamp(k.last_used()))
                           : nlohmann::json(nullptr);
    keys.push_back(std::move(key));
  }
  nlohmann::json jwks = nlohmann::json::parse(r.jwks_json(), nullptr, false);
  return {{"keys", std::move(keys)},
          {"jwks", jwks.is_discarded() ? nlohmann::json(nullptr) : jwks}};
}

void PrintKeyTable(const v1::ListKeysResponse& r) {
  std::cout << "PROVIDER\tKID\tALG\tKTY\tSTATE\tPRIMARY\tVERIFICATIONS\t"
               "LAST_USED\tSOURCE\n";
  for (const v1::KeyInfo& k : r.keys()) {
    std::cout << k.provider() << "\t" << (k.kid().empty() ? "-" : k.kid())
              << "\t" << (k.alg().empty() ? "-" : k.alg()) << "\t" << k.kty()
              << "\t" << StateName(k.state()) << "\t"
              << (k.primary() ? "yes" : "no") << "\t" << k.verifications()
              << "\t"
              << (k.has_last_used() ? FormatTimestamp(k.last_used()) : "never")
              << "\t" << k.source() << "\n";
  }
}

int RunKeys(const KeysFlags& f) {
  absl::StatusOr<client::Client> client = Connect(f.connection);
  if (!client.ok()) return ReportError("keys", client.status());
  v1::ListKeysRequest req;
  req.set_provider(f.provider);
  absl::StatusOr<v1::ListKeysResponse> r = client->ListKeys(req);
  if (!r.ok()) return ReportError("keys", r.status());
  if (f.jwks) {
    nlohmann::json j = nlohmann::json::parse(r->jwks_json(), nullptr, false);
    std::cout << (j.is_discarded() ? r->jwks_json() : j.dump(2)) << "\n";
    return kExitOk;
  }
  if (f.json) {
    std::cout << KeysJson(*r).dump(2) << "\n";
    return kExitOk;
  }
  PrintKeyTable(*r);
  return kExitOk;
}

}  // namespace

Command AddKeysCommand(CLI::App& root) {
  auto f = std::make_shared<KeysFlags>();
  CLI::App* app = root.add_subcommand(
      "keys",
      "List the server's keys (a table; --json: the table and the JWKS as "
      "one document), or print its public JWKS (--jwks).");
  app->add_option("--provider", f->provider, "Only this provider's keys");
  app->add_flag("--jwks", f->jwks,
                "Print the public JWKS only (JSON, with or without --json)");
  AddJsonFlag(app, &f->json);
  AddConnectionFlags(app, &f->connection);
  return {app, [f] { return RunKeys(*f); }};
}

}  // namespace jwtauth::cli
