#include "server/provider_config.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace jwtauth::server {
namespace {

bool IsLoopbackUrl(absl::string_view url) {
  absl::string_view rest = url.substr(url.find("://") + 3);
  return absl::StartsWith(rest, "127.") ||
         absl::StartsWith(rest, "localhost:") ||
         absl::StartsWith(rest, "localhost/") || rest == "localhost" ||
         absl::StartsWith(rest, "[::1]");
}

absl::Status ReadRefresh(const ConfigNode& n, RefreshConfig& r) {
  JWTAUTH_RETURN_IF_ERROR(n.ExpectMap({"default", "min", "max"}));
  JWTAUTH_RETURN_IF_ERROR(n.Read("default", &r.default_interval));
  JWTAUTH_RETURN_IF_ERROR(n.Read("min", &r.min_interval));
  JWTAUTH_RETURN_IF_ERROR(n.Read("max", &r.max_interval));
  if (!(r.min_interval <= r.default_interval &&
        r.default_interval <= r.max_interval)) {
    return n.Error("expected min <= default <= max");
  }
  return absl::OkStatus();
}

absl::Status CheckJwksUrl(const ConfigNode& n, const JwksUrlConfig& u) {
  const ConfigNode url = n["url"];
  if (u.url.empty()) return url.Error("required");
  const bool https = absl::StartsWith(u.url, "https://");
  const bool http = absl::StartsWith(u.url, "http://");
  if (!https && !http) return url.Error("must be an https:// URL");
  if (http && !u.allow_insecure && !IsLoopbackUrl(u.url)) {
    return url.Error(
        "plain http is allowed only for loopback hosts or with "
        "allow_insecure: true");
  }
  if (u.timeout <= absl::ZeroDuration()) {
    return n["timeout"].Error("must be positive");
  }
  return absl::OkStatus();
}

// A URL string, or a mapping with `url` and its options.
absl::StatusOr<JwksUrlConfig> ParseJwksUrl(const ConfigNode& n) {
  JwksUrlConfig u;
  u.location = n.location();
  if (n.IsScalar()) {
    JWTAUTH_ASSIGN_OR_RETURN(u.url, n.NonEmptyString());
    JWTAUTH_RETURN_IF_ERROR(CheckJwksUrl(n, u));
    return u;
  }
  JWTAUTH_RETURN_IF_ERROR(
      n.ExpectMap({"url", "refresh", "timeout", "allow_insecure", "ca_file",
                   "max_stale", "required", "issuer", "redirect_hosts"}));
  JWTAUTH_RETURN_IF_ERROR(n.ReadNonEmpty("url", &u.url));
  JWTAUTH_RETURN_IF_ERROR(n.Read("timeout", &u.timeout));
  JWTAUTH_RETURN_IF_ERROR(n.Read("allow_insecure", &u.allow_insecure));
  JWTAUTH_RETURN_IF_ERROR(n.ReadFile("ca_file", &u.ca_file));
  JWTAUTH_RETURN_IF_ERROR(n.Read("max_stale", &u.max_stale));
  JWTAUTH_RETURN_IF_ERROR(n.Read("required", &u.required));
  JWTAUTH_RETURN_IF_ERROR(n.ReadNonEmpty("issuer", &u.issuer));
  u.issuer_location = n["issuer"].location();
  JWTAUTH_RETURN_IF_ERROR(n.Read("redirect_hosts", &u.redirect_hosts));
  if (n.Has("refresh")) {
    JWTAUTH_RETURN_IF_ERROR(ReadRefresh(n["refresh"], u.refresh));
  }
  JWTAUTH_RETURN_IF_ERROR(CheckJwksUrl(n, u));
  return u;
}

absl::StatusOr<MetadataMappingConfig> ParseMetadata(const ConfigNode& n) {
  JWTAUTH_RETURN_IF_ERROR(n.ExpectMap({"path", "field", "required"}));
  MetadataMappingConfig m;
  if (!n.Has("path")) return n["path"].Error("required");
  JWTAUTH_RETURN_IF_ERROR(n.ReadNonEmpty("path", &m.path));
  JWTAUTH_RETURN_IF_ERROR(n.ReadNonEmpty("field", &m.field));
  JWTAUTH_RETURN_IF_ERROR(n.Read("required", &m.required));
  if (m.field.empty()) {
    size_t dot = m.path.rfind('.');
    m.field = dot == std::string::npos ? m.path : m.path.substr(dot + 1);
  }
  return m;
}

absl::StatusOr<ClaimRuleConfig> ParseClaimRule(const ConfigNode& n) {
  JWTAUTH_RETURN_IF_ERROR(
      n.ExpectMap({"claim", "equals", "one_of", "contains"}));
  ClaimRuleConfig r;
  r.location = n.location();
  if (!n.Has("claim")) return n["claim"].Error("required");
  JWTAUTH_RETURN_IF_ERROR(n.ReadNonEmpty("claim", &r.claim));
  const int ops = n.Has("equals") + n.Has("one_of") + n.Has("contains");
  if (ops != 1) return n.Error("give exactly one of equals, one_of, contains");
  if (n.Has("equals")) {
    JWTAUTH_ASSIGN_OR_RETURN(r.equals, n["equals"].String());
  }
  JWTAUTH_RETURN_IF_ERROR(n.Read("one_of", &r.one_of));
  if (n.Has("contains")) {
    JWTAUTH_ASSIGN_OR_RETURN(r.contains, n["contains"].String());
  }
  return r;
}

// Reads each item of the list at `key` (if present) with `parse`.
template <typename T, typename Parse>
absl::Status ReadList(const ConfigNode& n, absl::string_view key, Parse parse,
                      std::vector<T>& out) {
  if (!n.Has(key)) return absl::OkStatus();
  JWTAUTH_ASSIGN_OR_RETURN(std::vector<ConfigNode> items, n[key].List());
  for (const ConfigNode& item : items) {
    JWTAUTH_ASSIGN_OR_RETURN(T value, parse(item));
    out.push_back(std::move(value));
  }
  return absl::OkStatus();
}

absl::Status ReadSubject(const ConfigNode& n, ProviderConfig& pc) {
  if (!n.Has("subject")) return absl::OkStatus();
  const ConfigNode s = n["subject"];
  JWTAUTH_RETURN_IF_ERROR(s.ExpectMap({"equals", "prefix"}));
  JWTAUTH_RETURN_IF_ERROR(s.ReadNonEmpty("equals", &pc.subject_equals));
  return s.ReadNonEmpty("prefix", &pc.subject_prefix);
}

// Every `issuer:` of a key source must be one of the provider's issuers.
absl::Status CheckKeyIssuers(const ProviderConfig& pc) {
  auto check = [&](const std::string& issuer, const Location& at) {
    if (issuer.empty() || std::find(pc.issuers.begin(), pc.issuers.end(),
                                    issuer) != pc.issuers.end()) {
      return absl::OkStatus();
    }
    return absl::InvalidArgumentError(
        at.Error("must be one of the provider's issuers"));
  };
  for (const KeySourceConfig& k : pc.keys) {
    JWTAUTH_RETURN_IF_ERROR(check(k.issuer, k.issuer_location));
  }
  for (const JwksUrlConfig& u : pc.jwks_urls) {
    JWTAUTH_RETURN_IF_ERROR(check(u.issuer, u.issuer_location));
  }
  return absl::OkStatus();
}

absl::Status ReadSources(const ConfigNode& n, ProviderConfig& pc) {
  JWTAUTH_RETURN_IF_ERROR(ReadList(
      n, "keys",
      [](const ConfigNode& k) {
        return ParseKeySourceConfig(k, KeyRole::kVerification);
      },
      pc.keys));
  JWTAUTH_RETURN_IF_ERROR(ReadList(n, "jwks_urls", ParseJwksUrl, pc.jwks_urls));
  return n.ReadNonEmpty("discovery_url", &pc.discovery_url);
}

absl::Status ReadClaimsPolicy(const ConfigNode& n, ProviderConfig& pc) {
  JWTAUTH_RETURN_IF_ERROR(n.Read("clock_skew", &pc.clock_skew));
  JWTAUTH_RETURN_IF_ERROR(n.Read("require_exp", &pc.require_exp));
  JWTAUTH_RETURN_IF_ERROR(n.Read("max_lifetime", &pc.max_lifetime));
  JWTAUTH_RETURN_IF_ERROR(n.Read("required_claims", &pc.required_claims));
  JWTAUTH_RETURN_IF_ERROR(
      n.ReadNonEmpty("claims_namespace", &pc.claims_namespace));
  JWTAUTH_RETURN_IF_ERROR(ReadList(n, "metadata", ParseMetadata, pc.metadata));
  JWTAUTH_RETURN_IF_ERROR(
      ReadList(n, "claims", ParseClaimRule, pc.claim_rules));
  JWTAUTH_RETURN_IF_ERROR(ReadSubject(n, pc));
  // The range is Policy::Create's (kMaxKeysWithoutKid); here only an int.
  JWTAUTH_RETURN_IF_ERROR(
      n.ReadInt("max_keys_without_kid", std::numeric_limits<int>::min(),
                std::numeric_limits<int>::max(), &pc.max_keys_without_kid));
  JWTAUTH_RETURN_IF_ERROR(n.Read("allowed_typ", &pc.allowed_typ));
  return n.Read("require_typ", &pc.require_typ);
}

}  // namespace

