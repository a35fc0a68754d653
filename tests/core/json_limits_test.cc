#include "core/json_limits.h"

#include <map>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/status_matchers.h"

namespace jwtauth {
namespace {

using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::StatusIs;
using json = nlohmann::json;

std::string ErrorOf(absl::string_view text, const JsonLimits& limits = {}) {
  absl::StatusOr<json> r = ParseJsonBounded(text, limits);
  if (r.ok()) return "OK";
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(r.status().message());
}

// Nested arrays inside a top-level object: depth = 1 + levels.
std::string NestedArrays(int levels) {
  return "{\"a\":" + std::string(levels, '[') + std::string(levels, ']') + "}";
}
std::string NestedObjects(int depth) {
  std::string s;
  for (int i = 0; i < depth; ++i) s += "{\"k\":";
  s += "1";
  s += std::string(depth, '}');
  return s;
}

TEST(JsonLimitsTest, ParsesAnObject) {
  absl::StatusOr<json> r = ParseJsonBounded(
      R"({"sub":"alice","n":-3,"u":7,"f":1.5,"b":true,"z":null,"a":[1,{"x":"y"}],"e":"\u00e9"})",
      JsonLimits{});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ((*r)["sub"], "alice");
  EXPECT_EQ((*r)["n"], -3);
  EXPECT_EQ((*r)["u"], 7u);
  EXPECT_EQ((*r)["f"], 1.5);
  EXPECT_EQ((*r)["b"], true);
  EXPECT_TRUE((*r)["z"].is_null());
  EXPECT_EQ((*r)["a"][1]["x"], "y");
  EXPECT_EQ((*r)["e"], "\xc3\xa9");
  EXPECT_EQ(
      *r,
      json::parse(
          R"({"sub":"alice","n":-3,"u":7,"f":1.5,"b":true,"z":null,"a":[1,{"x":"y"}],"e":"\u00e9"})"));
}

TEST(JsonLimitsTest, EmptyObjectAndWhitespaceAreFine) {
  EXPECT_EQ(ErrorOf("{}"), "OK");
  EXPECT_EQ(ErrorOf(" \t\r\n{ \"a\" : [ ] }\n"), "OK");
}

TEST(JsonLimitsTest, SizeIsCheckedFirstAndExactly) {
  JsonLimits limits;
  limits.max_bytes = 10;
  EXPECT_EQ(ErrorOf(R"({"a":1234})", limits), "OK");  // 10 bytes
  EXPECT_EQ(ErrorOf(R"({"a":12345})", limits), "JSON too large");
  // Size wins over every other problem.
  EXPECT_EQ(ErrorOf("[[[[[[[[[[[[[[[[[[[[", limits), "JSON too large");
}

TEST(JsonLimitsTest, DepthLimitCountsTopLevelAsOne) {
  JsonLimits limits;
  limits.max_depth = 4;
  EXPECT_EQ(ErrorOf(NestedObjects(4), limits), "OK");
  EXPECT_EQ(ErrorOf(NestedObjects(5), limits), "JSON nested too deeply");
  EXPECT_EQ(ErrorOf(NestedArrays(3), limits), "OK");
  EXPECT_EQ(ErrorOf(NestedArrays(4), limits), "JSON nested too deeply");
  limits.max_depth = 1;
  EXPECT_EQ(ErrorOf(R"({"a":1,"b":"x"})", limits), "OK");
  EXPECT_EQ(ErrorOf(R"({"a":{}})", limits), "JSON nested too deeply");
  EXPECT_EQ(ErrorOf(R"({"a":[]})", limits), "JSON nested too deeply");
}

TEST(JsonLimitsTest, HostileDepthStopsEarlyWithoutRecursion) {
  JsonLimits limits;
  limits.max_bytes = 4 << 20;
  limits.require_object = false;
  EXPECT_EQ(ErrorOf(std::string(2 << 20, '['), limits),
            "JSON nested too deeply");
  EXPECT_EQ(ErrorOf(NestedObjects(200000), limits), "JSON nested too deeply");
}

TEST(JsonLimitsTest, ValueLimitCountsScalarsObjectsAndArrays) {
  JsonLimits limits;
  limits.max_values = 5;
  // object + 1 + array + 2 + 3 = 5 values.
  EXPECT_EQ(ErrorOf(R"({"a":1,"b":[2,3]})", limits), "OK");
  EXPECT_EQ(ErrorOf(R"({"a":1,"b":[2,3,4]})", limits), "too many values");
  EXPECT_EQ(ErrorOf(R"({"a":1,"b":[2,{}]})", limits), "OK");
  EXPECT_EQ(ErrorOf(R"({"a":1,"b":[2,{}],"c":null})", limits),
            "too many values");
}

TEST(JsonLimitsTest, MemberLimitAppliesToEachObject) {
  JsonLimits limits;
  limits.max_object_members = 2;
  EXPECT_EQ(ErrorOf(R"({"a":1,"b":2})", limits), "OK");
  EXPECT_EQ(ErrorOf(R"({"a":1,"b":2,"c":3})", limits), "too many members");
  EXPECT_EQ(ErrorOf(R"({"a":{"x":1,"y":2},"b":{"x":1,"y":2}})", limits), "OK");
  EXPECT_EQ(ErrorOf(R"({"a":{"x":1,"y":2,"z":3}})", limits),
            "too many members");
  // Arrays are not objects: their length is bounded by max_values only.
  EXPECT_EQ(ErrorOf(R"({"a":[1,2,3,4,5]})", limits), "OK");
}

TEST(JsonLimitsTest, DuplicateMemberNamesRejectedAtAnyLevel) {
  const char* const kDuplicates[] = {
      R"({"a":1,"a":1})",       R"({"a":1,"b":2,"a":3})",
      R"({"x":{"a":1,"a":2}})", R"({"x":[{"a":1},{"b":1,"b":2}]})",
      R"({"a":1,"\u0061":2})",  // same name after unescaping
      R"({"\u00e9":1,"é":2})",  R"({"":1,"":2})",
      R"({"a":{},"a":[]})",
  };
  for (const char* doc : kDuplicates) {
    EXPECT_EQ(ErrorOf(doc), "duplicate member name") << doc;
  }
  EXPECT_EQ(ErrorOf(R"({"a":1,"A":2,"a ":3})"), "OK");
  EXPECT_EQ(ErrorOf(R"({"a":{"a":{"a":1}}})"), "OK");
  EXPECT_EQ(ErrorOf(R"({"x":[{"a":1},{"a":1}]})"), "OK");
}

TEST(JsonLimitsTest, InvalidUtf8Rejected) {
  const std::string kBad[] = {
      "{\"a\":\"\xc0\x80\"}",          // overlong NUL
      "{\"a\":\"\xc1\xbf\"}",          // overlong
      "{\"a\":\"\xe0\x80\x80\"}",      // overlong 3-byte
      "{\"a\":\"\xf0\x80\x80\x80\"}",  // overlong 4-byte
      "{\"a\":\"\xed\xa0\x80\"}",      // UTF-8 encoded surrogate
      "{\"a\":\"\xf4\x90\x80\x80\"}",  // > U+10FFFF
      "{\"a\":\"\xc3\"}",              // truncated sequence
      "{\"a\":\"\x80\"}",              // bare continuation byte
      "{\"a\":\"\xfe\"}",
      "{\"a\":\"\xff\"}",
      "{\"\xc3\x28\":1}",     // in a member name
      "{\"a\":\"\\ud800\"}",  // lone high surrogate escape
      "{\"a\":\"\\udc00\"}",  // lone low surrogate escape
      "{\"a\":\"\\ud800\\u0041\"}",
      "{\"a\":1}\xc3\xa9",  // outside a string
  };
  for (const std::string& doc : kBad) {
    EXPECT_EQ(ErrorOf(doc), "invalid JSON") << doc;
  }
  EXPECT_EQ(ErrorOf("{\"a\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}"), "OK");
  EXPECT_EQ(ErrorOf("{\"a\":\"\\ud83d\\ude00\"}"), "OK");
}

TEST(JsonLimitsTest, TopLevelMustBeAnObjectWhenRequired) {
  const char* const kNotObjects[] = {"[]",   "[{}]", "\"s\"", "1",
                                     "-1.5", "true", "null"};
  JsonLimits any;
  any.require_object = false;
  for (const char* doc : kNotObjects) {
    EXPECT_EQ(ErrorOf(doc), "not a JSON object") << doc;
    EXPECT_EQ(ErrorOf(doc, any), "OK") << doc;
  }
}

TEST(JsonLimitsTest, InvalidSyntaxRejected) {
  const std::string kBad[] = {
      "",
      "   ",
      "{",
      "{\"a\":1,}",
      "{\"a\":1}}",
      "{\"a\":1} {}",
      "{\"a\":1} x",
      "{'a':1}",
      "{a:1}",
      "{\"a\":01}",
      "{\"a\":NaN}",
      "{\"a\":Infinity}",
      "{\"a\":1e999}",     // overflows a double
      "{\"a\":\"x\ny\"}",  // raw control character
      "{\"a\":\"\\x\"}",
      "{\"a\":1 /* c */}",
      "{\"a\":1} // c",
      "\xef\xbb\xbf{}",  // byte-order mark
      std::string("{\"a\":1}\0", 8),
      "{\"a\" 1}",
      "{\"a\":[1 2]}",
      "{\"a\":tru}",
      "{\"a\":truex}",
      "{\"a\":-}",
      "{\"a\":1.}",
      "{\"a\":.5}",
      "{\"a\":+1}",
      "{\"a\":1e}",
      "{\"a\":1e+}",
      "{\"a\":-01}",
      "{\"a\":0x10}",
      "{\"a\":\"\\u12\"}",
      "{\"a\":\"\\u12G4\"}",
      "{\"a\":\"\\U0041\"}",
      "{\"a\":\"\\ud800\\ud800\"}",
      "{\"a\":\"\\ud800\\",
      "{\"a\":\"\\'\"}",
      "{\"a\" \"b\"}",
      "{\"a\":}",
      "{,}",
      "{\"a\":[1,]}",
      "{\"a\":1,,\"b\":2}",
      "{\"a\":\"\t\"}",
      "{\"a\":\"\x7f\xc0\"}",
      "{\"a\":\"\xe2\x82\"}",
  };
  for (const std::string& doc : kBad) {
    EXPECT_EQ(ErrorOf(doc), "invalid JSON") << doc;
  }
}

// Callers branch on the kind, never on the phrase: every failure carries
// exactly one kind, and its phrase is the status message.
TEST(JsonLimitsTest, EveryFailureCarriesItsKind) {
  JsonLimits tight;
  tight.max_bytes = 64;
  tight.max_depth = 2;
  tight.max_values = 6;
  tight.max_object_members = 3;
  const struct {
    std::string text;
    JsonErrorKind kind;
  } cases[] = {
      {std::string(65, ' '), JsonErrorKind::kTooLarge},
      {NestedArrays(2), JsonErrorKind::kTooDeep},
      {R"({"a":[1,2,3,4,5,6]})", JsonErrorKind::kTooManyValues},
      {R"({"a":1,"b":2,"c":3,"d":4})", JsonErrorKind::kTooManyMembers},
      {R"({"a":1,"a":2})", JsonErrorKind::kDuplicateMember},
      {"[1]", JsonErrorKind::kNotObject},
      {"{\"a\":", JsonErrorKind::kInvalid},
      {"{\"a\":\"\xff\"}", JsonErrorKind::kInvalid},
  };
  for (const auto& c : cases) {
    absl::StatusOr<json> r = ParseJsonBounded(c.text, tight);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(JsonErrorKindOf(r.status()), c.kind) << c.text;
    EXPECT_EQ(r.status().message(), JsonErrorPhrase(c.kind)) << c.text;
  }
  EXPECT_EQ(JsonErrorKindOf(absl::OkStatus()), std::nullopt);
  EXPECT_EQ(JsonErrorKindOf(absl::InvalidArgumentError("JSON too large")),
            std::nullopt);
}

TEST(JsonLimitsTest, ErrorsNeverQuoteTheInput) {
  const std::string kDocs[] = {
      "{\"SECRET-MARK\":1,\"SECRET-MARK\":2}",
      "{\"a\":\"SECRET-MARK\" SECRET-MARK}",
      "[\"SECRET-MARK\"]",
      "{\"a\":\"SECRET-MARK\xff\"}",
  };
  for (const std::string& doc : kDocs) {
    absl::StatusOr<json> r = ParseJsonBounded(doc, JsonLimits{});
    ASSERT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_EQ(r.status().message().find("SECRET"), absl::string_view::npos);
  }
}

TEST(JsonLimitsTest, ValuesEqualNlohmannParse) {
  const char* const kDocs[] = {
      R"({"n":[0,-0,1e2,1E-2,-12.5e+3,18446744073709551615,-9223372036854775808,18446744073709551616]})",
      R"({"s":"\"\\\/\b\f\n\r\t\u0000\u001f"})",
      R"({"deep":{"a":{"b":{"c":[true,false,null]}}}})",
      R"({"tiny":1e-400,"neg":-1.0e-2,"big":1.7976931348623157e308,"i":-9223372036854775809})",
      R"({"u":"\u00E9\u20aC\uD83D\uDE00\u0041\u007f","k\u0000":"\/"})",
      "{\"raw\":"
      "\"\x7f\xc3\xa9\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\""
      "}",
      " {\"ws\" :\t[ 1 ,\r\n2 ] }\n",
  };
  for (const char* doc : kDocs) {
    absl::StatusOr<json> r = ParseJsonBounded(doc, JsonLimits{});
    ASSERT_THAT(r, IsOk()) << doc;
    EXPECT_EQ(*r, json::parse(doc)) << doc;
  }
}

