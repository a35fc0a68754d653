#include "core/json_flat_scan.h"

#include <map>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace jwtauth::json_internal {
namespace {

using json = nlohmann::json;

struct Kept {
  json value;
  std::string text;
  bool is_text = false;
};

// Every member kept, names starting with 't' as text.
struct Scan {
  bool read = false;
  int calls = 0;
  std::map<std::string, Kept> kept;
};

Scan ScanOf(absl::string_view doc, const JsonLimits& limits = {}) {
  Scan s;
  s.read = ScanFlatObject(doc, limits, [&s](absl::string_view name) {
    ++s.calls;
    Kept& k = s.kept[std::string(name)];
    if (!name.empty() && name.front() == 't') {
      return ScanTarget{
          .value = &k.value, .text = &k.text, .is_text = &k.is_text};
    }
    return ScanTarget{.value = &k.value};
  });
  return s;
}

// What it reads, it reads as the tree has it: same members, same JSON
// types (an unsigned integer stays number_unsigned), strings as text where
// the target asks for text.
TEST(JsonFlatScanTest, ReadsAFlatClaimsSetAsTheTreeHasIt) {
  const std::string doc =
      R"( {"iss":"https://auth.example.com","tsub":"user-1",)"
      "\n\t"
      R"("exp":1764000900,"zero":0,"max":18446744073709551615,)"
      R"("t":true,"f":false,"n":null,"e":"","te":""} )";
  const Scan s = ScanOf(doc);
  ASSERT_TRUE(s.read);
  const json tree = json::parse(doc);
  ASSERT_EQ(s.kept.size(), tree.size());
  for (const auto& [name, k] : s.kept) {
    SCOPED_TRACE(name);
    const json& want = tree.at(name);
    if (k.is_text) {
      EXPECT_EQ(k.text, want.get<std::string>());
      EXPECT_TRUE(k.value.is_null());
    } else {
      EXPECT_EQ(k.value, want);
      EXPECT_EQ(k.value.type(), want.type());
    }
  }
  EXPECT_TRUE(s.kept.at("tsub").is_text);
  EXPECT_FALSE(s.kept.at("iss").is_text);  // no text target for it
}

TEST(JsonFlatScanTest, EmptyObject) {
  EXPECT_TRUE(ScanOf("{}").read);
  EXPECT_TRUE(ScanOf(" { } ").read);
}

// Each of these is outside the fast path (valid or not): it gives up before
// calling the target even once, so the full scan starts from clean slots.
TEST(JsonFlatScanTest, GivesUpBeforeWritingAnything) {
  const char* const kDocs[] = {
      R"({"a":1,"b":2,"a":3})",         // duplicate: the full scan reports it
      R"({"a":"x\"y"})",                // escape in a value
      R"({"\u0061":1})",                // escape in a name
      "{\"a\":\"caf\xc3\xa9\"}",        // UTF-8
      "{\"a\":\"\x7f\"}",               // DEL
      R"({"a":-1})",                    // negative
      R"({"a":1.5})",                   // fraction
      R"({"a":1e3})",                   // exponent
      R"({"a":01})",                    // leading zero
      R"({"a":18446744073709551616})",  // past 64 bits
      R"({"a":[1]})",                   // array
      R"({"a":{}})",                    // object
      R"({"a":1,})",                    // trailing comma
      R"({"a":1} x)",                   // trailing bytes
      R"({"a":1)",                      // unterminated
      R"({"a":tru})",                   // bad literal
      R"([1])",                         // not an object
      "",                               // empty input
  };
  for (const char* doc : kDocs) {
    const Scan s = ScanOf(doc);
    EXPECT_FALSE(s.read) << doc;
    EXPECT_EQ(s.calls, 0) << doc;
  }
}

// Strings are read sixteen bytes at a time, then one by one: every byte
// value at every position of a long name and of a long value is read
// exactly when it is plain printable ASCII, and read as itself.
TEST(JsonFlatScanTest, EveryByteAtEveryPositionOfLongStrings) {
  for (size_t pos = 0; pos < 40; ++pos) {
    for (int b = 0; b < 256; ++b) {
      std::string text(40, 'x');
      text[pos] = static_cast<char>(b);
      const bool plain = b >= 0x20 && b < 0x7f && b != '"' && b != '\\';
      const std::string as_value = "{\"tv\":\"" + text + "\"}";
      const Scan v = ScanOf(as_value);
      ASSERT_EQ(v.read, plain) << "value, position " << pos << ", byte " << b;
      if (plain) {
        ASSERT_EQ(v.kept.at("tv").text, text);
      }
      const std::string as_name = "{\"" + text + "\":1}";
      const Scan n = ScanOf(as_name);
      ASSERT_EQ(n.read, plain) << "name, position " << pos << ", byte " << b;
      if (plain) {
        ASSERT_EQ(n.kept.count(text), 1U);
      }
    }
  }
}

// Limits are counted before anything is kept: at the limit it reads, one
// past it gives up (and the full scan reports the limit).
TEST(JsonFlatScanTest, LimitsAreCountedUpFront) {
  const std::string three = R"({"a":1,"b":2,"c":3})";
  JsonLimits members;
  members.max_object_members = 3;
  EXPECT_TRUE(ScanOf(three, members).read);
  members.max_object_members = 2;
  EXPECT_FALSE(ScanOf(three, members).read);
  JsonLimits values;  // the object itself is a value too
  values.max_values = 4;
  EXPECT_TRUE(ScanOf(three, values).read);
  values.max_values = 3;
  EXPECT_FALSE(ScanOf(three, values).read);
  JsonLimits depth;
  depth.max_depth = 0;
  EXPECT_FALSE(ScanOf(three, depth).read);
  // More members than the fast path holds: the full scan reads them.
  std::string many = "{";
  for (int i = 0; i < 17; ++i) {
    many += (i ? ",\"m" : "\"m") + std::to_string(i) + "\":1";
  }
  many += "}";
  EXPECT_FALSE(ScanOf(many).read);
  EXPECT_EQ(ScanOf(many).calls, 0);
}

}  // namespace
}  // namespace jwtauth::json_internal
