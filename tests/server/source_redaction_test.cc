#include "server/source_redaction.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jwtauth::server {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

TEST(RedactUrlTest, KeepsSchemeHostPortAndPath) {
  EXPECT_EQ(RedactUrl("https://idp.example.com/keys"),
            "https://idp.example.com/keys");
  EXPECT_EQ(RedactUrl("http://127.0.0.1:8080/a/b"),
            "http://127.0.0.1:8080/a/b");
  EXPECT_EQ(RedactUrl("https://idp"), "https://idp");
}

TEST(RedactUrlTest, DropsUserinfoQueryAndFragmentAndMarksIt) {
  const std::string r = RedactUrl("https://user:pw@idp/keys?token=SECRET#frag");
  EXPECT_THAT(r, MatchesRegex("https://idp/keys#[0-9a-f]{8}"));
  EXPECT_THAT(RedactUrl("https://idp/keys?token=SECRET"),
              MatchesRegex("https://idp/keys#[0-9a-f]{8}"));
  EXPECT_THAT(RedactUrl("https://idp?x=1"),
              MatchesRegex("https://idp#[0-9a-f]{8}"));
  EXPECT_THAT(RedactUrl("https://a:b@idp/"),
              MatchesRegex("https://idp/#[0-9a-f]{8}"));
}

TEST(RedactUrlTest, DistinctUrlsStayDistinctAndStable) {
  EXPECT_NE(RedactUrl("https://idp/keys?tenant=a"),
            RedactUrl("https://idp/keys?tenant=b"));
  EXPECT_EQ(RedactUrl("https://idp/keys?tenant=a"),
            RedactUrl("https://idp/keys?tenant=a"));
}

TEST(RedactUrlTest, NonUrlBecomesDigestOnly) {
  EXPECT_THAT(RedactUrl("/etc/secret"), MatchesRegex("#[0-9a-f]{8}"));
  EXPECT_THAT(RedactUrl(""), MatchesRegex("#[0-9a-f]{8}"));
}

TEST(PublicSourceIdTest, HidesFilePathsEnvNamesAndInlineLocations) {
  EXPECT_THAT(PublicSourceId("file:/etc/jwtauth/hs.key"),
              MatchesRegex("file:#[0-9a-f]{8}"));
  EXPECT_THAT(PublicSourceId("env:HS_SECRET"),
              MatchesRegex("env:#[0-9a-f]{8}"));
  EXPECT_THAT(PublicSourceId("inline:/etc/jwtauth.yaml"),
              MatchesRegex("inline:#[0-9a-f]{8}"));
  EXPECT_NE(PublicSourceId("file:/a"), PublicSourceId("file:/b"));
}

TEST(PublicSourceIdTest, JwksAndOidcKeepRedactedUrl) {
  EXPECT_EQ(PublicSourceId("jwks:https://idp/keys"), "jwks:https://idp/keys");
  EXPECT_THAT(PublicSourceId("oidc:https://u:p@idp/.well-known/x?k=v"),
              MatchesRegex("oidc:https://idp/\\.well-known/x#[0-9a-f]{8}"));
}

TEST(PublicSourceIdTest, WordsKeptOddIdsDigested) {
  EXPECT_EQ(PublicSourceId("signing"), "signing");
  EXPECT_THAT(PublicSourceId("/etc/x"), MatchesRegex("#[0-9a-f]{8}"));
  EXPECT_THAT(PublicSourceId("File/etc:x"), MatchesRegex("#[0-9a-f]{8}"));
  EXPECT_THAT(PublicSourceId("file:SECRET"), Not(HasSubstr("SECRET")));
}

}  // namespace
}  // namespace jwtauth::server
