#ifndef JWTAUTH_CLI_OFFLINE_VERIFIER_H_
#define JWTAUTH_CLI_OFFLINE_VERIFIER_H_

// Offline verification for `jwtauth verify --config FILE` and `jwtauth
// verify --jwks FILE|URL --iss ISS --aud AUD`. --config loads the config
// file the server would load, builds the same serving state with the
// server's thread-free ServingStateBuilder (keys, secrets, providers,
// limits), fetches each JWKS URL once (no refresher thread, no early
// refetch), and answers with the server's own HandleVerify, so the operator
// sees exactly what production would answer.
//
// Warnings and JWKS fetch failures go to stderr as JSON lines, like the
// server's. Errors: the config's own (InvalidArgument "file:line:col: field:
// reason") and those of HandleVerify (InvalidArgument for an unknown
// provider). One call per process is the intended use.
//
// --jwks builds the config of one provider "jwks" (those issuers and
// audiences, the JWKS file or URL as its only key source, the default
// policy otherwise) and verifies exactly as above: a file is a JWKS or a
// single JWK (`jwks_file`), an http(s) URL is fetched once with core's JWKS
// fetcher (`jwks_urls`, so https, or http to loopback only).

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "jwtauth/v1/auth.pb.h"

namespace jwtauth::cli {

absl::StatusOr<v1::VerifyResponse> VerifyOffline(
    const std::string& config_path, const v1::VerifyRequest& request);

struct JwksVerifyOptions {
  std::string jwks;  // a file path, or an http:// or https:// URL
  std::vector<std::string> issuers;    // at least one
  std::vector<std::string> audiences;  // at least one
};

// InvalidArgument for missing issuers/audiences or a refused URL; NotFound
// for an unreadable file.
absl::StatusOr<v1::VerifyResponse> VerifyOfflineWithJwks(
    const JwksVerifyOptions& options, const v1::VerifyRequest& request);

}  // namespace jwtauth::cli

#endif  // JWTAUTH_CLI_OFFLINE_VERIFIER_H_
