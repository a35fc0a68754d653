#include "server/application.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/crypto/key_material.h"
#include "core/crypto/signature_verifier.h"
#include "core/issuer.h"
#include "core/jwk.h"
#include "core/jwks_fetcher.h"
#include "core/jwks_refresher.h"
#include "core/key_store.h"
#include "core/policy.h"
#include "core/verification_cache.h"
#include "core/verifier.h"
#include "nlohmann/json.hpp"
#include "server/ext_authz_policy.h"
#include "server/source_redaction.h"

namespace jwtauth::server {

// One built configuration, not yet (or no longer) published.
struct Application::Generation {
  uint64_t number = 0;
  std::vector<SourceKeys> static_sources;       // for KeyStore::ReplaceAll
  std::vector<JwksSourceConfig> jwks_sources;   // for the new refresher
  std::vector<std::string> required_jwks_ids;   // readiness
  std::vector<ProviderOptions> providers;
  std::shared_ptr<VerificationCache> cache;     // null: disabled
  std::optional<SigningKey> active_signing_key;
  IssuerOptions issuer_options;
  IssuePolicy issue_policy;
  std::shared_ptr<const ExtAuthzPolicy> ext_authz;
  std::string jwks_ca_file;
  std::vector<std::string> warnings;
};

// Verification-cache lookups of every generation. A cache is "live" from the
// moment its verifier exists until the verifier's deleter runs (the last
// in-flight RPC of that generation finished); then its final stats are added
// to `retired` under the same lock, so a read never sees a cache twice or
// not at all and the sum never decreases. Thread-safe.
struct Application::CacheLookupTotals {
  void Attach(const VerificationCache* cache) {
    absl::MutexLock lock(&mu);
    live.push_back(cache);
  }
  void Retire(const VerificationCache* cache) {
    absl::MutexLock lock(&mu);
    const VerificationCache::Stats s = cache->stats();
    retired.hits += s.hits;
    retired.misses += s.misses;
    live.erase(std::remove(live.begin(), live.end(), cache), live.end());
  }
  Metrics::CacheCounts Read() const {
    absl::MutexLock lock(&mu);
    Metrics::CacheCounts total = retired;
    for (const VerificationCache* cache : live) {
      const VerificationCache::Stats s = cache->stats();
      total.hits += s.hits;
      total.misses += s.misses;
    }
    return total;
  }

  mutable absl::Mutex mu;
  std::vector<const VerificationCache*> live ABSL_GUARDED_BY(mu);
  Metrics::CacheCounts retired ABSL_GUARDED_BY(mu);
};

namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path,
                                     const Location& where,
                                     absl::string_view field) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    Location l = where;
    l.path = absl::StrCat(where.path, ".", field);
    return absl::InvalidArgumentError(
        l.Error(absl::StrCat("cannot read ", path, ": ", std::strerror(errno))));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  if (s.size() > 1024 * 1024) {
    Location l = where;
    l.path = absl::StrCat(where.path, ".", field);
    return absl::InvalidArgumentError(l.Error("file larger than 1 MiB"));
  }
  return s;
}

absl::Status KeyError(const KeySourceConfig& k, absl::string_view reason) {
  Location l = k.location;
  l.path = absl::StrCat(k.location.path, ".", KeySourceKindName(k.kind));
  return absl::InvalidArgumentError(l.Error(reason));
}

