#ifndef JWTAUTH_SERVER_EXT_AUTHZ_RULE_H_
#define JWTAUTH_SERVER_EXT_AUTHZ_RULE_H_

// The per-request building blocks of the ext_authz policy
// (server/ext_authz_policy.h): how a request is described (RequestView),
// how hosts/paths/methods are matched (RequestMatch), where a token comes
// from (TokenSource, ExtractToken), and how claim conditions and forwarded
// claims are evaluated. Plain values; const methods are thread-safe.
//
// Path matching (docs/ext_authz.md "Paths"): the request path is first put
// in canonical form (CanonicalRequestPath: query and fragment cut off,
// percent-encoded unreserved characters decoded, runs of "/" merged, "." and
// ".." segments resolved), then
//   path_prefix  matches whole segments: "/a/b" matches "/a/b" and "/a/b/..."
//                but not "/a/bc"; a prefix ending in "/" matches its subtree
//                ("/a/" matches "/a/..." but not "/a");
//   path_exact   matches that one path;
//   path_regex   RE2 full match (the whole path, not a search).
// Envoy should still normalize paths (normalize_path, merge_slashes,
// path_with_escaped_slashes_action) so the upstream serves what was checked.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "core/claim_matcher.h"
#include "nlohmann/json.hpp"

namespace re2 {
class RE2;
}  // namespace re2

namespace jwtauth::server {

// One HTTP request as Envoy describes it. Lookups return nullopt when absent.
struct RequestView {
  absl::string_view method;  // "GET"
  absl::string_view host;    // :authority, may carry ":port"
  absl::string_view path;    // as sent; matched in canonical form
  absl::string_view query;   // raw, without '?'
  // Header by lower-case name (implementations also match other cases).
  absl::FunctionRef<std::optional<absl::string_view>(absl::string_view)> header;
  // Envoy per-route context_extensions by key.
  absl::FunctionRef<std::optional<absl::string_view>(absl::string_view)>
      context_extension;
};

// Where a token is read from. Sources are tried in order; the first one that
// yields a non-empty value is the token.
struct TokenSource {
  enum class Kind { kHeader, kCookie, kQuery };
  Kind kind = Kind::kHeader;
  std::string name;    // header name (lower-case), cookie name or query key
  std::string prefix;  // kHeader only; matched case-insensitively ("Bearer ")
};

// Hosts/path/method matcher. Empty fields match everything.
struct RequestMatch {
  // Lower-case. "api.example.com" matches with any port unless the entry has
  // one; "*.example.com" matches any subdomain.
  std::vector<std::string> hosts;
  // At most one of the three path matchers is set (see the top comment).
  std::string path_prefix;  // canonical; whole-segment prefix
  std::string path_exact;   // canonical
  std::shared_ptr<const re2::RE2> path_regex;  // full match; null = none
  std::vector<std::string> methods;            // upper-case

  bool has_path() const {
    return !path_prefix.empty() || !path_exact.empty() || path_regex != nullptr;
  }
  bool empty() const { return hosts.empty() && !has_path() && methods.empty(); }
  bool Matches(const RequestView& request) const;
};

// One condition on a verified claim, decided by the claim-matching engine
// (core/claim_matcher.h: dot paths, exists / equals / in / contains). Values
// are literal (no placeholders).
struct ClaimCondition {
  using Op = ClaimMatchOp;
  std::string claim;
  Op op = Op::kExists;
  std::vector<std::string> values;
};

struct ExtAuthzRule {
  enum class Action { kAllow, kAuthenticated, kClaims, kDeny };
  RequestMatch match;
  Action action = Action::kAuthenticated;
  std::vector<ClaimCondition> claims;  // kClaims: all must hold
  std::string location;                // "file:line:col" of the rule
};

struct ForwardedClaim {
  std::string claim;   // claim path (Claims::Find), as in ClaimCondition
  std::string header;  // lower-case request header name
};

// A token and the source it was read from (an element of the sources
// passed to FindToken).
struct FoundToken {
  std::string token;
  const TokenSource* source = nullptr;
};

// The first non-empty token from `sources`, or nullopt (TOKEN_MISSING).
std::optional<FoundToken> FindToken(const std::vector<TokenSource>& sources,
                                    const RequestView& request);
std::optional<std::string> ExtractToken(const std::vector<TokenSource>& sources,
                                        const RequestView& request);

// `cookie_header` without the cookies named `name` (pairs re-joined with
// "; "); "" when none is left. Pairs holding a control character are
// dropped too: the result goes upstream in a header jwtauth sets.
std::string CookieHeaderWithout(absl::string_view cookie_header,
                                absl::string_view name);

// The first condition of `rule` that `claims` do not meet, or null when all
// hold.
const ClaimCondition* FirstFailedCondition(const ExtAuthzRule& rule,
                                           const nlohmann::json& claims);

// Header value for a forwarded claim: strings as-is, numbers/bools as JSON,
// arrays/objects as compact JSON. nullopt when absent, null, or when the
// value contains a control character (never forwarded: header injection).
std::optional<std::string> ClaimHeaderValue(const nlohmann::json& claims,
                                            absl::string_view path);

// The path a matcher compares: `path` without query ("?...") and fragment
// ("#..."), percent-encoded unreserved characters (RFC 3986 2.3) decoded and
// other escapes upper-cased, runs of "/" merged, "." and ".." segments
// removed (RFC 3986 5.2.4; ".." never climbs above "/"). Always starts with
// "/". Idempotent.
std::string CanonicalRequestPath(absl::string_view path);

// Whether `prefix` (canonical) matches canonical `path` on segment
// boundaries (see the top comment).
bool PathPrefixMatches(absl::string_view prefix, absl::string_view path);

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_EXT_AUTHZ_RULE_H_
