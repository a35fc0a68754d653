#include "client/list_keys_fetcher.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "core/status_macros.h"

namespace jwtauth::client {
namespace {

constexpr absl::string_view kUrlPrefix = "https://list-keys.jwtauth.invalid/";

}  // namespace

std::string ListKeysUrl(size_t index) {
  return absl::StrCat(kUrlPrefix, index);
}

ListKeysFetcher::ListKeysFetcher(const Client* client,
                                 std::vector<std::string> providers)
    : client_(client), providers_(std::move(providers)) {}

absl::StatusOr<FetchResponse> ListKeysFetcher::Fetch(
    const FetchRequest& request) {
  absl::string_view rest = request.url;
  size_t index = 0;
  if (!absl::ConsumePrefix(&rest, kUrlPrefix) ||
      !absl::SimpleAtoi(rest, &index) || index >= providers_.size()) {
    return absl::InvalidArgumentError("not a ListKeys source URL");
  }
  v1::ListKeysRequest list;
  list.set_provider(providers_[index]);
  CallOptions call;
  call.timeout = request.timeout;
  JWTAUTH_ASSIGN_OR_RETURN(v1::ListKeysResponse keys,
                           client_->ListKeys(list, call));
  FetchResponse response;
  response.status = 200;
  response.body = std::move(*keys.mutable_jwks_json());
  response.effective_url = request.url;
  return response;
}

}  // namespace jwtauth::client
