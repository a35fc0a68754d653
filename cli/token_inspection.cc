#include "cli/token_inspection.h"

#include <cstdlib>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/base64url.h"
#include "core/claims.h"
#include "core/failure.h"
#include "core/json_limits.h"
#include "core/jws.h"
#include "core/policy.h"

namespace jwtauth::cli {
namespace {

// Generous: an inspection should show what the verifier would refuse.
constexpr JsonLimits kLimits{.max_bytes = 1 << 20,
                             .max_depth = 64,
                             .max_values = 100000,
                             .max_object_members = 10000,
                             .require_object = false};

std::string Relative(absl::string_view name, absl::Time at, absl::Time now) {
  const bool future = at > now;
  const std::string d = HumanDuration(future ? at - now : now - at);
  if (name == "exp") {
    return future ? absl::StrCat("in ", d)
                  : absl::StrCat("expired ", d, " ago");
  }
  if (name == "nbf") {
    return future ? absl::StrCat("valid in ", d)
                  : absl::StrCat("valid since ", d, " ago");
  }
  return future ? absl::StrCat("issued in ", d, " (in the future)")
                : absl::StrCat("issued ", d, " ago");
}

void Object(TokenInspection& out, FailureReason reason, std::string detail) {
  out.objections.push_back(
      {std::string(FailureReasonName(reason)), std::move(detail)});
}

// exp / nbf / iat: the times, and the default policy's time checks
// (Policy::CheckTimes with the default options).
void CheckTimes(const Claims& claims, absl::Time now, TokenInspection& out) {
  const absl::Duration skew = kDefaultClockSkew;
  for (const char* name : {"exp", "nbf", "iat"}) {
    FailureOr<std::optional<absl::Time>> t = claims.NumericDate(name);
    if (!t.ok()) {
      Object(out, t.failure().reason, t.failure().detail);
      continue;
    }
    if (!t->has_value()) {
      if (std::string(name) == "exp") {
        Object(out, FailureReason::kClaimMissing,
               "no exp: the default policy requires one");
      }
      continue;
    }
    const absl::Time at = **t;
    out.times.push_back({name, at, Relative(name, at, now)});
    const std::string rel = out.times.back().relative;
    if (std::string(name) == "exp" && at <= now - skew) {
      Object(out, FailureReason::kExpired, rel);
    } else if (std::string(name) == "nbf" && at > now + skew) {
      Object(out, FailureReason::kNotYetValid, absl::StrCat("not yet ", rel));
    } else if (std::string(name) == "iat" && at > now + skew) {
      Object(out, FailureReason::kIssuedInFuture, rel);
    }
  }
}

// iss and aud: every provider checks both (Policy::CheckIssuer /
// CheckAudience); their values are a provider's choice.
void CheckIssuerAndAudience(const Claims& claims, TokenInspection& out) {
  FailureOr<std::optional<std::string>> iss = claims.String("iss");
  if (!iss.ok()) {
    Object(out, iss.failure().reason, "iss is not a string");
  } else if (!iss->has_value()) {
    Object(out, FailureReason::kIssuerMismatch,
           "no iss: no provider accepts it");
  }
  FailureOr<std::optional<std::vector<std::string>>> aud =
      claims.StringOrArray("aud");
  if (!aud.ok()) {
    Object(out, aud.failure().reason, "aud is not a string or array");
  } else if (!aud->has_value()) {
    Object(out, FailureReason::kAudienceMismatch,
           "no aud: every provider requires an audience");
  }
}

absl::StatusOr<nlohmann::json> DecodePart(absl::string_view part,
                                          absl::string_view what) {
  std::optional<std::string> bytes = Base64UrlDecode(part);
  if (!bytes.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is not base64url"));
  }
  absl::StatusOr<nlohmann::json> j = ParseJsonBounded(*bytes, kLimits);
  if (!j.ok())
    return absl::InvalidArgumentError(absl::StrCat(what, " is not JSON"));
  return j;
}

}  // namespace

std::string HumanDuration(absl::Duration d) {
  if (d < absl::Minutes(1)) {
    return absl::StrCat(absl::ToInt64Seconds(d), "s");
  }
  if (d < absl::Hours(1)) return absl::StrCat(absl::ToInt64Minutes(d), "m");
  if (d < absl::Hours(48)) return absl::StrCat(absl::ToInt64Hours(d), "h");
  return absl::StrCat(absl::ToInt64Hours(d) / 24, "d");
}

absl::StatusOr<TokenInspection> InspectToken(absl::string_view token,
                                             absl::Time now) {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() == 5) {
    return absl::InvalidArgumentError(
        "an encrypted token (JWE, 5 parts): nothing to inspect without the "
        "key");
  }
  if (parts.size() != 3) {
    return absl::InvalidArgumentError(
        "not a compact JWS (header.payload.signature)");
  }
  TokenInspection out;
  absl::StatusOr<nlohmann::json> header = DecodePart(parts[0], "header");
  if (!header.ok()) return header.status();
  if (!header->is_object()) {
    return absl::InvalidArgumentError("header is not a JSON object");
  }
  out.header = *std::move(header);
  std::optional<std::string> signature = Base64UrlDecode(parts[2]);
  out.signature_bytes = signature.has_value() ? signature->size() : 0;
  // The header rules, exactly as the verifier applies them.
  FailureOr<ParsedJws> jws = ParsedJws::Parse(token);
  if (!jws.ok()) Object(out, jws.failure().reason, jws.failure().detail);
  absl::StatusOr<nlohmann::json> claims = DecodePart(parts[1], "payload");
  if (!claims.ok() || !claims->is_object()) {
    out.claims = claims.ok() ? *std::move(claims) : nlohmann::json(nullptr);
    Object(out, FailureReason::kMalformed, "the payload is not a JSON object");
    return out;
  }
  out.claims = *std::move(claims);
  const Claims view(out.claims);
  CheckTimes(view, now, out);
  CheckIssuerAndAudience(view, out);
  return out;
}

}  // namespace jwtauth::cli
