#include "tests/server/ext_authz_test_env.h"

#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/clock.h"
#include "core/crypto/key_material.h"
#include "core/status_macros.h"

namespace jwtauth::testutil {
namespace {

struct ProviderSpec {
  const char* name;
  const char* issuer;
  const char* audience;
  const char* kid;
  const char* secret;  // test-only HS256 secrets (>= 32 bytes)
};

constexpr ProviderSpec kProviders[] = {
    {"default", "https://issuer.test", "api://test", "k-default",
     "ext-authz-test-secret-default-0123456789"},
    {"other", "https://other.test", "api://other", "k-other",
     "ext-authz-test-secret-other-0123456789ab"},
};

absl::StatusOr<SigningKey> MakeKey(const ProviderSpec& spec) {
  absl::StatusOr<crypto::KeyMaterial> material =
      crypto::KeyMaterial::FromSecret(spec.secret);
  if (!material.ok()) return material.status();
  return SigningKey::Create(Algorithm::kHs256, spec.kid, *std::move(material));
}

absl::StatusOr<std::unique_ptr<TokenIssuer>> MakeIssuer(
    const ProviderSpec& spec, const Clock* clock) {
  absl::StatusOr<SigningKey> key = MakeKey(spec);
  if (!key.ok()) return key.status();
  IssuerOptions options;
  options.issuer = spec.issuer;
  options.default_ttl = absl::Minutes(10);
  return TokenIssuer::Create(std::move(options), *std::move(key), clock);
}

std::string Mint(const TokenIssuer& issuer, const ProviderSpec& spec,
                 const nlohmann::json& claims) {
  IssueRequest request;
  request.claims = claims.is_object() ? claims : nlohmann::json::object();
  if (!request.claims.contains("sub")) request.subject = "alice";
  request.audiences = {spec.audience};
  absl::StatusOr<IssuedToken> token = issuer.Issue(request);
  return token.ok() ? token->token : std::string();
}

// The serving config: one HS256 provider per ProviderSpec.
std::string ConfigYaml(absl::string_view ext_authz_yaml, bool with_cache) {
  std::string yaml = absl::StrCat(
      "cache: {enabled: ", with_cache ? "true" : "false", "}\nproviders:\n");
  for (const ProviderSpec& spec : kProviders) {
    absl::StrAppend(&yaml, "  - name: ", spec.name, "\n    issuers: [\"",
                    spec.issuer, "\"]\n    audiences: [\"", spec.audience,
                    "\"]\n    keys: [{kid: ", spec.kid,
                    ", alg: HS256, secret: \"", spec.secret, "\"}]\n");
  }
  absl::StrAppend(&yaml, ext_authz_yaml, "\n");
  return yaml;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ExtAuthzTestEnv>> ExtAuthzTestEnv::Create(
    absl::string_view ext_authz_yaml, bool with_cache,
    std::optional<server::ServerThreading> threading) {
  std::unique_ptr<ExtAuthzTestEnv> env(new ExtAuthzTestEnv());
  env->past_clock_.Set(absl::Now() - absl::Hours(1));
  JWTAUTH_ASSIGN_OR_RETURN(
      env->server_,
      TestServer::Start(
          ConfigYaml(ext_authz_yaml, with_cache), {},
          TestServerOptions{.start_refresher = false, .threading = threading}));
  for (auto [issuer, spec, clock] :
       {std::tuple{&env->default_issuer_, &kProviders[0], &RealClock::Get()},
        std::tuple{&env->other_issuer_, &kProviders[1], &RealClock::Get()},
        std::tuple{&env->past_issuer_, &kProviders[0],
                   static_cast<const Clock*>(&env->past_clock_)}}) {
    JWTAUTH_ASSIGN_OR_RETURN(*issuer, MakeIssuer(*spec, clock));
  }
  return env;
}

std::string ExtAuthzTestEnv::Token(const nlohmann::json& claims,
                                   absl::string_view provider) const {
  if (provider == "other") return Mint(*other_issuer_, kProviders[1], claims);
  return Mint(*default_issuer_, kProviders[0], claims);
}

std::string ExtAuthzTestEnv::ExpiredToken(const nlohmann::json& claims) const {
  return Mint(*past_issuer_, kProviders[0], claims);
}

}  // namespace jwtauth::testutil
