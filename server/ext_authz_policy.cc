#include "server/ext_authz_policy.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "re2/re2.h"
#include "yaml-cpp/yaml.h"

namespace jwtauth::server {
namespace {

TokenSource BearerSource() {
  return TokenSource{TokenSource::Kind::kHeader, "authorization", "Bearer "};
}

bool IsHeaderName(absl::string_view name) { return IsHttpHeaderName(name); }

// ---------------------------------------------------------------------------
// Reading the section through ConfigNode (server/config_reader.h): the same
// rules and error style as the rest of the config file. yaml-cpp may throw:
// ParseExtAuthzPolicy() runs all of this inside RunAtYamlEdge().

// "file:line:col" of a route or rule (for load-time warnings).
std::string Position(const ConfigNode& node) {
  Location l = node.location();
  l.path.clear();
  std::string out = l.file.empty() ? "<config>" : l.file;
  if (l.line > 0) absl::StrAppend(&out, ":", l.line, ":", l.column);
  return out;
}

// Exactly one of `keys` is present; returns it.
absl::StatusOr<std::string> OneOf(const ConfigNode& node,
                                  std::initializer_list<const char*> keys,
                                  absl::string_view reason) {
  std::string found;
  int count = 0;
  for (const char* k : keys) {
    if (node.Has(k)) {
      found = k;
      ++count;
    }
  }
  if (count != 1) return node.Error(reason);
  return found;
}

absl::StatusOr<std::string> HeaderName(const ConfigNode& node) {
  JWTAUTH_ASSIGN_OR_RETURN(std::string name, node.String());
  if (!IsHeaderName(name)) {
    return node.Error("is not a valid HTTP header name");
  }
  return absl::AsciiStrToLower(name);
}

// A flag that can only be switched on (`allow: true`).
absl::Status TrueFlag(const ConfigNode& node) {
  JWTAUTH_ASSIGN_OR_RETURN(bool v, node.Bool());
  if (!v) return node.Error("must be true");
  return absl::OkStatus();
}

class Parser {
 public:
  explicit Parser(const std::vector<std::string>* providers)
      : providers_(providers) {}

  absl::StatusOr<ExtAuthzPolicy> Policy(const ConfigNode& node) {
    ExtAuthzPolicy policy = DefaultExtAuthzPolicy();
    if (!node.present()) return policy;
    JWTAUTH_RETURN_IF_ERROR(node.ExpectMap(
        {"route_key", "dynamic_metadata", "provider", "audience",
         "token_sources", "forward_claims", "rules", "routes", "forward_token",
         "forward_payload_header", "allow_missing", "allow_missing_or_failed",
         "log_allowed_sample_rate", "issue_upstream_token"}));
    policy.defaults.location = Position(node);
    JWTAUTH_RETURN_IF_ERROR(node.ReadNonEmpty("route_key", &policy.route_key));
    JWTAUTH_RETURN_IF_ERROR(
        node.Read("dynamic_metadata", &policy.dynamic_metadata));
    JWTAUTH_RETURN_IF_ERROR(RouteSettings(node, policy.defaults));
    if (!node.Has("routes")) return policy;
    JWTAUTH_ASSIGN_OR_RETURN(std::vector<ConfigNode> routes,
                             node["routes"].List());
    for (const ConfigNode& item : routes) {
      JWTAUTH_ASSIGN_OR_RETURN(ExtAuthzRoute route,
                               Route(item, policy.defaults));
      for (const ExtAuthzRoute& prev : policy.routes) {
        if (prev.name == route.name) {
          return item["name"].Error(
              absl::StrCat("duplicate route \"", route.name, "\""));
        }
      }
      policy.routes.push_back(std::move(route));
    }
    return policy;
  }

 private:
  absl::Status Provider(const ConfigNode& node, std::string& out) {
    JWTAUTH_ASSIGN_OR_RETURN(std::string name, node.String());
    if (providers_ != nullptr && !name.empty() &&
        std::find(providers_->begin(), providers_->end(), name) ==
            providers_->end()) {
      return node.Error(absl::StrCat("unknown provider \"", name, "\""));
    }
    out = std::move(name);
    return absl::OkStatus();
  }

  absl::StatusOr<TokenSource> Source(const ConfigNode& item) {
    JWTAUTH_RETURN_IF_ERROR(
        item.ExpectMap({"header", "prefix", "cookie", "query"}));
    JWTAUTH_ASSIGN_OR_RETURN(
        std::string kind, OneOf(item, {"header", "cookie", "query"},
                                "needs exactly one of header, cookie, query"));
    TokenSource src;
    if (kind == "header") {
      src.kind = TokenSource::Kind::kHeader;
      JWTAUTH_ASSIGN_OR_RETURN(src.name, HeaderName(item["header"]));
      JWTAUTH_RETURN_IF_ERROR(item.Read("prefix", &src.prefix));
      return src;
    }
    if (item.Has("prefix")) {
      return item["prefix"].Error("is only allowed with header");
    }
    src.kind = kind == "cookie" ? TokenSource::Kind::kCookie
                                : TokenSource::Kind::kQuery;
    JWTAUTH_ASSIGN_OR_RETURN(src.name, item[kind].NonEmptyString());
    return src;
  }

