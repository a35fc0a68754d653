#ifndef JWTAUTH_SERVER_ASYNC_TRANSPORT_H_
#define JWTAUTH_SERVER_ASYNC_TRANSPORT_H_

// AsyncTransport: serves AuthService (Verify, IssueToken, ListKeys) and
// envoy.service.auth.v3.Authorization/Check on gRPC's async API
// (`server.threading: async`): N completion queues, each polled by M
// dedicated threads. Every RPC body (the services' Serve* functions,
// server/unary_rpc.h) runs inline on the polling thread that received the
// call; the bodies are CPU-only and never block. Each queue keeps a fixed
// number of calls requested per method: every arrival requests the next one
// before the body runs.
//
// Lifecycle, driven by GrpcServer (not thread-safe; one thread):
//   AsyncTransport t(auth, ext_authz, queues, threads_per_queue);
//   t.Register(builder);             // before BuildAndStart
//   server = builder.BuildAndStart();
//   t.Start();                       // request calls, start the threads
//   ...
//   server->Shutdown(deadline);      // in-flight calls finish meanwhile
//   t.Stop();                        // shut down, drain, join, free calls
// Stop() must follow Server::Shutdown (calls still requested from a running
// server would keep a queue from draining); the destructor calls Stop().
// The services are not owned and must outlive the transport. Not copyable
// or movable.

#include <memory>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "server/auth_service.h"
#include "server/ext_authz_service.h"

namespace jwtauth::server {

class AsyncTransport final {
 public:
  // `queues` 0 = one per CPU core; `threads_per_queue` >= 1.
  AsyncTransport(const AuthService& auth, const ExtAuthzService& ext_authz,
                 int queues, int threads_per_queue);
  ~AsyncTransport();
  AsyncTransport(const AsyncTransport&) = delete;
  AsyncTransport& operator=(const AsyncTransport&) = delete;

  // Registers the async services and adds the completion queues.
  void Register(grpc::ServerBuilder& builder);
  void Start();
  void Stop();

  int queue_count() const { return queue_count_; }

 private:
  struct Methods;
  struct Poller;

  int queue_count_;
  int threads_per_queue_;
  std::unique_ptr<Methods> methods_;
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> queues_;
  std::vector<std::unique_ptr<Poller>> pollers_;
  bool stopped_ = false;
};

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_ASYNC_TRANSPORT_H_
