#ifndef JWTAUTH_TESTS_BENCH_LOADGEN_RPC_CLIENT_H_
#define JWTAUTH_TESTS_BENCH_LOADGEN_RPC_CLIENT_H_

// RpcClient: starts one Verify, ext_authz Check or grpc.health Check call on
// a reusable CallSlot with the gRPC callback API and reports whether the
// answer was the expected one:
//  - Verify: OK and valid=true for a good token; OK, valid=false and
//    SIGNATURE_INVALID for a corrupted one;
//  - Check: OK and status.code 0 (allowed) for a good token; OK and a
//    non-zero status.code (denied) for a corrupted one;
//  - health: OK (sent as a generic call with an empty HealthCheckRequest, so
//    no generated health stubs are needed).
// A slot's requests are built once (InitSlot); each call only assigns the
// token into the existing strings, so steady state allocates nothing here
// beyond what gRPC allocates per call.
//
// Thread-safe: Start() may run on any thread, one call per slot at a time.
// The sink is called on a gRPC callback thread.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "envoy/service/auth/v3/external_auth.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "jwtauth/v1/auth.grpc.pb.h"
#include "tests/bench/loadgen/load_flags.h"
#include "tests/bench/loadgen/token_set.h"

namespace jwtauth::loadgen {

// Storage for one outstanding call, reused call after call.
struct CallSlot {
  int index = 0;
  size_t token = 0;
  absl::Time scheduled;  // latency is measured from here
  std::optional<grpc::ClientContext> ctx;
  jwtauth::v1::VerifyRequest verify_request;
  jwtauth::v1::VerifyResponse verify_response;
  envoy::service::auth::v3::CheckRequest check_request;
  envoy::service::auth::v3::CheckResponse check_response;
  std::string* authorization = nullptr;  // inside check_request's headers
  grpc::ByteBuffer health_request;
  grpc::ByteBuffer health_response;
};

class CompletionSink {
 public:
  virtual ~CompletionSink() = default;
  virtual void OnComplete(CallSlot& slot, bool as_expected) = 0;
};

class RpcClient final {
 public:
  // `tokens` may be null for the health method. Neither `tokens` nor `sink`
  // is owned; both must outlive every call.
  RpcClient(const LoadFlags& flags, const TokenSet* tokens,
            CompletionSink* sink);
  RpcClient(const RpcClient&) = delete;
  RpcClient& operator=(const RpcClient&) = delete;

  // Builds the parts of the slot's request that never change.
  void InitSlot(CallSlot& slot) const;
  // The serialized request Start() would send for `token`.
  std::string SerializedRequest(size_t token) const;
  // Sends token `token` (ignored for health) on the slot's channel.
  void Start(CallSlot& slot, size_t token);

 private:
  void StartVerify(CallSlot& slot, size_t channel);
  void StartCheck(CallSlot& slot, size_t channel);
  void StartHealth(CallSlot& slot, size_t channel);
  void Finish(CallSlot& slot, const grpc::Status& status);

  const Method method_;
  const std::chrono::milliseconds deadline_;
  const TokenSet* const tokens_;  // not owned
  CompletionSink* const sink_;    // not owned
  std::vector<std::unique_ptr<jwtauth::v1::AuthService::Stub>> verify_;
  std::vector<std::unique_ptr<envoy::service::auth::v3::Authorization::Stub>>
      check_;
  std::vector<std::unique_ptr<grpc::GenericStub>> health_;
};

}  // namespace jwtauth::loadgen

#endif  // JWTAUTH_TESTS_BENCH_LOADGEN_RPC_CLIENT_H_
