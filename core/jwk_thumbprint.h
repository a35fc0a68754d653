#ifndef JWTAUTH_CORE_JWK_THUMBPRINT_H_
#define JWTAUTH_CORE_JWK_THUMBPRINT_H_

// JWK Thumbprint (RFC 7638): base64url(SHA-256(the required members of the
// key, lexicographically ordered, no whitespace)). Required members: RSA
// {e, kty, n}, EC {crv, kty, x, y}, OKP {crv, kty, x}, oct {k, kty}; every
// other member (kid, alg, use, private members) is ignored, so the public
// and private forms of a key share one thumbprint. Used as a kid where a
// key has none.
//
// InvalidArgument when `jwk` is not an object, its kty is unknown, or a
// required member is missing or not a string. Pure; thread-safe.
//
//   absl::StatusOr<std::string> kid = JwkThumbprint(*key.ToPublicJwk());

#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace jwtauth {

absl::StatusOr<std::string> JwkThumbprint(const nlohmann::json& jwk);

}  // namespace jwtauth

#endif  // JWTAUTH_CORE_JWK_THUMBPRINT_H_