// The secret bytes of a secret/secret_file/secret_env entry. Never logged.
absl::StatusOr<std::string> SecretOf(const KeySourceConfig& k,
                                     const ConfigLoadOptions& load) {
  switch (k.kind) {
    case KeySourceKind::kSecret:
      return k.secret.reveal();
    case KeySourceKind::kSecretFile: {
      auto s = ReadFile(k.value, k.location, "secret_file");
      if (!s.ok()) return s.status();
      std::string v = *std::move(s);
      // Key material is judged on the file as written: trimming first would
      // hide a DER key whose last byte happens to be CR or LF.
      if (absl::Status key = CheckSecretIsNotKeyText(v); !key.ok()) {
        return KeyError(k, key.message());
      }
      while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
      if (v.empty()) return KeyError(k, "secret file is empty");
      return v;
    }
    case KeySourceKind::kSecretEnv: {
      std::optional<std::string> v;
      if (load.getenv) {
        v = load.getenv(k.value);
      } else if (const char* e = std::getenv(k.value.c_str())) {
        v = std::string(e);
      }
      if (!v.has_value() || v->empty()) {
        return KeyError(k, absl::StrCat("environment variable ", k.value,
                                        " is not set or empty"));
      }
      return *v;
    }
    default:
      return KeyError(k, "not a secret");
  }
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

bool IsSecretKind(KeySourceKind k) {
  return k == KeySourceKind::kSecret || k == KeySourceKind::kSecretFile ||
         k == KeySourceKind::kSecretEnv;
}

// Verification keys of one providers[].keys[] entry.
absl::StatusOr<std::vector<Key>> LoadVerificationKeys(
    const KeySourceConfig& k, const crypto::KeyStrengthPolicy& strength,
    absl::Time now, const ConfigLoadOptions& load,
    std::vector<std::string>* warnings) {
  KeyOptions ko;
  ko.kid = k.kid;
  if (!k.alg.empty()) ko.alg = AlgorithmFromName(k.alg);
  ko.source = k.SourceLabel();
  ko.loaded_at = now;
  auto wrap = [&](absl::Status s) { return KeyError(k, s.message()); };
  if (IsSecretKind(k.kind)) {
    auto secret = SecretOf(k, load);
    if (!secret.ok()) return secret.status();
    auto key = ImportSecret(*secret, ko, strength);
    if (!key.ok()) return wrap(key.status());
    return std::vector<Key>{*std::move(key)};
  }
  std::string text;
  switch (k.kind) {
    case KeySourceKind::kPrivateKeyFile:
    case KeySourceKind::kPublicKeyFile:
    case KeySourceKind::kCertificateFile:
    case KeySourceKind::kJwkFile:
    case KeySourceKind::kJwksFile: {
      auto s = ReadFile(k.value, k.location, KeySourceKindName(k.kind));
      if (!s.ok()) return s.status();
      text = *std::move(s);
      break;
    }
    default:
      text = k.value;
  }
  JwkImportOptions jo;
  jo.source = ko.source;
  jo.loaded_at = now;
  jo.strength = strength;
  switch (k.kind) {
    case KeySourceKind::kPrivateKeyFile:
    case KeySourceKind::kPublicKeyFile:
    case KeySourceKind::kCertificateFile:
    case KeySourceKind::kPublicKey: {
      auto key = ImportPem(text, ko, strength);
      if (!key.ok()) return wrap(key.status());
      if (k.kind == KeySourceKind::kPrivateKeyFile) {
        // Keep only the public half for verification.
        auto pub = key->material().PublicOnly();
        if (pub.ok()) {
          auto pk = Key::Create(ko, *std::move(pub));
          if (pk.ok()) return std::vector<Key>{*std::move(pk)};
        }
      }
      return std::vector<Key>{*std::move(key)};
    }
    case KeySourceKind::kJwk:
    case KeySourceKind::kJwkFile: {
      auto j = nlohmann::json::parse(text, nullptr, false);
      if (j.is_discarded() || !j.is_object()) {
        return KeyError(k, "not a JSON object");
      }
      auto key = ImportJwk(j, jo);
      if (!key.ok()) return wrap(key.status());
      if (!k.kid.empty() && key->kid() != k.kid) {
        return KeyError(k, absl::StrCat("kid \"", k.kid,
                                        "\" does not match the JWK's kid"));
      }
      if (ko.alg.has_value() && key->alg() != ko.alg) {
        return KeyError(k, "alg does not match the JWK's alg");
      }
      return std::vector<Key>{*std::move(key)};
    }
    case KeySourceKind::kJwks:
    case KeySourceKind::kJwksFile: {
      auto set = ImportJwks(text, jo);
      if (!set.ok()) return wrap(set.status());
      for (const std::string& s : set->skipped) {
        warnings->push_back(absl::StrCat(k.location.path, ": skipped ", s));
      }
      if (set->keys.empty()) return KeyError(k, "no usable keys");
      return std::move(set->keys);
    }
    default:
      return KeyError(k, "unsupported key source");
  }
}

absl::StatusOr<SigningKey> LoadSigningKey(
    const KeySourceConfig& k, const crypto::KeyStrengthPolicy& strength,
    const ConfigLoadOptions& load) {
  auto wrap = [&](absl::Status s) { return KeyError(k, s.message()); };
  std::optional<Algorithm> alg;
  if (!k.alg.empty()) alg = AlgorithmFromName(k.alg);
  std::string kid = k.kid;
  absl::StatusOr<crypto::KeyMaterial> material =
      absl::InternalError("unset");
  if (IsSecretKind(k.kind)) {
    auto secret = SecretOf(k, load);
    if (!secret.ok()) return secret.status();
    if (absl::Status s = CheckSecretIsNotKeyText(*secret); !s.ok()) {
      return wrap(s);
    }
    material = crypto::KeyMaterial::FromSecret(*secret, strength);
  } else if (k.kind == KeySourceKind::kPrivateKeyFile) {
    auto text = ReadFile(k.value, k.location, "private_key_file");
    if (!text.ok()) return text.status();
    material = crypto::KeyMaterial::FromPem(*text, strength);
    if (material.ok() && !material->has_private()) {
      return KeyError(k, "the PEM holds no private key");
    }
  } else if (k.kind == KeySourceKind::kJwk || k.kind == KeySourceKind::kJwkFile) {
    std::string text = k.value;
    if (k.kind == KeySourceKind::kJwkFile) {
      auto t = ReadFile(k.value, k.location, "jwk_file");
      if (!t.ok()) return t.status();
      text = *std::move(t);
    }
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return KeyError(k, "not a JSON object");
    JwkImportOptions jo;
    jo.source = k.SourceLabel();
    jo.strength = strength;
    auto key = ImportPrivateJwk(j, jo);
    if (!key.ok()) return wrap(key.status());
    if (kid.empty()) kid = key->kid();
    if (!alg.has_value()) alg = key->alg();
    material = key->material();
  } else {
    return KeyError(k, "not a signing key source");
  }
  if (!material.ok()) return wrap(material.status());
  if (!alg.has_value()) return KeyError(k, "alg is required");
  if (kid.empty()) return KeyError(k, "kid is required for a signing key");
  auto sk = SigningKey::Create(*alg, kid, *std::move(material), k.state);
  if (!sk.ok()) return wrap(sk.status());
  return sk;
}

}  // namespace

