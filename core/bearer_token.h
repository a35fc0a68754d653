#ifndef JWTAUTH_CORE_BEARER_TOKEN_H_
#define JWTAUTH_CORE_BEARER_TOKEN_H_

#include <optional>

#include "absl/strings/string_view.h"

namespace jwtauth {

// Token from a Verify `token` field or an Authorization header value:
// "Bearer <t>" (scheme case-insensitive, one or more spaces, RFC 6750 §2.1)
// → "<t>"; "Bearer" with nothing after it → ""; anything else is returned
// unchanged (a raw token). One reading for the service, the CLI and the
// client's local verification, so a token means the same to all of them.
absl::string_view ExtractBearerOrRawToken(absl::string_view value);

// The bearer token of an Authorization header value, or nullopt if the value
// is not "Bearer <token>" (no raw-token fallback).
std::optional<absl::string_view> ParseBearerHeader(absl::string_view value);

}  // namespace jwtauth

#endif  // JWTAUTH_CORE_BEARER_TOKEN_H_
