#ifndef JWTAUTH_TESTS_SERVER_EXT_AUTHZ_TEST_ENV_H_
#define JWTAUTH_TESTS_SERVER_EXT_AUTHZ_TEST_ENV_H_

// ExtAuthzTestEnv: a fixed, in-memory ServingState for the ext_authz tests,
// the ext_authz test server (Node wire tests) and the Check benchmark. Real
// components throughout: a KeyStore with HS256 keys, a TokenVerifier with a
// VerificationCache, TokenIssuers that mint tokens for it, and an
// ExtAuthzPolicy parsed from YAML.
//
// Providers:
//   "default"  iss https://issuer.test  aud api://test   HS256 kid "k-default"
//   "other"    iss https://other.test   aud api://other  HS256 kid "k-other"
//
// Ownership: owns everything; the ServingStateHolder it exposes points into
// it, so it must outlive every service built on holder(). Token minting is
// thread-safe; not copyable or movable.
//
//   auto env = ExtAuthzTestEnv::Create(R"(ext_authz: {...})");
//   ExtAuthzService service(ServiceContext{.state = (*env)->holder()});
//   std::string t = (*env)->Token({{"sub", "alice"}, {"scope", "read"}});

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/issuer.h"
#include "core/key_store.h"
#include "core/verification_cache.h"
#include "core/verifier.h"
#include "nlohmann/json.hpp"
#include "server/ext_authz_policy.h"
#include "server/service_context.h"
#include "tests/testutil/fake_clock.h"

namespace jwtauth::testutil {

class ExtAuthzTestEnv final {
 public:
  // `ext_authz_yaml`: a YAML document whose `ext_authz` key (if any) is the
  // policy; empty = no ext_authz section (defaults).
  static absl::StatusOr<std::unique_ptr<ExtAuthzTestEnv>> Create(
      absl::string_view ext_authz_yaml = "", bool with_cache = true);
  ExtAuthzTestEnv(const ExtAuthzTestEnv&) = delete;
  ExtAuthzTestEnv& operator=(const ExtAuthzTestEnv&) = delete;

  server::ServingStateHolder* holder() { return &holder_; }
  std::shared_ptr<const server::ServingState> state() const {
    return holder_.Current();
  }
  VerificationCache* cache() { return cache_.get(); }

  // A valid token (issued now, 10 min TTL) of `provider` ("default" or
  // "other") with these extra claims; sub defaults to "alice".
  std::string Token(const nlohmann::json& claims = nlohmann::json::object(),
                    absl::string_view provider = "default") const;
  // Same claims, but it expired an hour ago.
  std::string ExpiredToken(
      const nlohmann::json& claims = nlohmann::json::object()) const;

 private:
  ExtAuthzTestEnv() = default;

  FakeClock past_clock_;
  KeyStore store_;
  std::unique_ptr<VerificationCache> cache_;
  std::unique_ptr<TokenIssuer> default_issuer_;
  std::unique_ptr<TokenIssuer> other_issuer_;
  std::unique_ptr<TokenIssuer> past_issuer_;
  server::ServingStateHolder holder_;
};

}  // namespace jwtauth::testutil

#endif  // JWTAUTH_TESTS_SERVER_EXT_AUTHZ_TEST_ENV_H_