  absl::StatusOr<std::vector<ForwardedClaim>> ForwardClaims(
      const ConfigNode& node) {
    JWTAUTH_ASSIGN_OR_RETURN(std::vector<ConfigNode> items, node.List());
    std::vector<ForwardedClaim> out;
    for (const ConfigNode& item : items) {
      JWTAUTH_RETURN_IF_ERROR(item.ExpectMap({"claim", "header"}));
      if (!item.Has("claim") || !item.Has("header")) {
        return item.Error("needs claim and header");
      }
      JWTAUTH_ASSIGN_OR_RETURN(std::string claim,
                               item["claim"].NonEmptyString());
      JWTAUTH_ASSIGN_OR_RETURN(std::string header, HeaderName(item["header"]));
      if (header == "host") return item["header"].Error("must not be host");
      for (const ForwardedClaim& prev : out) {
        if (prev.header == header) {
          return item["header"].Error("duplicate header");
        }
      }
      out.push_back(ForwardedClaim{std::move(claim), std::move(header)});
    }
    return out;
  }

  absl::Status Paths(const ConfigNode& node, RequestMatch& out) {
    const int paths = node.Has("path_prefix") + node.Has("path_exact") +
                      node.Has("path_regex");
    if (paths > 1) {
      return node.Error("at most one of path_prefix, path_exact, path_regex");
    }
    for (const char* key : {"path_prefix", "path_exact"}) {
      if (!node.Has(key)) continue;
      const ConfigNode at = node[key];
      JWTAUTH_ASSIGN_OR_RETURN(std::string p, at.String());
      if (!absl::StartsWith(p, "/")) return at.Error("must start with /");
      if (std::string c = CanonicalRequestPath(p); c != p) {
        return at.Error(absl::StrCat("must be a normalized path, e.g. \"", c,
                                     "\" (no query, fragment, //, . or ..)"));
      }
      (key == std::string("path_exact") ? out.path_exact : out.path_prefix) =
          std::move(p);
    }
    if (node.Has("path_regex")) {
      const ConfigNode at = node["path_regex"];
      JWTAUTH_ASSIGN_OR_RETURN(std::string p, at.String());
      RE2::Options options;
      options.set_log_errors(false);
      auto re = std::make_shared<const RE2>(p, options);
      if (!re->ok()) {
        return at.Error(absl::StrCat("invalid RE2 regex: ", re->error()));
      }
      out.path_regex = std::move(re);
    }
    return absl::OkStatus();
  }

