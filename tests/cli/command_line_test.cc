// The command lines of both binaries (CLI11; cli/command_line.cc,
// server/main.cc): --help on the tool and on every subcommand exits 0 on
// stdout, --version, usage errors exit 2 and never echo a value that might
// be a token or secret.

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_process.h"
#include "tests/testutil/temp_dir.h"

namespace jwtauth::cli {
namespace {

using ::jwtauth::testutil::ProcessResult;
using ::jwtauth::testutil::RunCli;
using ::jwtauth::testutil::RunProcess;
using ::testing::HasSubstr;
using ::testing::Not;

const std::vector<std::string> kCommands = {"verify", "issue",   "keys",
                                            "keygen", "inspect", "jwks"};

class CommandLineTest : public ::testing::Test {
 protected:
  ProcessResult Cli(const std::vector<std::string>& args) {
    return RunCli(args, tmp_.path());
  }
  ProcessResult Server(const std::vector<std::string>& args) {
    return RunProcess(JWTAUTH_BINARY_DIR "/server/jwtauth-server", args,
                      tmp_.path(), "", {{"JWTAUTH_CONFIG", std::nullopt}});
  }
  testutil::TempDir tmp_{"cli_command_line"};
};

TEST_F(CommandLineTest, HelpListsEveryCommandAndExitsZero) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--help"}, {"-h"}}) {
    ProcessResult r = Cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    for (const std::string& c : kCommands) EXPECT_THAT(r.out, HasSubstr(c));
    EXPECT_THAT(r.out, HasSubstr("Exit codes: 0 ok"));
  }
}

TEST_F(CommandLineTest, EverySubcommandHasHelpThatExitsZero) {
  for (const std::string& c : kCommands) {
    for (const char* flag : {"--help", "-h"}) {
      ProcessResult r = Cli({c, flag});
      EXPECT_EQ(r.exit_code, 0) << c << " " << flag << ": " << r.err;
      EXPECT_THAT(r.out, HasSubstr("--json")) << c;
      EXPECT_EQ(r.err, "") << c;
    }
  }
  // `verify -h` is help, never a token sent to a server.
  ProcessResult r = Cli({"verify", "-h", "--server", "127.0.0.1:1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("--jwks"));
}

TEST_F(CommandLineTest, VersionOnBothBinaries) {
  ProcessResult cli = Cli({"--version"});
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_THAT(cli.out, ::testing::MatchesRegex("[0-9]+\\.[0-9]+\\.[0-9]+\n"));
  ProcessResult server = Server({"--version"});
  EXPECT_EQ(server.exit_code, 0) << server.err;
  EXPECT_EQ(server.out, cli.out);
}

TEST_F(CommandLineTest, UsageErrorsExitTwoWithoutEchoingValues) {
  const std::string secret = "s3cr3t-value-never-echoed";
  const std::vector<std::vector<std::string>> cases = {
      {},                                    // no command
      {"frobnicate"},                        // unknown command
      {secret},                              // a token as command
      {"verify"},                            // missing token
      {"verify", "a.b.c", secret},           // two tokens
      {"issue", "--caler-token=" + secret},  // misspelt flag
      {"issue", "--caler-token", secret},
      {"keys", "--server"},  // missing value
      {"keygen", "--alg", "ES256", "--bogus"},
      {"verify", "--json=" + secret, "a.b.c"},  // a flag's value
      {"keys", "--jwks=" + secret},
  };
  for (const std::vector<std::string>& args : cases) {
    ProcessResult r = Cli(args);
    EXPECT_EQ(r.exit_code, 2) << ::testing::PrintToString(args) << r.err;
    EXPECT_THAT(r.out + r.err, Not(HasSubstr(secret)))
        << ::testing::PrintToString(args);
    EXPECT_NE(r.err, "") << ::testing::PrintToString(args);
  }
  ProcessResult r = Cli({"issue", "--caler-token=" + secret});
  EXPECT_THAT(r.err, HasSubstr("unknown option --caler-token"));
  r = Cli({"keys", "--jwks=" + secret});
  EXPECT_THAT(r.err, HasSubstr("--jwks (the value is not shown)"));
}

TEST_F(CommandLineTest, ServerHelpAndUsageErrors) {
  ProcessResult r = Server({"--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("--check-config"));
  EXPECT_THAT(r.out, HasSubstr("--print-dev-config"));
  r = Server({"--bogus"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = Server({"--config"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = Server({"--print-dev-config"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("issuer: jwtauth-dev"));
  // --config=FILE form, then --check-config on the printed dev config.
  const std::string dev = tmp_.Write("dev.yaml", r.out);
  r = Server({"--check-config", "--config=" + dev});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("config OK"));
}

}  // namespace
}  // namespace jwtauth::cli
