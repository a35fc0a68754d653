#include "cli/command_line.h"

#include <exception>
#include <iostream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/common.h"

namespace jwtauth::cli {
namespace {

// "unknown option --x" / "unexpected argument" for what CLI11 left over,
// naming flags only (never a value).
std::string LeftoverMessage(const std::vector<std::string>& leftovers) {
  std::vector<std::string> flags;
  size_t values = 0;
  for (const std::string& a : leftovers) {
    if (absl::StartsWith(a, "-") && a.size() > 1) {
      flags.push_back(a.substr(0, a.find('=')));
    } else {
      ++values;
    }
  }
  std::string message;
  if (!flags.empty()) {
    message =
        absl::StrCat(flags.size() == 1 ? "unknown option " : "unknown options ",
                     absl::StrJoin(flags, ", "));
  }
  if (values > 0) {
    absl::StrAppend(
        &message, message.empty() ? "" : "; ", values,
        values == 1 ? " unexpected argument" : " unexpected arguments",
        " (not shown: it may be a token)");
  }
  return message;
}

// CLI11's message, except that a conversion or validation error quotes the
// rejected value ("Could not convert: --json = VALUE"): cut at the value.
std::string SafeMessage(const CLI::ParseError& e) {
  std::string message = e.what();
  if (e.get_name() == "ConversionError" || e.get_name() == "ValidationError") {
    const size_t value = message.find(" = ");
    message =
        value == std::string::npos ? e.get_name() : message.substr(0, value);
    message += " (the value is not shown)";
  }
  return message;
}

int ParseError(CLI::App& root, const CLI::ParseError& e) {
  if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
    root.exit(e);  // --help, --version: to stdout
    return kExitOk;
  }
  std::cerr << "jwtauth: " << SafeMessage(e)
            << "\nRun with --help for more information.\n";
  return kExitUsage;
}

}  // namespace

void AddJsonFlag(CLI::App* app, bool* json) {
  app->add_flag("--json", *json, "Print the result as one JSON document");
}

CLI::Option* AddRepeatable(CLI::App* app, const std::string& name,
                           std::vector<std::string>* values,
                           const std::string& description) {
  return app->add_option(name, *values, description)
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

int ParseAndRun(CLI::App& root, const std::vector<Command>& commands, int argc,
                char** argv) {
  try {
    root.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return ParseError(root, e);
  } catch (const std::exception&) {
    std::cerr << "jwtauth: cannot parse the command line\n";
    return kExitUsage;
  }
  for (const Command& c : commands) {
    if (!c.app->parsed()) continue;
    std::vector<std::string> leftovers = c.app->remaining();
    for (const std::string& a : root.remaining()) leftovers.push_back(a);
    if (!leftovers.empty()) {
      return UsageError(c.app->get_name(), LeftoverMessage(leftovers));
    }
    try {
      return c.run();
    } catch (const std::exception&) {
      // Commands report their errors as values; this is a last guard (a
      // JSON library exception, whose text may quote the input).
      std::cerr << "jwtauth " << c.app->get_name()
                << ": internal error (unexpected exception)\n";
      return kExitError;
    }
  }
  if (!root.remaining().empty()) {
    std::cerr << "jwtauth: unknown command or option ("
              << LeftoverMessage(root.remaining())
              << ")\nRun with --help for more information.\n";
    return kExitUsage;
  }
  std::cerr << root.help();
  return kExitUsage;
}

}  // namespace jwtauth::cli
