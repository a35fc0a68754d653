#include "server/config.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "core/algorithm.h"
#include "core/status_macros.h"
#include "server/issue_config.h"
#include "server/logging.h"

namespace jwtauth::server {

std::vector<std::string> ServerConfig::WatchedFiles() const {
  std::vector<std::string> files;
  if (!source_file.empty()) files.push_back(source_file);
  for (const auto& k : signing.keys) {
    for (auto& f : k.Files()) files.push_back(f);
  }
  for (const auto& p : providers) {
    for (const auto& k : p.keys) {
      for (auto& f : k.Files()) files.push_back(f);
    }
    for (const auto& u : p.jwks_urls) {
      if (!u.ca_file.empty()) files.push_back(u.ca_file);
    }
  }
  if (server.tls) {
    for (const std::string* f : {&server.tls->cert_file, &server.tls->key_file,
                                 &server.tls->client_ca_file}) {
      if (!f->empty()) files.push_back(*f);
    }
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return files;
}

namespace {

bool IsHttpUrl(absl::string_view url) {
  return absl::StartsWith(url, "https://") || absl::StartsWith(url, "http://");
}

}  // namespace

std::string PublicJwksUri(const ServerConfig& config) {
  absl::string_view base = config.server.public_base_url.empty()
                               ? absl::string_view(config.signing.issuer)
                               : config.server.public_base_url;
  while (absl::ConsumeSuffix(&base, "/")) {
  }
  return absl::StrCat(base, "/.well-known/jwks.json");
}

bool IsLoopbackListenAddress(absl::string_view address) {
  size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) return false;
  std::string host(address.substr(0, colon));
  if (host == "localhost") return true;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  // Literal addresses only: "127.example.com" is a name that can resolve
  // anywhere, not a loopback address.
  in_addr v4;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    return std::memcmp(&v6, &in6addr_loopback, sizeof(v6)) == 0;
  }
  return false;
}

ProviderOptions ToProviderOptions(const ProviderConfig& provider,
                                  const LimitsConfig& limits) {
  ProviderOptions po = ToProviderOptions(provider);
  po.payload_limits.max_bytes = static_cast<size_t>(limits.max_token_bytes);
  po.payload_limits.max_depth = limits.max_json_depth;
  po.payload_limits.max_object_members = static_cast<size_t>(limits.max_claims);
  return po;
}

IssuerOptions ToIssuerOptions(const ServerConfig& config) {
  IssuerOptions o;
  o.issuer = config.signing.issuer;
  o.default_ttl = config.signing.default_ttl;
  o.max_ttl = config.signing.max_ttl;
  o.exchange.max_ttl = config.issue.exchange_max_ttl;
  o.exchange.allowed_providers = config.issue.exchange_allowed_providers;
  o.exchange.allowed_audiences = config.issue.exchange_allowed_audiences;
  if (!config.exchange_claims.empty()) {
    o.exchange.claim_allowlist = config.exchange_claims;
  }
  return o;
}

