#include "core/bearer_token.h"

#include "absl/strings/match.h"

namespace jwtauth {
namespace {

constexpr absl::string_view kBearer = "bearer";

}  // namespace

absl::string_view ExtractBearerOrRawToken(absl::string_view value) {
  if (value.size() >= kBearer.size() &&
      absl::EqualsIgnoreCase(value.substr(0, kBearer.size()), kBearer)) {
    absl::string_view rest = value.substr(kBearer.size());
    if (rest.empty()) return rest;  // "Bearer" alone: no token
    if (rest.front() == ' ') {
      // RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token
      while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
      return rest;
    }
  }
  return value;  // a raw token ("BearerX..." is not a scheme either)
}

std::optional<absl::string_view> ParseBearerHeader(absl::string_view value) {
  if (value.size() <= kBearer.size() ||
      !absl::EqualsIgnoreCase(value.substr(0, kBearer.size()), kBearer) ||
      value[kBearer.size()] != ' ') {
    return std::nullopt;
  }
  absl::string_view token = ExtractBearerOrRawToken(value);
  if (token.empty()) return std::nullopt;
  return token;
}

}  // namespace jwtauth
