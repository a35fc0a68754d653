#ifndef JWTAUTH_TESTS_TESTUTIL_CLAIM_MATCH_CASES_H_
#define JWTAUTH_TESTS_TESTUTIL_CLAIM_MATCH_CASES_H_

// One table of claim-matching cases (path, matcher, values → match?) that
// every user of the claim-matching engine runs: the engine itself and
// provider claim rules (tests/core/claim_matcher_test.cc), ext_authz rule
// conditions (tests/server/ext_authz_rule_test.cc) and the IssueToken
// caller-scope check (tests/server/auth_service_test.cc). The same row must
// give the same answer everywhere.

#include <string>
#include <vector>

#include "core/claim_matcher.h"
#include "nlohmann/json.hpp"

namespace jwtauth::testutil {

struct ClaimMatchCase {
  std::string name;       // what the row shows
  nlohmann::json claims;  // an object; merged into a valid token's claims
  std::string path;
  ClaimMatchOp op;
  std::vector<std::string> values;
  bool match;
};

inline std::vector<ClaimMatchCase> ClaimMatchCases() {
  using json = nlohmann::json;
  using Op = ClaimMatchOp;
  return {
      // Paths.
      {"top-level string", {{"role", "admin"}}, "role", Op::kEquals,
       {"admin"}, true},
      {"nested dot path", {{"org", {{"tier", "gold"}}}}, "org.tier",
       Op::kEquals, {"gold"}, true},
      {"member name with dots", {{"https://example.com/role", "admin"}},
       "https://example.com/role", Op::kEquals, {"admin"}, true},
      {"dotted name inside an object", {{"org", {{"a.b", "x"}}}}, "org.a.b",
       Op::kEquals, {"x"}, true},
      {"longest member name wins",
       {{"a.b", "outer"}, {"a", {{"b", "inner"}}}}, "a.b", Op::kEquals,
       {"outer"}, true},
      {"shorter reading loses to the longest",
       {{"a.b", "outer"}, {"a", {{"b", "inner"}}}}, "a.b", Op::kEquals,
       {"inner"}, false},
      {"longest name leading nowhere falls back to a shorter one",
       {{"a.b", {{"x", 1}}}, {"a", {{"b", {{"c", "v"}}}}}}, "a.b.c",
       Op::kEquals, {"v"}, true},
      {"path through a scalar is missing", {{"org", "gold"}}, "org.tier",
       Op::kEquals, {"gold"}, false},
      // Missing and null.
      {"missing claim: exists", json::object(), "role", Op::kExists, {},
       false},
      {"missing claim: equals", json::object(), "role", Op::kEquals, {"x"},
       false},
      {"missing claim: in", json::object(), "role", Op::kIn, {"x"}, false},
      {"missing claim: contains", json::object(), "scope", Op::kContains,
       {"x"}, false},
      {"null is missing: exists", {{"role", nullptr}}, "role", Op::kExists, {},
       false},
      {"null is missing: equals \"null\"", {{"role", nullptr}}, "role",
       Op::kEquals, {"null"}, false},
      {"false exists", {{"flag", false}}, "flag", Op::kExists, {}, true},
      {"empty string exists", {{"flag", ""}}, "flag", Op::kExists, {}, true},
      {"empty array exists", {{"flag", json::array()}}, "flag", Op::kExists,
       {}, true},
      // Numbers, booleans and strings.
      {"integer equals its text", {{"n", 42}}, "n", Op::kEquals, {"42"}, true},
      {"integer is not another spelling", {{"n", 42}}, "n", Op::kEquals,
       {"42.0"}, false},
      {"numeric string equals", {{"n", "42"}}, "n", Op::kEquals, {"42"}, true},
      {"fraction equals its text", {{"n", 4.5}}, "n", Op::kEquals, {"4.5"},
       true},
      {"boolean equals its JSON text", {{"b", true}}, "b", Op::kEquals,
       {"true"}, true},
      {"boolean text is case-sensitive", {{"b", true}}, "b", Op::kEquals,
       {"True"}, false},
      {"boolean in", {{"b", false}}, "b", Op::kIn, {"no", "false"}, true},
      {"array never equals", {{"a", json::array({"x"})}}, "a", Op::kEquals,
       {"x"}, false},
      {"object never equals", {{"o", {{"k", "v"}}}}, "o", Op::kEquals,
       {R"({"k":"v"})"}, false},
      // in.
      {"in: scalar listed", {{"role", "clerk"}}, "role", Op::kIn,
       {"admin", "clerk"}, true},
      {"in: scalar not listed", {{"role", "viewer"}}, "role", Op::kIn,
       {"admin", "clerk"}, false},
      {"in: any array element", {{"role", json::array({"viewer", "admin"})}},
       "role", Op::kIn, {"admin", "clerk"}, true},
      {"in: no array element", {{"role", json::array({"viewer"})}}, "role",
       Op::kIn, {"admin"}, false},
      {"in: nested arrays never match",
       {{"role", json::array({json::array({"admin"})})}}, "role", Op::kIn,
       {"admin"}, false},
      {"in: objects in arrays never match",
       {{"role", json::array({{{"n", "admin"}}})}}, "role", Op::kIn,
       {"admin"}, false},
      {"in: numeric elements as text", {{"n", json::array({1, 2})}}, "n",
       Op::kIn, {"2"}, true},
      {"in: does not split words", {{"scope", "a b"}}, "scope", Op::kIn,
       {"a"}, false},
      // one_of (provider rules): the claim's value itself must be listed.
      {"one_of: scalar listed", {{"role", "clerk"}}, "role", Op::kOneOf,
       {"admin", "clerk"}, true},
      {"one_of: scalar not listed", {{"role", "viewer"}}, "role", Op::kOneOf,
       {"admin", "clerk"}, false},
      {"one_of: number as text", {{"n", 2}}, "n", Op::kOneOf, {"2"}, true},
      {"one_of: array with a listed element is refused",
       {{"role", json::array({"viewer", "admin"})}}, "role", Op::kOneOf,
       {"admin"}, false},
      {"one_of: array of only listed elements is refused",
       {{"role", json::array({"admin"})}}, "role", Op::kOneOf, {"admin"},
       false},
      {"one_of: object is refused", {{"role", {{"n", "admin"}}}}, "role",
       Op::kOneOf, {"admin"}, false},
      {"missing claim: one_of", json::object(), "role", Op::kOneOf, {"x"},
       false},
      // contains.
      {"contains: scope word", {{"scope", "read write"}}, "scope",
       Op::kContains, {"read"}, true},
      {"contains: word, not substring", {{"scope", "readonly"}}, "scope",
       Op::kContains, {"read"}, false},
      {"contains: duplicate spaces in scope", {{"scope", "  read   write "}},
       "scope", Op::kContains, {"write"}, true},
      {"contains: empty scope", {{"scope", ""}}, "scope", Op::kContains,
       {"read"}, false},
      {"contains: empty value never matches", {{"scope", "read"}}, "scope",
       Op::kContains, {""}, false},
      {"contains: empty value never matches an empty element",
       {{"roles", json::array({"", "x"})}}, "roles", Op::kContains, {""},
       false},
      {"contains: only spaces separate", {{"scope", "read\twrite"}}, "scope",
       Op::kContains, {"read"}, false},
      {"contains: array element", {{"scope", json::array({"read", "write"})}},
       "scope", Op::kContains, {"write"}, true},
      {"contains: array elements are not split",
       {{"scope", json::array({"read write"})}}, "scope", Op::kContains,
       {"read"}, false},
      {"contains: numeric element is not a string",
       {{"scope", json::array({42})}}, "scope", Op::kContains, {"42"}, false},
      {"contains: number claim", {{"scope", 42}}, "scope", Op::kContains,
       {"42"}, false},
      {"contains: boolean claim", {{"scope", true}}, "scope", Op::kContains,
       {"true"}, false},
      {"contains: nested arrays never match",
       {{"scope", json::array({json::array({"read"})})}}, "scope",
       Op::kContains, {"read"}, false},
      {"contains: object claim", {{"scope", {{"read", true}}}}, "scope",
       Op::kContains, {"read"}, false},
      {"contains: every value", {{"scope", "a b c"}}, "scope", Op::kContains,
       {"a", "c"}, true},
      {"contains: one value absent", {{"scope", "a b c"}}, "scope",
       Op::kContains, {"a", "d"}, false},
  };
}

}  // namespace jwtauth::testutil

#endif  // JWTAUTH_TESTS_TESTUTIL_CLAIM_MATCH_CASES_H_
