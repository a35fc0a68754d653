#ifndef JWTAUTH_CORE_JSON_FLAT_SCAN_H_
#define JWTAUTH_CORE_JSON_FLAT_SCAN_H_

// The fast path of ScanJsonBounded (core/json_limits.h) for the usual JWT
// claims set. Internal: use ScanJsonBounded.
//
// It reads one flat object whose member names and string values are
// printable ASCII without escapes, and whose other values are integers from
// 0 to 2^64-1 written without sign, fraction or exponent, true, false or
// null. Such a document has one spelling per name (so a duplicate is equal
// bytes) and reads to the same values as in the tree, and its limits can be
// counted before anything is kept. On anything else it gives up before any
// target is written, and the full scan decides: so it never accepts what
// the full scan rejects nor reads a value differently. The json_limits
// fuzzer checks ScanJsonBounded against ParseJsonBounded on every input.

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "core/json_limits.h"

namespace jwtauth::json_internal {

// True when `text` is such a document within `limits`: every top-level
// member then went to `target_for` as ScanJsonBounded would send it. False,
// with nothing written and `target_for` never called, otherwise.
bool ScanFlatObject(
    absl::string_view text, const JsonLimits& limits,
    absl::FunctionRef<ScanTarget(absl::string_view)> target_for);

}  // namespace jwtauth::json_internal

#endif  // JWTAUTH_CORE_JSON_FLAT_SCAN_H_
