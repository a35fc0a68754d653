#ifndef JWTAUTH_CORE_JWK_H_
#define JWTAUTH_CORE_JWK_H_

// Import of JWK / JWKS (RFC 7517, 7518 §6, RFC 8037) and PEM into Keys, and
// export of public JWKS. Untrusted JWKS text goes through ParseJsonBounded.
//
// A JWKS import is skip-and-report: entries that are invalid, not for
// signatures (use != "sig", or key_ops without "verify"), use an unknown
// kty/crv/alg, or are too weak are skipped, each with a short reason in
// `skipped`; the rest load. Private JWK members are accepted for own signing
// keys (ImportPrivateJwk) but never exported.
//
// Member rules (RFC 7517 §4, RFC 7518 §6, RFC 8037 §2):
//  - "kty" oct / RSA / EC / OKP (case-sensitive); anything else is skipped.
//  - every binary member is strict base64url (core/base64url.h); EC "x"/"y"
//    (and "d") must be exactly the field size; OKP "x" exactly 32 bytes.
//  - "use", if present, must be "sig".
//  - "key_ops", if present, must be an array of distinct strings containing
//    "verify" ("sign" for ImportPrivateJwk); with "use":"sig" it may hold
//    only "sign"/"verify", otherwise the two disagree and the key is skipped.
//  - "alg", if present, binds the key to that one algorithm and must fit the
//    kty/crv (and, for HS*, the secret length: see Key::Create); an alg we
//    do not support (ES224, RSA1_5, A256GCM, "ES521", …) skips the key.
//  - "x5u" is never fetched and "x5c"/"x5t" are ignored: the key is always
//    read from its explicit members, and a certificate chain in a JWK adds no
//    trust here (the JWKS source itself is what is trusted).
//  - unknown members are ignored (RFC 7517 §4).
//
// Set-level rules for ImportJwks:
//  - Entries beyond max_keys are skipped (one report line).
//  - Duplicate kids: when two signature entries (use absent or "sig",
//    key_ops absent or with "verify") share a kid and we cannot show they
//    hold the same key (different material, or one of them failed to
//    import), the kid is ambiguous: every entry with it is dropped and
//    reported. The same key published twice under one kid (e.g. once per
//    alg) is kept.
//  - A set mixing symmetric (oct) keys with asymmetric ones drops the oct
//    entries (reported) unless allow_mixed_symmetric: a published JWKS never
//    carries secrets, so an oct entry next to public keys is a leak or a
//    key-confusion setup.
//  - With allow_symmetric = false (every JWKS fetched from a URL) no oct
//    entry is read at all: each is skipped and reported, so an oct-only
//    document loads nothing.
//
//   JwkImportOptions opts{.source = "jwks:https://idp/keys"};
//   absl::StatusOr<JwksImport> set = ImportJwks(body, opts);

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/crypto/key_material.h"
#include "core/json_limits.h"
#include "core/key.h"
#include "nlohmann/json.hpp"

namespace jwtauth {

struct JwkImportOptions {
  std::string source;
  absl::Time loaded_at = absl::InfinitePast();
  crypto::KeyStrengthPolicy strength;
  size_t max_keys = 100;               // entries beyond this are skipped
  bool allow_mixed_symmetric = false;  // see "Set-level rules" above
  // False: refuse oct keys (a published JWKS carries public keys only; a
  // secret served over HTTP is a misconfiguration or an attack).
  bool allow_symmetric = true;
  JsonLimits json_limits{.max_bytes = 1024 * 1024,
                         .max_depth = 8,
                         .max_values = 100000,
                         .max_object_members = 10000,
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

// Convenience wrappers: KeyMaterial::FromPem / FromSecret + Key::Create.
// ImportSecret sets options.min_hmac_bytes from `strength` (see KeyOptions).
// ImportSecret refuses a secret that is PEM text or an SSH public key (a
// public key used as an HMAC secret makes tokens forgeable).
absl::StatusOr<Key> ImportPem(absl::string_view pem, KeyOptions options,
                              const crypto::KeyStrengthPolicy& strength = {});
absl::StatusOr<Key> ImportSecret(
    absl::string_view secret, KeyOptions options,
    const crypto::KeyStrengthPolicy& strength = {});

// The check ImportSecret applies, for every other place that turns configured
// text into an HMAC secret (e.g. the own signing key): InvalidArgument if the
// text is PEM or an SSH public key.
absl::Status CheckSecretIsNotKeyText(absl::string_view secret);

// The public JWKS document {"keys":[...]}: the public JWK of every non-oct
// key, in order, each distinct JWK once (the same key loaded twice is
// published once); oct keys are omitted, never exported. The one export used
// by /.well-known/jwks.json, ListKeys and the CLI.
nlohmann::json ExportPublicJwks(absl::Span<const Key* const> keys);
nlohmann::json ExportPublicJwks(const std::vector<Key>& keys);
// The same document as text. Never throws: bytes that are not UTF-8 (a kid
// read from a file) are replaced by U+FFFD.
std::string ExportPublicJwksText(absl::Span<const Key* const> keys);

}  // namespace jwtauth

#endif  // JWTAUTH_CORE_JWK_H_
