#ifndef JWTAUTH_SERVER_UNARY_RPC_H_
#define JWTAUTH_SERVER_UNARY_RPC_H_

// The shape of every unary RPC body of jwtauth's services:
//
//   grpc::Status Serve<Method>(grpc::ServerContextBase* context,
//                              const Request* request, Response* response);
//
// ServerContextBase is the common base of the async API's ServerContext and
// the callback API's CallbackServerContext (metadata, auth context, peer),
// so one body serves both transports: the callback methods finish through
// FinishUnary, the async transport (server/async_transport.h) through its
// ServerAsyncResponseWriter. A body is CPU-only and never blocks.

#include <functional>

#include "grpcpp/grpcpp.h"

namespace jwtauth::server {

template <typename Request, typename Response>
using UnaryHandler = std::function<grpc::Status(grpc::ServerContextBase*,
                                                const Request*, Response*)>;

// Finishes a callback-API unary RPC with `status` on the default reactor.
inline grpc::ServerUnaryReactor* FinishUnary(
    grpc::CallbackServerContext* context, const grpc::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_UNARY_RPC_H_
