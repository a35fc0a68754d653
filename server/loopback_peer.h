#ifndef JWTAUTH_SERVER_LOOPBACK_PEER_H_
#define JWTAUTH_SERVER_LOOPBACK_PEER_H_

// Whether a gRPC caller is on this host's loopback interface, from the
// peer string gRPC reports (grpc::ServerContextBase::peer()). The dev
// default opens direct issuing to such callers only.
//
// Loopback: "ipv4:127.a.b.c:PORT" and "ipv6:[::1]:PORT" (gRPC also spells
// the brackets "%5B" / "%5D"). Everything else is not: other addresses,
// IPv4-mapped IPv6 forms, unix sockets, malformed strings. Pure function;
// thread-safe.

#include "absl/strings/string_view.h"

namespace jwtauth::server {

bool IsLoopbackPeer(absl::string_view peer);

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_LOOPBACK_PEER_H_
