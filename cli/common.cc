#include "cli/common.h"

#include <fstream>
#include <iostream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "server/proto_json.h"

namespace jwtauth::cli {

int UsageError(absl::string_view what, absl::string_view message) {
  std::cerr << "jwtauth " << what << ": " << message
            << "\nRun with --help for more information.\n";
  return kExitUsage;
}

int ReportError(absl::string_view what, const absl::Status& status) {
  std::cerr << "jwtauth " << what << ": "
            << absl::StatusCodeToString(status.code()) << ": "
            << status.message() << "\n";
  return kExitError;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read"));
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string TokenArgument(const std::string& arg) {
  if (arg != "-") return std::string(absl::StripAsciiWhitespace(arg));
  std::string s(std::istreambuf_iterator<char>(std::cin), {});
  return std::string(absl::StripAsciiWhitespace(s));
}

std::string FormatUtc(absl::Time t) {
  return absl::FormatTime(absl::RFC3339_sec, t, absl::UTCTimeZone());
}

std::string FormatTimestamp(const google::protobuf::Timestamp& ts) {
  return FormatUtc(server::FromProtoTimestamp(ts));
}

}  // namespace jwtauth::cli
