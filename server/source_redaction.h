#ifndef JWTAUTH_SERVER_SOURCE_REDACTION_H_
#define JWTAUTH_SERVER_SOURCE_REDACTION_H_

// Public forms of key-source ids and JWKS URLs, for everything an
// unauthenticated caller can read (/readyz, /metrics, ListKeys) and for logs
// (no information exposure). Internal source ids name where secrets live
// ("file:/etc/jwtauth/hs.key", "env:HS_SECRET") and JWKS URLs may carry
// credentials ("https://user:pw@idp/keys?token=..."); the public forms keep
// only what identifies a source:
//
//   RedactUrl("https://u:p@idp.example/keys?token=x")
//       == "https://idp.example/keys#1f2e3d4c"
//   PublicSourceId("jwks:https://idp.example/keys") ==
//   "jwks:https://idp.example/keys" PublicSourceId("file:/etc/jwtauth/hs.key")
//   == "file:#a1b2c3d4" PublicSourceId("env:HS_SECRET")                ==
//   "env:#0badf00d"
//
// "#<8 hex>" is a stable (FNV-1a) digest of the full id or URL: it keeps
// distinct sources distinct and lets an operator match the public form to
// the verbose one (server.admin_verbose), without revealing the original.
// It is an identifier, not a secret-protecting hash: do not put secrets in
// file paths or env var names and rely on it.
// Pure functions; thread-safe.

#include <string>

#include "absl/strings/string_view.h"

namespace jwtauth::server {

// scheme://host[:port]/path of `url`, without userinfo, query or fragment;
// "#<digest>" appended when any of those was removed. A string without
// "scheme://" becomes "#<digest>".
std::string RedactUrl(absl::string_view url);

// "jwks:"/"oidc:" ids keep their kind and RedactUrl(url); a bare word id
// ("signing", "ephemeral") is kept; any other id becomes "<kind>:#<digest>".
std::string PublicSourceId(absl::string_view source_id);

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_SOURCE_REDACTION_H_
