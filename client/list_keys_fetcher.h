#ifndef JWTAUTH_CLIENT_LIST_KEYS_FETCHER_H_
#define JWTAUTH_CLIENT_LIST_KEYS_FETCHER_H_

// ListKeysFetcher: a JwksFetcher (core/jwks_fetcher.h) that answers from
// the jwtauth service's ListKeys RPC instead of HTTP, so the client's local
// verification keeps its keys with the core JwksRefresher unchanged (the
// same refresh interval, backoff, last-good-keys and max_stale rules as a
// provider's JWKS URL on the server).
//
// Each provider the client verifies locally is one refresher source whose
// URL is ListKeysUrl(index): an https URL under the reserved ".invalid"
// domain (RFC 6761), so it can never reach the network even if it leaked
// into a real fetcher. Fetch maps it back to the provider and calls
// ListKeys(provider); the response's jwks_json (the public JWK of every
// asymmetric key the service trusts for that provider) becomes a 200 body
// without cache headers (the refresher then uses its default interval).
// An RPC error is returned as the fetch error (the refresher keeps the last
// good keys and backs off); an unknown URL is InvalidArgument.
//
// Borrows the Client, which must outlive this (and not be moved or assigned
// over meanwhile). Thread-safe (the Client is).
// A fetch in flight is not interrupted by FetchRequest::cancel: it ends at
// its deadline, FetchRequest::timeout.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/client.h"
#include "core/jwks_fetcher.h"

namespace jwtauth::client {

// The refresher source URL of the `index`-th locally verified provider.
std::string ListKeysUrl(size_t index);

class ListKeysFetcher final : public JwksFetcher {
 public:
  // `providers[i]` is fetched for ListKeysUrl(i).
  ListKeysFetcher(const Client* client, std::vector<std::string> providers);

  absl::StatusOr<FetchResponse> Fetch(const FetchRequest& request) override;

 private:
  const Client* const client_;  // not owned
  const std::vector<std::string> providers_;
};

}  // namespace jwtauth::client

#endif  // JWTAUTH_CLIENT_LIST_KEYS_FETCHER_H_
