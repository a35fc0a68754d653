#ifndef JWTAUTH_SERVER_TLS_CREDENTIALS_H_
#define JWTAUTH_SERVER_TLS_CREDENTIALS_H_

// The gRPC server credentials `server.tls` describes: plaintext without it;
// else the certificate chain, key and optional client CA (mTLS) from their
// files.
//
// Certificates are renewed in place (cert-manager, a Kubernetes Secret
// volume's `..data` symlink swap): with `server.watch_interval` > 0 the
// files are re-read every watch_interval (whole seconds, at least 1) by
// gRPC's FileWatcherCertificateProvider, and every new handshake uses the
// newest pair; established connections keep theirs, so nothing in flight
// is interrupted. gRPC reads the key and the chain as one unit and keeps
// the last good pair while a half-written update does not parse or match;
// the writer should still swap them atomically (the Secret volume does).
// With watch_interval 0 the files are read once.
//
// The files are read once here either way, so an unreadable file is a
// start-up error naming the tls entry, never a server that refuses every
// handshake.
//
//   auto creds = ServerCredentialsFor(config.server);

#include <memory>

#include "absl/status/statusor.h"
#include "grpcpp/security/server_credentials.h"
#include "server/server_section_config.h"

namespace jwtauth::server {

// InvalidArgument "file:line:col: server.tls: cannot read PATH: reason".
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(
    const ServerSection& server);

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_TLS_CREDENTIALS_H_
