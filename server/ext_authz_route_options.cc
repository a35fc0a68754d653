#include "server/ext_authz_route_options.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "core/issuer.h"
#include "core/status_macros.h"

namespace jwtauth::server {
namespace {

absl::StatusOr<std::string> HeaderNameAt(const ConfigNode& node) {
  JWTAUTH_ASSIGN_OR_RETURN(std::string name, node.String());
  if (!IsHttpHeaderName(name)) {
    return node.Error("is not a valid HTTP header name");
  }
  name = absl::AsciiStrToLower(name);
  if (name == "host") return node.Error("must not be host");
  return name;
}

absl::StatusOr<UpstreamTokenConfig> UpstreamToken(const ConfigNode& node) {
  JWTAUTH_RETURN_IF_ERROR(
      node.ExpectMap({"header", "audience", "ttl", "claims"}));
  if (!node.Has("header") || !node.Has("audience")) {
    return node.Error("needs header and audience");
  }
  UpstreamTokenConfig out;
  out.location = node.location();
  JWTAUTH_ASSIGN_OR_RETURN(out.header, HeaderNameAt(node["header"]));
  JWTAUTH_ASSIGN_OR_RETURN(out.audience, node["audience"].NonEmptyString());
  JWTAUTH_RETURN_IF_ERROR(node.Read("ttl", &out.ttl));
  if (out.ttl < absl::Seconds(1)) {
    return node["ttl"].Error("must be at least 1s");
  }
  if (node.Has("claims")) {
    JWTAUTH_ASSIGN_OR_RETURN(out.claims, node["claims"].StringList());
  }
  // The exchange's allow-list rules (no reserved or exchange-set names).
  JWTAUTH_RETURN_IF_ERROR(
      node.MapOptionError(ValidateClaimAllowlist(out.claims, "claims")));
  return out;
}

absl::Status SampleRate(const ConfigNode& node, double& out) {
  JWTAUTH_ASSIGN_OR_RETURN(std::string text, node.String());
  double v = 0;
  if (!absl::SimpleAtod(text, &v) || !(v >= 0 && v <= 1)) {
    return node.Error("must be a number between 0 and 1");
  }
  out = v;
  return absl::OkStatus();
}

// allow_missing / allow_missing_or_failed: at most one is true per node.
absl::Status Requirement(const ConfigNode& node, TokenRequirement& out) {
  bool missing = false, missing_or_failed = false;
  JWTAUTH_RETURN_IF_ERROR(node.Read("allow_missing", &missing));
  JWTAUTH_RETURN_IF_ERROR(
      node.Read("allow_missing_or_failed", &missing_or_failed));
  if (missing && missing_or_failed) {
    return node["allow_missing_or_failed"].Error(
        "cannot be combined with allow_missing: true (choose one)");
  }
  if (missing || missing_or_failed) {
    out = missing ? TokenRequirement::kAllowMissing
                  : TokenRequirement::kAllowMissingOrFailed;
    return absl::OkStatus();
  }
  // An explicit false turns the inherited setting of that name off.
  if ((node.Has("allow_missing") && out == TokenRequirement::kAllowMissing) ||
      (node.Has("allow_missing_or_failed") &&
       out == TokenRequirement::kAllowMissingOrFailed)) {
    out = TokenRequirement::kRequired;
  }
  return absl::OkStatus();
}

}  // namespace

bool IsHttpHeaderName(absl::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
           absl::string_view("!#$%&'*+-.^_`|~").find(c) !=
               absl::string_view::npos;
  });
}

absl::Status ParseExtAuthzRouteOptions(const ConfigNode& node,
                                       ExtAuthzRouteOptions& options) {
  JWTAUTH_RETURN_IF_ERROR(node.Read("forward_token", &options.forward_token));
  if (node.Has("forward_payload_header")) {
    JWTAUTH_ASSIGN_OR_RETURN(options.forward_payload_header,
                             HeaderNameAt(node["forward_payload_header"]));
  }
  JWTAUTH_RETURN_IF_ERROR(Requirement(node, options.token_requirement));
  if (node.Has("log_allowed_sample_rate")) {
    JWTAUTH_RETURN_IF_ERROR(SampleRate(node["log_allowed_sample_rate"],
                                       options.log_allowed_sample_rate));
  }
  if (node.Has("issue_upstream_token")) {
    JWTAUTH_ASSIGN_OR_RETURN(options.upstream_token,
                             UpstreamToken(node["issue_upstream_token"]));
  }
  return absl::OkStatus();
}

}  // namespace jwtauth::server
