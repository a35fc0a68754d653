// libFuzzer target: every input must satisfy the base64url properties in
// tests/fuzz/parse_properties.h; a violation aborts with its description.
// Seeds: tests/fuzz/corpus/base64url/ (see tests/fuzz/README.md).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "tests/fuzz/parse_properties.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const jwtauth::testutil::PropertyResult r =
      jwtauth::testutil::CheckBase64UrlProperties(input);
  if (!r.violation.empty()) {
    std::fprintf(stderr, "base64url property violated: %s\n",
                 r.violation.c_str());
    std::abort();
  }
  return 0;
}