// ScanJsonBounded keeps only the members it is given a slot for, yet judges
// every document exactly as ParseJsonBounded: the same statuses for limits
// tripped inside members it does not keep, and the kept values equal the
// tree's.
TEST(ScanJsonBoundedTest, SameVerdictAsParseAndKeptMembersEqualTheTree) {
  JsonLimits tight;
  tight.max_depth = 3;
  tight.max_values = 12;
  tight.max_object_members = 3;
  const char* const kDocs[] = {
      R"({"iss":"a","other":{"x":[1,2,{"y":null}]},"aud":["p","q"]})",
      R"({"skip":{"a":1,"a":2},"iss":"x"})",       // dup in a skipped object
      R"({"skip":[{"a":1},{"b":1,"b":2}]})",       // dup deeper, skipped
      R"({"iss":{"a":1,"\u0061":2}})",             // dup in a kept object
      R"({"iss":1,"\u0069ss":2})",                 // top-level dup, escaped
      R"({"skip":1,"skip":2})",                    // top-level dup, skipped
      R"({"a":1,"b":2,"c":3,"d":4})",              // members at top
      R"({"s":{"a":1,"b":2,"c":3,"d":4}})",        // members, skipped
      R"({"s":[[[1]]]})",                          // depth, skipped
      R"({"iss":[[[1]]]})",                        // depth, kept
      R"({"s":[1,2,3,4,5,6,7,8,9,10,11,12,13]})",  // values, skipped
      R"([1,2])",                                  // not an object
      R"({"iss":"a"} x)",                          // trailing bytes
      R"({"iss":"\ud800"})",                       // lone surrogate
      "{\"s\":\"\xff\"}",                          // bad UTF-8, skipped
      R"({"iss":tru})",                            // syntax
      R"({})",
      R"({"exp":1.5e9,"nbf":-0,"iat":18446744073709551615,"sub":null})",
      // The 13th value (past the tight max_values) is a kept string, which
      // the text-target scan below takes as text: it must count it.
      R"({"s":[1,2,3,4,5,6,7,8,9,10],"iss":"a"})",
      // Flat objects (core/json_flat_scan.h) at each edge of the fast path
      // and just past it, where the full scan decides.
      R"( { "iss" : "a" , "exp" : 0 , "n" : null , "t" : true } )",
      R"({"iss":"a","iss":"b"})",  // dup, flat
      R"({"iss":"a","iss":"b"})",  // dup, one escaped
      R"({"a":1,"b":2,"c":3})",    // 3 members: tight max
      R"({"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,)"
      R"("k":11,"l":12})",                           // values past tight
      R"({"exp":01})",                               // leading zero
      R"({"exp":0,})",                               // trailing comma
      R"({"exp":1.0,"iat":1e3,"nbf":-1})",           // not plain unsigned
      R"({"exp":18446744073709551616})",             // past 2^64-1
      R"({"exp":18446744073709551615})",             // 2^64-1
      R"({"iss":"a\/b","sub":"é"})",                 // escapes
      "{\"iss\":\"\x7f\",\"sub\":\"caf\xc3\xa9\"}",  // DEL, UTF-8
      "{\"iss\":\"a\tb\"}",                          // raw control
      R"({"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,)"
      R"("k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17})",  // 17 members
      R"({"iss":"a"}})",                                       // trailing brace
      R"({"iss":"a")",                                         // unterminated
      R"({"iss":nul})",                                        // syntax
  };
  for (const JsonLimits& limits : {JsonLimits{}, tight}) {
    for (const char* doc : kDocs) {
      absl::StatusOr<json> tree = ParseJsonBounded(doc, limits);
      std::map<std::string, json> kept;
      absl::Status scanned = ScanJsonBounded(
          doc, limits, [&kept](absl::string_view name) -> json* {
            if (name == "skip" || name == "s" || name == "other") {
              return nullptr;
            }
            return &kept[std::string(name)];
          });
      EXPECT_EQ(scanned, tree.status()) << doc;
      // The same verdict when every kept member takes strings as text.
      std::map<std::string, std::pair<json, std::string>> as_text;
      bool is_text = false;
      absl::Status scanned_as_text = ScanJsonBounded(
          doc, limits, [&](absl::string_view name) -> ScanTarget {
            if (name == "skip" || name == "s" || name == "other") return {};
            auto& [value, text] = as_text[std::string(name)];
            return ScanTarget{
                .value = &value, .text = &text, .is_text = &is_text};
          });
      EXPECT_EQ(scanned_as_text, tree.status()) << doc << " (text targets)";
      if (!tree.ok()) continue;
      for (const auto& [name, value] : kept) {
        EXPECT_EQ(value, tree->at(name)) << doc << " member " << name;
      }
    }
  }
  // The skipped member's failure is still the document's.
  EXPECT_EQ(ErrorOf(R"({"skip":{"a":1,"a":2},"iss":"x"})"),
            "duplicate member name");
}

