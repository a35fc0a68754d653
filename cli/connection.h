#ifndef JWTAUTH_CLI_CONNECTION_H_
#define JWTAUTH_CLI_CONNECTION_H_

// The client a command talks to the server with, from the connection flags:
// --server ADDR (default $JWTAUTH_SERVER, else 127.0.0.1:50051), --tls-ca
// FILE [--tls-cert FILE --tls-key FILE] for TLS / mTLS (plaintext without
// --tls-ca), --timeout DURATION (the client's default deadline).
//
// Errors: InvalidArgument for contradictory or malformed flags, NotFound for
// an unreadable certificate or key file. Nothing is dialled until the first
// call.

#include "absl/status/statusor.h"
#include "cli/args.h"
#include "client/client.h"

namespace jwtauth::cli {

absl::StatusOr<client::Client> Connect(const Args& args);

}  // namespace jwtauth::cli

#endif  // JWTAUTH_CLI_CONNECTION_H_
