#ifndef JWTAUTH_CORE_BASE64URL_H_
#define JWTAUTH_CORE_BASE64URL_H_

// Strict base64url (RFC 4648 §5, as JOSE uses it, RFC 7515 §2): alphabet
// A-Z a-z 0-9 - _ only; no padding, no whitespace, no '+' or '/'; a length
// of 4k+1 is invalid; unused trailing bits must be zero (canonical encoding
// only, so one token has exactly one spelling).

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace jwtauth {

std::string Base64UrlEncode(absl::string_view data);
// nullopt on any deviation from the strict form above.
std::optional<std::string> Base64UrlDecode(absl::string_view encoded);
// Appends into `out` (no allocation beyond growth); false on invalid input,
// leaving `out` unspecified.
bool Base64UrlDecodeTo(absl::string_view encoded, std::string& out);

}  // namespace jwtauth

#endif  // JWTAUTH_CORE_BASE64URL_H_