namespace {

absl::Status ParseLimits(const ConfigNode& n, LimitsConfig& l) {
  JWTAUTH_RETURN_IF_ERROR(
      n.ExpectMap({"max_token_bytes", "max_json_depth", "max_claims",
                   "min_rsa_bits", "min_hmac_bytes"}));
  JWTAUTH_RETURN_IF_ERROR(
      n.ReadInt("max_token_bytes", 256, 1 << 20, &l.max_token_bytes));
  JWTAUTH_RETURN_IF_ERROR(
      n.ReadInt("max_json_depth", 2, 64, &l.max_json_depth));
  JWTAUTH_RETURN_IF_ERROR(n.ReadInt("max_claims", 1, 10000, &l.max_claims));
  JWTAUTH_RETURN_IF_ERROR(
      n.ReadInt("min_rsa_bits", 1024, 16384, &l.min_rsa_bits));
  return n.ReadInt("min_hmac_bytes", kAbsoluteMinHmacBytes, 1024,
                   &l.min_hmac_bytes);
}

absl::Status ParseCache(const ConfigNode& n, CacheConfig& c) {
  JWTAUTH_RETURN_IF_ERROR(n.ExpectMap({"enabled", "max_entries", "max_bytes"}));
  JWTAUTH_RETURN_IF_ERROR(n.Read("enabled", &c.enabled));
  JWTAUTH_RETURN_IF_ERROR(
      n.ReadInt("max_bytes", int64_t{1} << 20, int64_t{1} << 36, &c.max_bytes));
  return n.ReadInt("max_entries", 0, 100000000, &c.max_entries);
}

absl::Status ParseLog(const ConfigNode& n, LogConfig& l) {
  JWTAUTH_RETURN_IF_ERROR(n.ExpectMap({"level", "format"}));
  JWTAUTH_RETURN_IF_ERROR(n.Read("level", &l.level));
  if (!LogLevelFromName(l.level)) {
    return n["level"].Error("expected debug, info, warn or error");
  }
  JWTAUTH_RETURN_IF_ERROR(n.Read("format", &l.format));
  if (l.format != "json") return n["format"].Error("only json is supported");
  return absl::OkStatus();
}

absl::Status ParseProviders(const ConfigNode& n, ServerConfig& c) {
  if (!n.IsSequence()) return n.Error("expected a list of providers");
  JWTAUTH_ASSIGN_OR_RETURN(std::vector<ConfigNode> items, n.List());
  std::set<std::string> names;
  for (const ConfigNode& item : items) {
    JWTAUTH_ASSIGN_OR_RETURN(ProviderConfig p, ParseProviderConfig(item));
    if (!names.insert(p.name).second) {
      return item["name"].Error(
          absl::StrCat("duplicate provider name \"", p.name, "\""));
    }
    c.providers.push_back(std::move(p));
  }
  return absl::OkStatus();
}

// Every name in the list at `field` (below the root) is a configured
// provider.
absl::Status CheckProviderNames(const ConfigNode& root, const ServerConfig& c,
                                absl::string_view field,
                                const std::vector<std::string>& names) {
  const ConfigNode list = root.Find(field);
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    if (std::any_of(c.providers.begin(), c.providers.end(),
                    [&](const ProviderConfig& p) { return p.name == name; })) {
      continue;
    }
    ConfigNode at = list;
    if (list.IsSequence()) {
      JWTAUTH_ASSIGN_OR_RETURN(std::vector<ConfigNode> items, list.List());
      at = items[i];
    }
    return at.Error(absl::StrCat("unknown provider \"", name, "\""));
  }
  return absl::OkStatus();
}

// Checks that need more than one section.
absl::Status CheckAcrossSections(const ConfigNode& root,
                                 const ServerConfig& c) {
  if (c.providers.empty()) {
    return root["providers"].Error("at least one provider is required");
  }
  if (c.issue.direct_enabled && !c.signing.configured()) {
    return root.Find("issue.direct.enabled").Error("needs a signing key");
  }
  if (c.issue.exchange_enabled && !c.signing.configured()) {
    return root.Find("issue.exchange.enabled").Error("needs a signing key");
  }
  JWTAUTH_RETURN_IF_ERROR(
      CheckProviderNames(root, c, "issue.exchange.allowed_providers",
                         c.issue.exchange_allowed_providers));
  JWTAUTH_RETURN_IF_ERROR(
      CheckProviderNames(root, c, "issue.exchange.caller_providers",
                         c.issue.exchange_caller_providers));
  JWTAUTH_RETURN_IF_ERROR(CheckProviderNames(
      root, c, "issue.direct.caller_providers", c.issue.caller_providers));
  if (!c.server.public_listen.empty()) {
    const ConfigNode at = root.Find("server.public_listen");
    if (!c.signing.configured()) return at.Error("needs a signing key");
    if (c.server.public_base_url.empty() && !IsHttpUrl(c.signing.issuer)) {
      return at.Error(
          "needs server.public_base_url (signing.issuer is not an http(s) "
          "URL)");
    }
  }
  // The token lifetime limits have one owner: report its verdict at the
  // YAML value. They are checked with or without a signing key, so a bad
  // value is refused now rather than when a key is added later; only the
  // issuer name is required just when something signs.
  IssuerOptions issuer_options = ToIssuerOptions(c);
  if (!c.signing.configured() && issuer_options.issuer.empty()) {
    issuer_options.issuer = "(no signing key)";
  }
  return root.MapOptionError(
      ValidateIssuerOptions(issuer_options),
      {{"issuer", "signing.issuer"},
       {"default_ttl", "signing.default_ttl"},
       {"max_ttl", "signing.max_ttl"},
       {"exchange.max_ttl", "issue.exchange.max_ttl"},
       {"exchange.claim_allowlist", "issue.exchange.claims"},
       {"exchange.allowed_providers", "issue.exchange.allowed_providers"},
       {"exchange.allowed_audiences", "issue.exchange.allowed_audiences"}});
}

