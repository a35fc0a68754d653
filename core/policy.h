#ifndef JWTAUTH_CORE_POLICY_H_
#define JWTAUTH_CORE_POLICY_H_

// Verification policy of one provider (tenant).
//
// ProviderOptions is plain config data (what server/config.cc fills from
// YAML). Policy::Create validates it into an immutable Policy and rejects
// contradictions with InvalidArgument naming the field
// ("provider \"default\": clock_skew: must be at most 10m"; the field rides
// along as a core/option_error.h payload). These are the only checks of
// these limits: the config layer maps the field onto the YAML value.
// Keys are not part of a policy: they live in the KeyStore under the
// provider's name.
//
// AcceptsTyp() is the per-provider header rule on "typ" (allowed_typ), which
// the verifier applies before any signature work.
//
// Check() applies the claim rules to an already signature-verified claims
// object, first failure wins, in this order:
//   exp (required by default; expired ⇔ exp <= now - skew)   EXPIRED
//   nbf (nbf > now + skew)                                     NOT_YET_VALID
//   iat (iat > now + skew)                                     ISSUED_IN_FUTURE
//   max_lifetime (exp - iat, or exp - now without iat) LIFETIME_TOO_LONG iss
//   exact match against `issuers`                          ISSUER_MISMATCH aud
//   string or array, any value equals any audience         AUDIENCE_MISMATCH
//     (empty array never matches; exact comparison, no URL normalisation)
//   sub exact/prefix rule                                      SUBJECT_MISMATCH
//   required_claims present (null counts as absent)            CLAIM_MISSING
//   claim rules (equals / one_of / contains)                   CLAIM_INVALID
//     (a rule's claim missing or null is CLAIM_MISSING)
//   metadata mapping, required paths present                   CLAIM_MISSING
// Bad time-claim values (not a number, out of [0, year 9999]) and wrongly
// typed iss/aud/sub (RFC 7519 §4.1: iss and sub are StringOrURI strings,
// aud a string or an array of strings) are CLAIM_INVALID whether or not a
// rule uses them; a missing iss is ISSUER_MISMATCH, a
// missing aud AUDIENCE_MISMATCH, a missing sub under a subject rule
// CLAIM_MISSING.
//
// Claims namespace: when set (e.g. "https://hasura.io/jwt/claims"),
// required_claims, claim rules and metadata paths are looked up in that
// nested object first and fall back to the top level (so "sub" still works);
// registered claims (exp, nbf, iat, iss, aud, sub rule) are always top-level.
// A namespace that is present but not an object is CLAIM_INVALID.
//
// Required claims, claim rules and metadata paths are matched by the one
// claim-matching engine (core/claim_matcher.h), which also serves ext_authz
// rules and the IssueToken scope check: one_of is its `in` matcher (an array
// claim passes when any element is one of the values), contains looks for
// string elements or space-separated words. Rule values may contain
// placeholders "%{name}" or "%c" (single letter), replaced by
// VerifyOptions.context["name"] / ["c"] (EMQX-style, e.g. "%u" =
// context["u"]); "%%" is a literal '%'. A placeholder with no context value
// makes the rule fail (CLAIM_INVALID), never match an empty string.
//
// Immutable; thread-safe; copyable.

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/claim_matcher.h"
#include "core/claims.h"
#include "core/failure.h"
#include "core/json_limits.h"
#include "nlohmann/json.hpp"

