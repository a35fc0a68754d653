#include "server/ext_authz_answer.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/algorithm.h"
#include "google/protobuf/struct.pb.h"
#include "nlohmann/json.hpp"
#include "server/proto_json.h"
#include "server/status_mapping.h"

namespace jwtauth::server {
namespace {

namespace authv3 = ::envoy::service::auth::v3;
using ::envoy::config::core::v3::HeaderValueOption;

void AppendQuoted(std::string& out, absl::string_view value) {
  out.push_back('"');
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) continue;  // never valid in a header
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

void SetHeader(HeaderValueOption* option, absl::string_view key,
               absl::string_view value) {
  option->mutable_header()->set_key(std::string(key));
  option->mutable_header()->set_value(std::string(value));
  // Overwrite, never append (append_action is what current Envoys read;
  // append=false is what older ones read).
  option->set_append_action(HeaderValueOption::OVERWRITE_IF_EXISTS_OR_ADD);
  option->mutable_append()->set_value(false);
}

void SetString(google::protobuf::Struct* s, absl::string_view key,
               absl::string_view value) {
  (*s->mutable_fields())[std::string(key)].set_string_value(std::string(value));
}

// {code: google.rpc code, message: phrase, reason: reason name}.
void SetFailedStatus(google::protobuf::Struct* md, int code,
                     absl::string_view phrase, absl::string_view reason) {
  auto* failed = (*md->mutable_fields())[std::string(kFailedStatusKey)]
                     .mutable_struct_value();
  (*failed->mutable_fields())["code"].set_number_value(code);
  SetString(failed, "message", phrase);
  SetString(failed, "reason", reason);
}

void Deny(authv3::CheckResponse* response, int rpc_code, int http_status,
          absl::string_view error, absl::string_view description,
          absl::string_view challenge) {
  response->mutable_status()->set_code(rpc_code);
  response->mutable_status()->set_message(std::string(description));
  authv3::DeniedHttpResponse* denied = response->mutable_denied_response();
  denied->mutable_status()->set_code(
      static_cast<envoy::type::v3::StatusCode>(http_status));
  if (!challenge.empty()) {
    SetHeader(denied->add_headers(), "www-authenticate", challenge);
  }
  SetHeader(denied->add_headers(), "content-type", "application/json");
  SetHeader(denied->add_headers(), "cache-control", "no-store");
  nlohmann::json body = {{"error", error}, {"error_description", description}};
  denied->set_body(body.dump());
}

authv3::OkHttpResponse* Allow(authv3::CheckResponse* response) {
  response->mutable_status()->set_code(kRpcOk);
  return response->mutable_ok_response();
}

// provider, kid, alg, route, claims and the provider's metadata.
void SetVerifiedMetadata(const VerifiedToken& verified, absl::string_view route,
                         google::protobuf::Struct* md) {
  SetString(md, "provider", verified.provider());
  SetString(md, "kid", verified.kid());
  SetString(md, "alg", AlgorithmName(verified.alg()));
  if (!route.empty()) SetString(md, "route", route);
  JsonToValue(verified.claims(), &(*md->mutable_fields())["claims"]);
  if (!verified.metadata().empty()) {
    auto* fields = (*md->mutable_fields())["metadata"]
                       .mutable_struct_value()
                       ->mutable_fields();
    for (const auto& [k, v] : verified.metadata()) {
      (*fields)[k].set_string_value(v);
    }
  }
}

// The compact JWS's payload segment as sent (base64url, unpadded): exactly
// what jwt_authn forwards in forward_payload_header.
std::optional<absl::string_view> PayloadSegment(absl::string_view token) {
  const size_t first = token.find('.');
  if (first == absl::string_view::npos) return std::nullopt;
  const size_t second = token.find('.', first + 1);
  if (second == absl::string_view::npos || second == first + 1) {
    return std::nullopt;
  }
  return token.substr(first + 1, second - first - 1);
}

// Every header `route` sets upstream (forwarded claims, payload, upstream
// token).
std::vector<absl::string_view> RouteHeaders(const ExtAuthzRoute& route) {
  std::vector<absl::string_view> out;
  for (const ForwardedClaim& fc : route.forward_claims) {
    out.push_back(fc.header);
  }
  if (!route.options.forward_payload_header.empty()) {
    out.push_back(route.options.forward_payload_header);
  }
  if (route.options.upstream_token.has_value()) {
    out.push_back(route.options.upstream_token->header);
  }
  return out;
}

// Removes the verified token from where it was found: its header, its
// cookie (the Cookie header rewritten without it) or its query parameter.
void StripToken(const ExtAuthzRoute& route, const CheckContext& check,
                authv3::OkHttpResponse* ok) {
  const TokenSource& src = *check.source;
  switch (src.kind) {
    case TokenSource::Kind::kHeader: {
      // A header the route sets itself is overwritten anyway; removing it
      // too would drop the new value.
      const std::vector<absl::string_view> set = RouteHeaders(route);
      if (std::find(set.begin(), set.end(), src.name) == set.end()) {
        ok->add_headers_to_remove(src.name);
      }
      return;
    }
    case TokenSource::Kind::kCookie: {
      std::string rest = CookieHeaderWithout(check.cookie_header, src.name);
      if (rest.empty()) {
        ok->add_headers_to_remove("cookie");
      } else {
        SetHeader(ok->add_headers(), "cookie", rest);
      }
      return;
    }
    case TokenSource::Kind::kQuery:
      ok->add_query_parameters_to_remove(src.name);
      return;
  }
}

}  // namespace

absl::string_view ReasonPhrase(FailureReason reason) {
  switch (reason) {
    case FailureReason::kUnspecified:
      return "token rejected";
    case FailureReason::kTokenMissing:
      return "missing token";
    case FailureReason::kTokenTooLarge:
      return "token too large";
    case FailureReason::kMalformed:
      return "malformed token";
    case FailureReason::kUnsupportedAlgorithm:
      return "unsupported algorithm";
    case FailureReason::kHeaderRejected:
      return "token header rejected";
    case FailureReason::kKeyNotFound:
      return "signing key not found";
    case FailureReason::kSignatureInvalid:
      return "invalid signature";
    case FailureReason::kExpired:
      return "token expired";
    case FailureReason::kNotYetValid:
      return "token not yet valid";
    case FailureReason::kIssuedInFuture:
      return "token issued in the future";
    case FailureReason::kLifetimeTooLong:
      return "token lifetime too long";
    case FailureReason::kIssuerMismatch:
      return "issuer not accepted";
    case FailureReason::kAudienceMismatch:
      return "audience not accepted";
    case FailureReason::kSubjectMismatch:
      return "subject not accepted";
    case FailureReason::kClaimMissing:
      return "required claim missing";
    case FailureReason::kClaimInvalid:
      return "claim value not accepted";
    case FailureReason::kKeysUnavailable:
      return "signing keys unavailable";
  }
  return "token rejected";
}

std::string BearerChallenge(absl::string_view error,
                            absl::string_view description,
                            absl::string_view scope) {
  std::string out = "Bearer error=";
  AppendQuoted(out, error);
  if (!description.empty()) {
    out += ", error_description=";
    AppendQuoted(out, description);
  }
  if (!scope.empty()) {
    out += ", scope=";
    AppendQuoted(out, scope);
  }
  return out;
}

void LogCheckDecision(Logger* logger, bool allowed, const CheckContext& ctx,
                      absl::string_view route, absl::string_view reason) {
  if (logger == nullptr || !logger->Enabled(LogLevel::kInfo)) return;
  logger->Log(LogLevel::kInfo, allowed ? "check_allowed" : "check_denied",
              {{"request_id", std::string(ctx.request_id)},
               {"route", std::string(route)},
               {"reason", std::string(reason)},
               {"token", TokenFingerprint(ctx.token)}});
}

void AllowVerified(const ExtAuthzPolicy& policy, const ExtAuthzRoute& route,
                   const VerifiedToken& verified, const CheckContext& check,
                   const AllowedExtras& extras,
                   authv3::CheckResponse* response) {
  authv3::OkHttpResponse* ok = Allow(response);
  for (const ForwardedClaim& fc : route.forward_claims) {
    std::optional<std::string> value =
        ClaimHeaderValue(verified.claims(), fc.claim);
    if (value.has_value()) {
      SetHeader(ok->add_headers(), fc.header, *value);
    } else {
      ok->add_headers_to_remove(fc.header);
    }
  }
  const ExtAuthzRouteOptions& o = route.options;
  if (!o.forward_payload_header.empty()) {
    std::optional<absl::string_view> payload = PayloadSegment(check.token);
    if (payload.has_value()) {
      SetHeader(ok->add_headers(), o.forward_payload_header, *payload);
    } else {
      ok->add_headers_to_remove(o.forward_payload_header);
    }
  }
  if (o.upstream_token.has_value() && !extras.upstream_token.empty()) {
    SetHeader(ok->add_headers(), o.upstream_token->header,
              extras.upstream_token);
  }
  if (extras.strip_token && check.source != nullptr) {
    StripToken(route, check, ok);
  }
  if (policy.dynamic_metadata) {
    SetVerifiedMetadata(verified, route.name,
                        response->mutable_dynamic_metadata());
  }
}

void AllowWithoutClaims(const ExtAuthzPolicy& policy,
                        const ExtAuthzRoute& route, FailureReason failure,
                        authv3::CheckResponse* response) {
  authv3::OkHttpResponse* ok = Allow(response);
  for (absl::string_view name : RouteHeaders(route)) {
    ok->add_headers_to_remove(std::string(name));
  }
  if (!policy.dynamic_metadata) return;
  google::protobuf::Struct* md = response->mutable_dynamic_metadata();
  if (!route.name.empty()) SetString(md, "route", route.name);
  if (failure != FailureReason::kUnspecified) {
    SetFailedStatus(md, kRpcUnauthenticated, ReasonPhrase(failure),
                    ResultLabel(failure));
  }
}

absl::string_view Denial::UnknownRoute() {
  if (logger_ != nullptr) {
    logger_->Log(LogLevel::kWarn, "check_unknown_route",
                 {{"route_key", policy_.route_key},
                  {"request_id", std::string(check_.request_id)}});
  }
  Deny(response_, kRpcPermissionDenied, 403, "access_denied", "unknown route",
       "");
  SetMetadata(kPermissionDeniedLabel, "", "unknown route");
  return kPermissionDeniedLabel;
}

absl::string_view Denial::ByRule(absl::string_view route, bool no_rule) {
  const absl::string_view phrase =
      no_rule ? "no rule allows this request" : "denied by rule";
  LogCheckDecision(logger_, false, check_, route, kPermissionDeniedLabel);
  Deny(response_, kRpcPermissionDenied, 403, "access_denied", phrase, "");
  SetMetadata(kPermissionDeniedLabel, route, phrase);
  return kPermissionDeniedLabel;
}

absl::string_view Denial::InvalidToken(FailureReason reason,
                                       absl::string_view route) {
  const absl::string_view label = ResultLabel(reason);
  LogCheckDecision(logger_, false, check_, route, label);
  if (reason == FailureReason::kKeysUnavailable) {
    Deny(response_, kRpcUnavailable, 503, "temporarily_unavailable",
         ReasonPhrase(reason), "");
  } else {
    Deny(response_, kRpcUnauthenticated, 401, "invalid_token",
         ReasonPhrase(reason),
         BearerChallenge("invalid_token", ReasonPhrase(reason)));
  }
  SetMetadata(label, route, ReasonPhrase(reason));
  return label;
}

absl::string_view Denial::FailedClaim(const ClaimCondition& failed,
                                      absl::string_view route) {
  const bool scope = failed.op == ClaimCondition::Op::kContains &&
                     (failed.claim == "scope" || failed.claim == "scp");
  LogCheckDecision(logger_, false, check_, route, kPermissionDeniedLabel);
  const std::string description =
      absl::StrCat("claim \"", failed.claim, "\" does not satisfy the rule");
  Deny(response_, kRpcPermissionDenied, 403, "insufficient_scope", description,
       BearerChallenge("insufficient_scope", description,
                       scope ? absl::string_view(failed.values.front())
                             : absl::string_view()));
  SetMetadata(kPermissionDeniedLabel, route, description);
  return kPermissionDeniedLabel;
}

absl::string_view Denial::UpstreamTokenFailed(absl::string_view route) {
  constexpr absl::string_view kLabel = "UPSTREAM_TOKEN_FAILED";
  constexpr absl::string_view kPhrase = "upstream token unavailable";
  LogCheckDecision(logger_, false, check_, route, kLabel);
  Deny(response_, kRpcUnavailable, 503, "temporarily_unavailable", kPhrase, "");
  SetMetadata(kLabel, route, kPhrase);
  return kLabel;
}

void Denial::SetMetadata(absl::string_view reason, absl::string_view route,
                         absl::string_view phrase) {
  if (!policy_.dynamic_metadata) return;
  google::protobuf::Struct* md = response_->mutable_dynamic_metadata();
  SetString(md, "reason", reason);
  SetString(md, "route", route);
  // After Deny(): the code is the answer's.
  SetFailedStatus(md, response_->status().code(), phrase, reason);
}

}  // namespace jwtauth::server
