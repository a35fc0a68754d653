#include "core/claims.h"

#include <utility>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace jwtauth {
namespace {

using json = nlohmann::json;

TEST(ClaimsTest, FindResolvesDotPathsAndDottedNames) {
  json j = {{"org", {{"id", 1}, {"a.b", 2}}},
            {"https://example.com/roles", json::array({"x"})},
            {"plain", "v"}};
  Claims c(j);
  EXPECT_EQ(*c.Find("org.id"), 1);
  EXPECT_EQ(*c.Find("org.a.b"), 2);
  EXPECT_EQ(*c.Find("https://example.com/roles"), json::array({"x"}));
  EXPECT_EQ(*c.Find("plain"), "v");
  EXPECT_EQ(c.Find("plain.x"), nullptr);
  EXPECT_EQ(c.Find("org.missing"), nullptr);
  EXPECT_EQ(c.Member("org.id"), nullptr);
}

TEST(ClaimsTest, FindPrefersTheLongestMemberNameAndFallsBack) {
  json j = {{"a.b", "outer"},
            {"a", {{"b", "inner"}, {"c.d", {{"e", 1}}}}},
            {"x.y", {{"q", 1}}},
            {"x", {{"y", {{"z", 2}}}}}};
  Claims c(j);
  EXPECT_EQ(*c.Find("a.b"), "outer");  // whole name beats a.{b}
  EXPECT_EQ(*c.Find("a.c.d.e"), 1);    // a.{c.d}.e
  EXPECT_EQ(*c.Find("x.y.z"), 2);      // {x.y} has no z: falls back to x.y.z
  EXPECT_EQ(c.Find("x.y.q.r"), nullptr);
  EXPECT_EQ(c.Find("a.b.c"), nullptr);  // "outer" is no object
}

TEST(ClaimsTest, NumericDate) {
  json j = {{"i", 10},
            {"f", 10.25},
            {"neg", -1},
            {"big", 253402300800LL},
            {"max", 253402300799LL},
            {"s", "10"},
            {"b", true}};
  Claims c(j);
  EXPECT_EQ(**c.NumericDate("i"), absl::FromUnixSeconds(10));
  EXPECT_EQ(**c.NumericDate("f"), absl::FromUnixMillis(10250));
  EXPECT_EQ(**c.NumericDate("max"), absl::FromUnixSeconds(253402300799LL));
  EXPECT_FALSE(c.NumericDate("absent")->has_value());
  for (const char* bad : {"neg", "big", "s", "b"}) {
    EXPECT_EQ(c.NumericDate(bad).reason(), FailureReason::kClaimInvalid) << bad;
  }
}

TEST(ClaimsTest, StringOrArray) {
  json j = {{"s", "a"},
            {"a", {"a", "b"}},
            {"e", json::array()},
            {"mixed", {"a", 1}},
            {"n", 1}};
  Claims c(j);
  EXPECT_EQ(**c.StringOrArray("s"), std::vector<std::string>({"a"}));
  EXPECT_EQ(**c.StringOrArray("a"), std::vector<std::string>({"a", "b"}));
  EXPECT_TRUE((*c.StringOrArray("e"))->empty());
  EXPECT_EQ(c.StringOrArray("mixed").reason(), FailureReason::kClaimInvalid);
  EXPECT_EQ(c.StringOrArray("n").reason(), FailureReason::kClaimInvalid);
  EXPECT_FALSE(c.StringOrArray("absent")->has_value());
  EXPECT_EQ(c.String("n").reason(), FailureReason::kClaimInvalid);
  EXPECT_EQ(**c.String("s"), "a");
}

TEST(ClaimsTest, ValueToString) {
  EXPECT_EQ(Claims::ValueToString(json("x")), "x");
  EXPECT_EQ(Claims::ValueToString(json(5)), "5");
  EXPECT_EQ(Claims::ValueToString(json(true)), "true");
  EXPECT_EQ(Claims::ValueToString(json({{"a", 1}})), R"({"a":1})");
}

// The registered claims read from text are the tree's members, whatever
// else the payload holds; a payload the tree parse rejects is rejected with
// the same status.
TEST(RegisteredClaimValuesTest, ScanEqualsTheTreesMembers) {
  const char* const kPayloads[] = {
      R"({"iss":"https://i","sub":"u","aud":["a","b"],"exp":1700000000,)"
      R"("nbf":1.5,"iat":0,"scope":"x y","org":{"id":[1,{"k":null}]}})",
      R"({"aud":"one","exp":"soon","iss":7,"sub":{"x":1}})",
      R"({"other":1})",
      R"({"\u0069ss":"escaped name","exp":18446744073709551615})",
      R"({"iss":"a","iss":"b"})",
      R"({"x":{"y":1,"y":2},"iss":"a"})",
      R"(["not","an","object"])",
      // Strings kept as text: escapes decoded, a long value, an empty one,
      // and text claims of every other type.
      R"({"iss":"q\"\u00e9\ud83d\ude00/","sub":"","aud":"a-rather-long-audience-name"})",
      R"({"iss":null,"sub":true,"aud":[]})",
      R"({"iss":["x"],"sub":1.5,"aud":{"a":"b"}})",
      R"({"jti":"a-long-string-before-the-text-claims","iss":"https://issuer",)"
      R"("aud":["x","a-long-string-inside-an-array"],"sub":"s"})",
  };
  const JsonLimits limits;
  for (const char* payload : kPayloads) {
    absl::StatusOr<json> tree = ParseJsonBounded(payload, limits);
    RegisteredClaimValues values;
    absl::Status scanned = RegisteredClaimValues::Scan(payload, limits, values);
    EXPECT_EQ(scanned, tree.status()) << payload;
    if (!tree.ok()) continue;
    const RegisteredClaims a = values.view();
    const RegisteredClaims b = RegisteredClaims::Of(*tree);
    for (auto [x, y] : {std::pair(a.iss, b.iss), std::pair(a.sub, b.sub),
                        std::pair(a.aud, b.aud)}) {
      ASSERT_EQ(x.type, y.type) << payload;
      EXPECT_EQ(x.text, y.text) << payload;
      ASSERT_EQ(x.array == nullptr, y.array == nullptr) << payload;
      if (x.array != nullptr) {
        EXPECT_EQ(*x.array, *y.array) << payload;
      }
    }
    for (auto [x, y] : {std::pair(a.exp, b.exp), std::pair(a.nbf, b.nbf),
                        std::pair(a.iat, b.iat)}) {
      ASSERT_EQ(x == nullptr, y == nullptr) << payload;
      if (x != nullptr) {
        EXPECT_EQ(*x, *y) << payload;
      }
    }
  }
}

TEST(RegisteredClaimValuesTest, RescanForgetsEarlierMembers) {
  RegisteredClaimValues values;
  ASSERT_TRUE(RegisteredClaimValues::Scan(R"({"iss":"a","aud":"x","exp":1})",
                                          JsonLimits{}, values)
                  .ok());
  ASSERT_TRUE(RegisteredClaimValues::Scan(R"({"sub":"b","aud":["y"]})",
                                          JsonLimits{}, values)
                  .ok());
  const RegisteredClaims v = values.view();
  EXPECT_FALSE(v.iss.present());
  EXPECT_EQ(v.exp, nullptr);
  ASSERT_TRUE(v.sub.is_string());
  EXPECT_EQ(v.sub.text, "b");
  ASSERT_EQ(v.aud.type, TextClaim::Type::kArray);
  EXPECT_EQ(*v.aud.array, json::array({"y"}));
}

}  // namespace
}  // namespace jwtauth