Application::Application(ApplicationOptions options)
    : options_(std::move(options)),
      key_store_(std::make_unique<KeyStore>(options_.clock)),
      cache_totals_(std::make_shared<CacheLookupTotals>()) {}

Application::~Application() {
  StopWatching();
  StopRefresher();
  if (collector_id_ != 0) options_.metrics->RemoveCollector(collector_id_);
  if (cache_source_id_ != 0) {
    options_.metrics->RemoveCacheSource(cache_source_id_);
  }
}

absl::StatusOr<std::unique_ptr<Application>> Application::Create(
    ServerConfig config, ApplicationOptions options) {
  if (options.logger == nullptr || options.metrics == nullptr ||
      options.clock == nullptr) {
    return absl::InvalidArgumentError("Application: logger, metrics, clock required");
  }
  std::unique_ptr<Application> app(new Application(std::move(options)));
  Application* self = app.get();
  app->collector_id_ = app->options_.metrics->AddCollector(
      [self](std::string* out) {
        std::map<std::string, int64_t> counts;
        for (const SourceInfo& s : self->key_store_->Sources()) {
          counts[s.provider] += static_cast<int64_t>(s.key_count);
        }
        absl::StrAppend(out,
                        "# HELP jwtauth_ready 1 when every required key source "
                        "has loaded.\n# TYPE jwtauth_ready gauge\njwtauth_ready ",
                        self->Ready() ? 1 : 0, "\n");
        self->options_.metrics->SetKeyCounts(std::move(counts));
      });
  app->cache_source_id_ = app->options_.metrics->AddCacheSource(
      [totals = app->cache_totals_] { return totals->Read(); });
  {
    absl::MutexLock lock(&app->reload_mu_);
    absl::Status s = app->ReloadLocked(std::move(config));
    if (!s.ok()) return s;
  }
  return app;
}

ServiceContext Application::context() {
  return ServiceContext{&state_, key_store_.get(), options_.metrics,
                        options_.logger};
}