namespace jwtauth {

inline constexpr absl::Duration kDefaultClockSkew = absl::Seconds(60);
inline constexpr absl::Duration kMaxClockSkew = absl::Minutes(10);
inline constexpr size_t kDefaultMaxKeysWithoutKid = 8;
// Each candidate costs one signature check, so a kid-less token may cost at
// most this many.
inline constexpr size_t kMaxKeysWithoutKid = 64;

struct SubjectRule {
  enum class Kind { kNone, kExact, kPrefix };
  Kind kind = Kind::kNone;
  std::vector<std::string> values;  // sub must equal / start with any of them
};

struct ClaimRule {
  // The claim-matching engine's equals / in / contains.
  enum class Op {
    kEquals,    // claim (as text) equals values[0]
    kOneOf,     // claim (or any array element, as text) equals any of values
    kContains,  // claim array of strings (or space-separated string, like
                // OAuth "scope") contains every one of values
  };
  std::string claim;  // dot path
  Op op = Op::kEquals;
  std::vector<std::string> values;  // may hold placeholders
};

struct MetadataMapping {
  std::string path;   // dot path into the claims
  std::string field;  // output name; empty = last path segment
  bool required = false;
};

struct ProviderOptions {
  std::string name;
  std::vector<std::string> issuers;
  std::vector<std::string> audiences;
  SubjectRule subject;
  absl::Duration clock_skew = kDefaultClockSkew;
  bool require_exp = true;
  // Zero = no limit. Requires require_exp.
  absl::Duration max_lifetime = absl::ZeroDuration();
  std::vector<std::string> required_claims;
  std::vector<ClaimRule> claim_rules;
  std::string claims_namespace;
  std::vector<MetadataMapping> metadata;
  // A token without kid is tried against at most this many keys of the
  // right type; beyond that it fails with KEY_NOT_FOUND.
  size_t max_keys_without_kid = kDefaultMaxKeysWithoutKid;
  // Bounded parse of the payload (size, depth, values, claims count).
  JsonLimits payload_limits{.max_bytes = 8192,
                            .max_depth = 8,
                            .max_values = 1000,
                            .max_object_members = 200,
                            .require_object = true};
  // A token whose issuer matches no provider may still find its kid among
  // this provider's keys (its policy then applies, so iss must still pass).
  bool allow_any_issuer_kid_lookup = false;
  // Explicit typing (RFC 8725 §3.11): accepted "typ" header values, compared
  // case-insensitively with an optional "application/" prefix removed (RFC
  // 7515 §4.1.9). A token of another type (dpop+jwt, secevent+jwt,
  // logout+jwt, "", ...) is HEADER_REJECTED: a logout token or a DPoP proof
  // is not an access token. A token without "typ" is accepted unless
  // require_typ. An empty list accepts only tokens without "typ".
  std::vector<std::string> allowed_typ = {"JWT", "at+jwt"};
  bool require_typ = false;
};

// Outcome of a successful policy check.
struct PolicyResult {
  std::optional<absl::Time> expires_at;
  std::map<std::string, std::string> metadata;
};

class Policy final {
 public:
  static absl::StatusOr<Policy> Create(ProviderOptions options);

  const ProviderOptions& options() const { return *options_; }
  const std::string& name() const { return options_->name; }
  bool AcceptsIssuer(absl::string_view iss) const;
  // The header rule of allowed_typ / require_typ (nullopt = no "typ").
  bool AcceptsTyp(const std::optional<std::string>& typ) const;
  // Lower-case, without a leading "application/" (case-insensitive).
  static std::string NormalizeTyp(absl::string_view typ);

  // `audience` non-empty replaces the configured audiences for this call.
  FailureOr<PolicyResult> Check(const nlohmann::json& claims, absl::Time now,
                                absl::string_view audience,
                                const VerifyContext& context) const;

  // True when the rules read more than the registered claims (required
  // claims, claim rules, metadata or a claims namespace), so Check needs the
  // whole claims object. Otherwise CheckRegistered gives the same answer
  // from the registered claims alone, without a tree.
  bool reads_claims_object() const { return reads_claims_object_; }
  FailureOr<PolicyResult> CheckRegistered(const RegisteredClaims& claims,
                                          absl::Time now,
                                          absl::string_view audience) const;

  // Copyable and movable.
 private:
  struct Compiled {
    std::vector<ClaimMatcher> required;  // exists, one per required claim
    std::vector<ClaimMatcher> rules;
    std::vector<std::string> allowed_typ;   // normalized
    std::vector<MetadataMapping> metadata;  // fields filled in
  };

  Policy(std::shared_ptr<const ProviderOptions> options,
         std::shared_ptr<const Compiled> compiled);

  static absl::Status CheckOptions(const ProviderOptions& o);
  static absl::Status CompileClaims(const ProviderOptions& o,
                                    Compiled& compiled);

  // The steps of Check, in order; each returns the first failure it finds.
  // nullopt = passed.
  std::optional<Failure> CheckRegisteredClaims(const RegisteredClaims& claims,
                                               absl::Time now,
                                               absl::string_view audience,
                                               PolicyResult& result) const;
  std::optional<Failure> CheckTimes(const RegisteredClaims& claims,
                                    absl::Time now, PolicyResult& result) const;
  std::optional<Failure> CheckIssuer(const RegisteredClaims& claims) const;
  std::optional<Failure> CheckAudience(const RegisteredClaims& claims,
                                       absl::string_view audience) const;
  std::optional<Failure> CheckSubject(const RegisteredClaims& claims) const;
  std::optional<Failure> CheckAppClaims(const Claims& claims,
                                        const VerifyContext& context,
                                        PolicyResult& result) const;

  std::shared_ptr<const ProviderOptions> options_;
  std::shared_ptr<const Compiled> compiled_;
  bool reads_claims_object_ = true;
};

}  // namespace jwtauth

#endif  // JWTAUTH_CORE_POLICY_H_
