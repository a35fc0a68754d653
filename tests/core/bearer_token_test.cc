#include "core/bearer_token.h"

#include <optional>

#include "gtest/gtest.h"

namespace jwtauth {
namespace {

TEST(ExtractBearerOrRawTokenTest, FollowsRfc6750) {
  EXPECT_EQ(ExtractBearerOrRawToken("Bearer abc"), "abc");
  EXPECT_EQ(ExtractBearerOrRawToken("bearer abc"), "abc");
  EXPECT_EQ(ExtractBearerOrRawToken("BEARER   abc"), "abc");  // 1*SP
  EXPECT_EQ(ExtractBearerOrRawToken("Bearer"), "");
  EXPECT_EQ(ExtractBearerOrRawToken("Bearer "), "");
  EXPECT_EQ(ExtractBearerOrRawToken("abc.def.ghi"), "abc.def.ghi");
  EXPECT_EQ(ExtractBearerOrRawToken("Bearerabc"), "Bearerabc");
  EXPECT_EQ(ExtractBearerOrRawToken("Bearer\tabc"), "Bearer\tabc");
  EXPECT_EQ(ExtractBearerOrRawToken(""), "");
}

TEST(ParseBearerHeaderTest, OnlyTheBearerSchemeWithAToken) {
  EXPECT_EQ(ParseBearerHeader("Bearer abc"), "abc");
  EXPECT_EQ(ParseBearerHeader("bearer  abc"), "abc");
  EXPECT_EQ(ParseBearerHeader("abc"), std::nullopt);
  EXPECT_EQ(ParseBearerHeader("Bearer"), std::nullopt);
  EXPECT_EQ(ParseBearerHeader("Bearer "), std::nullopt);
  EXPECT_EQ(ParseBearerHeader("Bearerabc"), std::nullopt);
  EXPECT_EQ(ParseBearerHeader("Basic abc"), std::nullopt);
}

}  // namespace
}  // namespace jwtauth
