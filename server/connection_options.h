#ifndef JWTAUTH_SERVER_CONNECTION_OPTIONS_H_
#define JWTAUTH_SERVER_CONNECTION_OPTIONS_H_

// The HTTP/2 connection policy of the gRPC listener (`server.connection`),
// as channel arguments on the ServerBuilder, the same for every
// `server.threading` mode.
//
// Why: Envoy (and any gRPC client) keeps one long-lived HTTP/2 connection
// per upstream host and multiplexes every call over it, so replicas that
// start later get no traffic until connections are re-established. A
// maximum connection age makes the server send GOAWAY after `max_age`
// (gRPC adds ±10% jitter so replicas do not all close at once); the client
// opens a new connection, picking among the endpoints it knows now, while
// the calls in flight finish on the old one within `max_age_grace`. No call
// fails: a call that raced the GOAWAY is retried transparently by the
// client.
//
// Keepalive: the server pings a connection idle for `keepalive_time` and
// closes it when the ping is not answered within `keepalive_timeout`
// (a peer that vanished without FIN). Clients' own keepalive pings (Envoy's
// `connection_keepalive`) are accepted without calls in flight and down to
// one per `min_client_ping_interval`; pinging faster gets the connection
// closed (gRPC's ping-abuse GOAWAY), so keep Envoy's interval above it.
//
//   grpc::ServerBuilder builder;
//   ApplyConnectionOptions(config.server.connection, builder);

#include "grpcpp/server_builder.h"
#include "server/server_section_config.h"

namespace jwtauth::server {

void ApplyConnectionOptions(const ConnectionConfig& connection,
                            grpc::ServerBuilder& builder);

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_CONNECTION_OPTIONS_H_
