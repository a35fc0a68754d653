#include "server/serving_state_builder.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/crypto/key_material.h"
#include "core/issuer.h"
#include "core/policy.h"
#include "core/status_macros.h"
#include "server/ext_authz_policy.h"
#include "server/key_loader.h"

namespace jwtauth::server {
namespace {

std::string ConfigName(const ServerConfig& config) {
  return config.source_file.empty() ? "<config>" : config.source_file;
}

// Several issuers and a keys[]/jwks_urls[] entry without `issuer:` (keys
// not bound to issuers). Signing keys and discovery sources are always bound.
bool HasUnboundKeySource(const ProviderConfig& pc) {
  if (pc.issuers.size() < 2) return false;
  for (const KeySourceConfig& k : pc.keys) {
    if (k.issuer.empty()) return true;
  }
  for (const JwksUrlConfig& u : pc.jwks_urls) {
    if (u.issuer.empty()) return true;
  }
  return false;
}

JwksSourceConfig JwksSourceFrom(const ProviderConfig& pc,
                                const JwksUrlConfig& u,
                                const crypto::KeyStrengthPolicy& strength) {
  JwksSourceConfig js;
  js.provider = pc.name;
  js.url = u.url;
  js.refresh = {u.refresh.default_interval, u.refresh.min_interval,
                u.refresh.max_interval};
  js.timeout = u.timeout;
  js.allow_insecure = u.allow_insecure;
  js.issuer = u.issuer;  // binds the fetched keys ("" = unbound)
  js.redirect_hosts = u.redirect_hosts;
  js.strength = strength;
  if (u.max_stale.has_value()) js.max_stale = *u.max_stale;
  return js;
}

absl::StatusOr<SigningKey> EphemeralSigningKey(const SigningConfig& signing) {
  std::optional<Algorithm> alg = AlgorithmFromName(signing.ephemeral_alg);
  if (!alg.has_value()) {
    return absl::InvalidArgumentError(
        "signing.ephemeral_alg: unsupported algorithm");
  }
  JWTAUTH_ASSIGN_OR_RETURN(crypto::KeyMaterial material,
                           crypto::KeyMaterial::Generate(*alg));
  return SigningKey::Create(*alg, signing.ephemeral_kid, std::move(material),
                            KeyState::kActive);
}

// One Build() call: the steps, in order, each adding to `out_`.
class GenerationBuild {
 public:
  GenerationBuild(const ServerConfig& config,
                  const ServingStateBuilderOptions& options)
      : config_(config), options_(options) {
    key_options_.strength.min_rsa_bits = config.limits.min_rsa_bits;
    key_options_.strength.min_hmac_bytes = config.limits.min_hmac_bytes;
    key_options_.now = options.clock->Now();
    key_options_.load = options.load;
  }

  absl::StatusOr<BuiltServingState> Run(UnknownKidObserver* observer) && {
    JWTAUTH_RETURN_IF_ERROR(LoadSigningKeys());
    signing_provider_found_ = signing_keys_.empty();
    for (const ProviderConfig& pc : config_.providers) {
      JWTAUTH_RETURN_IF_ERROR(AddProvider(pc));
    }
    if (!signing_provider_found_) {
      out_.warnings.push_back(
          "signing.issuer: no provider lists it in issuers; issued tokens "
          "will not verify here");
    }
    for (const JwksSourceConfig& js : out_.jwks_sources) {
      out_.key_sources.push_back(
          SourceKeys{js.provider, JwksSourceId(js), {}, true});
    }
    JWTAUTH_RETURN_IF_ERROR(CreateCache());
    out_.issue_policy = config_.issue;
    JWTAUTH_RETURN_IF_ERROR(CreateExtAuthz());
    JWTAUTH_RETURN_IF_ERROR(CreateIssuer());
    JWTAUTH_RETURN_IF_ERROR(CreateVerifier(observer));
    return std::move(out_);
  }

 private:
  // The active key signs; every signing key is also a verification key.
  absl::Status LoadSigningKeys() {
    if (config_.signing.ephemeral) {
      JWTAUTH_ASSIGN_OR_RETURN(SigningKey sk,
                               EphemeralSigningKey(config_.signing));
      signing_keys_.push_back(std::move(sk));
    }
    for (const KeySourceConfig& k : config_.signing.keys) {
      JWTAUTH_ASSIGN_OR_RETURN(SigningKey sk, LoadSigningKey(k, key_options_));
      signing_keys_.push_back(std::move(sk));
    }
    for (const SigningKey& sk : signing_keys_) {
      if (sk.state() == KeyState::kActive) active_signing_key_ = sk;
    }
    return absl::OkStatus();
  }

