#ifndef JWTAUTH_CLIENT_LOCAL_VERIFIER_H_
#define JWTAUTH_CLIENT_LOCAL_VERIFIER_H_

// jwtauth::client::LocalVerifier: verifies asymmetric tokens in-process with
// the service's public keys and the same core code the service runs
// (TokenVerifier, Policy), and falls back to the remote Verify RPC for
// everything it cannot decide the same way the service would. See
// docs/client_local_verification.md for when to use it.
//
// Keys: one core JwksRefresher source per locally verified provider, fed by
// ListKeys(provider) (client/list_keys_fetcher.h) into a core KeyStore:
// fetched at start, refreshed every `refresh_interval` (± jitter), failures
// retried with exponential backoff from `initial_backoff`, the last good
// keys kept on failure, and dropped once older than `max_stale`. While any
// provider has no keys (before its first ListKeys, after a drop) every
// request goes remote: with one provider missing, the service's choice
// among providers that share an issuer cannot be reproduced. A
// token naming an unknown kid triggers an early, rate-limited refresh
// (`unknown_kid_min_interval`, negative cache `negative_cache_ttl`); the
// token itself goes remote at once, so an unknown-kid flood costs what it
// costs without local mode, plus at most one ListKeys per interval.
//
// Policy: `providers` is the caller's copy of the service's provider config
// (ListKeys carries keys, not policy). It must mirror the service: every
// provider that accepts an issuer the caller's tokens use, in the service's
// config order, with the same issuers, audiences, clock_skew, claim rules,
// metadata mapping and typ rules. A request naming a provider outside this
// list is verified remotely.
//
// Decided locally: valid tokens, and failures that depend only on the token,
// the policy and the key that matched its kid (MALFORMED, TOKEN_MISSING,
// TOKEN_TOO_LARGE, UNSUPPORTED_ALGORITHM, HEADER_REJECTED, SIGNATURE_INVALID
// of a token with a kid, time, audience, subject and claim failures).
// Remote: HS* tokens (secrets never leave the service), KEY_NOT_FOUND,
// KEYS_UNAVAILABLE, ISSUER_MISMATCH (another provider of the service may
// accept the issuer), SIGNATURE_INVALID without a kid (a newer key may be
// missing locally), and requests naming a provider not configured here.
// VerifyResult::source says which path answered; a local answer's `raw`
// holds the VerifyResponse the service would have sent.
//
// Ownership: borrows the Client (must outlive this, and not be moved or
// assigned over meanwhile); owns the key store, the verifier and the
// refresher's background thread, which the destructor stops and joins
// (waiting at most for one ListKeys in flight, bounded by
// `list_keys_timeout`). Thread-safe; Verify takes no lock: it reads one
// immutable key snapshot. Not copyable or movable.
//
//   auto local = LocalVerifier::Create(&client, {.providers = {provider}});
//   (*local)->WaitForInitialLoad(absl::Seconds(5));  // optional: remote until
//   absl::StatusOr<VerifyResult> r = (*local)->Verify(token);

#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "client/list_keys_fetcher.h"
#include "client/verify_result.h"
#include "core/clock.h"
#include "core/jwks_refresher.h"
#include "core/jws.h"
#include "core/key_store.h"
#include "core/policy.h"
#include "core/verifier.h"

namespace jwtauth::client {

struct LocalVerifierOptions {
  // The providers verified locally, mirroring the service's config.
  std::vector<ProviderOptions> providers{};
  // Mirror of the service's limits.max_token_bytes (and header limits).
  JwsLimits jws_limits{};
  // Key refresh (the server's jwks_urls rules: refresh.default, max_stale).
  absl::Duration refresh_interval = absl::Minutes(5);
  // Last good keys are trusted for at most this long without a successful
  // refresh; then every token of the provider goes remote.
  absl::Duration max_stale = absl::Hours(1);
  absl::Duration initial_backoff = absl::Seconds(1);
  double jitter_fraction = 0.1;
  absl::Duration list_keys_timeout = absl::Seconds(5);
  absl::Duration unknown_kid_min_interval = absl::Seconds(30);
  absl::Duration negative_cache_ttl = absl::Minutes(5);
  size_t max_keys_per_provider = 1000;
  // Time for verification and refresh scheduling; null = the real clock.
  // Not owned, must outlive the LocalVerifier.
  const Clock* clock = nullptr;
  // Key refresh events (loaded, failed, dropped), on the refresh thread;
  // it must not destroy the LocalVerifier (whose destructor joins that
  // thread).
  std::function<void(const JwksEvent&)> on_key_event{};
};

class LocalVerifier final {
 public:
  // InvalidArgument for an invalid provider policy (as the server's config
  // check would say) or refresh option. Starts the background refresh; the
  // first ListKeys runs at once. Until every provider's keys have loaded
  // all tokens are verified remotely.
  static absl::StatusOr<std::unique_ptr<LocalVerifier>> Create(
      const Client* client, LocalVerifierOptions options);
  ~LocalVerifier();
  LocalVerifier(const LocalVerifier&) = delete;
  LocalVerifier& operator=(const LocalVerifier&) = delete;

  // As Client::Verify (same request semantics and result type); `call`
  // applies to the remote fallback. A remote RPC failure is the error.
  absl::StatusOr<VerifyResult> Verify(const v1::VerifyRequest& request,
                                      const CallOptions& call = {}) const;
  absl::StatusOr<VerifyResult> Verify(absl::string_view token,
                                      const CallOptions& call = {}) const;

  // Waits until every provider's first ListKeys finished (or `timeout`);
  // true iff every provider's keys loaded.
  bool WaitForInitialLoad(absl::Duration timeout);
  // Every provider holds a good key set now.
  bool IsReady() const;
  // Refreshes every provider now, in the caller's thread.
  void RefreshNow();
  // Per-provider refresh state (source_id is the internal ListKeys URL).
  std::vector<JwksSourceStats> KeyStats() const;

 private:
  LocalVerifier(const Client* client, LocalVerifierOptions options);
  // Every provider holds keys in the current snapshot (lock-free).
  bool AllKeysLoaded() const;
  // The local answer, or nullopt when the request must go remote.
  std::optional<v1::VerifyResponse> VerifyLocally(
      const v1::VerifyRequest& request) const;

  const Client* const client_;  // not owned
  const LocalVerifierOptions options_;
  const Clock* const clock_;
  KeyStore store_;
  ListKeysFetcher fetcher_;
  std::unique_ptr<JwksRefresher> refresher_;
  std::unique_ptr<TokenVerifier> verifier_;
};

// The VerifyResponse the service sends for a core verification result
// (claims as Struct and claims_json, expires_at, metadata, reason, detail).
v1::VerifyResponse ToVerifyResponse(const jwtauth::VerifyResult& result);

}  // namespace jwtauth::client

#endif  // JWTAUTH_CLIENT_LOCAL_VERIFIER_H_
