#ifndef JWTAUTH_SERVER_SERVING_STATE_BUILDER_H_
#define JWTAUTH_SERVER_SERVING_STATE_BUILDER_H_

// ServingStateBuilder: ServerConfig → everything one config generation
// serves with: the keys of every provider (read from the files the config
// names), the provider policies, the verification cache, the TokenVerifier,
// the TokenIssuer and the ext_authz rules. Thread-free and side-effect free:
// no threads, no network, no writes to shared state; the only I/O is reading
// the key and secret files. The KeyStore it is given is only handed to the
// verifier (which reads it per request): the caller installs
// `BuiltServingState::key_sources` into the store, so a failed build leaves
// the store exactly as it was.
//
// Used by the Application (reload) and by the CLI's offline verification.
//
// Failure modes: InvalidArgument "file:line:col: field: reason" for anything
// the config names that cannot be used (unreadable file, weak or mismatched
// key, invalid provider policy or ext_authz rule, JWKS source settings),
// "<file>: signing: ..." / "<file>: providers: ..." for cross-checks of the
// issuer and the verifier. Thread-compatible; Build() is const.
//
//   ServingStateBuilder builder({.key_store = &store, .clock = &clock});
//   JWTAUTH_ASSIGN_OR_RETURN(BuiltServingState built, builder.Build(config));
//   store.ReplaceAll(std::move(built.key_sources));

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "core/jwks_refresher.h"
#include "core/key_store.h"
#include "core/verification_cache.h"
#include "core/verifier.h"
#include "server/config.h"
#include "server/service_context.h"

namespace jwtauth::server {

struct ServingStateBuilderOptions {
  KeyStore* key_store = nullptr;           // required; the verifier reads it
  const Clock* clock = &RealClock::Get();  // not owned
  ConfigLoadOptions load{};  // getenv for secret_env (default: the process)
};

// One built generation, not yet published. Movable, not copyable.
struct BuiltServingState {
  // What the verifier needs in the KeyStore: every static key source (own
  // signing keys included) and one pending entry per JWKS source, in one
  // ReplaceAll.
  std::vector<SourceKeys> key_sources;
  std::vector<JwksSourceConfig> jwks_sources;  // for a JwksRefresher
  std::vector<std::string> required_jwks_ids;  // readiness waits for these
  std::string jwks_ca_file;                    // "" = system CAs
  // Borrowed by `verifier`: keep it alive as long as the verifier.
  std::shared_ptr<VerificationCache> cache;   // null: caching disabled
  std::unique_ptr<TokenVerifier> verifier;    // never null
  std::shared_ptr<const TokenIssuer> issuer;  // null: no signing key
  IssuePolicy issue_policy;
  std::shared_ptr<const ExtAuthzPolicy> ext_authz;  // null: defaults
  // Problems worth a log line that do not stop the build.
  std::vector<std::string> warnings;
};

class ServingStateBuilder final {
 public:
  explicit ServingStateBuilder(ServingStateBuilderOptions options);

  // `unknown_kid_observer` (optional, not owned) is told about unknown kids
  // by the new verifier: the JWKS refresher of the new generation.
  absl::StatusOr<BuiltServingState> Build(
      const ServerConfig& config,
      UnknownKidObserver* unknown_kid_observer = nullptr) const;

 private:
  ServingStateBuilderOptions options_;
};

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_SERVING_STATE_BUILDER_H_
