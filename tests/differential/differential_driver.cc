// differential_driver: jwtauth's side of the differential test
// (tests/differential/differential.test.mjs). It stands up the production
// TokenVerifier (core/verifier.h) over the keys and policy the Node side
// uses with jose, then verifies one token per input line.
//
//   differential_driver CONFIG.json < tokens.jsonl > verdicts.txt
//
// CONFIG.json:
//   {"keys": [<JWK>...],            // private members are ignored
//    "issuer": "https://diff.test", "audience": "api://diff",
//    "now": 1700000000,             // the fixed verification time (unix s)
//    "clock_skew_seconds": 60}
// Input: one JSON string (the token) per line, so tokens may hold any byte.
// Output: one line per input line: "OK" or "<FAILURE_REASON> <detail>".
// Exit 0 unless the config cannot be used (exit 2, message on stderr).

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "core/failure.h"
#include "core/jwk.h"
#include "core/key_store.h"
#include "core/policy.h"
#include "core/status_macros.h"
#include "core/verifier.h"
#include "nlohmann/json.hpp"

namespace jwtauth {
namespace {

class FixedClock final : public Clock {
 public:
  explicit FixedClock(absl::Time now) : now_(now) {}
  absl::Time Now() const override { return now_; }

 private:
  absl::Time now_;
};

struct Driver {
  std::unique_ptr<FixedClock> clock;
  std::unique_ptr<KeyStore> store;
  std::unique_ptr<TokenVerifier> verifier;
};

absl::StatusOr<nlohmann::json> ReadJsonFile(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return absl::InvalidArgumentError(absl::StrCat(path, ": unreadable"));
  std::ostringstream text;
  text << in.rdbuf();
  nlohmann::json config =
      nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (!config.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a JSON object"));
  }
  return config;
}

// Each JWK alone (ImportJwk), so the set may mix oct and asymmetric keys as
// the jose side's key resolver does; one static source.
absl::StatusOr<std::vector<Key>> ImportKeys(const nlohmann::json& jwks) {
  std::vector<Key> keys;
  JwkImportOptions options;
  options.source = "static";
  for (const nlohmann::json& jwk : jwks) {
    absl::StatusOr<Key> key = ImportJwk(jwk, options);
    if (!key.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "key ", jwk.value("kid", "?"), ": ", key.status().message()));
    }
    keys.push_back(*std::move(key));
  }
  return keys;
}

absl::StatusOr<Driver> MakeDriver(const nlohmann::json& config) {
  try {
    Driver d;
    d.clock = std::make_unique<FixedClock>(
        absl::FromUnixSeconds(config.at("now").get<int64_t>()));
    d.store = std::make_unique<KeyStore>(d.clock.get());
    JWTAUTH_ASSIGN_OR_RETURN(std::vector<Key> keys,
                             ImportKeys(config.at("keys")));
    d.store->SetSourceKeys("diff", "static", std::move(keys));
    ProviderOptions p;
    p.name = "diff";
    p.issuers = {config.at("issuer").get<std::string>()};
    p.audiences = {config.at("audience").get<std::string>()};
    p.clock_skew = absl::Seconds(config.at("clock_skew_seconds").get<int>());
    VerifierConfig vc;
    vc.providers = {std::move(p)};
    vc.key_store = d.store.get();
    vc.clock = d.clock.get();
    JWTAUTH_ASSIGN_OR_RETURN(d.verifier, TokenVerifier::Create(std::move(vc)));
    return d;
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("config: ", e.what()));
  }
}

std::string Verdict(const TokenVerifier& verifier, const std::string& line) {
  nlohmann::json token =
      nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!token.is_string()) return "BAD_INPUT_LINE";
  VerifyResult r = verifier.Verify(token.get<std::string>());
  if (r.ok()) return "OK";
  return absl::StrCat(FailureReasonName(r.failure().reason), " ",
                      r.failure().detail);
}

}  // namespace
}  // namespace jwtauth

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CONFIG.json < tokens.jsonl\n", argv[0]);
    return 2;
  }
  absl::StatusOr<nlohmann::json> config = jwtauth::ReadJsonFile(argv[1]);
  absl::StatusOr<jwtauth::Driver> driver =
      config.ok() ? jwtauth::MakeDriver(*config)
                  : absl::StatusOr<jwtauth::Driver>(config.status());
  if (!driver.ok()) {
    std::fprintf(stderr, "differential_driver: %s\n",
                 driver.status().ToString().c_str());
    return 2;
  }
  std::ios::sync_with_stdio(false);
  std::string line;
  while (std::getline(std::cin, line)) {
    std::cout << jwtauth::Verdict(*driver->verifier, line) << '\n';
  }
  std::cout.flush();
  return 0;
}