absl::StatusOr<std::unique_ptr<Application::Generation>> Application::Build(
    const ServerConfig& config) {
  auto gen = std::make_unique<Generation>();
  const absl::Time now = options_.clock->Now();
  crypto::KeyStrengthPolicy strength;
  strength.min_rsa_bits = config.limits.min_rsa_bits;
  strength.min_hmac_bytes = config.limits.min_hmac_bytes;

  // Signing keys: the active one signs; all are verification keys.
  std::vector<SigningKey> signing_keys;
  if (config.signing.ephemeral) {
    auto alg = AlgorithmFromName(config.signing.ephemeral_alg);
    if (!alg.has_value()) {
      return absl::InvalidArgumentError(
          "signing.ephemeral_alg: unsupported algorithm");
    }
    auto material = crypto::KeyMaterial::Generate(*alg);
    if (!material.ok()) return material.status();
    auto sk = SigningKey::Create(*alg, config.signing.ephemeral_kid,
                                 *std::move(material), KeyState::kActive);
    if (!sk.ok()) return sk.status();
    signing_keys.push_back(*std::move(sk));
  }
  for (const KeySourceConfig& k : config.signing.keys) {
    auto sk = LoadSigningKey(k, strength, options_.load_options);
    if (!sk.ok()) return sk.status();
    signing_keys.push_back(*std::move(sk));
  }
  for (const SigningKey& sk : signing_keys) {
    if (sk.state() == KeyState::kActive) gen->active_signing_key = sk;
  }

  // Providers: policy options + static sources + JWKS sources.
  bool signing_provider_found = signing_keys.empty();
  std::string ca_file;
  for (size_t pi = 0; pi < config.providers.size(); ++pi) {
    const ProviderConfig& pc = config.providers[pi];
    ProviderOptions po;
    po.name = pc.name;
    po.issuers = pc.issuers;
    po.audiences = pc.audiences;
    if (!pc.subject_equals.empty()) {
      po.subject = {SubjectRule::Kind::kExact, {pc.subject_equals}};
    } else if (!pc.subject_prefix.empty()) {
      po.subject = {SubjectRule::Kind::kPrefix, {pc.subject_prefix}};
    }
    po.clock_skew = pc.clock_skew;
    po.require_exp = pc.require_exp;
    po.max_lifetime = pc.max_lifetime.value_or(absl::ZeroDuration());
    po.required_claims = pc.required_claims;
    for (const ClaimRuleConfig& r : pc.claim_rules) {
      ClaimRule cr;
      cr.claim = r.claim;
      if (r.equals.has_value()) {
        cr.op = ClaimRule::Op::kEquals;
        cr.values = {*r.equals};
      } else if (!r.one_of.empty()) {
        cr.op = ClaimRule::Op::kOneOf;
        cr.values = r.one_of;
      } else if (r.contains.has_value()) {
        cr.op = ClaimRule::Op::kContains;
        cr.values = {*r.contains};
      }
      po.claim_rules.push_back(std::move(cr));
    }
    po.claims_namespace = pc.claims_namespace;
    for (const MetadataMappingConfig& m : pc.metadata) {
      po.metadata.push_back({m.path, m.field, m.required});
    }
    po.max_keys_without_kid = static_cast<size_t>(pc.max_keys_without_kid);
    po.allowed_typ = pc.allowed_typ;
    po.require_typ = pc.require_typ;
    po.payload_limits.max_bytes = static_cast<size_t>(config.limits.max_token_bytes);
    po.payload_limits.max_depth = config.limits.max_json_depth;
    po.payload_limits.max_object_members =
        static_cast<size_t>(config.limits.max_claims);
    // Validate here so the error can carry the provider's location.
    if (auto p = Policy::Create(po); !p.ok()) {
      return absl::InvalidArgumentError(pc.location.Error(p.status().message()));
    }
    gen->providers.push_back(po);

    for (const KeySourceConfig& k : pc.keys) {
      auto keys = LoadVerificationKeys(k, strength, now, options_.load_options,
                                       &gen->warnings);
      if (!keys.ok()) return keys.status();
      if (!k.issuer.empty()) {
        for (Key& key : *keys) key = key.BoundToIssuer(k.issuer);
      }
      gen->static_sources.push_back(
          SourceKeys{pc.name, k.SourceLabel(), *std::move(keys), false});
    }
    // The signing keys' verification halves belong to every provider that
    // accepts the signing issuer, bound to that issuer.
    if (!signing_keys.empty() &&
        std::find(pc.issuers.begin(), pc.issuers.end(),
                  config.signing.issuer) != pc.issuers.end()) {
      signing_provider_found = true;
      for (const SigningKey& sk : signing_keys) {
        auto vk = sk.VerificationKey(now);
        if (!vk.ok()) return vk.status();
        gen->static_sources.push_back(
            SourceKeys{pc.name, sk.source_id(),
                       {vk->BoundToIssuer(config.signing.issuer)}, false});
      }
    }
    auto add_jwks = [&](JwksSourceConfig js, const Location& loc,
                        bool required) -> absl::Status {
      if (absl::Status s = ValidateJwksSourceConfig(js); !s.ok()) {
        return absl::InvalidArgumentError(loc.Error(s.message()));
      }
      if (required) gen->required_jwks_ids.push_back(JwksSourceId(js));
      gen->jwks_sources.push_back(std::move(js));
      return absl::OkStatus();
    };
    for (const JwksUrlConfig& u : pc.jwks_urls) {
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
      if (!u.ca_file.empty()) {
        if (!ca_file.empty() && ca_file != u.ca_file) {
          return absl::InvalidArgumentError(u.location.Error(
              "all JWKS URLs must use the same ca_file"));
        }
        ca_file = u.ca_file;
      }
      if (auto s = add_jwks(std::move(js), u.location, u.required); !s.ok())
        return s;
    }
    if (!pc.discovery_url.empty()) {
      JwksSourceConfig js;
      js.provider = pc.name;
      js.discovery_url = pc.discovery_url;
      js.issuer = pc.issuers.empty() ? std::string() : pc.issuers.front();
      js.strength = strength;
      Location l = pc.location;
      l.path += ".discovery_url";
      if (auto s = add_jwks(std::move(js), l, true); !s.ok()) return s;
    }
    if (HasUnboundKeySource(pc)) {
      gen->warnings.push_back(absl::StrCat(
          "provider \"", pc.name,
          "\" has several issuers and key sources not bound to an issuer: "
          "each such key verifies tokens of every issuer of the provider "
          "(set issuer: on keys[] and jwks_urls[] entries)"));
    }
  }
  gen->jwks_ca_file = ca_file;
  if (!signing_provider_found) {
    gen->warnings.push_back(
        "signing.issuer: no provider lists it in issuers; issued tokens will "
        "not verify here");
  }

  if (config.cache.enabled && config.cache.max_entries > 0) {
    VerificationCache::Options co;
    co.max_entries = static_cast<size_t>(config.cache.max_entries);
    co.shards = std::min<size_t>(16, co.max_entries);
    auto cache = VerificationCache::Create(co);
    if (!cache.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cache.max_entries: ", cache.status().message()));
    }
    gen->cache = std::shared_ptr<VerificationCache>(std::move(*cache));
  }

  // Issuer options (the issuer itself is created against the active key).
  gen->issuer_options.issuer = config.signing.issuer;
  gen->issuer_options.default_ttl = config.signing.default_ttl;
  gen->issuer_options.max_ttl = config.signing.max_ttl;
  gen->issuer_options.exchange.max_ttl = config.issue.exchange_max_ttl;
  gen->issuer_options.exchange.allowed_providers =
      config.issue.exchange_allowed_providers;
  gen->issuer_options.exchange.allowed_audiences =
      config.issue.exchange_allowed_audiences;
  if (!config.exchange_claims.empty()) {
    gen->issuer_options.exchange.claim_allowlist = config.exchange_claims;
  }
  gen->issue_policy = config.issue;

  if (config.ext_authz.IsDefined() && !config.ext_authz.IsNull()) {
    std::vector<std::string> names;
    for (const ProviderConfig& p : config.providers) names.push_back(p.name);
    auto policy = ParseExtAuthzPolicy(config.ext_authz, config.source_file,
                                      &names);
    if (!policy.ok()) return policy.status();
    if (std::vector<std::string> at = PathMatcherLocations(*policy);
        !at.empty()) {
      gen->warnings.push_back(absl::StrCat(
          "ext_authz: path_prefix/path_exact/path_regex at ",
          absl::StrJoin(at, ", "),
          " rely on Envoy normalizing paths: set normalize_path, "
          "merge_slashes and path_with_escaped_slashes_action "
          "(docs/ext_authz.md)"));
    }
    gen->ext_authz = std::make_shared<const ExtAuthzPolicy>(*std::move(policy));
  }
  return gen;
}

