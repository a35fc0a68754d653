#include "server/ext_authz_policy.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "re2/re2.h"
#include "yaml-cpp/yaml.h"

namespace jwtauth::server {
namespace {

TokenSource BearerSource() {
  return TokenSource{TokenSource::Kind::kHeader, "authorization", "Bearer "};
}

// RFC 9110 token characters (header field names).
bool IsTokenChar(char c) {
  if (absl::ascii_isalnum(static_cast<unsigned char>(c))) return true;
  return absl::string_view("!#$%&'*+-.^_`|~").find(c) !=
         absl::string_view::npos;
}

bool IsHeaderName(absl::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), IsTokenChar);
}

// ---------------------------------------------------------------------------
// YAML parsing. yaml-cpp may throw: everything below runs inside the single
// try in ParseExtAuthzPolicy().

class Parser {
 public:
  Parser(absl::string_view file, const std::vector<std::string>* providers)
      : file_(file), providers_(providers) {}

  absl::Status Error(const YAML::Node& node, absl::string_view field,
                     absl::string_view reason) const {
    const YAML::Mark mark = node.Mark();
    if (mark.is_null()) {
      return absl::InvalidArgumentError(
          absl::StrCat(file_, ": ", field, ": ", reason));
    }
    return absl::InvalidArgumentError(absl::StrCat(file_, ":", mark.line + 1,
                                                   ":", mark.column + 1, ": ",
                                                   field, ": ", reason));
  }

  std::string Location(const YAML::Node& node) const {
    const YAML::Mark mark = node.Mark();
    if (mark.is_null()) return file_;
    return absl::StrCat(file_, ":", mark.line + 1, ":", mark.column + 1);
  }

  absl::Status CheckKeys(const YAML::Node& node, absl::string_view field,
                         std::initializer_list<absl::string_view> allowed) {
    if (!node.IsMap()) return Error(node, field, "must be a mapping");
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        return Error(it->first, absl::StrCat(field, ".", key), "unknown key");
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> String(const YAML::Node& node,
                                     absl::string_view field) {
    if (!node.IsScalar()) return Error(node, field, "must be a string");
    return node.Scalar();
  }

  absl::StatusOr<bool> Bool(const YAML::Node& node, absl::string_view field) {
    bool value = false;
    if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
      return Error(node, field, "must be true or false");
    }
    return value;
  }

  absl::StatusOr<std::vector<std::string>> StringList(const YAML::Node& node,
                                                      absl::string_view field) {
    if (!node.IsSequence() || node.size() == 0) {
      return Error(node, field, "must be a non-empty list of strings");
    }
    std::vector<std::string> out;
    for (size_t i = 0; i < node.size(); ++i) {
      if (!node[i].IsScalar()) {
        return Error(node[i], absl::StrCat(field, "[", i, "]"),
                     "must be a string");
      }
      out.push_back(node[i].Scalar());
    }
    return out;
  }

  absl::StatusOr<std::string> HeaderName(const YAML::Node& node,
                                         absl::string_view field) {
    absl::StatusOr<std::string> name = String(node, field);
    if (!name.ok()) return name.status();
    if (!IsHeaderName(*name)) {
      return Error(node, field, "is not a valid HTTP header name");
    }
    return absl::AsciiStrToLower(*name);
  }

