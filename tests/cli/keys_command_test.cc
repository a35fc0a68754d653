// Process tests of `jwtauth keys` (cli/keys_command.cc) against a real
// jwtauth-server on the embedded dev default: the table, --jwks, --json.

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/cli/cli_process.h"
#include "tests/testutil/temp_dir.h"

namespace jwtauth::cli {
namespace {

using ::jwtauth::testutil::ProcessResult;
using ::jwtauth::testutil::RunCli;
using ::jwtauth::testutil::ServerProcess;
using ::testing::HasSubstr;
using ::testing::Not;

class KeysCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start({}, tmp_.path());
    ASSERT_NE(server_, nullptr);
  }
  ProcessResult Run(std::vector<std::string> args) {
    args.push_back("--server");
    args.push_back(server_->target());
    return RunCli(args, tmp_.path());
  }
  testutil::TempDir tmp_{"cli_keys"};
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(KeysCommandTest, TableJwksAndJsonDescribeTheSameKey) {
  ProcessResult r = Run({"keys"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("PROVIDER\tKID\tALG"));
  EXPECT_THAT(r.out, HasSubstr("dev-ephemeral\tES256\tEC\tactive\tyes"));

  r = Run({"keys", "--jwks"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json jwks = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(jwks.is_object()) << r.out;
  ASSERT_EQ(jwks["keys"].size(), 1u);
  EXPECT_EQ(jwks["keys"][0]["kid"], "dev-ephemeral");
  EXPECT_FALSE(jwks["keys"][0].contains("d"));

  r = Run({"keys", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["jwks"], jwks);
  ASSERT_FALSE(j["keys"].empty());
  const nlohmann::json& key = j["keys"][0];
  EXPECT_EQ(key["kid"], "dev-ephemeral");
  EXPECT_EQ(key["alg"], "ES256");
  EXPECT_EQ(key["state"], "active");
  EXPECT_EQ(key["primary"], true);
  EXPECT_TRUE(key["verifications"].is_number());
  EXPECT_THAT(r.out, Not(HasSubstr("\"d\"")));
}

TEST_F(KeysCommandTest, ProviderFilterAndErrors) {
  ProcessResult r = Run({"keys", "--json", "--provider", "dev"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  for (const nlohmann::json& k : j["keys"]) EXPECT_EQ(k["provider"], "dev");

  r = Run({"keys", "--provider", "nope"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("INVALID_ARGUMENT"));
  r = Run({"keys", "positional"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  r = RunCli({"keys", "--server", "127.0.0.1:1", "--timeout", "2s"},
             tmp_.path());
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  r = RunCli({"keys", "--timeout", "never"}, tmp_.path());
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("--timeout"));
}

}  // namespace
}  // namespace jwtauth::cli
