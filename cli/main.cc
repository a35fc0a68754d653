// jwtauth: command line tool for the jwtauth service.
//
//   jwtauth verify TOKEN|-   with a server, a server config file, or a JWKS
//   jwtauth issue            ask the server for a token
//   jwtauth keys             the server's keys / public JWKS
//   jwtauth keygen           a new signing key
//   jwtauth inspect TOKEN|-  decode a token WITHOUT verifying it
//   jwtauth jwks FILE...     a public JWKS from PEM / JWK files
//
// `jwtauth --help`, `jwtauth COMMAND --help` describe the flags; every
// command takes --json. Exit codes: 0 ok (verify: token valid), 1 token
// invalid, 2 usage error, 3 RPC / configuration / I/O error. Tokens and
// secrets are never echoed in error messages.

#include <cstdio>
#include <vector>

#include "CLI/CLI.hpp"
#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/common.h"

#ifndef JWTAUTH_VERSION
#define JWTAUTH_VERSION "0.0.0"
#endif

namespace jwtauth::cli {
namespace {

constexpr char kFooter[] = R"(
Exit codes: 0 ok / token valid, 1 token invalid, 2 usage error,
            3 RPC, configuration or I/O error.
Run `jwtauth COMMAND --help` for a command's flags.)";

int Main(int argc, char** argv) {
  CLI::App root(
      "jwtauth: verify, issue and inspect JSON Web Tokens with the "
      "jwtauth service",
      "jwtauth");
  root.set_version_flag("--version", JWTAUTH_VERSION);
  root.footer(kFooter);
  root.allow_extras();
  std::vector<Command> commands = {
      AddVerifyCommand(root), AddIssueCommand(root),   AddKeysCommand(root),
      AddKeygenCommand(root), AddInspectCommand(root), AddJwksCommand(root)};
  for (Command& c : commands) c.app->allow_extras();
  return ParseAndRun(root, commands, argc, argv);
}

}  // namespace
}  // namespace jwtauth::cli

int main(int argc, char** argv) {
  // CLI11 and nlohmann::json throw; the commands catch what they expect and
  // nothing else may escape main. The message is fixed: an exception's text
  // could quote an argument (a token, a secret).
  try {
    return jwtauth::cli::Main(argc, argv);
  } catch (...) {
    std::fputs("jwtauth: internal error (unexpected exception)\n", stderr);
  }
  return jwtauth::cli::kExitError;
}