  // Policy options, static sources and JWKS sources of one provider.
  absl::Status AddProvider(const ProviderConfig& pc) {
    ProviderOptions po = ToProviderOptions(pc, config_.limits);
    // Validated here so the error can carry the provider's location.
    if (auto p = Policy::Create(po); !p.ok()) {
      return absl::InvalidArgumentError(
          pc.location.Error(p.status().message()));
    }
    providers_.push_back(std::move(po));
    JWTAUTH_RETURN_IF_ERROR(AddStaticKeys(pc));
    JWTAUTH_RETURN_IF_ERROR(AddSigningKeyHalves(pc));
    JWTAUTH_RETURN_IF_ERROR(AddJwksSources(pc));
    if (HasUnboundKeySource(pc)) {
      out_.warnings.push_back(absl::StrCat(
          "provider \"", pc.name,
          "\" has several issuers and key sources not bound to an issuer: "
          "each such key verifies tokens of every issuer of the provider "
          "(set issuer: on keys[] and jwks_urls[] entries)"));
    }
    return absl::OkStatus();
  }

  absl::Status AddStaticKeys(const ProviderConfig& pc) {
    for (const KeySourceConfig& k : pc.keys) {
      JWTAUTH_ASSIGN_OR_RETURN(LoadedKeys loaded,
                               LoadVerificationKeys(k, key_options_));
      if (!k.issuer.empty()) {
        for (Key& key : loaded.keys) key = key.BoundToIssuer(k.issuer);
      }
      out_.key_sources.push_back(
          SourceKeys{pc.name, k.SourceLabel(), std::move(loaded.keys), false});
      for (std::string& w : loaded.warnings) {
        out_.warnings.push_back(std::move(w));
      }
    }
    return absl::OkStatus();
  }

  // The signing keys' verification halves belong to every provider that
  // accepts the signing issuer, bound to that issuer.
  absl::Status AddSigningKeyHalves(const ProviderConfig& pc) {
    const std::string& issuer = config_.signing.issuer;
    if (signing_keys_.empty() || std::find(pc.issuers.begin(), pc.issuers.end(),
                                           issuer) == pc.issuers.end()) {
      return absl::OkStatus();
    }
    signing_provider_found_ = true;
    for (const SigningKey& sk : signing_keys_) {
      JWTAUTH_ASSIGN_OR_RETURN(Key vk, sk.VerificationKey(key_options_.now));
      out_.key_sources.push_back(SourceKeys{
          pc.name, sk.source_id(), {vk.BoundToIssuer(issuer)}, false});
    }
    return absl::OkStatus();
  }

  absl::Status AddJwksSources(const ProviderConfig& pc) {
    for (const JwksUrlConfig& u : pc.jwks_urls) {
      if (!u.ca_file.empty()) {
        if (!out_.jwks_ca_file.empty() && out_.jwks_ca_file != u.ca_file) {
          return absl::InvalidArgumentError(
              u.location.Error("all JWKS URLs must use the same ca_file"));
        }
        out_.jwks_ca_file = u.ca_file;
      }
      JWTAUTH_RETURN_IF_ERROR(
          AddJwksSource(JwksSourceFrom(pc, u, key_options_.strength),
                        u.location, u.required));
    }
    if (pc.discovery_url.empty()) return absl::OkStatus();
    JwksSourceConfig js;
    js.provider = pc.name;
    js.discovery_url = pc.discovery_url;
    js.issuer = pc.issuers.empty() ? std::string() : pc.issuers.front();
    js.strength = key_options_.strength;
    Location l = pc.location;
    l.path += ".discovery_url";
    return AddJwksSource(std::move(js), l, /*required=*/true);
  }

  absl::Status AddJwksSource(JwksSourceConfig js, const Location& where,
                             bool required) {
    if (absl::Status s = ValidateJwksSourceConfig(js); !s.ok()) {
      return absl::InvalidArgumentError(where.Error(s.message()));
    }
    if (required) out_.required_jwks_ids.push_back(JwksSourceId(js));
    out_.jwks_sources.push_back(std::move(js));
    return absl::OkStatus();
  }

  absl::Status CreateCache() {
    if (!config_.cache.enabled || config_.cache.max_entries <= 0) {
      return absl::OkStatus();
    }
    VerificationCache::Options co;
    co.max_entries = static_cast<size_t>(config_.cache.max_entries);
    co.max_bytes = static_cast<size_t>(config_.cache.max_bytes);
    co.shards = std::min<size_t>(16, co.max_entries);
    auto cache = VerificationCache::Create(co);
    if (!cache.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cache: ", cache.status().message()));
    }
    out_.cache = std::shared_ptr<VerificationCache>(std::move(*cache));
    return absl::OkStatus();
  }

