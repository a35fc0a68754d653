// Process tests of `jwtauth issue` (cli/issue_command.cc) against a real
// jwtauth-server process on 127.0.0.1: the README's quick start on the
// embedded dev default (issue → verify → inspect), --json, and a server
// with a config file, where direct issuing stays refused.

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
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

class IssueCommandTest : public ::testing::Test {
 protected:
  ProcessResult Run(std::vector<std::string> args,
                    const std::string& stdin_text = "") {
    if (server_ != nullptr) {
      args.push_back("--server");
      args.push_back(server_->target());
    }
    return RunCli(args, tmp_.path(), stdin_text);
  }
  void StartDevServer() {
    server_ = ServerProcess::Start({}, tmp_.path());
    ASSERT_NE(server_, nullptr);
  }

  testutil::TempDir tmp_{"cli_issue"};
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(IssueCommandTest, QuickStartLoopOnTheDevDefault) {
  StartDevServer();
  // The dev default says so at startup.
  EXPECT_THAT(server_->Stderr(), HasSubstr("direct issuing open to loopback"));

  ProcessResult issued = Run({"issue", "--sub", "alice"});
  ASSERT_EQ(issued.exit_code, 0) << issued.out << issued.err;
  const std::string token(absl::StripAsciiWhitespace(issued.out));
  ASSERT_EQ(std::count(token.begin(), token.end(), '.'), 2) << issued.out;

  ProcessResult verified = Run({"verify", token});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_THAT(verified.out, HasSubstr("valid: provider=dev kid=dev-ephemeral"));
  EXPECT_THAT(verified.out, HasSubstr("\"sub\": \"alice\""));
  EXPECT_THAT(verified.out, HasSubstr("\"aud\": \"jwtauth-dev\""));

  ProcessResult inspected = RunCli({"inspect", token}, tmp_.path());
  EXPECT_EQ(inspected.exit_code, 0) << inspected.out << inspected.err;
  EXPECT_THAT(inspected.out, HasSubstr("UNVERIFIED"));
  EXPECT_THAT(inspected.out, HasSubstr("exp: "));
  EXPECT_THAT(inspected.out, HasSubstr("(in 14m)"));
  EXPECT_THAT(inspected.out, HasSubstr("would object to nothing"));
  EXPECT_THAT(inspected.out,
              Not(HasSubstr(token.substr(token.rfind('.') + 1))));
}

TEST_F(IssueCommandTest, JsonOutputsParseAndCarryTheClaims) {
  StartDevServer();
  ProcessResult issued =
      Run({"issue", "--sub", "bob", "--aud", "jwtauth-dev", "--claim",
           "role=admin", "--claim", "level=3", "--ttl", "5m", "--json"});
  ASSERT_EQ(issued.exit_code, 0) << issued.out << issued.err;
  nlohmann::json j = nlohmann::json::parse(issued.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << issued.out;
  EXPECT_EQ(j["mode"], "direct");
  EXPECT_EQ(j["kid"], "dev-ephemeral");
  EXPECT_EQ(j["alg"], "ES256");
  EXPECT_EQ(j["issuer"], "jwtauth-dev");
  const std::string token = j["token"];

  // Verify from stdin, --json.
  ProcessResult verified = Run({"verify", "-", "--json"}, token + "\n");
  ASSERT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  nlohmann::json v = nlohmann::json::parse(verified.out, nullptr, false);
  ASSERT_TRUE(v.is_object()) << verified.out;
  EXPECT_EQ(v["valid"], true);
  EXPECT_EQ(v["claims"]["sub"], "bob");
  EXPECT_EQ(v["claims"]["role"], "admin");
  EXPECT_EQ(v["claims"]["level"], 3);
  const int64_t lifetime =
      v["claims"]["exp"].get<int64_t>() - v["claims"]["iat"].get<int64_t>();
  EXPECT_EQ(lifetime, 300);

  // A tampered token is invalid: exit 1, in-band reason.
  std::string tampered = token;
  tampered[tampered.rfind('.') + 3] ^= 1;
  verified = Run({"verify", "--json", tampered});
  EXPECT_EQ(verified.exit_code, 1) << verified.out << verified.err;
  v = nlohmann::json::parse(verified.out, nullptr, false);
  ASSERT_TRUE(v.is_object()) << verified.out;
  EXPECT_EQ(v["valid"], false);
}

TEST_F(IssueCommandTest, BadInputIsAUsageErrorAndNoServerIsAnRpcError) {
  ProcessResult r = RunCli({"issue", "--claims", "[1]"}, tmp_.path());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("--claims must be a JSON object"));
  r = RunCli({"issue", "--claim", "novalue"}, tmp_.path());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = RunCli({"issue", "--ttl", "soon"}, tmp_.path());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = RunCli({"issue", "extra"}, tmp_.path());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  // Nothing listens on port 1: an RPC error, exit 3.
  r = RunCli(
      {"issue", "--sub", "x", "--server", "127.0.0.1:1", "--timeout", "2s"},
      tmp_.path());
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("UNAVAILABLE"));
}

TEST_F(IssueCommandTest, AConfiguredServerStillRefusesDirectIssuing) {
  // A config file, everything else default: direct issuing is off even for
  // a loopback caller, and a caller token does not change that.
  const std::string config = tmp_.Write("config.yaml", R"(
signing: {ephemeral: true, ephemeral_alg: ES256, issuer: https://issuer.test}
providers:
  - name: default
    issuers: [https://issuer.test]
    audiences: [api]
log: {level: info}
)");
  server_ = ServerProcess::Start({"--config", config}, tmp_.path());
  ASSERT_NE(server_, nullptr);
  ProcessResult r = Run({"issue", "--sub", "alice"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("PERMISSION_DENIED"));
  EXPECT_THAT(r.err, HasSubstr("direct issuing is disabled"));
  EXPECT_EQ(r.out, "");
  const std::string secret = "caller-token-that-must-not-be-echoed";
  r = Run({"issue", "--sub", "alice", "--caller-token", secret});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.out + r.err, Not(HasSubstr(secret)));
}

}  // namespace
}  // namespace jwtauth::cli
