#include "server/ext_authz_policy.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "yaml-cpp/yaml.h"

namespace jwtauth::server {
namespace {

constexpr absl::string_view kBearerPrefix = "Bearer ";

TokenSource BearerSource() {
  return TokenSource{TokenSource::Kind::kHeader, "authorization",
                     std::string(kBearerPrefix)};
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

bool HasControlChar(absl::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && u != '\t') || u == 0x7f;
  });
}

absl::string_view StripPort(absl::string_view host) {
  if (!host.empty() && host.front() == '[') {  // [v6]:port
    size_t close = host.find(']');
    return close == absl::string_view::npos ? host : host.substr(0, close + 1);
  }
  size_t colon = host.rfind(':');
  return colon == absl::string_view::npos ? host : host.substr(0, colon);
}

bool HostMatches(absl::string_view pattern, absl::string_view host) {
  // Compare ports only when the pattern names one ("[::1]" has none).
  const bool pattern_has_port = StripPort(pattern).size() != pattern.size();
  absl::string_view h = pattern_has_port ? host : StripPort(host);
  if (absl::StartsWith(pattern, "*.")) {
    absl::string_view suffix = pattern.substr(1);  // ".example.com"
    return h.size() > suffix.size() && absl::EndsWithIgnoreCase(h, suffix);
  }
  return absl::EqualsIgnoreCase(pattern, h);
}

// Scalar claim value as text for comparisons; nullopt for objects/arrays/null.
std::optional<std::string> ScalarText(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean() || v.is_number()) {
    return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return std::nullopt;
}

bool ValueIn(const nlohmann::json& v, const std::vector<std::string>& values) {
  std::optional<std::string> text = ScalarText(v);
  return text.has_value() &&
         std::find(values.begin(), values.end(), *text) != values.end();
}

bool ConditionHolds(const ClaimCondition& cond, const nlohmann::json& claims) {
  const nlohmann::json* v = FindClaim(claims, cond.claim);
  if (v == nullptr || v->is_null()) return false;
  switch (cond.op) {
    case ClaimCondition::Op::kExists:
      return true;
    case ClaimCondition::Op::kEquals: {
      std::optional<std::string> text = ScalarText(*v);
      return text.has_value() && *text == cond.values.front();
    }
    case ClaimCondition::Op::kIn:
      if (v->is_array()) {
        return std::any_of(v->begin(), v->end(), [&](const nlohmann::json& e) {
          return ValueIn(e, cond.values);
        });
      }
      return ValueIn(*v, cond.values);
    case ClaimCondition::Op::kContains: {
      const std::string& want = cond.values.front();
      if (v->is_array()) {
        return std::any_of(v->begin(), v->end(), [&](const nlohmann::json& e) {
          return e.is_string() && e.get_ref<const std::string&>() == want;
        });
      }
      if (v->is_string()) {
        for (absl::string_view word : absl::StrSplit(
                 v->get_ref<const std::string&>(), ' ', absl::SkipEmpty())) {
          if (word == want) return true;
        }
      }
      return false;
    }
  }
  return false;
}

