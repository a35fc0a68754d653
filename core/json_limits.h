#ifndef JWTAUTH_CORE_JSON_LIMITS_H_
#define JWTAUTH_CORE_JSON_LIMITS_H_

// Bounded JSON parsing for untrusted input (token headers/payloads, JWKS
// bodies). Checks, in order: byte size, then while parsing (streaming, so a
// hostile document is stopped early) nesting depth, total number of values,
// duplicate member names in any object (RFC 7515 §4: reject), valid UTF-8,
// and that the top level is an object when required. Never throws.
//
//   JsonLimits limits;  // defaults suit a JWT payload
//   absl::StatusOr<nlohmann::json> claims = ParseJsonBounded(text, limits);

#include <cstddef>
#include <optional>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace jwtauth {

struct JsonLimits {
  size_t max_bytes = 64 * 1024;
  int max_depth = 16;         // nesting of objects/arrays; top level = 1
  size_t max_values = 10000;  // every scalar, object and array counts once
  size_t max_object_members = 1000;  // members in any single object
  bool require_object = true;        // the top-level value must be an object

  friend bool operator==(const JsonLimits&, const JsonLimits&) = default;
};

// Why a bounded parse failed. The verifier maps a kind to a FailureReason
// (kTooLarge → TOKEN_TOO_LARGE, the rest → MALFORMED).
enum class JsonErrorKind : unsigned char {
  kTooLarge,         // more than max_bytes
  kTooDeep,          // more than max_depth
  kTooManyValues,    // more than max_values in the document
  kTooManyMembers,   // more than max_object_members in one object
  kDuplicateMember,  // a member name twice in one object
  kNotObject,        // require_object and the top level is no object
  kInvalid,          // syntax, UTF-8, surrogates, trailing bytes, BOM
};

// The fixed phrase of a kind (the status message ParseJsonBounded uses).
absl::string_view JsonErrorPhrase(JsonErrorKind kind);

// The kind of a status returned by ParseJsonBounded; nullopt for any other
// status (including OK).
std::optional<JsonErrorKind> JsonErrorKindOf(const absl::Status& status);

// InvalidArgument with a short phrase (JsonErrorPhrase; the kind is also
// attached, read it with JsonErrorKindOf): "JSON too large", "JSON nested too
// deeply", "duplicate member name", "too many members" (one object),
// "too many values" (whole document), "not a JSON object", "invalid JSON"
// (syntax, invalid UTF-8 or lone surrogates, trailing bytes, a byte-order
// mark). The phrase never quotes the input. Thread-safe (no shared state).
absl::StatusOr<nlohmann::json> ParseJsonBounded(absl::string_view text,
                                                const JsonLimits& limits);

// Checks `text` exactly as ParseJsonBounded does (same limits, same order
// of checks, same statuses) but builds only what the caller asks for: for
// each member of the top-level object, `slot_for(name)` returns where its
// value goes, or nullptr to validate it without keeping it. For a reader
// that needs a few known members (the registered claims of a JWT) and not
// the tree. Slots are written only while the scan runs; on failure their
// contents are unspecified.
absl::Status ScanJsonBounded(
    absl::string_view text, const JsonLimits& limits,
    absl::FunctionRef<nlohmann::json*(absl::string_view name)> slot_for);

// Where the ScanJsonBounded below puts one top-level member's value:
// `value` receives it (nullptr: validated, not kept). When `text` is set
// too, a string value goes there instead, swapped in from the reader's
// buffer (no nlohmann::json string, no copy), and `*is_text` is set to
// true; `*value` is then left as it was. Any other value goes to `*value`
// and leaves `*is_text` alone.
struct ScanTarget {
  nlohmann::json* value = nullptr;
  std::string* text = nullptr;  // requires value and is_text
  bool* is_text = nullptr;
};

// The same, with a target per member that may take strings as text.
absl::Status ScanJsonBounded(
    absl::string_view text, const JsonLimits& limits,
    absl::FunctionRef<ScanTarget(absl::string_view name)> target_for);

}  // namespace jwtauth

#endif  // JWTAUTH_CORE_JSON_LIMITS_H_