absl::Status Application::Activate(std::unique_ptr<Generation> gen,
                                   ServerConfig config) {
  // Fallible steps that need no shared state first: the issuer.
  std::shared_ptr<const TokenIssuer> issuer;
  if (gen->active_signing_key.has_value()) {
    auto is = TokenIssuer::Create(gen->issuer_options, *gen->active_signing_key,
                                  options_.clock);
    if (!is.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(config.source_file.empty() ? "<config>" : config.source_file,
                       ": signing: ", is.status().message()));
    }
    issuer = std::shared_ptr<const TokenIssuer>(std::move(*is));
  }

  // Fetcher (owned) for JWKS URLs.
  JwksFetcher* fetcher = options_.fetcher;
  if (fetcher == nullptr && !gen->jwks_sources.empty()) {
    CurlJwksFetcherOptions fo;
    fo.ca_file = gen->jwks_ca_file;
    // The previous fetcher may still be in use by the old refresher; it is
    // stopped below before the replacement is destroyed.
    auto f = std::make_unique<CurlJwksFetcher>(fo);
    fetcher = f.get();
    if (refresher_ != nullptr) refresher_->Stop();
    owned_fetcher_ = std::move(f);
  }

  // From here on shared state changes; nothing below may fail validation.
  if (refresher_ != nullptr) refresher_->Stop();
  std::vector<std::pair<std::string, std::string>> keep;
  std::vector<SourceKeys> sources = std::move(gen->static_sources);
  for (const JwksSourceConfig& js : gen->jwks_sources) {
    sources.push_back(SourceKeys{js.provider, JwksSourceId(js), {}, true});
  }
  key_store_->ReplaceAll(std::move(sources), keep);

  std::shared_ptr<JwksRefresher> refresher;
  if (!gen->jwks_sources.empty()) {
    JwksRefresherOptions ro;
    Metrics* metrics = options_.metrics;
    Logger* logger = options_.logger;
    ro.on_event = [metrics, logger](const JwksEvent& e) {
      // Why JWKS entries were skipped (weak, oct, small-order, ...).
      const std::string reasons = absl::StrJoin(e.skipped_reasons, "; ");
      switch (e.type) {
        case JwksEvent::Type::kLoaded:
        case JwksEvent::Type::kNotModified:
          metrics->RecordJwksFetch(e.url, e.type == JwksEvent::Type::kLoaded
                                              ? "ok"
                                              : "not_modified");
          metrics->SetJwksLastSuccess(e.url, absl::Now());
          logger->Log(LogLevel::kInfo, "jwks_loaded",
                      {{"provider", e.provider},
                       {"url", RedactUrl(e.url)},
                       {"keys", absl::StrCat(e.keys)},
                       {"skipped", absl::StrCat(e.skipped)},
                       {"skipped_reasons", reasons},
                       {"early", e.early ? "true" : "false"}});
          break;
        case JwksEvent::Type::kFetchFailed:
          metrics->RecordJwksFetch(e.url, "error");
          logger->Log(LogLevel::kWarn, "jwks_fetch_failed",
                      {{"provider", e.provider},
                       {"url", RedactUrl(e.url)},
                       {"error", std::string(e.status.message())},
                       {"skipped_reasons", reasons}});
          break;
        case JwksEvent::Type::kKeysDropped:
          metrics->RecordJwksFetch(e.url, "dropped_stale");
          logger->Log(LogLevel::kError, "jwks_keys_dropped",
                      {{"provider", e.provider}, {"url", RedactUrl(e.url)}});
          break;
      }
    };
    auto r = JwksRefresher::Create(std::move(ro), gen->jwks_sources,
                                   key_store_.get(), fetcher, options_.clock);
    if (!r.ok()) {
      // Validated in Build(); reaching here is an internal fault.
      options_.logger->Log(LogLevel::kError, "jwks_refresher_failed",
                           {{"error", std::string(r.status().message())}});
    } else {
      refresher = std::shared_ptr<JwksRefresher>(std::move(*r));
    }
  }

  // The verifier borrows the cache and the refresher: the shared_ptr's
  // deleter keeps both alive for as long as any RPC holds the verifier.
  VerifierConfig vc;
  vc.providers = gen->providers;
  vc.key_store = key_store_.get();
  vc.clock = options_.clock;
  vc.cache = gen->cache.get();
  vc.unknown_kid_observer = refresher.get();
  vc.jws_limits.max_token_bytes = static_cast<size_t>(config.limits.max_token_bytes);
  auto verifier = TokenVerifier::Create(std::move(vc));
  if (!verifier.ok()) {
    // Providers were validated one by one in Build(); this is a cross-check
    // failure (e.g. duplicate names). The store already changed, so the old
    // generation keeps serving with the new static keys until next reload.
    return absl::InvalidArgumentError(
        absl::StrCat(config.source_file, ": providers: ",
                     verifier.status().message()));
  }
  std::shared_ptr<VerificationCache> cache = gen->cache;
  std::shared_ptr<CacheLookupTotals> totals = cache_totals_;
  if (cache != nullptr) totals->Attach(cache.get());
  std::shared_ptr<const TokenVerifier> shared_verifier(
      verifier->release(), [cache, refresher, totals](const TokenVerifier* v) {
        delete v;  // no lookup can reach `cache` after this
        if (cache != nullptr) totals->Retire(cache.get());
      });

  auto state = std::make_shared<ServingState>();
  state->generation = gen->number;
  state->verifier = std::move(shared_verifier);
  state->issuer = std::move(issuer);
  state->issue_policy = gen->issue_policy;
  state->ext_authz = gen->ext_authz;

  if (refresher != nullptr && options_.start_refresher) refresher->Start();
  refresher_ = refresher;
  auto shared_config = std::make_shared<const ServerConfig>(std::move(config));
  {
    absl::MutexLock lock(&config_mu_);
    config_ = shared_config;
    current_refresher_ = refresher;
    required_sources_ = gen->required_jwks_ids;
  }
  state_.Publish(std::move(state));
  if (LogLevel level; LogLevelFromName(shared_config->log.level).has_value()) {
    level = *LogLevelFromName(shared_config->log.level);
    options_.logger->SetLevel(level);
  }
  return absl::OkStatus();
}

