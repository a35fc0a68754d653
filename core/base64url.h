#ifndef JWTAUTH_CORE_BASE64URL_H_
#define JWTAUTH_CORE_BASE64URL_H_

// Strict base64url (RFC 4648 §5, as JOSE uses it, RFC 7515 §2): alphabet
// A-Z a-z 0-9 - _ only; no padding, no whitespace, no '+' or '/'; a length
// of 4k+1 is invalid; unused trailing bits must be zero (canonical encoding
// only, so one token has exactly one spelling).

#include <cstddef>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace jwtauth {

// Thread-safe, allocation only for the result; decoding never throws and
// has no per-character branches: sixteen characters per SSSE3 step where
// the CPU has it (x86-64), a lookup table otherwise and for the rest.
//
//   std::string enc = Base64UrlEncode(bytes);
//   std::optional<std::string> dec = Base64UrlDecode(enc);  // == bytes

std::string Base64UrlEncode(absl::string_view data);
// Appends the encoding of `data` to `out` (one growth of `out`).
void Base64UrlEncodeTo(absl::string_view data, std::string& out);
// Length of the unpadded encoding of `n` bytes.
constexpr size_t Base64UrlEncodedLength(size_t n) {
  return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}
// nullopt on any deviation from the strict form above.
std::optional<std::string> Base64UrlDecode(absl::string_view encoded);
// Appends into `out` (no allocation beyond growth); false on invalid input,
// leaving `out` unspecified.
bool Base64UrlDecodeTo(absl::string_view encoded, std::string& out);

}  // namespace jwtauth

#endif  // JWTAUTH_CORE_BASE64URL_H_
