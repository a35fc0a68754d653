#include "tests/server/ext_authz_test_env.h"

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/clock.h"
#include "core/crypto/key_material.h"
#include "core/policy.h"
#include "yaml-cpp/yaml.h"

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

}  // namespace

absl::StatusOr<std::unique_ptr<ExtAuthzTestEnv>> ExtAuthzTestEnv::Create(
    absl::string_view ext_authz_yaml, bool with_cache) {
  std::unique_ptr<ExtAuthzTestEnv> env(new ExtAuthzTestEnv());
  env->past_clock_.Set(absl::Now() - absl::Hours(1));

  std::vector<ProviderOptions> providers;
  for (const ProviderSpec& spec : kProviders) {
    absl::StatusOr<SigningKey> key = MakeKey(spec);
    if (!key.ok()) return key.status();
    absl::StatusOr<Key> verification = key->VerificationKey();
    if (!verification.ok()) return verification.status();
    std::vector<Key> keys;
    keys.push_back(*std::move(verification));
    env->store_.SetSourceKeys(spec.name, key->source_id(), std::move(keys));
    ProviderOptions options;
    options.name = spec.name;
    options.issuers = {spec.issuer};
    options.audiences = {spec.audience};
    providers.push_back(std::move(options));
  }
  if (with_cache) {
    absl::StatusOr<std::unique_ptr<VerificationCache>> cache =
        VerificationCache::Create(VerificationCache::Options{});
    if (!cache.ok()) return cache.status();
    env->cache_ = *std::move(cache);
  }
  VerifierConfig config;
  config.providers = std::move(providers);
  config.key_store = &env->store_;
  config.clock = &RealClock::Get();
  config.cache = env->cache_.get();
  absl::StatusOr<std::unique_ptr<TokenVerifier>> verifier =
      TokenVerifier::Create(std::move(config));
  if (!verifier.ok()) return verifier.status();

  for (auto [issuer, spec, clock] :
       {std::tuple{&env->default_issuer_, &kProviders[0], &RealClock::Get()},
        std::tuple{&env->other_issuer_, &kProviders[1], &RealClock::Get()},
        std::tuple{&env->past_issuer_, &kProviders[0],
                   static_cast<const Clock*>(&env->past_clock_)}}) {
    absl::StatusOr<std::unique_ptr<TokenIssuer>> made =
        MakeIssuer(*spec, clock);
    if (!made.ok()) return made.status();
    *issuer = *std::move(made);
  }

  auto state = std::make_shared<server::ServingState>();
  state->generation = 1;
  state->verifier = std::shared_ptr<const TokenVerifier>(*std::move(verifier));
  if (!ext_authz_yaml.empty()) {
    YAML::Node root;
    try {
      root = YAML::Load(std::string(ext_authz_yaml));
    } catch (const YAML::Exception& e) {
      return absl::InvalidArgumentError(absl::StrCat("test yaml: ", e.what()));
    }
    std::vector<std::string> names = {"default", "other"};
    absl::StatusOr<server::ExtAuthzPolicy> policy =
        server::ParseExtAuthzPolicy(root["ext_authz"], "test.yaml", &names);
    if (!policy.ok()) return policy.status();
    state->ext_authz =
        std::make_shared<const server::ExtAuthzPolicy>(*std::move(policy));
  }
  env->holder_.Publish(std::move(state));
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