absl::Status Application::ReloadLocked(ServerConfig config) {
  const uint64_t number = next_generation_;
  auto gen = Build(config);
  absl::Status status = gen.ok() ? absl::OkStatus() : gen.status();
  if (gen.ok()) {
    (*gen)->number = number;
    for (const std::string& w : (*gen)->warnings) {
      options_.logger->Log(LogLevel::kWarn, "config_warning", {{"detail", w}});
    }
    status = Activate(*std::move(gen), config);
  }
  if (status.ok()) {
    RecordStampsLocked(config);
  } else if (std::shared_ptr<const ServerConfig> current = this->config()) {
    RecordStampsLocked(*current);  // re-arm: a later edit retriggers
  }
  if (!status.ok()) {
    options_.metrics->RecordConfigReload(false, 0);
    options_.logger->Log(
        LogLevel::kError, "config_rejected",
        {{"error", std::string(status.message())},
         {"serving_generation", absl::StrCat(number - 1)}});
    return status;
  }
  ++next_generation_;
  options_.metrics->RecordConfigReload(true, number);
  options_.logger->Log(
      LogLevel::kInfo, "config_loaded",
      {{"file", config.source_file.empty() ? "<embedded dev config>"
                                           : config.source_file},
       {"generation", absl::StrCat(number)},
       {"providers", absl::StrCat(config.providers.size())}});
  return absl::OkStatus();
}

