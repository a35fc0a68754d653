#include "core/claims.h"

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

}  // namespace
}  // namespace jwtauth