// With a text target, a kept member's string value arrives as text (escapes
// decoded, as in the tree) and leaves the json slot alone; any other value,
// and every string nested inside a kept container, goes to the json slot.
TEST(ScanJsonBoundedTest, TextTargetsTakeTopLevelStringsOnly) {
  struct Kept {
    json value;
    std::string text;
    bool is_text = false;
  };
  const std::string doc =
      R"({"a":"x\u00e9\"y","b":["s","a-long-string-in-an-array"],)"
      R"("c":{"k":"v"},"d":7,"e":null,)"
      R"("f":"a-string-long-enough-to-leave-the-inline-buffer","g":""})";
  std::map<std::string, Kept> kept;
  ASSERT_TRUE(
      ScanJsonBounded(doc, JsonLimits{}, [&kept](absl::string_view name) {
        Kept& k = kept[std::string(name)];
        return ScanTarget{
            .value = &k.value, .text = &k.text, .is_text = &k.is_text};
      }).ok());
  const json tree = json::parse(doc);
  ASSERT_EQ(kept.size(), tree.size());
  for (const auto& [name, k] : kept) {
    SCOPED_TRACE(name);
    const json& want = tree.at(name);
    EXPECT_EQ(k.is_text, want.is_string());
    if (k.is_text) {
      EXPECT_EQ(k.text, want.get<std::string>());
      EXPECT_TRUE(k.value.is_null());
    } else {
      EXPECT_EQ(k.value, want);
      EXPECT_TRUE(k.text.empty());
    }
  }
}

}  // namespace
}  // namespace jwtauth
