#ifndef JWTAUTH_CORE_JWK_H_
#define JWTAUTH_CORE_JWK_H_

// Import of JWK / JWKS (RFC 7517, 7518 §6, RFC 8037) and PEM into Keys, and
// export of public JWKS. Untrusted JWKS text goes through ParseJsonBounded.
//
// A JWKS import is skip-and-report: entries that are invalid, not for
// signatures (use != "sig", or key_ops without "verify"), use an unknown
// kty/crv/alg, or are too weak are skipped, each with a short reason in
// `skipped`; the rest load. Duplicate kids within one set are reported (the
// first wins). Private JWK members are accepted for own signing keys
// (ImportPrivateJwk) but never exported.
//
//   JwkImportOptions opts{.source = "jwks:https://idp/keys"};
//   absl::StatusOr<JwksImport> set = ImportJwks(body, opts);

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/crypto/key_material.h"
#include "core/json_limits.h"
#include "core/key.h"
#include "nlohmann/json.hpp"

namespace jwtauth {

struct JwkImportOptions {
  std::string source;
  absl::Time loaded_at = absl::InfinitePast();
  crypto::KeyStrengthPolicy strength;
  size_t max_keys = 100;            // entries beyond this are skipped
  JsonLimits json_limits{.max_bytes = 1024 * 1024, .max_depth = 8,
                         .max_values = 100000, .max_object_members = 10000,
                         .require_object = true};
};

struct JwksImport {
  std::vector<Key> keys;
  std::vector<std::string> skipped;  // "key 3 (kid \"a\"): use is not sig"
};

// A single JWK object (already parsed). Private members are ignored: the
// key is imported as public (oct keys are secrets by nature and are kept).
absl::StatusOr<Key> ImportJwk(const nlohmann::json& jwk,
                              const JwkImportOptions& options);
// A single JWK that must carry private material (own signing key).
absl::StatusOr<Key> ImportPrivateJwk(const nlohmann::json& jwk,
                                     const JwkImportOptions& options);
// JWKS text {"keys":[...]} or a single JWK object. InvalidArgument when the
// text is not JSON / not a JWKS; otherwise skip-and-report.
absl::StatusOr<JwksImport> ImportJwks(absl::string_view text,
                                      const JwkImportOptions& options);

// {"keys":[...]} with the public JWK of every non-oct key; oct keys are
// omitted, never exported.
nlohmann::json ExportPublicJwks(const std::vector<Key>& keys);

}  // namespace jwtauth

#endif  // JWTAUTH_CORE_JWK_H_
