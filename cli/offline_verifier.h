#ifndef JWTAUTH_CLI_OFFLINE_VERIFIER_H_
#define JWTAUTH_CLI_OFFLINE_VERIFIER_H_

// Offline verification for `jwtauth verify --config FILE`: loads the config
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

#include <string>

#include "absl/status/statusor.h"
#include "jwtauth/v1/auth.pb.h"

namespace jwtauth::cli {

absl::StatusOr<v1::VerifyResponse> VerifyOffline(
    const std::string& config_path, const v1::VerifyRequest& request);

}  // namespace jwtauth::cli

#endif  // JWTAUTH_CLI_OFFLINE_VERIFIER_H_