  absl::Status CreateExtAuthz() {
    if (!config_.ext_authz.present()) return absl::OkStatus();
    std::vector<std::string> names;
    for (const ProviderConfig& p : config_.providers) names.push_back(p.name);
    JWTAUTH_ASSIGN_OR_RETURN(ExtAuthzPolicy policy,
                             ParseExtAuthzPolicy(config_.ext_authz, &names));
    if (std::vector<std::string> at = PathMatcherLocations(policy);
        !at.empty()) {
      out_.warnings.push_back(
          absl::StrCat("ext_authz: path_prefix/path_exact/path_regex at ",
                       absl::StrJoin(at, ", "),
                       " rely on Envoy normalizing paths: set normalize_path, "
                       "merge_slashes and path_with_escaped_slashes_action "
                       "(docs/ext_authz.md)"));
    }
    JWTAUTH_RETURN_IF_ERROR(CheckUpstreamTokens(policy));
    out_.ext_authz = std::make_shared<const ExtAuthzPolicy>(std::move(policy));
    return absl::OkStatus();
  }

  // issue_upstream_token needs the active signing key, and its ttl obeys
  // the exchange's cap (the same policy engine signs it).
  absl::Status CheckUpstreamTokens(const ExtAuthzPolicy& policy) const {
    std::vector<const ExtAuthzRoute*> routes = {&policy.defaults};
    for (const ExtAuthzRoute& r : policy.routes) routes.push_back(&r);
    for (const ExtAuthzRoute* r : routes) {
      const std::optional<UpstreamTokenConfig>& up = r->options.upstream_token;
      if (!up.has_value()) continue;
      if (!active_signing_key_.has_value()) {
        return absl::InvalidArgumentError(up->location.Error(
            "needs an active signing key (signing: keys or ephemeral) to "
            "sign upstream tokens"));
      }
      if (up->ttl > config_.issue.exchange_max_ttl) {
        return absl::InvalidArgumentError(up->location.Error(absl::StrCat(
            "ttl ", absl::FormatDuration(up->ttl),
            " exceeds issue.exchange.max_ttl ",
            absl::FormatDuration(config_.issue.exchange_max_ttl))));
      }
    }
    return absl::OkStatus();
  }

  absl::Status CreateIssuer() {
    if (!active_signing_key_.has_value()) return absl::OkStatus();
    auto issuer = TokenIssuer::Create(ToIssuerOptions(config_),
                                      *active_signing_key_, options_.clock);
    if (!issuer.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          ConfigName(config_), ": signing: ", issuer.status().message()));
    }
    out_.issuer = std::shared_ptr<const TokenIssuer>(std::move(*issuer));
    return absl::OkStatus();
  }

  absl::Status CreateVerifier(UnknownKidObserver* observer) {
    VerifierConfig vc;
    vc.providers = std::move(providers_);
    vc.key_store = options_.key_store;
    vc.clock = options_.clock;
    vc.cache = out_.cache.get();
    vc.unknown_kid_observer = observer;
    vc.jws_limits.max_token_bytes =
        static_cast<size_t>(config_.limits.max_token_bytes);
    auto verifier = TokenVerifier::Create(std::move(vc));
    if (!verifier.ok()) {
      // Providers were validated one by one; this is a cross-check (e.g.
      // duplicate names).
      return absl::InvalidArgumentError(absl::StrCat(
          ConfigName(config_), ": providers: ", verifier.status().message()));
    }
    out_.verifier = *std::move(verifier);
    return absl::OkStatus();
  }

  const ServerConfig& config_;
  const ServingStateBuilderOptions& options_;
  KeyLoadOptions key_options_;
  std::vector<SigningKey> signing_keys_;
  std::optional<SigningKey> active_signing_key_;
  bool signing_provider_found_ = false;
  std::vector<ProviderOptions> providers_;
  BuiltServingState out_;
};

}  // namespace

ServingStateBuilder::ServingStateBuilder(ServingStateBuilderOptions options)
    : options_(std::move(options)) {}

absl::StatusOr<BuiltServingState> ServingStateBuilder::Build(
    const ServerConfig& config,
    UnknownKidObserver* unknown_kid_observer) const {
  if (options_.key_store == nullptr || options_.clock == nullptr) {
    return absl::InvalidArgumentError(
        "ServingStateBuilder: key_store and clock are required");
  }
  return GenerationBuild(config, options_).Run(unknown_kid_observer);
}

}  // namespace jwtauth::server