absl::Status Application::Reload(ServerConfig config) {
  absl::MutexLock lock(&reload_mu_);
  return ReloadLocked(std::move(config));
}

absl::Status Application::ReloadFromFile() {
  std::shared_ptr<const ServerConfig> current = config();
  if (current == nullptr || current->source_file.empty()) {
    return absl::FailedPreconditionError(
        "running on the embedded dev config: nothing to reload");
  }
  absl::MutexLock lock(&reload_mu_);
  auto loaded = LoadServerConfigFile(current->source_file, options_.load_options);
  if (!loaded.ok()) {
    RecordStampsLocked(*current);
    options_.metrics->RecordConfigReload(false, 0);
    options_.logger->Log(LogLevel::kError, "config_rejected",
                         {{"error", std::string(loaded.status().message())}});
    return loaded.status();
  }
  return ReloadLocked(*std::move(loaded));
}

Application::FileStamp Application::Stamp(const std::string& path) {
  FileStamp s;
  std::error_code ec;
  // Resolves every symlink (Kubernetes' ..data swap changes this).
  std::filesystem::path resolved = std::filesystem::canonical(path, ec);
  if (ec) return s;
  s.resolved = resolved.string();
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return s;  // follows symlinks
  s.exists = true;
  s.dev = st.st_dev;
  s.ino = st.st_ino;
  s.size = static_cast<uint64_t>(st.st_size);
  s.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 +
               st.st_mtim.tv_nsec;
  std::ifstream in(path, std::ios::binary);
  if (in) {
    std::stringstream ss;
    ss << in.rdbuf();
    s.content_hash = crypto::Sha256(ss.str());
  }
  return s;
}