absl::StatusOr<ProviderConfig> ParseProviderConfig(const ConfigNode& n) {
  JWTAUTH_RETURN_IF_ERROR(n.ExpectMap(
      {"name", "issuers", "audiences", "keys", "jwks_urls", "discovery_url",
       "clock_skew", "require_exp", "max_lifetime", "required_claims",
       "claims_namespace", "metadata", "claims", "subject",
       "max_keys_without_kid", "allowed_typ", "require_typ"}));
  ProviderConfig pc;
  pc.location = n.location();
  if (!n.Has("name")) return n["name"].Error("required");
  JWTAUTH_RETURN_IF_ERROR(n.ReadNonEmpty("name", &pc.name));
  JWTAUTH_RETURN_IF_ERROR(n.Read("issuers", &pc.issuers));
  JWTAUTH_RETURN_IF_ERROR(n.Read("audiences", &pc.audiences));
  JWTAUTH_RETURN_IF_ERROR(ReadSources(n, pc));
  JWTAUTH_RETURN_IF_ERROR(ReadClaimsPolicy(n, pc));
  JWTAUTH_RETURN_IF_ERROR(CheckKeyIssuers(pc));
  // The policy limits have one owner: report its verdict at the YAML value.
  absl::StatusOr<Policy> policy = Policy::Create(ToProviderOptions(pc));
  if (!policy.ok()) {
    return n.MapOptionError(policy.status(), {{"claim_rules", "claims"}});
  }
  return pc;
}

ProviderOptions ToProviderOptions(const ProviderConfig& pc) {
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
  // A negative count is out of range too (Policy::Create says so).
  po.max_keys_without_kid =
      static_cast<size_t>(std::max(pc.max_keys_without_kid, 0));
  po.allowed_typ = pc.allowed_typ;
  po.require_typ = pc.require_typ;
  return po;
}

}  // namespace jwtauth::server
