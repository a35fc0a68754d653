#ifndef JWTAUTH_SERVER_EXT_AUTHZ_POLICY_H_
#define JWTAUTH_SERVER_EXT_AUTHZ_POLICY_H_

// ExtAuthzPolicy: the `ext_authz:` section of the config, parsed once into an
// immutable value that the Envoy Check service (server/ext_authz_service.h)
// consults per request. It decides, for one HTTP request seen by Envoy:
//   1. which route applies (provider, audience, token sources, rule set),
//   2. which rule of that route applies (first match wins),
//   3. where the token comes from, and
//   4. which claims are forwarded upstream as request headers.
// It knows nothing about gRPC or protobuf: requests are described by a
// RequestView of callbacks, so the policy is testable on its own.
//
// Route selection (docs/ext_authz.md):
//   a. context_extensions[route_key] (default "jwtauth_route") names a route:
//      that route, or fail closed (403) if no route has that name;
//   b. else the first route, in config order, whose match.context_extensions
//      are all present and equal (and whose hosts/path_prefix/methods, if
//      given, also match);
//   c. else the first route without context_extensions whose
//      hosts/path_prefix/methods (at least one given) match;
//      a route without any match is selected only by name (a.);
//      `path_prefix: /` makes a catch-all;
//   d. else the top-level defaults.
// Rules: the first rule whose hosts/path_prefix/methods match decides:
//   allow (no token needed), authenticated (a valid token), claims (a valid
//   token whose claims meet every condition, else 403) or deny (403). No
//   matching rule → 403. A route without `rules` uses the top-level ones,
//   which default to [{authenticated: true}].
//
// With no `ext_authz:` section (DefaultExtAuthzPolicy()): every request
// needs a valid token from any provider, taken from `Authorization: Bearer`.
//
// Ownership: plain value type, owns all its strings. Immutable after
// parsing; const methods are thread-safe. Copyable and movable.
//
//   absl::StatusOr<ExtAuthzPolicy> p = ParseExtAuthzPolicy(root["ext_authz"],
//                                                          "/etc/jwtauth.yaml");
//   const ExtAuthzRoute* route = p->SelectRoute(request);   // null: deny
//   const ExtAuthzRule* rule = route->FirstMatchingRule(request);

#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace YAML {
class Node;
}  // namespace YAML

namespace jwtauth::server {

// One HTTP request as Envoy describes it. Lookups return nullopt when absent.
struct RequestView {
  absl::string_view method;  // "GET"
  absl::string_view host;    // :authority, may carry ":port"
  absl::string_view path;    // without the query string
  absl::string_view query;   // raw, without '?'
  // Header by lower-case name (implementations also match other cases).
  absl::FunctionRef<std::optional<absl::string_view>(absl::string_view)> header;
  // Envoy per-route context_extensions by key.
  absl::FunctionRef<std::optional<absl::string_view>(absl::string_view)>
      context_extension;
};

// Where a token is read from. Sources are tried in order; the first one that
// yields a non-empty value is the token.
struct TokenSource {
  enum class Kind { kHeader, kCookie, kQuery };
  Kind kind = Kind::kHeader;
  std::string name;    // header name (lower-case), cookie name or query key
  std::string prefix;  // kHeader only; matched case-insensitively ("Bearer ")
};

// Hosts/path/method matcher. Empty fields match everything.
struct RequestMatch {
  // Lower-case. "api.example.com" matches with any port unless the entry has
  // one; "*.example.com" matches any subdomain.
  std::vector<std::string> hosts;
  std::string path_prefix;           // literal prefix of the path
  std::vector<std::string> methods;  // upper-case

  bool empty() const {
    return hosts.empty() && path_prefix.empty() && methods.empty();
  }
  bool Matches(const RequestView& request) const;
};

// One condition on a verified claim (claim path: an exact top-level name
// first, else a dot path into nested objects).
struct ClaimCondition {
  enum class Op {
    kContains,  // array element equal, or space-separated word ("scope")
    kIn,        // scalar (or any array element) equal to one of values
    kEquals,    // scalar equal to values[0]
    kExists,    // present and not null
  };
  std::string claim;
  Op op = Op::kExists;
  std::vector<std::string> values;
};

struct ExtAuthzRule {
  enum class Action { kAllow, kAuthenticated, kClaims, kDeny };
  RequestMatch match;
  Action action = Action::kAuthenticated;
  std::vector<ClaimCondition> claims;  // kClaims: all must hold
  std::string location;                // "file:line:col" of the rule
};

struct ForwardedClaim {
  std::string claim;   // claim path, as in ClaimCondition
  std::string header;  // lower-case request header name
};

struct ExtAuthzRoute {
  std::string name;  // "" for the top-level defaults
  // Match (see selection order above).
  std::vector<std::pair<std::string, std::string>> context_extensions;
  RequestMatch request;
  // What applies once selected.
  std::string provider;  // "" = any provider whose issuer matches
  std::string audience;  // "" = the provider's configured audiences
  std::vector<TokenSource> token_sources;
  std::vector<ForwardedClaim> forward_claims;
  std::vector<ExtAuthzRule> rules;
  std::string location;  // "file:line:col" of the route

  // First rule whose matcher accepts the request; null when none does
  // (the caller denies with 403).
  const ExtAuthzRule* FirstMatchingRule(const RequestView& request) const;
};

struct ExtAuthzPolicy {
  std::string route_key = "jwtauth_route";
  bool dynamic_metadata = true;  // verified claims → CheckResponse metadata
  ExtAuthzRoute defaults;        // top-level settings, and route (d)
  std::vector<ExtAuthzRoute> routes;

  // Null only when context_extensions[route_key] names an unknown route
  // (the caller fails closed).
  const ExtAuthzRoute* SelectRoute(const RequestView& request) const;
};

// The policy used with no `ext_authz:` section: any provider, token from
// `Authorization: Bearer`, rules [{authenticated: true}], no forwarded claims,
// dynamic metadata on.
ExtAuthzPolicy DefaultExtAuthzPolicy();

// Parses the `ext_authz:` node (null/undefined → defaults). Unknown keys and
// wrong types are errors: InvalidArgument "file:line:col: ext_authz.field:
// reason" (line and column 1-based). If `known_providers` is non-null, every
// provider named must be in it. Never throws.
absl::StatusOr<ExtAuthzPolicy> ParseExtAuthzPolicy(
    const YAML::Node& node, absl::string_view file_name,
    const std::vector<std::string>* known_providers = nullptr);

// The first non-empty token from `sources`, or nullopt (TOKEN_MISSING).
std::optional<std::string> ExtractToken(const std::vector<TokenSource>& sources,
                                        const RequestView& request);

// Resolves a claim path: exact top-level key first, else dot path. Null if
// absent.
const nlohmann::json* FindClaim(const nlohmann::json& claims,
                                absl::string_view path);

// The first condition of `rule` that `claims` do not meet, or null when all
// hold.
const ClaimCondition* FirstFailedCondition(const ExtAuthzRule& rule,
                                           const nlohmann::json& claims);

// Header value for a forwarded claim: strings as-is, numbers/bools as JSON,
// arrays/objects as compact JSON. nullopt when absent, null, or when the
// value contains a control character (never forwarded: header injection).
std::optional<std::string> ClaimHeaderValue(const nlohmann::json& claims,
                                            absl::string_view path);

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_EXT_AUTHZ_POLICY_H_
