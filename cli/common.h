#ifndef JWTAUTH_CLI_COMMON_H_
#define JWTAUTH_CLI_COMMON_H_

// What every `jwtauth` command shares: the exit codes, error reporting, and
// the few input and output helpers. Tokens and secrets are never echoed in
// an error message.

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace jwtauth::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitInvalidToken = 1;  // verify only
inline constexpr int kExitUsage = 2;
inline constexpr int kExitError = 3;  // RPC, configuration or I/O error

// Prints "jwtauth <what>: <message>" to stderr; returns kExitUsage. For
// usage errors found after parsing (contradictory flags, bad values).
int UsageError(absl::string_view what, absl::string_view message);

// Prints "jwtauth <what>: <CODE>: <message>" to stderr; returns kExitError.
int ReportError(absl::string_view what, const absl::Status& status);

absl::StatusOr<std::string> ReadFile(const std::string& path);
// A token argument: "-" reads stdin; surrounding whitespace removed.
std::string TokenArgument(const std::string& arg);
// RFC 3339, seconds, UTC.
std::string FormatUtc(absl::Time t);
std::string FormatTimestamp(const google::protobuf::Timestamp& ts);

}  // namespace jwtauth::cli

#endif  // JWTAUTH_CLI_COMMON_H_