  absl::Status Match(const ConfigNode& node, RequestMatch& out) {
    if (node.Has("hosts")) {
      JWTAUTH_ASSIGN_OR_RETURN(std::vector<std::string> hosts,
                               node["hosts"].NonEmptyStringList());
      for (std::string& h : hosts)
        out.hosts.push_back(absl::AsciiStrToLower(h));
    }
    JWTAUTH_RETURN_IF_ERROR(Paths(node, out));
    if (node.Has("methods")) {
      JWTAUTH_ASSIGN_OR_RETURN(std::vector<std::string> methods,
                               node["methods"].NonEmptyStringList());
      for (std::string& m : methods) {
        if (!IsHeaderName(m)) {
          return node["methods"].Error(
              absl::StrCat("invalid method \"", m, "\""));
        }
        out.methods.push_back(absl::AsciiStrToUpper(m));
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<ClaimCondition> Condition(const ConfigNode& node) {
    JWTAUTH_RETURN_IF_ERROR(
        node.ExpectMap({"claim", "contains", "in", "equals", "exists"}));
    if (!node.Has("claim")) return node.Error("needs claim");
    ClaimCondition cond;
    JWTAUTH_ASSIGN_OR_RETURN(cond.claim, node["claim"].NonEmptyString());
    JWTAUTH_ASSIGN_OR_RETURN(
        std::string op,
        OneOf(node, {"contains", "in", "equals", "exists"},
              "needs exactly one of contains, in, equals, exists"));
    if (op == "contains" || op == "equals") {
      JWTAUTH_ASSIGN_OR_RETURN(std::string v, node[op].String());
      cond.op = op == "contains" ? ClaimCondition::Op::kContains
                                 : ClaimCondition::Op::kEquals;
      cond.values.push_back(std::move(v));
    } else if (op == "in") {
      JWTAUTH_ASSIGN_OR_RETURN(cond.values, node["in"].NonEmptyStringList());
      cond.op = ClaimCondition::Op::kIn;
    } else {
      JWTAUTH_RETURN_IF_ERROR(TrueFlag(node["exists"]));
      cond.op = ClaimCondition::Op::kExists;
    }
    return cond;
  }

  absl::StatusOr<ExtAuthzRule> Rule(const ConfigNode& item) {
    JWTAUTH_RETURN_IF_ERROR(item.ExpectMap(
        {"hosts", "path_prefix", "path_exact", "path_regex", "methods", "allow",
         "authenticated", "claims", "deny"}));
    ExtAuthzRule rule;
    rule.location = Position(item);
    JWTAUTH_RETURN_IF_ERROR(Match(item, rule.match));
    JWTAUTH_ASSIGN_OR_RETURN(
        std::string action,
        OneOf(item, {"allow", "authenticated", "claims", "deny"},
              "needs exactly one of allow, authenticated, claims, deny"));
    if (action == "claims") {
      rule.action = ExtAuthzRule::Action::kClaims;
      JWTAUTH_ASSIGN_OR_RETURN(std::vector<ConfigNode> conditions,
                               item["claims"].NonEmptyList());
      for (const ConfigNode& c : conditions) {
        JWTAUTH_ASSIGN_OR_RETURN(ClaimCondition cond, Condition(c));
        rule.claims.push_back(std::move(cond));
      }
      return rule;
    }
    JWTAUTH_RETURN_IF_ERROR(TrueFlag(item[action]));
    rule.action = action == "allow" ? ExtAuthzRule::Action::kAllow
                  : action == "authenticated"
                      ? ExtAuthzRule::Action::kAuthenticated
                      : ExtAuthzRule::Action::kDeny;
    return rule;
  }

  // Fields shared by the top level and each route; unset fields keep
  // `route`'s current (inherited) values.
  absl::Status RouteSettings(const ConfigNode& node, ExtAuthzRoute& route) {
    if (node.Has("provider")) {
      JWTAUTH_RETURN_IF_ERROR(Provider(node["provider"], route.provider));
    }
    JWTAUTH_RETURN_IF_ERROR(node.Read("audience", &route.audience));
    if (node.Has("token_sources")) {
      JWTAUTH_ASSIGN_OR_RETURN(std::vector<ConfigNode> items,
                               node["token_sources"].NonEmptyList());
      route.token_sources.clear();
      for (const ConfigNode& item : items) {
        JWTAUTH_ASSIGN_OR_RETURN(TokenSource src, Source(item));
        route.token_sources.push_back(std::move(src));
      }
    }
    if (node.Has("forward_claims")) {
      JWTAUTH_ASSIGN_OR_RETURN(route.forward_claims,
                               ForwardClaims(node["forward_claims"]));
    }
    if (node.Has("rules")) {
      JWTAUTH_ASSIGN_OR_RETURN(std::vector<ConfigNode> items,
                               node["rules"].NonEmptyList());
      route.rules.clear();
      for (const ConfigNode& item : items) {
        JWTAUTH_ASSIGN_OR_RETURN(ExtAuthzRule rule, Rule(item));
        route.rules.push_back(std::move(rule));
      }
    }
    JWTAUTH_RETURN_IF_ERROR(ParseExtAuthzRouteOptions(node, route.options));
    return DistinctHeaders(node, route);
  }

  // The headers a route sets upstream are distinct: one would overwrite the
  // other.
  static absl::Status DistinctHeaders(const ConfigNode& node,
                                      const ExtAuthzRoute& route) {
    std::vector<absl::string_view> names;
    for (const ForwardedClaim& fc : route.forward_claims) {
      names.push_back(fc.header);
    }
    const ExtAuthzRouteOptions& o = route.options;
    for (const auto& [key, name] :
         {std::pair<const char*, absl::string_view>{"forward_payload_header",
                                                    o.forward_payload_header},
          {"issue_upstream_token",
           o.upstream_token.has_value()
               ? absl::string_view(o.upstream_token->header)
               : absl::string_view()}}) {
      if (name.empty()) continue;
      if (std::find(names.begin(), names.end(), name) != names.end()) {
        return node[key].Error(
            absl::StrCat("header \"", name, "\" is already set by this route"));
      }
      names.push_back(name);
    }
    return absl::OkStatus();
  }

  absl::Status RouteMatch(const ConfigNode& match, ExtAuthzRoute& route) {
    JWTAUTH_RETURN_IF_ERROR(
        match.ExpectMap({"context_extensions", "hosts", "path_prefix",
                         "path_exact", "path_regex", "methods"}));
    if (match.Has("context_extensions")) {
      const ConfigNode ce = match["context_extensions"];
      if (!ce.IsMap() || ce.Keys().empty()) {
        return ce.Error("must be a non-empty mapping");
      }
      for (const std::string& key : ce.Keys()) {
        JWTAUTH_ASSIGN_OR_RETURN(std::string v, ce[key].String());
        route.context_extensions.emplace_back(key, std::move(v));
      }
    }
    return Match(match, route.request);
  }

  absl::StatusOr<ExtAuthzRoute> Route(const ConfigNode& item,
                                      const ExtAuthzRoute& defaults) {
    JWTAUTH_RETURN_IF_ERROR(item.ExpectMap(
        {"name", "match", "provider", "audience", "token_sources",
         "forward_claims", "rules", "forward_token", "forward_payload_header",
         "allow_missing", "allow_missing_or_failed", "log_allowed_sample_rate",
         "issue_upstream_token"}));
    ExtAuthzRoute route = defaults;  // inherit
    route.location = Position(item);
    if (!item.Has("name")) return item.Error("needs name");
    JWTAUTH_ASSIGN_OR_RETURN(route.name, item["name"].NonEmptyString());
    if (item.Has("match")) {
      JWTAUTH_RETURN_IF_ERROR(RouteMatch(item["match"], route));
    }
    JWTAUTH_RETURN_IF_ERROR(RouteSettings(item, route));
    return route;
  }

  const std::vector<std::string>* providers_;  // may be null; not owned
};

}  // namespace

const ExtAuthzRule* ExtAuthzRoute::FirstMatchingRule(
    const RequestView& request) const {
  for (const ExtAuthzRule& rule : rules) {
    if (rule.match.Matches(request)) return &rule;
  }
  return nullptr;
}

const ExtAuthzRoute* ExtAuthzPolicy::SelectRoute(
    const RequestView& request) const {
  // a. explicit route name.
  if (std::optional<absl::string_view> name =
          request.context_extension(route_key)) {
    for (const ExtAuthzRoute& route : routes) {
      if (route.name == *name) return &route;
    }
    return nullptr;
  }
  // b. context_extensions match.
  for (const ExtAuthzRoute& route : routes) {
    if (route.context_extensions.empty()) continue;
    const bool all = std::all_of(
        route.context_extensions.begin(), route.context_extensions.end(),
        [&](const std::pair<std::string, std::string>& kv) {
          std::optional<absl::string_view> v =
              request.context_extension(kv.first);
          return v.has_value() && *v == kv.second;
        });
    if (all && route.request.Matches(request)) return &route;
  }
  // c. hosts/path/method fallback.
  for (const ExtAuthzRoute& route : routes) {
    if (route.context_extensions.empty() && !route.request.empty() &&
        route.request.Matches(request)) {
      return &route;
    }
  }
  // d. defaults.
  return &defaults;
}

ExtAuthzPolicy DefaultExtAuthzPolicy() {
  ExtAuthzPolicy policy;
  policy.defaults.token_sources.push_back(BearerSource());
  ExtAuthzRule rule;
  rule.action = ExtAuthzRule::Action::kAuthenticated;
  rule.location = "default";
  policy.defaults.rules.push_back(std::move(rule));
  policy.defaults.location = "default";
  return policy;
}

absl::StatusOr<ExtAuthzPolicy> ParseExtAuthzPolicy(
    const ConfigNode& node, const std::vector<std::string>* known_providers) {
  Parser parser(known_providers);
  absl::StatusOr<ExtAuthzPolicy> policy;
  JWTAUTH_RETURN_IF_ERROR(RunAtYamlEdge(node.document().file, [&]() {
    policy = parser.Policy(node);
    return absl::OkStatus();
  }));
  return policy;
}

absl::StatusOr<ExtAuthzPolicy> ParseExtAuthzPolicy(
    const YAML::Node& node, absl::string_view file_name,
    const std::vector<std::string>* known_providers) {
  auto document = std::make_shared<ConfigDocument>();
  document->file = std::string(file_name);
  return ParseExtAuthzPolicy(ConfigNode(node, "ext_authz", document),
                             known_providers);
}

std::vector<std::string> PathMatcherLocations(const ExtAuthzPolicy& policy) {
  std::vector<std::string> out;
  auto add = [&out](const RequestMatch& m, const std::string& location) {
    if (m.has_path() &&
        std::find(out.begin(), out.end(), location) == out.end()) {
      out.push_back(location);  // inherited rules are listed once
    }
  };
  for (const ExtAuthzRule& r : policy.defaults.rules) add(r.match, r.location);
  for (const ExtAuthzRoute& route : policy.routes) {
    add(route.request, route.location);
    for (const ExtAuthzRule& r : route.rules) add(r.match, r.location);
  }
  return out;
}

}  // namespace jwtauth::server
