#ifndef JWTAUTH_CLIENT_CLIENT_INTERFACE_H_
#define JWTAUTH_CLIENT_CLIENT_INTERFACE_H_

// ClientInterface: the calls a caller makes on jwtauth.v1.AuthService, as an
// abstract class, so caller code can take a `const ClientInterface&` and be
// unit-tested with jwtauth::client::testing::MockClient
// (client/testing/mock_client.h) instead of a server. Client
// (client/client.h) is the real implementation.
//
// Implementations override the six pure virtual calls; the conveniences
// (token-only Verify, calls without CallOptions, std::future variants) are
// built on them here, so a mock's expectations cover them too. A derived
// class re-exposes them with `using ClientInterface::Verify;` etc.
//
// Async calls: the callback runs exactly once, on a gRPC-owned thread (or
// inline, before the call returns, when the call fails before it starts).
// It must not block: no waiting on a future of another call or sync calls
// from inside it. The std::future variants complete the future from that
// callback; waiting on them from the caller's thread is fine.

#include <functional>
#include <future>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/client_options.h"
#include "client/verify_result.h"
#include "jwtauth/v1/auth.pb.h"

namespace jwtauth::client {

template <typename T>
using ResultCallback = std::function<void(absl::StatusOr<T>)>;

class ClientInterface {
 public:
  virtual ~ClientInterface() = default;

  // Only RPC failures are errors: an invalid token is an OK VerifyResult
  // with valid == false.
  virtual absl::StatusOr<VerifyResult> Verify(
      const v1::VerifyRequest& request, const CallOptions& call) const = 0;
  virtual absl::StatusOr<v1::IssueTokenResponse> IssueToken(
      const v1::IssueTokenRequest& request, const CallOptions& call) const = 0;
  virtual absl::StatusOr<v1::ListKeysResponse> ListKeys(
      const v1::ListKeysRequest& request, const CallOptions& call) const = 0;

  virtual void VerifyAsync(const v1::VerifyRequest& request,
                           const CallOptions& call,
                           ResultCallback<VerifyResult> done) const = 0;
  virtual void IssueTokenAsync(
      const v1::IssueTokenRequest& request, const CallOptions& call,
      ResultCallback<v1::IssueTokenResponse> done) const = 0;
  virtual void ListKeysAsync(
      const v1::ListKeysRequest& request, const CallOptions& call,
      ResultCallback<v1::ListKeysResponse> done) const = 0;

  // Conveniences over the calls above.
  absl::StatusOr<VerifyResult> Verify(const v1::VerifyRequest& request) const;
  absl::StatusOr<VerifyResult> Verify(absl::string_view token,
                                      const CallOptions& call = {}) const;
  absl::StatusOr<v1::IssueTokenResponse> IssueToken(
      const v1::IssueTokenRequest& request) const;
  absl::StatusOr<v1::ListKeysResponse> ListKeys(
      const v1::ListKeysRequest& request = {}) const;

  std::future<absl::StatusOr<VerifyResult>> VerifyAsync(
      const v1::VerifyRequest& request, const CallOptions& call = {}) const;
  std::future<absl::StatusOr<v1::IssueTokenResponse>> IssueTokenAsync(
      const v1::IssueTokenRequest& request, const CallOptions& call = {}) const;
  std::future<absl::StatusOr<v1::ListKeysResponse>> ListKeysAsync(
      const v1::ListKeysRequest& request = {},
      const CallOptions& call = {}) const;

 protected:
  ClientInterface() = default;
  ClientInterface(const ClientInterface&) = default;
  ClientInterface& operator=(const ClientInterface&) = default;
};

}  // namespace jwtauth::client

#endif  // JWTAUTH_CLIENT_CLIENT_INTERFACE_H_
