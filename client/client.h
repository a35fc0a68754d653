#ifndef JWTAUTH_CLIENT_CLIENT_H_
#define JWTAUTH_CLIENT_CLIENT_H_

// jwtauth::client::Client: the C++ client for jwtauth.v1.AuthService
// (google-cloud-cpp shape), implementing ClientInterface
// (client/client_interface.h). It wraps the generated
// AuthService::StubInterface, puts a deadline on every call (the default
// unless CallOptions overrides it) and returns absl::StatusOr. Only RPC
// failures are errors: an invalid token is an OK VerifyResponse with
// VerifyResult::valid == false (client/verify_result.h).
//
// Sync calls block the calling thread; the *Async calls return at once and
// run their callback on a gRPC thread (threading rules in
// client_interface.h). Retries, TLS, keepalive and the user agent live on
// the channel (client/channel_factory.h): Create() makes one, or pass a
// shared channel to the constructor.
//
// Ownership: shares the channel or owns the injected stub. A Client lets go
// of them only once every async call it started has run its callback
// (each call is bounded by its deadline): gRPC must not lose a channel's
// last reference on one of its callback threads (the destructor shuts down
// the completion queue that thread serves; grpc/grpc#37858). Destroying
// (or assigning over) a Client therefore waits for its calls; inside an
// async callback of any Client, where waiting would hold up gRPC's callback
// threads, it returns at once and a thread of its own waits and releases.
// Thread-safe: calls share nothing mutable but that count. Movable, not
// copyable; a Client borrowed by a LocalVerifier or ListKeysFetcher must
// not be moved or assigned over while they use it.
//
// Depends only on the generated stubs (no core/, no server/).
//
//   jwtauth::client::ClientOptions options;
//   options.target = "127.0.0.1:50051";
//   options.plaintext = true;
//   absl::StatusOr<jwtauth::client::Client> client =
//       jwtauth::client::Client::Create(options);
//   if (!client.ok()) return client.status();
//   absl::StatusOr<jwtauth::client::VerifyResult> r = client->Verify(token);
//   if (r.ok() && r->valid) std::cout << r->claims.dump() << "\n";

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/client_interface.h"
#include "client/client_options.h"
#include "client/verify_result.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"
#include "jwtauth/v1/auth.grpc.pb.h"

namespace jwtauth::client {

namespace client_internal {
struct AsyncCallCount;  // client.cc
}  // namespace client_internal

// The one conversion from a gRPC status to absl::Status (canonical codes
// share numbers; code and message are kept, anything unknown → kUnknown).
absl::Status StatusFromGrpc(const grpc::Status& status);

class Client final : public ClientInterface {
 public:
  // A Client on a new channel (MakeChannel(options)). Errors name the bad
  // option or unreadable file; nothing is dialled yet.
  static absl::StatusOr<Client> Create(const ClientOptions& options);

  // A Client on an existing channel, e.g. one shared with other Clients.
  // Only options.default_timeout is used (the rest configures channels).
  explicit Client(std::shared_ptr<grpc::Channel> channel,
                  ClientOptions options = {});
  explicit Client(std::unique_ptr<v1::AuthService::StubInterface> stub,
                  ClientOptions options = {});
  Client(Client&&) = default;
  // Both let go of this Client's stub and channel once its async calls
  // have ended (see Ownership above).
  Client& operator=(Client&& other) noexcept;
  ~Client() override;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  using ClientInterface::IssueToken;
  using ClientInterface::IssueTokenAsync;
  using ClientInterface::ListKeys;
  using ClientInterface::ListKeysAsync;
  using ClientInterface::Verify;
  using ClientInterface::VerifyAsync;

  // The wire response stays reachable as VerifyResult::raw.
  absl::StatusOr<VerifyResult> Verify(const v1::VerifyRequest& request,
                                      const CallOptions& call) const override;
  absl::StatusOr<v1::IssueTokenResponse> IssueToken(
      const v1::IssueTokenRequest& request,
      const CallOptions& call) const override;
  absl::StatusOr<v1::ListKeysResponse> ListKeys(
      const v1::ListKeysRequest& request,
      const CallOptions& call) const override;

  void VerifyAsync(const v1::VerifyRequest& request, const CallOptions& call,
                   ResultCallback<VerifyResult> done) const override;
  void IssueTokenAsync(
      const v1::IssueTokenRequest& request, const CallOptions& call,
      ResultCallback<v1::IssueTokenResponse> done) const override;
  void ListKeysAsync(const v1::ListKeysRequest& request,
                     const CallOptions& call,
                     ResultCallback<v1::ListKeysResponse> done) const override;

  // The channel this Client talks on; null with an injected stub.
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

 private:
  void Prepare(grpc::ClientContext& context, const CallOptions& call) const;
  // Leaves stub_, channel_ and calls_ null: released here after waiting for
  // the async calls, or, inside an async callback, by a thread of its own.
  void ReleaseAfterCalls() noexcept;

  std::shared_ptr<grpc::Channel> channel_;  // may be null with injected stub
  std::unique_ptr<v1::AuthService::StubInterface> stub_;
  ClientOptions options_;
  // Async calls whose callback has not returned yet; shared with them. Null
  // once moved from.
  std::shared_ptr<client_internal::AsyncCallCount> calls_;
};

}  // namespace jwtauth::client

#endif  // JWTAUTH_CLIENT_CLIENT_H_
