// libFuzzer target: every input must satisfy the json_limits properties in
// tests/fuzz/parse_properties.h; a violation aborts with its description.
// Seeds: tests/fuzz/corpus/json_limits/ (see tests/fuzz/README.md).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "tests/fuzz/parse_properties.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const jwtauth::testutil::PropertyResult r =
      jwtauth::testutil::CheckJsonLimitsProperties(input);
  if (!r.violation.empty()) {
    std::fprintf(stderr, "json_limits property violated: %s\n",
                 r.violation.c_str());
    std::abort();
  }
  return 0;
}
