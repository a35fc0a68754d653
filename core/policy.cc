#include "core/policy.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/claims.h"
#include "core/option_error.h"
#include "core/status_macros.h"

namespace jwtauth {
namespace {

absl::Status Invalid(const ProviderOptions& o, absl::string_view field,
                     absl::string_view problem) {
  return InvalidOptionError(field, problem,
                            absl::StrCat("provider \"", o.name, "\": "));
}

absl::Status CheckList(const ProviderOptions& o, absl::string_view field,
                       const std::vector<std::string>& list,
                       bool require_non_empty) {
  if (require_non_empty && list.empty()) {
    return Invalid(o, field, "must list at least one value");
  }
  for (const std::string& s : list) {
    if (s.empty()) return Invalid(o, field, "must not contain an empty value");
  }
  return absl::OkStatus();
}

Failure Fail(FailureReason reason, std::string detail) {
  return Failure{reason, std::move(detail)};
}

ClaimMatchOp MatchOpOf(ClaimRule::Op op) {
  switch (op) {
    case ClaimRule::Op::kEquals:
      return ClaimMatchOp::kEquals;
    case ClaimRule::Op::kOneOf:
      return ClaimMatchOp::kOneOf;
    case ClaimRule::Op::kContains:
      return ClaimMatchOp::kContains;
  }
  return ClaimMatchOp::kEquals;
}

// The failure for a required claim or claim rule that did not match.
std::optional<Failure> MatchFailure(const ClaimMatcher& m, ClaimMatch match) {
  switch (match) {
    case ClaimMatch::kMatch:
      return std::nullopt;
    case ClaimMatch::kMissing:
      return Fail(FailureReason::kClaimMissing,
                  absl::StrCat("claim ", m.path(), " missing"));
    case ClaimMatch::kNoContextValue:
      return Fail(FailureReason::kClaimInvalid,
                  absl::StrCat("claim ", m.path(),
                               ": rule placeholder has no context value"));
    case ClaimMatch::kMismatch:
      break;
  }
  return Fail(FailureReason::kClaimInvalid,
              absl::StrCat("claim ", m.path(), " does not satisfy rule"));
}

}  // namespace

absl::Status Policy::CheckOptions(const ProviderOptions& o) {
  if (o.name.empty()) {
    return absl::InvalidArgumentError("provider name: must not be empty");
  }
  JWTAUTH_RETURN_IF_ERROR(CheckList(o, "issuers", o.issuers, true));
  JWTAUTH_RETURN_IF_ERROR(CheckList(o, "audiences", o.audiences, true));
  if (o.clock_skew < absl::ZeroDuration()) {
    return Invalid(o, "clock_skew", "must not be negative");
  }
  if (o.clock_skew > kMaxClockSkew) {
    return Invalid(o, "clock_skew", "must be at most 10m");
  }
  if (o.max_lifetime < absl::ZeroDuration()) {
    return Invalid(o, "max_lifetime", "must not be negative");
  }
  if (o.max_lifetime > absl::ZeroDuration() && !o.require_exp) {
    return Invalid(o, "max_lifetime", "requires require_exp: true");
  }
  if (o.subject.kind != SubjectRule::Kind::kNone) {
    JWTAUTH_RETURN_IF_ERROR(CheckList(o, "subject", o.subject.values, true));
  } else if (!o.subject.values.empty()) {
    return Invalid(o, "subject", "values given without exact/prefix rule");
  }
  JWTAUTH_RETURN_IF_ERROR(
      CheckList(o, "required_claims", o.required_claims, false));
  if (o.max_keys_without_kid < 1 ||
      o.max_keys_without_kid > kMaxKeysWithoutKid) {
    return Invalid(o, "max_keys_without_kid",
                   absl::StrCat("must be between 1 and ", kMaxKeysWithoutKid));
  }
  if (o.payload_limits.max_bytes == 0 || o.payload_limits.max_depth < 1 ||
      o.payload_limits.max_values == 0 ||
      o.payload_limits.max_object_members == 0) {
    return Invalid(o, "payload_limits", "every limit must be positive");
  }
  return absl::OkStatus();
}

absl::Status Policy::CompileClaims(const ProviderOptions& o,
                                   Compiled& compiled) {
  for (const std::string& name : o.required_claims) {
    absl::StatusOr<ClaimMatcher> m =
        ClaimMatcher::Create(name, ClaimMatchOp::kExists, {});
    if (!m.ok()) return Invalid(o, "required_claims", m.status().message());
    compiled.required.push_back(*std::move(m));
  }
  for (size_t i = 0; i < o.claim_rules.size(); ++i) {
    const ClaimRule& r = o.claim_rules[i];
    absl::StatusOr<ClaimMatcher> m =
        ClaimMatcher::Create(r.claim, MatchOpOf(r.op), r.values);
    if (!m.ok()) {
      return Invalid(o, absl::StrCat("claim_rules[", i, "]"),
                     m.status().message());
    }
    compiled.rules.push_back(*std::move(m));
  }
  absl::flat_hash_set<std::string> fields;
  for (size_t i = 0; i < o.metadata.size(); ++i) {
    MetadataMapping m = o.metadata[i];
    std::string field = absl::StrCat("metadata[", i, "]");
    if (m.path.empty() || absl::StartsWith(m.path, ".") ||
        absl::EndsWith(m.path, ".")) {
      return Invalid(o, field, "path must be a non-empty dot path");
    }
    if (m.field.empty()) {
      size_t dot = m.path.rfind('.');
      m.field = dot == std::string::npos ? m.path : m.path.substr(dot + 1);
    }
    if (!fields.insert(m.field).second) {
      return Invalid(o, field,
                     absl::StrCat("duplicate field \"", m.field, "\""));
    }
    compiled.metadata.push_back(std::move(m));
  }
  return absl::OkStatus();
}

absl::StatusOr<Policy> Policy::Create(ProviderOptions o) {
  JWTAUTH_RETURN_IF_ERROR(CheckOptions(o));
  o.payload_limits.require_object = true;  // RFC 7519: claims are an object

  auto compiled = std::make_shared<Compiled>();
  for (size_t i = 0; i < o.allowed_typ.size(); ++i) {
    std::string t = NormalizeTyp(o.allowed_typ[i]);
    if (t.empty()) {
      return Invalid(o, absl::StrCat("allowed_typ[", i, "]"),
                     "must not be empty");
    }
    compiled->allowed_typ.push_back(std::move(t));
  }
  JWTAUTH_RETURN_IF_ERROR(CompileClaims(o, *compiled));
  return Policy(std::make_shared<const ProviderOptions>(std::move(o)),
                std::move(compiled));
}

std::string Policy::NormalizeTyp(absl::string_view typ) {
  constexpr absl::string_view kApplication = "application/";
  if (typ.size() >= kApplication.size() &&
      absl::EqualsIgnoreCase(typ.substr(0, kApplication.size()),
                             kApplication)) {
    typ.remove_prefix(kApplication.size());
  }
  return absl::AsciiStrToLower(typ);
}

bool Policy::AcceptsTyp(const std::optional<std::string>& typ) const {
  if (!typ.has_value()) return !options_->require_typ;
  const std::string t = NormalizeTyp(*typ);
  if (t.empty()) return false;
  for (const std::string& a : compiled_->allowed_typ) {
    if (a == t) return true;
  }
  return false;
}

bool Policy::AcceptsIssuer(absl::string_view iss) const {
  for (const std::string& i : options_->issuers) {
    if (i == iss) return true;
  }
  return false;
}

Policy::Policy(std::shared_ptr<const ProviderOptions> options,
               std::shared_ptr<const Compiled> compiled)
    : options_(std::move(options)), compiled_(std::move(compiled)) {
  reads_claims_object_ =
      !compiled_->required.empty() || !compiled_->rules.empty() ||
      !compiled_->metadata.empty() || !options_->claims_namespace.empty();
}

FailureOr<PolicyResult> Policy::Check(const nlohmann::json& json,
                                      absl::Time now,
                                      absl::string_view audience,
                                      const VerifyContext& context) const {
  PolicyResult result;
  std::optional<Failure> failure =
      CheckRegisteredClaims(RegisteredClaims::Of(json), now, audience, result);
  if (!failure) failure = CheckAppClaims(Claims(json), context, result);
  if (failure) return *std::move(failure);
  return result;
}

FailureOr<PolicyResult> Policy::CheckRegistered(
    const RegisteredClaims& claims, absl::Time now,
    absl::string_view audience) const {
  if (reads_claims_object_) {
    // A caller error; fail closed rather than skip the other rules.
    return Fail(FailureReason::kClaimInvalid, "policy reads the claims object");
  }
  PolicyResult result;
  if (std::optional<Failure> failure =
          CheckRegisteredClaims(claims, now, audience, result)) {
    return *std::move(failure);
  }
  return result;
}

std::optional<Failure> Policy::CheckRegisteredClaims(
    const RegisteredClaims& claims, absl::Time now, absl::string_view audience,
    PolicyResult& result) const {
  std::optional<Failure> failure = CheckTimes(claims, now, result);
  if (!failure) failure = CheckIssuer(claims);
  if (!failure) failure = CheckAudience(claims, audience);
  if (!failure) failure = CheckSubject(claims);
  return failure;
}

std::optional<Failure> Policy::CheckTimes(const RegisteredClaims& claims,
                                          absl::Time now,
                                          PolicyResult& result) const {
  const ProviderOptions& o = *options_;
  auto exp = Claims::NumericDateOf(claims.exp, "exp");
  if (!exp.ok()) return exp.failure();
  auto nbf = Claims::NumericDateOf(claims.nbf, "nbf");
  if (!nbf.ok()) return nbf.failure();
  auto iat = Claims::NumericDateOf(claims.iat, "iat");
  if (!iat.ok()) return iat.failure();
  if (!exp->has_value()) {
    if (o.require_exp) return Fail(FailureReason::kClaimMissing, "exp missing");
  } else if (**exp <= now - o.clock_skew) {
    return Fail(FailureReason::kExpired, "token expired");
  }
  if (nbf->has_value() && **nbf > now + o.clock_skew) {
    return Fail(FailureReason::kNotYetValid, "token not yet valid (nbf)");
  }
  if (iat->has_value() && **iat > now + o.clock_skew) {
    return Fail(FailureReason::kIssuedInFuture, "iat is in the future");
  }
  if (o.max_lifetime > absl::ZeroDuration() && exp->has_value()) {
    absl::Time start = iat->has_value() ? **iat : now;
    if (**exp - start > o.max_lifetime) {
      return Fail(FailureReason::kLifetimeTooLong,
                  absl::StrCat("lifetime exceeds ",
                               absl::FormatDuration(o.max_lifetime)));
    }
  }
  result.expires_at = *exp;
  return std::nullopt;
}

std::optional<Failure> Policy::CheckIssuer(
    const RegisteredClaims& claims) const {
  const TextClaim& iss = claims.iss;
  if (!iss.present()) {
    return Fail(FailureReason::kIssuerMismatch, "iss missing");
  }
  if (!iss.is_string()) {
    return Fail(FailureReason::kClaimInvalid, "iss is not a string");
  }
  if (!AcceptsIssuer(iss.text)) {
    return Fail(FailureReason::kIssuerMismatch, "iss not accepted");
  }
  return std::nullopt;
}

std::optional<Failure> Policy::CheckAudience(const RegisteredClaims& claims,
                                             absl::string_view audience) const {
  // Claims::StringOrArray's rules, read in place (no copy of the values).
  const TextClaim& aud = claims.aud;
  if (!aud.present()) {
    return Fail(FailureReason::kAudienceMismatch, "aud missing");
  }
  if (aud.type == TextClaim::Type::kOther) {
    return Fail(FailureReason::kClaimInvalid, "aud is not a string or array");
  }
  if (aud.type == TextClaim::Type::kArray) {
    for (const nlohmann::json& e : *aud.array) {
      if (!e.is_string()) {
        return Fail(FailureReason::kClaimInvalid,
                    "aud has a non-string element");
      }
    }
  }
  const std::vector<std::string>& accepted = options_->audiences;
  auto matches = [&](absl::string_view a) {
    return audience.empty() ? std::find(accepted.begin(), accepted.end(), a) !=
                                  accepted.end()
                            : a == audience;
  };
  if (aud.is_string()) {
    if (matches(aud.text)) return std::nullopt;
  } else if (std::any_of(aud.array->begin(), aud.array->end(),
                         [&](const nlohmann::json& e) {
                           return matches(e.get_ref<const std::string&>());
                         })) {
    return std::nullopt;
  }
  return Fail(FailureReason::kAudienceMismatch, "aud not accepted");
}

// RFC 7519 §4.1.2: sub is a StringOrURI, whatever the rules.
std::optional<Failure> Policy::CheckSubject(
    const RegisteredClaims& claims) const {
  const SubjectRule& rule = options_->subject;
  const TextClaim& sub = claims.sub;
  if (sub.present() && !sub.is_string()) {
    return Fail(FailureReason::kClaimInvalid, "sub is not a string");
  }
  if (rule.kind == SubjectRule::Kind::kNone) return std::nullopt;
  if (!sub.present()) {
    return Fail(FailureReason::kClaimMissing, "sub missing");
  }
  const absl::string_view s = sub.text;
  for (const std::string& v : rule.values) {
    if (rule.kind == SubjectRule::Kind::kExact ? s == v
                                               : absl::StartsWith(s, v)) {
      return std::nullopt;
    }
  }
  return Fail(FailureReason::kSubjectMismatch, "sub not accepted");
}

// Required claims, claim rules and metadata: looked up in the claims
// namespace first, then at the top level.
std::optional<Failure> Policy::CheckAppClaims(const Claims& claims,
                                              const VerifyContext& context,
                                              PolicyResult& result) const {
  const nlohmann::json* ns = nullptr;
  if (!options_->claims_namespace.empty()) {
    ns = claims.Member(options_->claims_namespace);
    if (ns != nullptr && !ns->is_object()) {
      return Fail(FailureReason::kClaimInvalid,
                  "claims namespace is not an object");
    }
  }
  auto find = [&](absl::string_view path) -> const nlohmann::json* {
    if (ns != nullptr) {
      if (const nlohmann::json* v = Claims(*ns).Find(path)) return v;
    }
    return claims.Find(path);
  };
  for (const std::vector<ClaimMatcher>* matchers :
       {&compiled_->required, &compiled_->rules}) {
    for (const ClaimMatcher& m : *matchers) {
      if (std::optional<Failure> f =
              MatchFailure(m, m.EvaluateValue(find(m.path()), context))) {
        return f;
      }
    }
  }
  for (const MetadataMapping& m : compiled_->metadata) {
    const nlohmann::json* v = find(m.path);
    if (v == nullptr || v->is_null()) {
      if (m.required) {
        return Fail(FailureReason::kClaimMissing,
                    absl::StrCat("claim ", m.path, " missing"));
      }
      continue;
    }
    result.metadata[m.field] = Claims::ValueToString(*v);
  }
  return std::nullopt;
}

}  // namespace jwtauth
