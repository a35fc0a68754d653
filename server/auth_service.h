#ifndef JWTAUTH_SERVER_AUTH_SERVICE_H_
#define JWTAUTH_SERVER_AUTH_SERVICE_H_

// AuthService: the jwtauth.v1.AuthService gRPC service (Verify, IssueToken,
// ListKeys). Each RPC reads ONE ServingState generation
// (ServiceContext::state->Current()) and does CPU-only work on it in its
// Serve* body, which never blocks; the callback API methods finish it on the
// gRPC thread through context->DefaultReactor(), the async transport
// (server/async_transport.h) on its polling thread.
//
// Semantics (documented per field in proto/jwtauth/v1/auth.proto):
//   Verify      HandleVerify (server/verify_handler.h) on the current
//               generation: token problems are in-band (valid=false,
//               reason, detail); an unknown `provider` is INVALID_ARGUMENT,
//               no state published yet UNAVAILABLE.
//   IssueToken  direct mode (no subject_token): PERMISSION_DENIED "direct
//               issuing is disabled" unless issue.direct.enabled, and then
//               only for a caller whose verified mTLS SAN (URI or DNS) is in
//               allowed_identities, or who sends metadata
//               "authorization: Bearer <token>" with a token that verifies
//               and whose "scope" (space-separated string or array) has
//               required_scope. The dev default instead opens direct
//               mode to loopback peers only (IssuePolicy::
//               direct_loopback_callers; server/loopback_peer.h), any other
//               peer PERMISSION_DENIED. Exchange mode (subject_token set): the
//               subject token must verify; the new token is built by the
//               core issuer from its verified claims only. No signing key →
//               FAILED_PRECONDITION.
//   ListKeys    public JWKS + one KeyInfo per key; never HMAC secrets or
//               private members (the JWKS is additionally scrubbed of every
//               private JWK member as defence in depth).
//
// Ownership: the ServiceContext pointers are not owned (main()/Application
// outlives the service and every RPC). `metrics`, `logger` and `key_store`
// may be null (tests): then nothing is recorded/logged and ListKeys reads the
// verifier's key store. Thread-safe: no mutable state of its own.
// Not copyable or movable.
//
//   AuthService service(ServiceContext{.state = &holder, .metrics = &m});
//   builder.RegisterService(&service);

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/failure.h"
#include "grpcpp/grpcpp.h"
#include "jwtauth/v1/auth.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "server/service_context.h"
#include "server/verify_handler.h"  // ExtractBearerOrRawToken, ParseBearerHeader

namespace jwtauth::server {

// Verify is a raw-buffer method: the request is parsed here and a valid
// token's response is the memoised serialized VerifyResponse
// (HandleVerifySerialized), so a cache hit converts nothing per call.
class AuthService final : public v1::AuthService::WithRawCallbackMethod_Verify<
                              v1::AuthService::WithCallbackMethod_IssueToken<
                                  v1::AuthService::WithCallbackMethod_ListKeys<
                                      v1::AuthService::Service>>> {
 public:
  explicit AuthService(ServiceContext ctx);
  AuthService(const AuthService&) = delete;
  AuthService& operator=(const AuthService&) = delete;

  grpc::ServerUnaryReactor* Verify(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* IssueToken(
      grpc::CallbackServerContext* context,
      const v1::IssueTokenRequest* request,
      v1::IssueTokenResponse* response) override;
  grpc::ServerUnaryReactor* ListKeys(grpc::CallbackServerContext* context,
                                     const v1::ListKeysRequest* request,
                                     v1::ListKeysResponse* response) override;

  // The RPC bodies (server/unary_rpc.h), shared by the callback methods
  // above and the async transport. Record metrics and log; never block.
  // Verify's request and response are a serialized VerifyRequest /
  // VerifyResponse (raw-buffer method on both transports).
  grpc::Status ServeVerify(grpc::ServerContextBase* context,
                           const grpc::ByteBuffer* request,
                           grpc::ByteBuffer* response) const;
  grpc::Status ServeIssueToken(grpc::ServerContextBase* context,
                               const v1::IssueTokenRequest* request,
                               v1::IssueTokenResponse* response) const;
  grpc::Status ServeListKeys(grpc::ServerContextBase* context,
                             const v1::ListKeysRequest* request,
                             v1::ListKeysResponse* response) const;

 private:
  ServiceContext ctx_;
  // Resolved once: recording a call takes no lock and no label lookup.
  RpcSeries* verify_series_ = nullptr;
  RpcSeries* issue_series_ = nullptr;
  RpcSeries* list_series_ = nullptr;
};

// Verified mTLS identities of the peer: every SAN URI and DNS name of a
// certificate the transport verified. Empty for plaintext or unauthenticated
// peers.
std::vector<std::string> PeerIdentities(const grpc::AuthContext& auth);

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_AUTH_SERVICE_H_