absl::Status ParseRoot(const ConfigNode& root, ServerConfig& c) {
  if (!root.present()) return root.Error("empty configuration");
  JWTAUTH_RETURN_IF_ERROR(
      root.ExpectMap({"server", "signing", "providers", "issue", "limits",
                      "cache", "log", "ext_authz"}));
  if (root.Has("server")) {
    JWTAUTH_RETURN_IF_ERROR(ParseServerSection(root["server"], c.server));
  }
  if (root.Has("signing")) {
    JWTAUTH_ASSIGN_OR_RETURN(c.signing, ParseSigningConfig(root["signing"]));
  }
  if (root.Has("providers")) {
    JWTAUTH_RETURN_IF_ERROR(ParseProviders(root["providers"], c));
  }
  if (root.Has("issue")) {
    IssueConfig issue;
    JWTAUTH_RETURN_IF_ERROR(ParseIssueConfig(root["issue"], issue));
    c.issue = std::move(issue.policy);
    c.exchange_claims = std::move(issue.exchange_claims);
  }
  if (root.Has("limits")) {
    JWTAUTH_RETURN_IF_ERROR(ParseLimits(root["limits"], c.limits));
  }
  if (root.Has("cache")) {
    JWTAUTH_RETURN_IF_ERROR(ParseCache(root["cache"], c.cache));
  }
  if (root.Has("log")) JWTAUTH_RETURN_IF_ERROR(ParseLog(root["log"], c.log));
  c.ext_authz = root["ext_authz"];  // read later, with the provider names
  return CheckAcrossSections(root, c);
}

}  // namespace

absl::Status ApplyEnvOverrides(const GetEnvFunction& getenv,
                               ServerConfig& config) {
  if (auto v = getenv("JWTAUTH_SERVER_LISTEN"); v.has_value()) {
    if (v->find(':') == std::string::npos) {
      return absl::InvalidArgumentError(
          "env JWTAUTH_SERVER_LISTEN: expected host:port");
    }
    config.server.listen = *v;
  }
  if (auto v = getenv("JWTAUTH_SERVER_ADMIN_LISTEN"); v.has_value()) {
    if (!v->empty() && v->find(':') == std::string::npos) {
      return absl::InvalidArgumentError(
          "env JWTAUTH_SERVER_ADMIN_LISTEN: expected host:port or empty");
    }
    config.server.admin_listen = *v;
  }
  if (auto v = getenv("JWTAUTH_LOG_LEVEL"); v.has_value()) {
    if (!LogLevelFromName(*v)) {
      return absl::InvalidArgumentError(
          "env JWTAUTH_LOG_LEVEL: expected debug, info, warn or error");
    }
    config.log.level = *v;
  }
  return absl::OkStatus();
}

absl::StatusOr<ServerConfig> ParseServerConfig(
    absl::string_view text, absl::string_view file_name,
    absl::string_view base_dir, const ConfigLoadOptions& options) {
  auto document = std::make_shared<ConfigDocument>();
  document->file = std::string(file_name);
  document->base_dir = std::string(base_dir);
  if (options.getenv) document->getenv = options.getenv;
  ServerConfig config;
  config.source_file = std::string(file_name);
  JWTAUTH_ASSIGN_OR_RETURN(ConfigNode root, LoadConfigDocument(text, document));
  JWTAUTH_RETURN_IF_ERROR(
      RunAtYamlEdge(file_name, [&]() { return ParseRoot(root, config); }));
  if (options.apply_env_overrides) {
    JWTAUTH_RETURN_IF_ERROR(ApplyEnvOverrides(document->getenv, config));
  }
  return config;
}

absl::StatusOr<ServerConfig> LoadServerConfigFile(
    absl::string_view path, const ConfigLoadOptions& options) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::absolute(std::string(path), ec);
  if (ec) p = std::string(path);
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": cannot read config file: ", std::strerror(errno)));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (text.size() > 4 * 1024 * 1024) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": config file larger than 4 MiB"));
  }
  return ParseServerConfig(text, p.lexically_normal().string(),
                           p.parent_path().string(), options);
}

}  // namespace jwtauth::server
