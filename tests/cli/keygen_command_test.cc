// Process tests of `jwtauth keygen` (cli/keygen_command.cc): text and --json
// output for asymmetric and HMAC algorithms, and usage errors.

#include <string>

#include "core/jwk_thumbprint.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/cli/cli_process.h"
#include "tests/testutil/temp_dir.h"

namespace jwtauth::cli {
namespace {

using ::jwtauth::testutil::ProcessResult;
using ::jwtauth::testutil::RunCli;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class KeygenCommandTest : public ::testing::Test {
 protected:
  ProcessResult Run(const std::vector<std::string>& args) {
    return RunCli(args, tmp_.path());
  }
  testutil::TempDir tmp_{"cli_keygen"};
};

TEST_F(KeygenCommandTest, PrintsPrivatePemThenPublicJwk) {
  ProcessResult r = Run({"keygen", "--alg", "ES256", "--kid", "k1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("-----BEGIN PRIVATE KEY-----\n"));
  const size_t brace = r.out.find('{');
  ASSERT_NE(brace, std::string::npos) << r.out;
  nlohmann::json jwk =
      nlohmann::json::parse(r.out.substr(brace), nullptr, false);
  ASSERT_TRUE(jwk.is_object()) << r.out;
  EXPECT_EQ(jwk["kid"], "k1");
  EXPECT_EQ(jwk["crv"], "P-256");
  EXPECT_FALSE(jwk.contains("d"));
}

TEST_F(KeygenCommandTest, JsonHoldsBothHalvesAndTheDefaultKid) {
  for (const char* alg : {"RS256", "EdDSA", "ES384"}) {
    ProcessResult r = Run({"keygen", "--alg", alg, "--json"});
    ASSERT_EQ(r.exit_code, 0) << alg << r.err;
    nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.out;
    EXPECT_EQ(j["alg"], alg);
    EXPECT_THAT(j["private_key_pem"].get<std::string>(),
                StartsWith("-----BEGIN PRIVATE KEY-----"));
    EXPECT_EQ(j["public_jwk"]["kid"], j["kid"]);
    EXPECT_FALSE(j["public_jwk"].contains("d"));
    EXPECT_TRUE(JwkThumbprint(j["public_jwk"]).ok());
  }
}

TEST_F(KeygenCommandTest, HmacIsARandomSecret) {
  ProcessResult a = Run({"keygen", "--alg", "HS256", "--json"});
  ProcessResult b = Run({"keygen", "--alg", "HS256"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  nlohmann::json j = nlohmann::json::parse(a.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << a.out;
  EXPECT_EQ(j["alg"], "HS256");
  EXPECT_EQ(j["secret"].get<std::string>().size(), 43u);  // 32 bytes
  EXPECT_EQ(b.out.size(), 44u);                           // + newline
  EXPECT_NE(j["secret"].get<std::string>() + "\n", b.out);
  EXPECT_THAT(b.err, HasSubstr("no public JWK"));
}

TEST_F(KeygenCommandTest, UsageErrors) {
  ProcessResult r = Run({"keygen"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("--alg"));
  r = Run({"keygen", "--alg", "ES999"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("unknown algorithm"));
  r = Run({"keygen", "--alg", "none"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = Run({"keygen", "--alg"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

}  // namespace
}  // namespace jwtauth::cli
