#include "client/client_interface.h"

#include <memory>
#include <string>
#include <utility>

namespace jwtauth::client {
namespace {

// A callback that fulfils a promise, and that promise's future. The promise
// is shared because std::function needs a copyable target.
template <typename T>
std::pair<std::future<absl::StatusOr<T>>, ResultCallback<T>> PromiseCallback() {
  auto promise = std::make_shared<std::promise<absl::StatusOr<T>>>();
  std::future<absl::StatusOr<T>> future = promise->get_future();
  return {std::move(future), [promise](absl::StatusOr<T> result) {
            promise->set_value(std::move(result));
          }};
}

}  // namespace

absl::StatusOr<VerifyResult> ClientInterface::Verify(
    const v1::VerifyRequest& request) const {
  return Verify(request, CallOptions{});
}

absl::StatusOr<VerifyResult> ClientInterface::Verify(
    absl::string_view token, const CallOptions& call) const {
  v1::VerifyRequest request;
  request.set_token(std::string(token));
  return Verify(request, call);
}

absl::StatusOr<v1::IssueTokenResponse> ClientInterface::IssueToken(
    const v1::IssueTokenRequest& request) const {
  return IssueToken(request, CallOptions{});
}

absl::StatusOr<v1::ListKeysResponse> ClientInterface::ListKeys(
    const v1::ListKeysRequest& request) const {
  return ListKeys(request, CallOptions{});
}

std::future<absl::StatusOr<VerifyResult>> ClientInterface::VerifyAsync(
    const v1::VerifyRequest& request, const CallOptions& call) const {
  auto [future, done] = PromiseCallback<VerifyResult>();
  VerifyAsync(request, call, std::move(done));
  return std::move(future);
}

std::future<absl::StatusOr<v1::IssueTokenResponse>>
ClientInterface::IssueTokenAsync(const v1::IssueTokenRequest& request,
                                 const CallOptions& call) const {
  auto [future, done] = PromiseCallback<v1::IssueTokenResponse>();
  IssueTokenAsync(request, call, std::move(done));
  return std::move(future);
}

std::future<absl::StatusOr<v1::ListKeysResponse>>
ClientInterface::ListKeysAsync(const v1::ListKeysRequest& request,
                               const CallOptions& call) const {
  auto [future, done] = PromiseCallback<v1::ListKeysResponse>();
  ListKeysAsync(request, call, std::move(done));
  return std::move(future);
}

}  // namespace jwtauth::client
