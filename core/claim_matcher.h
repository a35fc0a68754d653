#ifndef JWTAUTH_CORE_CLAIM_MATCHER_H_
#define JWTAUTH_CORE_CLAIM_MATCHER_H_

// The one claim-matching engine: provider claim rules (Policy), ext_authz rule
// conditions and the IssueToken caller-scope check all decide here, so one
// path and one matcher give one answer whoever asks.
//
// Paths are resolved by Claims::Find (core/claims.h): "org.id" reaches
// {"org": {"id": ..}}, and a member name that itself contains dots
// ("https://example.com/roles", or "a.b" inside "org") resolves too. When
// both readings exist, the longest member name at each level wins
// ({"a.b": 1, "a": {"b": 2}} → "a.b" is 1).
//
// A value that is absent or JSON null is "missing": no matcher holds on it.
// Matchers on the value found:
//   exists          present and not null.
//   equals v        a scalar whose text is v: a string as it is, a number or
//                   boolean as its JSON text (42 → "42", true → "true").
//                   Objects and arrays never equal anything.
//   in [v...]       equals one of the values; on an array, any scalar element
//                   that does (nested arrays and objects never match).
//   contains [v...] every value is a string element of an array, or a word of
//                   a space-separated string (the OAuth "scope" form, RFC 6749
//                   §3.3, RFC 8693 §4.2, RFC 9068 §2.2.3; runs of spaces count
//                   as one separator). Only strings count: [42] does not
//                   contain "42", and an empty value is never contained.
//
// Templates: a rule value may contain "%{name}" or "%c" (one letter), which
// are replaced by context["name"] / context["c"] (e.g. a request's client id);
// "%%" is a literal '%'. A placeholder whose context value is absent or empty
// makes the match kNoContextValue, never a match against "".
//
// Immutable; thread-safe; copyable.
//
//   absl::StatusOr<ClaimMatcher> m =
//       ClaimMatcher::Create("scope", ClaimMatchOp::kContains, {"read"});
//   if (m->Evaluate(Claims(claims), context) == ClaimMatch::kMatch) ...

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/claims.h"
#include "nlohmann/json.hpp"

namespace jwtauth {

// Per-request values for rule templates (name → value).
using VerifyContext = absl::flat_hash_map<std::string, std::string>;

enum class ClaimMatchOp {
  kContains,  // every value is an array element / scope word
  kIn,        // scalar (or any array element) equals one of the values
  kOneOf,     // scalar equals one of the values; an array never matches
  kEquals,    // scalar equals the one value
  kExists,    // present and not null
};

enum class ClaimMatch {
  kMatch,
  kMissing,         // absent or null
  kMismatch,        // present, does not satisfy the matcher
  kNoContextValue,  // a template placeholder has no context value
};

// The matcher on an already located value (null pointer = absent) with
// literal expected values. kEquals uses expected[0]; an empty `expected`
// never matches (except kExists, which ignores it).
bool ClaimValueMatches(const nlohmann::json* value, ClaimMatchOp op,
                       absl::Span<const std::string> expected);

// A rule value with "%{name}" / "%c" placeholders (see the top comment).
// Copyable and movable.
class ClaimTemplate final {
 public:
  // InvalidArgument for a '%' at the end, "%{" unterminated or empty, or '%'
  // followed by anything but a letter, '{' or '%'.
  static absl::StatusOr<ClaimTemplate> Parse(absl::string_view text);
  // The text as it is ('%' has no meaning).
  static ClaimTemplate Literal(absl::string_view text);

  // nullopt when a placeholder's context value is absent or empty.
  std::optional<std::string> Expand(const VerifyContext& context) const;

 private:
  struct Part {
    bool placeholder;  // text is a context key
    std::string text;
  };
  explicit ClaimTemplate(std::vector<Part> parts) : parts_(std::move(parts)) {}
  std::vector<Part> parts_;
};

// One compiled condition: a path, a matcher and its (template) values.
// Copyable and movable.
class ClaimMatcher final {
 public:
  // InvalidArgument (a short phrase; the caller names the field) for an empty
  // path, kExists with values, kEquals without exactly one value, kIn,
  // kOneOf or kContains without values, or a bad template.
  static absl::StatusOr<ClaimMatcher> Create(
      std::string path, ClaimMatchOp op,
      const std::vector<std::string>& values);

  const std::string& path() const { return path_; }
  ClaimMatchOp op() const { return op_; }

  // Matches the value at path() in `claims`.
  ClaimMatch Evaluate(const Claims& claims, const VerifyContext& context) const;
  // Matches an already located value (null = absent), for callers that look
  // the path up elsewhere first (a claims namespace).
  ClaimMatch EvaluateValue(const nlohmann::json* value,
                           const VerifyContext& context) const;

 private:
  ClaimMatcher(std::string path, ClaimMatchOp op,
               std::vector<ClaimTemplate> values)
      : path_(std::move(path)), op_(op), values_(std::move(values)) {}

  std::string path_;
  ClaimMatchOp op_;
  std::vector<ClaimTemplate> values_;
};

}  // namespace jwtauth

#endif  // JWTAUTH_CORE_CLAIM_MATCHER_H_
