#include "core/policy.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/claims.h"
#include "core/option_error.h"

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

}  // namespace

absl::StatusOr<Policy::Template> Policy::ParseTemplate(absl::string_view text) {
  Template t;
  std::string literal;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c != '%') {
      literal.push_back(c);
      continue;
    }
    if (i + 1 >= text.size()) {
      return absl::InvalidArgumentError("'%' at end of value");
    }
    char n = text[i + 1];
    if (n == '%') {
      literal.push_back('%');
      ++i;
      continue;
    }
    std::string key;
    if (n == '{') {
      size_t close = text.find('}', i + 2);
      if (close == absl::string_view::npos || close == i + 2) {
        return absl::InvalidArgumentError("unterminated or empty %{...}");
      }
      key = std::string(text.substr(i + 2, close - i - 2));
      i = close;
    } else if (absl::ascii_isalpha(static_cast<unsigned char>(n))) {
      key = std::string(1, n);
      ++i;
    } else {
      return absl::InvalidArgumentError("'%' must be followed by a letter, "
                                        "'{name}' or '%'");
    }
    if (!literal.empty()) t.parts.push_back({false, std::move(literal)});
    literal.clear();
    t.parts.push_back({true, std::move(key)});
  }
  if (!literal.empty() || t.parts.empty()) {
    t.parts.push_back({false, std::move(literal)});
  }
  return t;
}

std::optional<std::string> Policy::Expand(const Template& t,
                                          const VerifyContext& context) {
  if (t.parts.size() == 1 && !t.parts[0].placeholder) return t.parts[0].text;
  std::string out;
  for (const Template::Part& p : t.parts) {
    if (!p.placeholder) {
      out += p.text;
      continue;
    }
    auto it = context.find(p.text);
    if (it == context.end() || it->second.empty()) return std::nullopt;
    out += it->second;
  }
  return out;
}

absl::StatusOr<Policy> Policy::Create(ProviderOptions o) {
  if (o.name.empty()) {
    return absl::InvalidArgumentError("provider name: must not be empty");
  }
  if (auto s = CheckList(o, "issuers", o.issuers, true); !s.ok()) return s;
  if (auto s = CheckList(o, "audiences", o.audiences, true); !s.ok()) return s;
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
    if (auto s = CheckList(o, "subject", o.subject.values, true); !s.ok()) {
      return s;
    }
  } else if (!o.subject.values.empty()) {
    return Invalid(o, "subject", "values given without exact/prefix rule");
  }
  if (auto s = CheckList(o, "required_claims", o.required_claims, false);
      !s.ok()) {
    return s;
  }
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
  for (size_t i = 0; i < o.claim_rules.size(); ++i) {
    const ClaimRule& r = o.claim_rules[i];
    std::string field = absl::StrCat("claim_rules[", i, "]");
    if (r.claim.empty()) return Invalid(o, field, "claim must not be empty");
    if (r.values.empty()) return Invalid(o, field, "values must not be empty");
    if (r.op == ClaimRule::Op::kEquals && r.values.size() != 1) {
      return Invalid(o, field, "equals takes exactly one value");
    }
    CompiledRule c{r.claim, r.op, {}};
    for (const std::string& v : r.values) {
      absl::StatusOr<Template> t = ParseTemplate(v);
      if (!t.ok()) return Invalid(o, field, t.status().message());
      c.values.push_back(*std::move(t));
    }
    compiled->rules.push_back(std::move(c));
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
      return Invalid(o, field, absl::StrCat("duplicate field \"", m.field, "\""));
    }
    compiled->metadata.push_back(std::move(m));
  }
  return Policy(std::make_shared<const ProviderOptions>(std::move(o)),
                std::move(compiled));
}

