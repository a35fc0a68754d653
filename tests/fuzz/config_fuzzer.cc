// libFuzzer target for the config loader: the YAML/JSON text of a config
// file through ParseServerConfig (server/config.h: every section, ${ENV}
// interpolation, env overrides), then, for a config that parses, the
// `ext_authz:` section (ParseExtAuthzPolicy, with the provider names) and
// the whole generation build (ServingStateBuilder: keys, policies,
// verifier, issuer; no network, no threads). Also the reader's own pieces:
// InterpolateEnv and ParseConfigDuration on the raw input.
// The environment is a fixed fake (FUZZ_ISS, FUZZ_SECRET, FUZZ_EMPTY,
// JWTAUTH_LOG_LEVEL); relative paths resolve against a directory that does
// not exist, so key files fail to read (absolute ones are only read).
// Properties (any violation aborts; an escaping exception is a crash):
//   - parsing is deterministic (same verdict and message twice);
//   - every error is InvalidArgument with a message that names the file
//     ("fuzz.yaml...") or the env override ("env NAME: ...");
//   - InterpolateEnv without "${" returns the text with "$${" → "${" only;
//     a parsed duration is never negative.
// Seeds: tests/fuzz/corpus/config/ (the docs' and tests' example configs).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "core/key_store.h"
#include "server/config.h"
#include "server/config_reader.h"
#include "server/ext_authz_policy.h"
#include "server/serving_state_builder.h"

namespace jwtauth::fuzz {
namespace {

[[noreturn]] void Violated(const std::string& what) {
  std::fprintf(stderr, "config property violated: %s\n", what.c_str());
  std::abort();
}

std::optional<std::string> FakeGetEnv(absl::string_view name) {
  if (name == "FUZZ_ISS") return "https://fuzz.test";
  if (name == "FUZZ_SECRET") return "0123456789abcdef0123456789abcdef";
  if (name == "FUZZ_EMPTY") return "";
  if (name == "JWTAUTH_LOG_LEVEL") return "debug";
  return std::nullopt;
}

class FixedClock final : public Clock {
 public:
  absl::Time Now() const override {
    return absl::FromUnixSeconds(1'700'000'000);
  }
};

void CheckError(const absl::Status& s, const char* what) {
  if (s.ok()) return;
  if (s.code() != absl::StatusCode::kInvalidArgument) {
    Violated(std::string(what) + ": not InvalidArgument: " + s.ToString());
  }
  const absl::string_view m = s.message();
  if (!absl::StartsWith(m, "fuzz.yaml") && !absl::StartsWith(m, "env ")) {
    Violated(std::string(what) +
             ": message names no location: " + std::string(m));
  }
}

void CheckReaderPieces(absl::string_view text) {
  absl::StatusOr<std::string> interpolated =
      server::InterpolateEnv(text, FakeGetEnv);
  if (interpolated.ok() && !absl::StrContains(text, "${") &&
      *interpolated != text) {
    Violated("InterpolateEnv changed text without ${");
  }
  absl::StatusOr<absl::Duration> d = server::ParseConfigDuration(text);
  if (d.ok() && *d < absl::ZeroDuration()) Violated("negative duration");
}

void BuildGeneration(const server::ServerConfig& config) {
  std::vector<std::string> names;
  for (const server::ProviderConfig& p : config.providers) {
    names.push_back(p.name);
  }
  CheckError(server::ParseExtAuthzPolicy(config.ext_authz, &names).status(),
             "ParseExtAuthzPolicy");
  static FixedClock clock;
  KeyStore store(&clock);
  server::ServingStateBuilder builder(
      {.key_store = &store,
       .clock = &clock,
       .load = {.getenv = FakeGetEnv, .apply_env_overrides = true}});
  CheckError(builder.Build(config).status(), "ServingStateBuilder::Build");
}

}  // namespace
}  // namespace jwtauth::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace jwtauth;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  const server::ConfigLoadOptions options{.getenv = fuzz::FakeGetEnv,
                                          .apply_env_overrides = true};
  absl::StatusOr<server::ServerConfig> a = server::ParseServerConfig(
      text, "fuzz.yaml", "/nonexistent/jwtauth-fuzz", options);
  absl::StatusOr<server::ServerConfig> b = server::ParseServerConfig(
      text, "fuzz.yaml", "/nonexistent/jwtauth-fuzz", options);
  if (a.ok() != b.ok() || a.status().message() != b.status().message()) {
    fuzz::Violated("parsing is not deterministic");
  }
  fuzz::CheckError(a.status(), "ParseServerConfig");
  fuzz::CheckReaderPieces(text);
  if (a.ok()) fuzz::BuildGeneration(*a);
  return 0;
}