// Percent-decodes a query component ('+' is a space in form encoding).
std::string PercentDecode(absl::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < in.size() &&
               absl::ascii_isxdigit(static_cast<unsigned char>(in[i + 1])) &&
               absl::ascii_isxdigit(static_cast<unsigned char>(in[i + 2]))) {
      auto hex = [](char h) {
        return absl::ascii_isdigit(static_cast<unsigned char>(h))
                   ? h - '0'
                   : absl::ascii_tolower(static_cast<unsigned char>(h)) - 'a' +
                         10;
      };
      out.push_back(static_cast<char>(hex(in[i + 1]) * 16 + hex(in[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
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
    if (node["path_prefix"]) {
      absl::StatusOr<std::string> p =
          String(node["path_prefix"], absl::StrCat(field, ".path_prefix"));
      if (!p.ok()) return p.status();
      if (!absl::StartsWith(*p, "/")) {
        return Error(node["path_prefix"], absl::StrCat(field, ".path_prefix"),
                     "must start with /");
      }
      out.path_prefix = *std::move(p);
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
                                 {"hosts", "path_prefix", "methods", "allow",
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
              {"context_extensions", "hosts", "path_prefix", "methods"});
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

bool RequestMatch::Matches(const RequestView& request) const {
  if (!path_prefix.empty() && !absl::StartsWith(request.path, path_prefix)) {
    return false;
  }
  if (!methods.empty() && std::find(methods.begin(), methods.end(),
                                    request.method) == methods.end()) {
    return false;
  }
  if (!hosts.empty() &&
      std::none_of(hosts.begin(), hosts.end(), [&](const std::string& h) {
        return HostMatches(h, request.host);
      })) {
    return false;
  }
  return true;
}

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

std::optional<std::string> ExtractToken(const std::vector<TokenSource>& sources,
                                        const RequestView& request) {
  for (const TokenSource& src : sources) {
    switch (src.kind) {
      case TokenSource::Kind::kHeader: {
        std::optional<absl::string_view> v = request.header(src.name);
        if (!v.has_value()) break;
        absl::string_view value = absl::StripAsciiWhitespace(*v);
        if (!src.prefix.empty()) {
          if (!absl::StartsWithIgnoreCase(value, src.prefix)) break;
          value = absl::StripLeadingAsciiWhitespace(
              value.substr(src.prefix.size()));
        }
        if (!value.empty()) return std::string(value);
        break;
      }
      case TokenSource::Kind::kCookie: {
        std::optional<absl::string_view> v = request.header("cookie");
        if (!v.has_value()) break;
        // Envoy joins repeated cookie headers with "; " or ",".
        for (absl::string_view pair :
             absl::StrSplit(*v, absl::ByAnyChar(";,"))) {
          pair = absl::StripAsciiWhitespace(pair);
          size_t eq = pair.find('=');
          if (eq == absl::string_view::npos || pair.substr(0, eq) != src.name) {
            continue;
          }
          absl::string_view value = pair.substr(eq + 1);
          if (value.size() >= 2 && value.front() == '"' &&
              value.back() == '"') {
            value = value.substr(1, value.size() - 2);
          }
          if (!value.empty()) return std::string(value);
        }
        break;
      }
      case TokenSource::Kind::kQuery: {
        for (absl::string_view pair : absl::StrSplit(request.query, '&')) {
          size_t eq = pair.find('=');
          if (eq == absl::string_view::npos) continue;
          if (PercentDecode(pair.substr(0, eq)) != src.name) continue;
          std::string value = PercentDecode(pair.substr(eq + 1));
          if (!value.empty()) return value;
        }
        break;
      }
    }
  }
  return std::nullopt;
}

const nlohmann::json* FindClaim(const nlohmann::json& claims,
                                absl::string_view path) {
  if (!claims.is_object()) return nullptr;
  auto it = claims.find(std::string(path));
  if (it != claims.end()) return &*it;
  const nlohmann::json* cur = &claims;
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    if (!cur->is_object()) return nullptr;
    auto next = cur->find(std::string(part));
    if (next == cur->end()) return nullptr;
    cur = &*next;
  }
  return cur == &claims ? nullptr : cur;
}

const ClaimCondition* FirstFailedCondition(const ExtAuthzRule& rule,
                                           const nlohmann::json& claims) {
  for (const ClaimCondition& cond : rule.claims) {
    if (!ConditionHolds(cond, claims)) return &cond;
  }
  return nullptr;
}

std::optional<std::string> ClaimHeaderValue(const nlohmann::json& claims,
                                            absl::string_view path) {
  const nlohmann::json* v = FindClaim(claims, path);
  if (v == nullptr || v->is_null()) return std::nullopt;
  std::string out =
      v->is_string()
          ? v->get<std::string>()
          : v->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (HasControlChar(out)) return std::nullopt;
  return out;
}

}  // namespace jwtauth::server