std::string Policy::NormalizeTyp(absl::string_view typ) {
  constexpr absl::string_view kApplication = "application/";
  if (typ.size() >= kApplication.size() &&
      absl::EqualsIgnoreCase(typ.substr(0, kApplication.size()), kApplication)) {
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

FailureOr<PolicyResult> Policy::Check(const nlohmann::json& json,
                                      absl::Time now,
                                      absl::string_view audience,
                                      const VerifyContext& context) const {
  const ProviderOptions& o = *options_;
  Claims claims(json);
  PolicyResult result;

  // --- time ---
  auto exp = claims.NumericDate("exp");
  if (!exp.ok()) return exp.failure();
  auto nbf = claims.NumericDate("nbf");
  if (!nbf.ok()) return nbf.failure();
  auto iat = claims.NumericDate("iat");
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

  // --- iss ---
  {
    const nlohmann::json* iss = claims.Member("iss");
    if (iss == nullptr) return Fail(FailureReason::kIssuerMismatch, "iss missing");
    if (!iss->is_string()) {
      return Fail(FailureReason::kClaimInvalid, "iss is not a string");
    }
    if (!AcceptsIssuer(iss->get_ref<const std::string&>())) {
      return Fail(FailureReason::kIssuerMismatch, "iss not accepted");
    }
  }

  // --- aud ---
  {
    auto aud = claims.StringOrArray("aud");
    if (!aud.ok()) return aud.failure();
    if (!aud->has_value()) {
      return Fail(FailureReason::kAudienceMismatch, "aud missing");
    }
    bool match = false;
    for (const std::string& a : **aud) {
      if (!audience.empty()) {
        match = a == audience;
      } else {
        match = std::find(o.audiences.begin(), o.audiences.end(), a) !=
                o.audiences.end();
      }
      if (match) break;
    }
    if (!match) {
      return Fail(FailureReason::kAudienceMismatch, "aud not accepted");
    }
  }

  // --- sub (RFC 7519 §4.1.2: a StringOrURI, whatever the rules) ---
  const nlohmann::json* sub = claims.Member("sub");
  if (sub != nullptr && !sub->is_string()) {
    return Fail(FailureReason::kClaimInvalid, "sub is not a string");
  }
  if (o.subject.kind != SubjectRule::Kind::kNone) {
    if (sub == nullptr) return Fail(FailureReason::kClaimMissing, "sub missing");
    const std::string& s = sub->get_ref<const std::string&>();
    bool match = false;
    for (const std::string& v : o.subject.values) {
      match = o.subject.kind == SubjectRule::Kind::kExact
                  ? s == v
                  : absl::StartsWith(s, v);
      if (match) break;
    }
    if (!match) return Fail(FailureReason::kSubjectMismatch, "sub not accepted");
  }

  // --- app claims (namespace) ---
  const nlohmann::json* ns = nullptr;
  if (!o.claims_namespace.empty()) {
    ns = claims.Member(o.claims_namespace);
    if (ns != nullptr && !ns->is_object()) {
      return Fail(FailureReason::kClaimInvalid,
                  "claims namespace is not an object");
    }
  }
  auto find_app = [&](absl::string_view path) -> const nlohmann::json* {
    if (ns != nullptr) {
      if (const nlohmann::json* v = Claims(*ns).Find(path)) return v;
    }
    return claims.Find(path);
  };

  for (const std::string& name : o.required_claims) {
    const nlohmann::json* v = find_app(name);
    if (v == nullptr || v->is_null()) {
      return Fail(FailureReason::kClaimMissing,
                  absl::StrCat("claim ", name, " missing"));
    }
  }

  for (const CompiledRule& rule : compiled_->rules) {
    const nlohmann::json* v = find_app(rule.claim);
    if (v == nullptr || v->is_null()) {
      return Fail(FailureReason::kClaimMissing,
                  absl::StrCat("claim ", rule.claim, " missing"));
    }
    std::vector<std::string> expected;
    expected.reserve(rule.values.size());
    for (const Template& t : rule.values) {
      std::optional<std::string> e = Expand(t, context);
      if (!e) {
        return Fail(FailureReason::kClaimInvalid,
                    absl::StrCat("claim ", rule.claim,
                                 ": rule placeholder has no context value"));
      }
      expected.push_back(*std::move(e));
    }
    bool ok = false;
    switch (rule.op) {
      case ClaimRule::Op::kEquals:
      case ClaimRule::Op::kOneOf: {
        if (v->is_object() || v->is_array()) break;
        std::string text = Claims::ValueToString(*v);
        ok = std::find(expected.begin(), expected.end(), text) != expected.end();
        break;
      }
      case ClaimRule::Op::kContains: {
        std::vector<std::string> have;
        if (v->is_array()) {
          for (const nlohmann::json& e : *v) {
            if (!e.is_object() && !e.is_array()) {
              have.push_back(Claims::ValueToString(e));
            }
          }
        } else if (v->is_string()) {
          have = absl::StrSplit(v->get_ref<const std::string&>(), ' ',
                                absl::SkipEmpty());
        }
        ok = std::all_of(expected.begin(), expected.end(),
                         [&](const std::string& e) {
                           return std::find(have.begin(), have.end(), e) !=
                                  have.end();
                         });
        break;
      }
    }
    if (!ok) {
      return Fail(FailureReason::kClaimInvalid,
                  absl::StrCat("claim ", rule.claim, " does not satisfy rule"));
    }
  }

  for (const MetadataMapping& m : compiled_->metadata) {
    const nlohmann::json* v = find_app(m.path);
    if (v == nullptr || v->is_null()) {
      if (m.required) {
        return Fail(FailureReason::kClaimMissing,
                    absl::StrCat("claim ", m.path, " missing"));
      }
      continue;
    }
    result.metadata[m.field] = Claims::ValueToString(*v);
  }
  return result;
}

}  // namespace jwtauth