void Application::RecordStampsLocked(const ServerConfig& config) {
  stamps_.clear();
  for (const std::string& f : config.WatchedFiles()) {
    stamps_.emplace_back(f, Stamp(f));
  }
}

bool Application::CheckFilesOnce() {
  std::shared_ptr<const ServerConfig> current = config();
  if (current == nullptr || current->source_file.empty()) return false;
  bool changed = false;
  std::string which;
  {
    absl::MutexLock lock(&reload_mu_);
    for (const auto& [path, stamp] : stamps_) {
      if (!(Stamp(path) == stamp)) {
        changed = true;
        which = path;
        break;
      }
    }
  }
  if (!changed) return false;
  options_.logger->Log(LogLevel::kInfo, "config_file_changed",
                       {{"file", which}});
  (void)ReloadFromFile();
  return true;
}

void Application::WatchLoop() {
  while (true) {
    std::shared_ptr<const ServerConfig> c = config();
    absl::Duration interval =
        c != nullptr ? c->server.watch_interval : absl::Seconds(2);
    if (interval <= absl::ZeroDuration()) interval = absl::Seconds(2);
    {
      absl::MutexLock lock(&watch_mu_);
      if (watch_mu_.AwaitWithTimeout(absl::Condition(&watch_stop_), interval)) {
        return;
      }
    }
    if (c != nullptr && c->server.watch_interval > absl::ZeroDuration()) {
      CheckFilesOnce();
    }
  }
}

void Application::StartWatching() {
  if (watcher_.joinable()) return;
  {
    absl::MutexLock lock(&watch_mu_);
    watch_stop_ = false;
  }
  watcher_ = std::thread([this] { WatchLoop(); });
}

void Application::StopWatching() {
  {
    absl::MutexLock lock(&watch_mu_);
    watch_stop_ = true;
  }
  if (watcher_.joinable()) watcher_.join();
}

void Application::StopRefresher() {
  absl::MutexLock lock(&reload_mu_);
  if (refresher_ != nullptr) refresher_->Stop();
}

void Application::RefreshJwksOnce() {
  absl::MutexLock lock(&reload_mu_);
  if (refresher_ != nullptr) refresher_->RefreshOnce();
}

std::shared_ptr<const ServerConfig> Application::config() const {
  absl::MutexLock lock(&config_mu_);
  return config_;
}

uint64_t Application::generation() const {
  auto s = state_.Current();
  return s == nullptr ? 0 : s->generation;
}

std::string Application::PublicJwksJson() const {
  KeySetSnapshot snap = key_store_->Current();
  // Only the service's own signing keys (next, active, retiring): relying
  // parties trust this document for signing.issuer, so a provider's or
  // partner's key here would let it mint tokens in the service's name.
  std::vector<const Key*> own;
  for (const KeyEntry* e : snap->AllEntries()) {
    if (IsSigningKeySource(e->source_id())) own.push_back(&e->key());
  }
  return ExportPublicJwksText(own);
}

}  // namespace jwtauth::server
