#ifndef JWTAUTH_CLI_CONNECTION_H_
#define JWTAUTH_CLI_CONNECTION_H_

// The client a command talks to the server with, from the connection flags:
// --server ADDR (default $JWTAUTH_SERVER, else 127.0.0.1:50051), --tls-ca
// FILE [--tls-cert FILE --tls-key FILE] for TLS / mTLS (plaintext without
// --tls-ca), --timeout DURATION (the client's default deadline).
//
// The channel comes from client::Client::Create (the library's defaults:
// Verify/ListKeys retried on UNAVAILABLE, user agent "jwtauth-cli/<version>
// jwtauth-cpp-client/<version>").
//
// Errors: InvalidArgument for contradictory or malformed flags or a file that
// is not PEM, NotFound for an unreadable certificate or key file (named by
// its client option, e.g. "tls.ca_file: cannot read '...'"). Nothing is
// dialled until the first call.

#include <optional>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "client/client.h"

namespace jwtauth::cli {

struct ConnectionFlags {
  std::optional<std::string> server;
  std::optional<std::string> tls_ca;
  std::optional<std::string> tls_cert;
  std::optional<std::string> tls_key;
  std::optional<std::string> timeout;
};

// Adds the connection flags to `app` (group "Connection").
void AddConnectionFlags(CLI::App* app, ConnectionFlags* flags);

absl::StatusOr<client::Client> Connect(const ConnectionFlags& flags);

}  // namespace jwtauth::cli

#endif  // JWTAUTH_CLI_CONNECTION_H_
