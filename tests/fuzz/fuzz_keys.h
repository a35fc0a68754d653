#ifndef JWTAUTH_TESTS_FUZZ_FUZZ_KEYS_H_
#define JWTAUTH_TESTS_FUZZ_FUZZ_KEYS_H_

// The fixed key set of the fuzz targets: tests/fuzz/keys/fuzz_keys.jwks.json,
// one private JWK per JWS algorithm (kid "fz-<alg>", bound to its alg).
// Test-only keys, published in the repository on purpose: the seed corpora
// hold tokens signed with them, so the fuzzer starts past the signature
// check. The path is compiled in (JWTAUTH_FUZZ_KEYS_FILE). A missing or
// broken file aborts: it is a broken harness, not a finding.

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/jwk.h"
#include "core/key.h"
#include "nlohmann/json.hpp"

namespace jwtauth::fuzz {

[[noreturn]] inline void HarnessBroken(const std::string& what) {
  std::fprintf(stderr, "fuzz harness broken: %s\n", what.c_str());
  std::abort();
}

// The JWKs of the file, in file order (private members included).
inline std::vector<nlohmann::json> FuzzJwks() {
  std::ifstream in(JWTAUTH_FUZZ_KEYS_FILE, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  nlohmann::json doc =
      nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array()) {
    HarnessBroken(std::string("cannot read ") + JWTAUTH_FUZZ_KEYS_FILE);
  }
  return doc["keys"].get<std::vector<nlohmann::json>>();
}

// Public (verification) keys of the file; `drop_kid` imports them without
// their kid.
inline std::vector<Key> FuzzVerificationKeys(bool drop_kid = false) {
  std::vector<Key> keys;
  for (nlohmann::json jwk : FuzzJwks()) {
    if (drop_kid) jwk.erase("kid");
    absl::StatusOr<Key> key = ImportJwk(jwk, JwkImportOptions{});
    if (!key.ok()) HarnessBroken(key.status().ToString());
    keys.push_back(*std::move(key));
  }
  return keys;
}

}  // namespace jwtauth::fuzz

#endif  // JWTAUTH_TESTS_FUZZ_FUZZ_KEYS_H_
