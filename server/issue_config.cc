#include "server/issue_config.h"

#include "core/status_macros.h"

namespace jwtauth::server {
namespace {

absl::Status ParseDirect(const ConfigNode& n, IssuePolicy& p) {
  JWTAUTH_RETURN_IF_ERROR(n.ExpectMap(
      {"enabled", "allowed_identities", "required_scope", "caller_providers"}));
  JWTAUTH_RETURN_IF_ERROR(n.Read("enabled", &p.direct_enabled));
  JWTAUTH_RETURN_IF_ERROR(n.Read("allowed_identities", &p.allowed_identities));
  JWTAUTH_RETURN_IF_ERROR(n.Read("required_scope", &p.required_scope));
  return n.Read("caller_providers", &p.caller_providers);
}

// Off unless enabled; when enabled the provider and audience allow-lists are
// required.
absl::Status ParseExchange(const ConfigNode& n, IssueConfig& c) {
  JWTAUTH_RETURN_IF_ERROR(
      n.ExpectMap({"enabled", "max_ttl", "claims", "allowed_providers",
                   "allowed_audiences", "require_caller", "allowed_identities",
                   "required_scope", "caller_providers"}));
  IssuePolicy& i = c.policy;
  JWTAUTH_RETURN_IF_ERROR(n.Read("enabled", &i.exchange_enabled));
  JWTAUTH_RETURN_IF_ERROR(n.Read("max_ttl", &i.exchange_max_ttl));
  JWTAUTH_RETURN_IF_ERROR(n.Read("claims", &c.exchange_claims));
  JWTAUTH_RETURN_IF_ERROR(
      n.Read("allowed_providers", &i.exchange_allowed_providers));
  JWTAUTH_RETURN_IF_ERROR(
      n.Read("allowed_audiences", &i.exchange_allowed_audiences));
  JWTAUTH_RETURN_IF_ERROR(n.Read("require_caller", &i.exchange_require_caller));
  JWTAUTH_RETURN_IF_ERROR(
      n.Read("allowed_identities", &i.exchange_allowed_identities));
  JWTAUTH_RETURN_IF_ERROR(n.Read("required_scope", &i.exchange_required_scope));
  JWTAUTH_RETURN_IF_ERROR(
      n.Read("caller_providers", &i.exchange_caller_providers));
  if (i.exchange_enabled && i.exchange_allowed_providers.empty()) {
    return n["allowed_providers"].Error(
        "required when exchange is enabled (the providers whose tokens may be "
        "exchanged)");
  }
  if (i.exchange_enabled && i.exchange_allowed_audiences.empty()) {
    return n["allowed_audiences"].Error(
        "required when exchange is enabled (the audiences an exchanged token "
        "may carry)");
  }
  if (i.exchange_require_caller && i.exchange_allowed_identities.empty() &&
      (i.exchange_required_scope.empty() ||
       i.exchange_caller_providers.empty())) {
    return n["require_caller"].Error(
        "needs allowed_identities, or caller_providers and required_scope");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ParseIssueConfig(const ConfigNode& n, IssueConfig& out) {
  JWTAUTH_RETURN_IF_ERROR(n.ExpectMap({"direct", "exchange"}));
  if (n.Has("direct")) {
    JWTAUTH_RETURN_IF_ERROR(ParseDirect(n["direct"], out.policy));
  }
  if (n.Has("exchange")) {
    JWTAUTH_RETURN_IF_ERROR(ParseExchange(n["exchange"], out));
  }
  return absl::OkStatus();
}

}  // namespace jwtauth::server
