#ifndef JWTAUTH_CORE_CLAIMS_H_
#define JWTAUTH_CORE_CLAIMS_H_

// Claims: a read-only view over a JWT claims object (a parsed, bounded
// nlohmann::json object) with the lookups the policy needs: dot-path lookup
// ("org.id"), RFC 7519 NumericDate reading, string-or-array reading for aud.
//
// Dot paths: at each level the longest member name that is a dot-bounded
// prefix of the remaining path is tried first (the whole remaining path,
// then splits at each '.' from the right); when it leads nowhere, the next
// shorter one. So claim names that themselves contain dots
// ("https://example.com/roles") resolve too, and when both readings exist
// the longer name wins: {"a.b": 1, "a": {"b": 2}} → Find("a.b") is 1. Every
// claim-matching user resolves paths here (core/claim_matcher.h).
//
// Time claims (exp, nbf, iat) must be JSON numbers (integer or fraction;
// booleans and strings are rejected) within [0, 253402300799] (year 9999):
// anything else is CLAIM_INVALID (it is well-formed JSON with a bad value,
// so MALFORMED would mislead the operator).
//
// Does not own the JSON: the viewed object must outlive the view.
// Thread-safe for concurrent reads. Copyable.
//
//   Claims claims(json);
//   FailureOr<std::optional<absl::Time>> exp = claims.NumericDate("exp");

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/failure.h"
#include "core/json_limits.h"
#include "nlohmann/json.hpp"

namespace jwtauth {

// Largest accepted NumericDate: 9999-12-31T23:59:59Z.
inline constexpr double kMaxNumericDate = 253402300799.0;

class Claims final {
 public:
  // `object` must be a JSON object (or the lookups find nothing).
  explicit Claims(const nlohmann::json& object) : json_(&object) {}

  const nlohmann::json& json() const { return *json_; }

  // nullptr when absent (or when a path step is not an object).
  const nlohmann::json* Find(absl::string_view path) const;
  // Member of this object only (no path splitting).
  const nlohmann::json* Member(absl::string_view name) const;

  // nullopt when absent; CLAIM_INVALID when not a number in range.
  FailureOr<std::optional<absl::Time>> NumericDate(
      absl::string_view name) const;
  // nullopt when absent; CLAIM_INVALID when not a string.
  FailureOr<std::optional<std::string>> String(absl::string_view name) const;
  // A string or an array of strings (aud). nullopt when absent;
  // CLAIM_INVALID for any other shape or a non-string element.
  FailureOr<std::optional<std::vector<std::string>>> StringOrArray(
      absl::string_view name) const;

  // Value as text for metadata and rule comparison: strings as they are,
  // numbers/booleans as JSON text, objects/arrays as compact JSON.
  static std::string ValueToString(const nlohmann::json& value);
  // A NumericDate value (already located) to a time; nullopt if invalid.
  static std::optional<absl::Time> ToTime(const nlohmann::json& value);
  // NumericDate's rules for a member already looked up (nullptr = absent);
  // `name` only labels the failure.
  static FailureOr<std::optional<absl::Time>> NumericDateOf(
      const nlohmann::json* value, absl::string_view name);

 private:
  const nlohmann::json* json_;
};

// A registered claim the policy compares as text (iss, sub, aud): absent, a
// string (its value), an array (aud may be one: the JSON array, whose
// elements the audience check reads), or present with another JSON type.
// A view: `text` and `array` point into a claims object or into
// RegisteredClaimValues.
struct TextClaim {
  enum class Type : unsigned char { kAbsent, kString, kArray, kOther };
  Type type = Type::kAbsent;
  absl::string_view text;                 // kString
  const nlohmann::json* array = nullptr;  // kArray

  bool present() const { return type != Type::kAbsent; }
  bool is_string() const { return type == Type::kString; }
  // The view of a member already looked up (nullptr = absent).
  static TextClaim Of(const nlohmann::json* value);
  // A string claim whose value is `text`.
  static TextClaim String(absl::string_view text);
};

// The registered claims every policy reads (RFC 7519 §4.1: iss, sub, aud,
// exp, nbf, iat); the time claims are nullptr when absent. A view: it points
// into a claims object (Of) or into RegisteredClaimValues.
struct RegisteredClaims {
  TextClaim iss;
  TextClaim sub;
  TextClaim aud;
  const nlohmann::json* exp = nullptr;
  const nlohmann::json* nbf = nullptr;
  const nlohmann::json* iat = nullptr;

  static RegisteredClaims Of(const nlohmann::json& object);
};

// The registered claims read straight from a payload's text, for a policy
// that reads nothing else: the whole payload is checked under the limits
// exactly as ParseJsonBounded would (same failures), but no tree is built
// for the other members, and a string iss, sub or aud is kept as text (no
// nlohmann::json string: on the uncached path these were most of the
// allocations a token cost). A view() points inside: take it after any
// move. The implicit default constructor is flagged only because
// nlohmann::json's is not declared noexcept; a null json value never
// allocates or throws.
class RegisteredClaimValues final {  // NOLINT(bugprone-exception-escape)
 public:
  // ParseJsonBounded's statuses on failure.
  static absl::Status Scan(absl::string_view payload, const JsonLimits& limits,
                           RegisteredClaimValues& out);
  RegisteredClaims view() const;

 private:
  // The text claims first: they index texts_ and is_text_ too.
  enum Slot { kIss, kSub, kAud, kExp, kNbf, kIat, kSlots };
  static constexpr int kTextSlots = kAud + 1;
  std::array<nlohmann::json, kSlots> values_;
  std::array<std::string, kTextSlots> texts_;
  std::array<bool, kSlots> present_{};
  std::array<bool, kTextSlots> is_text_{};
};

}  // namespace jwtauth

#endif  // JWTAUTH_CORE_CLAIMS_H_
