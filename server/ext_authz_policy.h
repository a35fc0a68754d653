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
//      given, also match; "path" below is path_prefix, path_exact or
//      path_regex, see server/ext_authz_rule.h);
//   c. else the first route without context_extensions whose
//      hosts/path_prefix/methods (at least one given) match;
//      a route without any match is selected only by name (a.);
//      `path_prefix: /` makes a catch-all;
//   d. else the top-level defaults.
// Rules: the first rule whose hosts/path/methods match decides:
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
//   absl::StatusOr<ExtAuthzPolicy> p =
//       ParseExtAuthzPolicy(config.ext_authz, &provider_names);
//   const ExtAuthzRoute* route = p->SelectRoute(request);   // null: deny
//   const ExtAuthzRule* rule = route->FirstMatchingRule(request);

#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "server/config_reader.h"
#include "server/ext_authz_route_options.h"
#include "server/ext_authz_rule.h"

namespace jwtauth::server {

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
  // Token forwarding, missing-token handling, decision logging, upstream
  // token (server/ext_authz_route_options.h).
  ExtAuthzRouteOptions options;
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

// Reads the `ext_authz:` node (absent or null → defaults) with the config
// file's rules (server/config_reader.h: ${ENV}, YAML 1.2 booleans, unknown
// keys rejected). Errors are InvalidArgument "file:line:col:
// ext_authz.field: reason". If `known_providers` is non-null, every provider
// named must be in it. Never throws.
absl::StatusOr<ExtAuthzPolicy> ParseExtAuthzPolicy(
    const ConfigNode& node,
    const std::vector<std::string>* known_providers = nullptr);
// The same for a tree loaded elsewhere: `node` is read as the `ext_authz`
// section of `file_name`, with the process environment.
absl::StatusOr<ExtAuthzPolicy> ParseExtAuthzPolicy(
    const YAML::Node& node, absl::string_view file_name,
    const std::vector<std::string>* known_providers = nullptr);

// "file:line:col" of every route match and rule that uses a path matcher
// (path_prefix, path_exact, path_regex), in config order; the Application
// warns at load that these rely on Envoy normalizing paths.
std::vector<std::string> PathMatcherLocations(const ExtAuthzPolicy& policy);

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_EXT_AUTHZ_POLICY_H_
