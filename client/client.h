#ifndef JWTAUTH_CLIENT_CLIENT_H_
#define JWTAUTH_CLIENT_CLIENT_H_

// jwtauth::client::Client: a thin synchronous C++ client for
// jwtauth.v1.AuthService (google-cloud-cpp shape). It wraps the generated
// AuthService::StubInterface, puts a deadline on every call (the default
// unless CallOptions overrides it) and returns absl::StatusOr. Only RPC
// failures are errors: an invalid token is an OK VerifyResponse with
// VerifyResult::valid == false (client/verify_result.h).
//
// Ownership: shares the channel (std::shared_ptr<grpc::Channel>) or owns the
// injected stub. Thread-safe: gRPC stubs and channels may be used from many
// threads; the Client holds no other mutable state. Movable, not copyable.
//
// Depends only on the generated stubs (no core/, no server/).
//
//   auto channel = grpc::CreateChannel("127.0.0.1:50051",
//                                      grpc::InsecureChannelCredentials());
//   jwtauth::client::Client client(channel);
//   absl::StatusOr<jwtauth::client::VerifyResult> r = client.Verify(token);
//   if (r.ok() && r->valid) std::cout << r->claims.dump() << "\n";

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/verify_result.h"
#include "grpcpp/channel.h"
#include "grpcpp/support/status.h"
#include "jwtauth/v1/auth.grpc.pb.h"

namespace jwtauth::client {

// The one conversion from a gRPC status to absl::Status (canonical codes
// share numbers; code and message are kept, anything unknown → kUnknown).
absl::Status StatusFromGrpc(const grpc::Status& status);

struct ClientOptions {
  // Deadline of each call unless CallOptions::timeout is set. Must be > 0.
  absl::Duration default_timeout = absl::Seconds(10);
};

struct CallOptions {
  // Overrides ClientOptions::default_timeout when > 0.
  absl::Duration timeout = absl::ZeroDuration();
  // Sent as metadata "authorization: Bearer <caller_token>" (IssueToken's
  // caller-token authorization). Empty = none.
  std::string caller_token;
  // Extra metadata (lower-case keys).
  std::vector<std::pair<std::string, std::string>> metadata;
};

class Client final {
 public:
  explicit Client(std::shared_ptr<grpc::Channel> channel,
                  ClientOptions options = {});
  explicit Client(std::unique_ptr<v1::AuthService::StubInterface> stub,
                  ClientOptions options = {});
  Client(Client&&) = default;
  Client& operator=(Client&&) = default;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // The wire response stays reachable as VerifyResult::raw.
  absl::StatusOr<VerifyResult> Verify(const v1::VerifyRequest& request,
                                      const CallOptions& call = {}) const;
  // Convenience: Verify with only the token set.
  absl::StatusOr<VerifyResult> Verify(absl::string_view token,
                                      const CallOptions& call = {}) const;
  absl::StatusOr<v1::IssueTokenResponse> IssueToken(
      const v1::IssueTokenRequest& request, const CallOptions& call = {}) const;
  absl::StatusOr<v1::ListKeysResponse> ListKeys(
      const v1::ListKeysRequest& request = {},
      const CallOptions& call = {}) const;

 private:
  void Prepare(grpc::ClientContext& context, const CallOptions& call) const;

  std::shared_ptr<grpc::Channel> channel_;  // may be null with injected stub
  std::unique_ptr<v1::AuthService::StubInterface> stub_;
  ClientOptions options_;
};

}  // namespace jwtauth::client

#endif  // JWTAUTH_CLIENT_CLIENT_H_