  absl::Status Provider(const YAML::Node& node, absl::string_view field,
                        std::string& out) {
    absl::StatusOr<std::string> name = String(node, field);
    if (!name.ok()) return name.status();
    if (providers_ != nullptr && !name->empty() &&
        std::find(providers_->begin(), providers_->end(), *name) ==
            providers_->end()) {
      return Error(node, field,
                   absl::StrCat("unknown provider \"", *name, "\""));
    }
    out = *std::move(name);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<TokenSource>> TokenSources(
      const YAML::Node& node, absl::string_view field) {
    if (!node.IsSequence() || node.size() == 0) {
      return Error(node, field, "must be a non-empty list");
    }
    std::vector<TokenSource> out;
    for (size_t i = 0; i < node.size(); ++i) {
      const YAML::Node item = node[i];
      const std::string f = absl::StrCat(field, "[", i, "]");
      absl::Status s =
          CheckKeys(item, f, {"header", "prefix", "cookie", "query"});
      if (!s.ok()) return s;
      const int kinds = (item["header"] ? 1 : 0) + (item["cookie"] ? 1 : 0) +
                        (item["query"] ? 1 : 0);
      if (kinds != 1) {
        return Error(item, f, "needs exactly one of header, cookie, query");
      }
      TokenSource src;
      if (item["header"]) {
        absl::StatusOr<std::string> name =
            HeaderName(item["header"], absl::StrCat(f, ".header"));
        if (!name.ok()) return name.status();
        src.kind = TokenSource::Kind::kHeader;
        src.name = *std::move(name);
        if (item["prefix"]) {
          absl::StatusOr<std::string> prefix =
              String(item["prefix"], absl::StrCat(f, ".prefix"));
          if (!prefix.ok()) return prefix.status();
          src.prefix = *std::move(prefix);
        }
      } else {
        if (item["prefix"]) {
          return Error(item["prefix"], absl::StrCat(f, ".prefix"),
                       "is only allowed with header");
        }
        const bool cookie = static_cast<bool>(item["cookie"]);
        const std::string key = cookie ? "cookie" : "query";
        absl::StatusOr<std::string> name =
            String(item[key], absl::StrCat(f, ".", key));
        if (!name.ok()) return name.status();
        if (name->empty()) {
          return Error(item[key], absl::StrCat(f, ".", key),
                       "must not be empty");
        }
        src.kind =
            cookie ? TokenSource::Kind::kCookie : TokenSource::Kind::kQuery;
        src.name = *std::move(name);
      }
      out.push_back(std::move(src));
    }
    return out;
  }

  absl::StatusOr<std::vector<ForwardedClaim>> ForwardClaims(
      const YAML::Node& node, absl::string_view field) {
    if (!node.IsSequence()) return Error(node, field, "must be a list");
    std::vector<ForwardedClaim> out;
    for (size_t i = 0; i < node.size(); ++i) {
      const YAML::Node item = node[i];
      const std::string f = absl::StrCat(field, "[", i, "]");
      absl::Status s = CheckKeys(item, f, {"claim", "header"});
      if (!s.ok()) return s;
      if (!item["claim"] || !item["header"]) {
        return Error(item, f, "needs claim and header");
      }
      absl::StatusOr<std::string> claim =
          String(item["claim"], absl::StrCat(f, ".claim"));
      if (!claim.ok()) return claim.status();
      if (claim->empty()) {
        return Error(item["claim"], absl::StrCat(f, ".claim"),
                     "must not be empty");
      }
      absl::StatusOr<std::string> header =
          HeaderName(item["header"], absl::StrCat(f, ".header"));
      if (!header.ok()) return header.status();
      if (*header == "host") {
        return Error(item["header"], absl::StrCat(f, ".header"),
                     "must not be host");
      }
      for (const ForwardedClaim& prev : out) {
        if (prev.header == *header) {
          return Error(item["header"], absl::StrCat(f, ".header"),
                       "duplicate header");
        }
      }
      out.push_back(ForwardedClaim{*std::move(claim), *std::move(header)});
    }
    return out;
  }

  absl::Status Match(const YAML::Node& node, absl::string_view field,
                     RequestMatch& out) {
    if (node["hosts"]) {
      absl::StatusOr<std::vector<std::string>> hosts =
          StringList(node["hosts"], absl::StrCat(field, ".hosts"));
      if (!hosts.ok()) return hosts.status();
      for (std::string& h : *hosts) {
        if (h.empty()) {
          return Error(node["hosts"], absl::StrCat(field, ".hosts"),
                       "must not contain an empty host");
        }
        out.hosts.push_back(absl::AsciiStrToLower(h));
      }
    }
    const int paths = (node["path_prefix"] ? 1 : 0) +
                      (node["path_exact"] ? 1 : 0) +
                      (node["path_regex"] ? 1 : 0);
    if (paths > 1) {
      return Error(node, field,
                   "at most one of path_prefix, path_exact, path_regex");
    }
    for (const char* key : {"path_prefix", "path_exact"}) {
      if (!node[key]) continue;
      const std::string f = absl::StrCat(field, ".", key);
      absl::StatusOr<std::string> p = String(node[key], f);
      if (!p.ok()) return p.status();
      if (!absl::StartsWith(*p, "/")) {
        return Error(node[key], f, "must start with /");
      }
      if (std::string c = CanonicalRequestPath(*p); c != *p) {
        return Error(node[key], f,
                     absl::StrCat("must be a normalized path, e.g. \"", c,
                                  "\" (no query, fragment, //, . or ..)"));
      }
      (key == std::string("path_exact") ? out.path_exact : out.path_prefix) =
          *std::move(p);
    }
    if (node["path_regex"]) {
      const std::string f = absl::StrCat(field, ".path_regex");
      absl::StatusOr<std::string> p = String(node["path_regex"], f);
      if (!p.ok()) return p.status();
      RE2::Options options;
      options.set_log_errors(false);
      auto re = std::make_shared<const RE2>(*p, options);
      if (!re->ok()) {
        return Error(node["path_regex"], f,
                     absl::StrCat("invalid RE2 regex: ", re->error()));
      }
      out.path_regex = std::move(re);
    }
    if (node["methods"]) {
      absl::StatusOr<std::vector<std::string>> methods =
          StringList(node["methods"], absl::StrCat(field, ".methods"));
      if (!methods.ok()) return methods.status();
      for (std::string& m : *methods) {
        if (!IsHeaderName(m)) {
          return Error(node["methods"], absl::StrCat(field, ".methods"),
                       absl::StrCat("invalid method \"", m, "\""));
        }
        out.methods.push_back(absl::AsciiStrToUpper(m));
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<ClaimCondition> Condition(const YAML::Node& node,
                                           absl::string_view field) {
    absl::Status s =
        CheckKeys(node, field, {"claim", "contains", "in", "equals", "exists"});
    if (!s.ok()) return s;
    if (!node["claim"]) return Error(node, field, "needs claim");
    ClaimCondition cond;
    absl::StatusOr<std::string> claim =
        String(node["claim"], absl::StrCat(field, ".claim"));
    if (!claim.ok()) return claim.status();
    if (claim->empty()) {
      return Error(node["claim"], absl::StrCat(field, ".claim"),
                   "must not be empty");
    }
    cond.claim = *std::move(claim);
    const int ops = (node["contains"] ? 1 : 0) + (node["in"] ? 1 : 0) +
                    (node["equals"] ? 1 : 0) + (node["exists"] ? 1 : 0);
    if (ops != 1) {
      return Error(node, field,
                   "needs exactly one of contains, in, equals, exists");
    }
    if (node["contains"] || node["equals"]) {
      const bool contains = static_cast<bool>(node["contains"]);
      const std::string key = contains ? "contains" : "equals";
      absl::StatusOr<std::string> v =
          String(node[key], absl::StrCat(field, ".", key));
      if (!v.ok()) return v.status();
      cond.op = contains ? ClaimCondition::Op::kContains
                         : ClaimCondition::Op::kEquals;
      cond.values.push_back(*std::move(v));
    } else if (node["in"]) {
      absl::StatusOr<std::vector<std::string>> v =
          StringList(node["in"], absl::StrCat(field, ".in"));
      if (!v.ok()) return v.status();
      cond.op = ClaimCondition::Op::kIn;
      cond.values = *std::move(v);
    } else {
      absl::StatusOr<bool> v =
          Bool(node["exists"], absl::StrCat(field, ".exists"));
      if (!v.ok()) return v.status();
      if (!*v) {
        return Error(node["exists"], absl::StrCat(field, ".exists"),
                     "must be true");
      }
      cond.op = ClaimCondition::Op::kExists;
    }
    return cond;
  }

  absl::StatusOr<std::vector<ExtAuthzRule>> Rules(const YAML::Node& node,
                                                  absl::string_view field) {
    if (!node.IsSequence() || node.size() == 0) {
      return Error(node, field, "must be a non-empty list");
    }
    std::vector<ExtAuthzRule> out;
    for (size_t i = 0; i < node.size(); ++i) {
      const YAML::Node item = node[i];
      const std::string f = absl::StrCat(field, "[", i, "]");
      absl::Status s = CheckKeys(item, f,
                                 {"hosts", "path_prefix", "path_exact",
                                  "path_regex", "methods", "allow",
                                  "authenticated", "claims", "deny"});
      if (!s.ok()) return s;
      ExtAuthzRule rule;
      rule.location = Location(item);
      s = Match(item, f, rule.match);
      if (!s.ok()) return s;
      const int actions = (item["allow"] ? 1 : 0) +
                          (item["authenticated"] ? 1 : 0) +
                          (item["claims"] ? 1 : 0) + (item["deny"] ? 1 : 0);
      if (actions != 1) {
        return Error(item, f,
                     "needs exactly one of allow, authenticated, claims, deny");
      }
      if (item["claims"]) {
        const YAML::Node claims = item["claims"];
        const std::string cf = absl::StrCat(f, ".claims");
        if (!claims.IsSequence() || claims.size() == 0) {
          return Error(claims, cf, "must be a non-empty list");
        }
        rule.action = ExtAuthzRule::Action::kClaims;
        for (size_t j = 0; j < claims.size(); ++j) {
          absl::StatusOr<ClaimCondition> c =
              Condition(claims[j], absl::StrCat(cf, "[", j, "]"));
          if (!c.ok()) return c.status();
          rule.claims.push_back(*std::move(c));
        }
      } else {
        const char* key = item["allow"]           ? "allow"
                          : item["authenticated"] ? "authenticated"
                                                  : "deny";
        absl::StatusOr<bool> v = Bool(item[key], absl::StrCat(f, ".", key));
        if (!v.ok()) return v.status();
        if (!*v) {
          return Error(item[key], absl::StrCat(f, ".", key), "must be true");
        }
        rule.action = item["allow"] ? ExtAuthzRule::Action::kAllow
                      : item["authenticated"]
                          ? ExtAuthzRule::Action::kAuthenticated
                          : ExtAuthzRule::Action::kDeny;
      }
      out.push_back(std::move(rule));
    }
    return out;
  }

  // Fields shared by the top level and each route; unset fields keep
  // `route`'s current (inherited) values.
  absl::Status RouteSettings(const YAML::Node& node, absl::string_view field,
                             ExtAuthzRoute& route) {
    if (node["provider"]) {
      absl::Status s = Provider(
          node["provider"], absl::StrCat(field, "provider"), route.provider);
      if (!s.ok()) return s;
    }
    if (node["audience"]) {
      absl::StatusOr<std::string> a =
          String(node["audience"], absl::StrCat(field, "audience"));
      if (!a.ok()) return a.status();
      route.audience = *std::move(a);
    }
    if (node["token_sources"]) {
      absl::StatusOr<std::vector<TokenSource>> t = TokenSources(
          node["token_sources"], absl::StrCat(field, "token_sources"));
      if (!t.ok()) return t.status();
      route.token_sources = *std::move(t);
    }
    if (node["forward_claims"]) {
      absl::StatusOr<std::vector<ForwardedClaim>> fc = ForwardClaims(
          node["forward_claims"], absl::StrCat(field, "forward_claims"));
      if (!fc.ok()) return fc.status();
      route.forward_claims = *std::move(fc);
    }
    if (node["rules"]) {
      absl::StatusOr<std::vector<ExtAuthzRule>> r =
          Rules(node["rules"], absl::StrCat(field, "rules"));
      if (!r.ok()) return r.status();
      route.rules = *std::move(r);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<ExtAuthzPolicy> Policy(const YAML::Node& node) {
    ExtAuthzPolicy policy = DefaultExtAuthzPolicy();
    if (!node.IsDefined() || node.IsNull()) return policy;
    absl::Status s =
        CheckKeys(node, "ext_authz",
                  {"route_key", "dynamic_metadata", "provider", "audience",
                   "token_sources", "forward_claims", "rules", "routes"});
    if (!s.ok()) return s;
    policy.defaults.location = Location(node);
    if (node["route_key"]) {
      absl::StatusOr<std::string> k =
          String(node["route_key"], "ext_authz.route_key");
      if (!k.ok()) return k.status();
      if (k->empty()) {
        return Error(node["route_key"], "ext_authz.route_key",
                     "must not be empty");
      }
      policy.route_key = *std::move(k);
    }
    if (node["dynamic_metadata"]) {
      absl::StatusOr<bool> b =
          Bool(node["dynamic_metadata"], "ext_authz.dynamic_metadata");
      if (!b.ok()) return b.status();
      policy.dynamic_metadata = *b;
    }
    s = RouteSettings(node, "ext_authz.", policy.defaults);
    if (!s.ok()) return s;
    if (node["routes"]) {
      const YAML::Node routes = node["routes"];
      if (!routes.IsSequence()) {
        return Error(routes, "ext_authz.routes", "must be a list");
      }
      for (size_t i = 0; i < routes.size(); ++i) {
        const YAML::Node item = routes[i];
        const std::string f = absl::StrCat("ext_authz.routes[", i, "]");
        s = CheckKeys(item, f,
                      {"name", "match", "provider", "audience", "token_sources",
                       "forward_claims", "rules"});
        if (!s.ok()) return s;
        ExtAuthzRoute route = policy.defaults;  // inherit
        route.location = Location(item);
        if (!item["name"]) return Error(item, f, "needs name");
        absl::StatusOr<std::string> name =
            String(item["name"], absl::StrCat(f, ".name"));
        if (!name.ok()) return name.status();
        if (name->empty()) {
          return Error(item["name"], absl::StrCat(f, ".name"),
                       "must not be empty");
        }
        for (const ExtAuthzRoute& prev : policy.routes) {
          if (prev.name == *name) {
            return Error(item["name"], absl::StrCat(f, ".name"),
                         absl::StrCat("duplicate route \"", *name, "\""));
          }
        }
        route.name = *std::move(name);
        if (item["match"]) {
          const YAML::Node match = item["match"];
          const std::string mf = absl::StrCat(f, ".match");
          s = CheckKeys(
              match, mf,
              {"context_extensions", "hosts", "path_prefix", "path_exact",
               "path_regex", "methods"});
          if (!s.ok()) return s;
          if (match["context_extensions"]) {
            const YAML::Node ce = match["context_extensions"];
            const std::string cf = absl::StrCat(mf, ".context_extensions");
            if (!ce.IsMap() || ce.size() == 0) {
              return Error(ce, cf, "must be a non-empty mapping");
            }
            for (auto it = ce.begin(); it != ce.end(); ++it) {
              const std::string key = it->first.Scalar();
              absl::StatusOr<std::string> v =
                  String(it->second, absl::StrCat(cf, ".", key));
              if (!v.ok()) return v.status();
              route.context_extensions.emplace_back(key, *std::move(v));
            }
          }
          s = Match(match, mf, route.request);
          if (!s.ok()) return s;
        }
        s = RouteSettings(item, absl::StrCat(f, "."), route);
        if (!s.ok()) return s;
        policy.routes.push_back(std::move(route));
      }
    }
    return policy;
  }

 private:
  std::string file_;
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
    const YAML::Node& node, absl::string_view file_name,
    const std::vector<std::string>* known_providers) {
  Parser parser(file_name, known_providers);
  try {
    return parser.Policy(node);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(file_name, ": ext_authz: ", e.what()));
  }
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
