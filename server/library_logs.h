#ifndef JWTAUTH_SERVER_LIBRARY_LOGS_H_
#define JWTAUTH_SERVER_LIBRARY_LOGS_H_

// LibraryLogRoute: sends what protobuf and gRPC log on their own (plain
// "[libprotobuf ERROR ...]" and "E1206 ..." lines on stderr) through the
// server's JSON Logger instead, so every stderr line is one JSON event:
//   {"level":"debug","event":"library_log","library":"protobuf",
//    "severity":"error","file":"...","line":"...","message":"..."}
//
// Levels: a protobuf message is debug (it reports a client's malformed
// request, which the RPC already answers with INVALID_ARGUMENT: one line per
// bad request must not be able to flood the log at the default level),
// except FATAL → error. gRPC's ERROR → warn, anything else → debug.
//
// One route at a time (both libraries take a process-wide function
// pointer). Constructing one installs it; destroying it restores the
// libraries' own handlers. The Logger must outlive it. Not copyable.
//
//   Logger logger;
//   LibraryLogRoute route(&logger);

#include "server/logging.h"

namespace jwtauth::server {

class LibraryLogRoute final {
 public:
  explicit LibraryLogRoute(Logger* logger);
  ~LibraryLogRoute();
  LibraryLogRoute(const LibraryLogRoute&) = delete;
  LibraryLogRoute& operator=(const LibraryLogRoute&) = delete;
};

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_LIBRARY_LOGS_H_
