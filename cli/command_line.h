#ifndef JWTAUTH_CLI_COMMAND_LINE_H_
#define JWTAUTH_CLI_COMMAND_LINE_H_

// The `jwtauth` command line on CLI11: the subcommand registry and the one
// place where CLI11's parse errors become exit codes.
//
// --help / -h (on the tool and on every subcommand) and --version print to
// stdout and exit 0; every parse error exits 2 (kExitUsage) with CLI11's
// message. Unknown arguments are reported by name only: a value (the part
// after '=', or a positional) might be a token or a secret, so it is never
// echoed.

#include <functional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"

namespace jwtauth::cli {

// One subcommand: its CLI11 app (flags bound to state the runner owns) and
// the function that runs it once parsing succeeded.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

// Parses argv into `root` and runs the selected command. Never throws.
int ParseAndRun(CLI::App& root, const std::vector<Command>& commands, int argc,
                char** argv);

// Registers the --json switch every subcommand has.
void AddJsonFlag(CLI::App* app, bool* json);

// A flag that takes one value per use and may be repeated ("--aud a --aud
// b"); unlike CLI11's default for a vector it never swallows the following
// positional ("--aud a TOKEN").
CLI::Option* AddRepeatable(CLI::App* app, const std::string& name,
                           std::vector<std::string>* values,
                           const std::string& description);

}  // namespace jwtauth::cli

#endif  // JWTAUTH_CLI_COMMAND_LINE_H_
