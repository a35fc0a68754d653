#ifndef JWTAUTH_CLIENT_OFFLINE_VERIFIER_H_
#define JWTAUTH_CLIENT_OFFLINE_VERIFIER_H_

// Offline verification for `jwtauth verify --config FILE`: loads the same
// config file the server would (server/config), builds the same ServingState
// through the server's Application (keys, secrets, providers, limits), fetches
// each JWKS URL once (no refresher thread), and answers with the Verify RPC's
// own semantics (server::VerifyWithState), so the operator sees exactly what
// production would answer.
//
// Errors: the config's own errors (InvalidArgument "file:line:col: field:
// reason"), UNAVAILABLE/INVALID_ARGUMENT as the RPC would return them, and
// Unimplemented when this build has no server Application. Not thread-safe
// (one call per process is the intended use).

#include <string>

#include "absl/status/statusor.h"
#include "jwtauth/v1/auth.pb.h"

namespace jwtauth::client {

absl::StatusOr<v1::VerifyResponse> VerifyOffline(
    const std::string& config_path, const v1::VerifyRequest& request);

}  // namespace jwtauth::client

#endif  // JWTAUTH_CLIENT_OFFLINE_VERIFIER_H_
