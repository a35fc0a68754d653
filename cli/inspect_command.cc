// jwtauth inspect: decode a token WITHOUT verifying it (cli/
// token_inspection.h), labelled UNVERIFIED everywhere, with the time claims
// in human form and what a default policy would object to. The signature
// is never printed. Offline.

#include <iostream>
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/token_inspection.h"
#include "nlohmann/json.hpp"
#include "server/verify_handler.h"

namespace jwtauth::cli {
namespace {

constexpr char kUnverified[] =
    "UNVERIFIED: decoded only, the signature was NOT checked; use `jwtauth "
    "verify` before trusting any of this.";

struct InspectFlags {
  std::string token;
  bool json = false;
};

std::string Dump(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json InspectionJson(const TokenInspection& i) {
  nlohmann::json times = nlohmann::json::object();
  for (const TimeClaim& t : i.times) {
    times[t.name] = {{"at", FormatUtc(t.at)},
                     {"unix", absl::ToUnixSeconds(t.at)},
                     {"relative", t.relative}};
  }
  nlohmann::json objections = nlohmann::json::array();
  for (const Objection& o : i.objections) {
    objections.push_back({{"reason", o.reason}, {"detail", o.detail}});
  }
  return {{"verified", false},
          {"warning", kUnverified},
          {"header", i.header},
          {"claims", i.claims},
          {"times", std::move(times)},
          {"signature_bytes", i.signature_bytes},
          {"objections", std::move(objections)}};
}

void PrintText(const TokenInspection& i) {
  std::cout << kUnverified << "\n\nheader (UNVERIFIED):\n"
            << Dump(i.header, 2) << "\n\nclaims (UNVERIFIED):\n"
            << Dump(i.claims, 2) << "\n\n";
  for (const TimeClaim& t : i.times) {
    std::cout << t.name << ": " << FormatUtc(t.at) << " (" << t.relative
              << ")\n";
  }
  std::cout << "signature: " << i.signature_bytes
            << " bytes (not shown, not checked)\n\n";
  if (i.objections.empty()) {
    std::cout << "A default policy would object to nothing above (the "
                 "signature, issuer and audience values are a provider's "
                 "to check).\n";
    return;
  }
  std::cout << "A default policy would object to:\n";
  for (const Objection& o : i.objections) {
    std::cout << "  - " << o.reason << ": " << o.detail << "\n";
  }
}

int RunInspect(const InspectFlags& f) {
  const std::string token =
      std::string(server::ExtractBearerOrRawToken(TokenArgument(f.token)));
  absl::StatusOr<TokenInspection> i = InspectToken(token, absl::Now());
  if (!i.ok()) {
    std::cerr << "jwtauth inspect: cannot decode the token: "
              << i.status().message() << "\n";
    return kExitInvalidToken;
  }
  if (f.json) {
    std::cout << Dump(InspectionJson(*i), 2) << "\n";
  } else {
    PrintText(*i);
  }
  return kExitOk;
}

}  // namespace

Command AddInspectCommand(CLI::App& root) {
  auto f = std::make_shared<InspectFlags>();
  CLI::App* app = root.add_subcommand(
      "inspect",
      "Decode a token WITHOUT verifying it: header, claims, times in human "
      "form, and what a default policy would object to. Exit 0 decoded, 1 "
      "not a decodable JWS. Never prints the signature.");
  app->add_option("token", f->token,
                  "The token (raw or \"Bearer ...\"); - reads it from stdin")
      ->required();
  AddJsonFlag(app, &f->json);
  return {app, [f] { return RunInspect(*f); }};
}

}  // namespace jwtauth::cli
