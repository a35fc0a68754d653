#ifndef JWTAUTH_CLI_COMMANDS_H_
#define JWTAUTH_CLI_COMMANDS_H_

// The `jwtauth` subcommands. Each Add* registers its subcommand, flags and
// help text on the root app and returns the Command that runs it: the
// result goes to stdout (with --json as one JSON document), errors to
// stderr, and the return value is the exit code (cli/common.h).

#include "CLI/CLI.hpp"
#include "cli/command_line.h"

namespace jwtauth::cli {

// verify TOKEN|- [--server ADDR | --config FILE | --jwks FILE|URL --iss ISS
//        [--aud AUD]] [--provider P] [--audience A]   (verify_command.cc)
Command AddVerifyCommand(CLI::App& root);
// issue [--sub S] [--aud A]... [--claim K=V]... [--claims JSON] [--ttl D]
//       [--subject-token T|-] [--caller-token T]   (issue_command.cc)
Command AddIssueCommand(CLI::App& root);
// keys [--provider P] [--jwks]   (keys_command.cc)
Command AddKeysCommand(CLI::App& root);
// keygen --alg ALG [--kid KID]   (keygen_command.cc)
Command AddKeygenCommand(CLI::App& root);
// inspect TOKEN|-   (inspect_command.cc): decode without verification
Command AddInspectCommand(CLI::App& root);
// jwks FILE...   (jwks_command.cc): a public JWKS from PEM / JWK files
Command AddJwksCommand(CLI::App& root);

}  // namespace jwtauth::cli

#endif  // JWTAUTH_CLI_COMMANDS_H_
