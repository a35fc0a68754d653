// libFuzzer target for the JWK/JWKS importer (core/jwk.h). Any input must be
// handled without a crash, and:
//   - at most max_keys keys load, each serving at least one algorithm;
//   - every skipped entry has a non-empty reason;
//   - the exported public JWKS never carries "k" or "d", and every exported
//     key re-imports to the same key material.
// Seeds: tests/fuzz/corpus/jwk/ (replayed by tests/core/jwk_test.cc).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/jwk.h"

namespace {

[[noreturn]] void Violated(const char* what) {
  std::fprintf(stderr, "jwk property violated: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  jwtauth::JwkImportOptions opts;
  opts.max_keys = 8;
  absl::StatusOr<jwtauth::JwksImport> r = jwtauth::ImportJwks(input, opts);
  if (!r.ok()) return 0;
  if (r->keys.size() > opts.max_keys) Violated("more than max_keys loaded");
  for (const std::string& s : r->skipped) {
    if (s.empty()) Violated("empty skip reason");
  }
  for (const jwtauth::Key& key : r->keys) {
    bool serves_any = false;
    for (jwtauth::Algorithm alg : jwtauth::kAllAlgorithms) {
      serves_any = serves_any || key.Serves(alg);
    }
    if (!serves_any) Violated("key serves no algorithm");
  }
  nlohmann::json exported = jwtauth::ExportPublicJwks(r->keys);
  for (const nlohmann::json& jwk : exported["keys"]) {
    if (jwk.contains("k") || jwk.contains("d")) Violated("secret exported");
    absl::StatusOr<jwtauth::Key> back = jwtauth::ImportJwk(jwk, opts);
    if (!back.ok()) Violated("exported key does not re-import");
  }
  return 0;
}
