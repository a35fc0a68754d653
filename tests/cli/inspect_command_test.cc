// Process tests of `jwtauth inspect` (cli/inspect_command.cc): UNVERIFIED
// labelling, human times, objections, --json, stdin, and that the
// signature is never printed. The decoding rules: token_inspection_test.

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/base64url.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/cli/cli_process.h"
#include "tests/testutil/temp_dir.h"
#include "tests/testutil/test_keys.h"

namespace jwtauth::cli {
namespace {

using ::jwtauth::testutil::GenerateTestKey;
using ::jwtauth::testutil::ProcessResult;
using ::jwtauth::testutil::RunCli;
using ::jwtauth::testutil::SignJws;
using ::jwtauth::testutil::TestKey;
using ::testing::HasSubstr;
using ::testing::Not;

class InspectCommandTest : public ::testing::Test {
 protected:
  ProcessResult Run(const std::vector<std::string>& args,
                    const std::string& stdin_text = "") {
    return RunCli(args, tmp_.path(), stdin_text);
  }
  std::string Token(int64_t exp_from_now) {
    const int64_t now = absl::ToUnixSeconds(absl::Now());
    return SignJws(key_, nlohmann::json({{"iss", "https://issuer.test"},
                                         {"sub", "alice"},
                                         {"aud", "api"},
                                         {"iat", now - 10},
                                         {"exp", now + exp_from_now}})
                             .dump());
  }
  static std::string Signature(const std::string& token) {
    return token.substr(token.rfind('.') + 1);
  }
  testutil::TempDir tmp_{"cli_inspect"};
  TestKey key_ = GenerateTestKey(Algorithm::kRs256, "rs-1");
};

TEST_F(InspectCommandTest, ShowsHeaderClaimsAndTimesLabelledUnverified) {
  const std::string token = Token(14 * 60 + 30);
  ProcessResult r = Run({"inspect", token});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("UNVERIFIED: decoded only"));
  EXPECT_THAT(r.out, HasSubstr("header (UNVERIFIED)"));
  EXPECT_THAT(r.out, HasSubstr("\"kid\": \"rs-1\""));
  EXPECT_THAT(r.out, HasSubstr("claims (UNVERIFIED)"));
  EXPECT_THAT(r.out, HasSubstr("\"sub\": \"alice\""));
  EXPECT_THAT(r.out, HasSubstr("(in 14m)"));
  EXPECT_THAT(r.out, HasSubstr("s ago)"));  // iat, 10s or a bit more
  EXPECT_THAT(r.out, HasSubstr("signature: 256 bytes (not shown"));
  EXPECT_THAT(r.out, HasSubstr("would object to nothing"));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr(Signature(token))));
}

TEST_F(InspectCommandTest, ListsObjectionsOfExpiredAndUnsignedTokens) {
  const std::string expired = Token(-3 * 3600 - 60);
  ProcessResult r = Run({"inspect", "Bearer " + expired});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("(expired 3h ago)"));
  EXPECT_THAT(r.out,
              HasSubstr("would object to:\n  - EXPIRED: expired 3h ago"));

  const std::string none =
      absl::StrCat(Base64UrlEncode(R"({"alg":"none","typ":"JWT"})"), ".",
                   Base64UrlEncode(R"({"sub":"mallory"})"), ".");
  r = Run({"inspect", none});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"alg\": \"none\""));
  EXPECT_THAT(r.out, HasSubstr("CLAIM_MISSING: no exp"));
  EXPECT_THAT(r.out, HasSubstr("AUDIENCE_MISMATCH"));
}

TEST_F(InspectCommandTest, JsonFromStdinParses) {
  const std::string token = Token(600);
  ProcessResult r = Run({"inspect", "--json", "-"}, token + "\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["verified"], false);
  EXPECT_THAT(j["warning"].get<std::string>(), HasSubstr("UNVERIFIED"));
  EXPECT_EQ(j["header"]["alg"], "RS256");
  EXPECT_EQ(j["claims"]["aud"], "api");
  EXPECT_EQ(j["times"]["exp"]["relative"], "in 9m");
  EXPECT_TRUE(j["times"]["exp"]["unix"].is_number());
  EXPECT_TRUE(j["objections"].empty());
  EXPECT_EQ(j["signature_bytes"], 256);
  EXPECT_THAT(r.out, Not(HasSubstr(Signature(token))));
}

TEST_F(InspectCommandTest, UndecodableInputExitsOneWithoutEchoingIt) {
  const std::string secretish = "not-a-token-secret-value-123";
  ProcessResult r = Run({"inspect", secretish});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("cannot decode the token"));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr(secretish)));
  r = Run({"inspect", "-"}, "");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  r = Run({"inspect"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = Run({"inspect", "a.b.c", "d.e.f"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("d.e.f")));
}

}  // namespace
}  // namespace jwtauth::cli
