#ifndef JWTAUTH_CLI_ARGS_H_
#define JWTAUTH_CLI_ARGS_H_

// Command-line plumbing shared by the `jwtauth` commands: exit codes, the
// usage text, "--flag value" / "--flag=value" parsing, and the few input and
// output helpers every command uses. Tokens and secrets are never echoed in
// an error message.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/timestamp.pb.h"

namespace jwtauth::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitInvalidToken = 1;  // verify only
inline constexpr int kExitUsage = 2;
inline constexpr int kExitError = 3;  // RPC, configuration or I/O error

// The full usage text (`jwtauth help`).
absl::string_view UsageText();

// Prints "jwtauth: <message>" and the usage text to stderr; returns
// kExitUsage.
int UsageError(absl::string_view message);

// Prints "jwtauth <what>: <CODE>: <message>" to stderr; returns kExitError.
int ReportError(absl::string_view what, const absl::Status& status);

// Parsed "--flag value" / "--flag=value" options plus positionals.
struct Args {
  std::vector<std::string> positional;
  std::multimap<std::string, std::string> flags;
  std::vector<std::string> switches;

  std::optional<std::string> Get(const std::string& name) const;
  std::vector<std::string> All(const std::string& name) const;
  bool Has(const std::string& name) const;  // a switch
};

// Parses argv[start..]: `value_flags` take a value, `bool_flags` none; "--"
// ends the flags. Returns the error message of a usage error, or nullopt.
std::optional<std::string> ParseArgs(
    int argc, char** argv, int start,
    const std::vector<std::string>& value_flags,
    const std::vector<std::string>& bool_flags, Args* out);

// The connection flags (--server, --tls-ca, --tls-cert, --tls-key,
// --timeout) plus a command's own value flags.
std::vector<std::string> WithConnectionFlags(std::vector<std::string> flags);

absl::StatusOr<std::string> ReadFile(const std::string& path);
// A token given as "-": stdin, surrounding whitespace removed.
std::string ReadStdinToken();
// RFC 3339, seconds, UTC.
std::string FormatTimestamp(const google::protobuf::Timestamp& ts);

}  // namespace jwtauth::cli

#endif  // JWTAUTH_CLI_ARGS_H_
