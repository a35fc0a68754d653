#ifndef JWTAUTH_SERVER_SERVICE_CONTEXT_H_
#define JWTAUTH_SERVER_SERVICE_CONTEXT_H_

// The seam between server wiring (config, reload, main) and the gRPC
// services (AuthService, ext_authz Check). Services are constructed with a
// ServiceContext and read ServingState once per RPC; they never see config
// files, threads or signals.
//
// ServingState is one immutable generation of everything a request needs. A
// config reload builds a new one off the request path and publishes it with
// one atomic swap; in-flight RPCs keep the generation they started with.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace jwtauth {
class TokenVerifier;  // core/verifier.h
class TokenIssuer;    // core/issuer.h
class KeyStore;       // core/key_store.h
}  // namespace jwtauth

namespace jwtauth::server {

class Metrics;          // server/metrics.h
class RpcSeries;        // server/rpc_metrics.h
class Logger;           // server/logging.h
struct ExtAuthzPolicy;  // server/ext_authz_policy.h

// Who may call IssueToken, from config `issue:`.
struct IssuePolicy {
  bool direct_enabled = false;
  std::vector<std::string> allowed_identities;   // mTLS SAN URI or DNS names
  std::string required_scope = "jwtauth.issue";  // in a caller token's scope
  // Providers whose tokens may authenticate a caller (issue.direct.
  // caller_providers). Empty = caller tokens are not accepted, only mTLS:
  // a caller token verified by any provider would let a partner IdP that
  // can put the scope into its tokens mint first-party tokens.
  std::vector<std::string> caller_providers;
  // The embedded dev default only (set by DevDefaultConfig; no config file
  // can express it): direct issuing is open to every caller whose gRPC peer
  // is on loopback and refused to all others, whatever their credentials;
  // a request without audiences (and no "aud" claim) gets
  // direct_default_audiences.
  bool direct_loopback_callers = false;
  std::vector<std::string> direct_default_audiences;
  // Token exchange (issue.exchange): off unless enabled. When enabled, the
  // allowed_providers / allowed_audiences lists are required (config check)
  // and enforced by TokenIssuer::Exchange (ExchangeOptions).
  bool exchange_enabled = false;
  absl::Duration exchange_max_ttl = absl::Minutes(30);
  std::vector<std::string> exchange_allowed_providers;
  std::vector<std::string> exchange_allowed_audiences;
  // Optional caller authentication, the same check as direct mode: an mTLS
  // identity in exchange_allowed_identities, or a caller token whose scope
  // contains exchange_required_scope.
  bool exchange_require_caller = false;
  std::vector<std::string> exchange_allowed_identities;
  std::string exchange_required_scope = "jwtauth.exchange";
  std::vector<std::string> exchange_caller_providers;  // as caller_providers
};

struct ServingState {
  uint64_t generation = 0;
  std::shared_ptr<const TokenVerifier> verifier;  // never null
  std::shared_ptr<const TokenIssuer> issuer;      // null: no signing key
  IssuePolicy issue_policy;
  std::shared_ptr<const ExtAuthzPolicy> ext_authz;  // null: defaults
  // The Check metric series of each ext_authz route, resolved once per
  // generation so a Check records without a label lookup, in
  // ext_authz->routes order (the defaults' series is the service's own).
  // Empty: resolved per call.
  std::vector<RpcSeries*> check_series;
};

// Holds the current ServingState. Thread-safe; Current() is lock-free
// (std::atomic<std::shared_ptr>), Publish() is a single swap.
class ServingStateHolder final {
 public:
  std::shared_ptr<const ServingState> Current() const {
    return state_.load(std::memory_order_acquire);
  }
  void Publish(std::shared_ptr<const ServingState> state) {
    state_.store(std::move(state), std::memory_order_release);
  }

 private:
  std::atomic<std::shared_ptr<const ServingState>> state_;
};

// Non-owning pointers; main()/the Application owns them and outlives every
// service and RPC.
struct ServiceContext {
  ServingStateHolder* state = nullptr;
  KeyStore* key_store = nullptr;
  Metrics* metrics = nullptr;
  Logger* logger = nullptr;
};

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_SERVICE_CONTEXT_H_
