#ifndef JWTAUTH_TESTS_SERVER_EXT_AUTHZ_TEST_ENV_H_
#define JWTAUTH_TESTS_SERVER_EXT_AUTHZ_TEST_ENV_H_

// ExtAuthzTestEnv: a fixed serving state for the ext_authz tests, the
// ext_authz test server (Node wire tests) and the Check benchmark, stood up
// like every other one (tests/testutil/test_server.h): a YAML config with
// two HS256 providers and the given `ext_authz:` section → Application →
// ExtAuthzService on 127.0.0.1:<port>, plus TokenIssuers over the same
// secrets that mint tokens for it.
//
// Providers:
//   "default"  iss https://issuer.test  aud api://test   HS256 kid "k-default"
//   "other"    iss https://other.test   aud api://other  HS256 kid "k-other"
//
// Ownership: owns the server; the ServingStateHolder it exposes points into
// it, so it must outlive every service built on holder(). Token minting is
// thread-safe; not copyable or movable.
//
//   auto env = ExtAuthzTestEnv::Create(R"(ext_authz: {...})");
//   (*env)->server().Check(request, &response);      // over gRPC, or
//   ExtAuthzService service(ServiceContext{.state = (*env)->holder()});
//   std::string t = (*env)->Token({{"sub", "alice"}, {"scope", "read"}});

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/issuer.h"
#include "nlohmann/json.hpp"
#include "server/config.h"
#include "server/metrics.h"
#include "server/service_context.h"
#include "tests/testutil/fake_clock.h"
#include "tests/testutil/test_server.h"

namespace jwtauth::testutil {

class ExtAuthzTestEnv final {
 public:
  // `ext_authz_yaml`: a YAML document whose `ext_authz` key (if any) is the
  // policy; empty = no ext_authz section (defaults). `with_cache` = false
  // turns the verification cache off (cache: {enabled: false}).
  // `threading`: the server's transport (default: the config default).
  static absl::StatusOr<std::unique_ptr<ExtAuthzTestEnv>> Create(
      absl::string_view ext_authz_yaml = "", bool with_cache = true,
      std::optional<server::ServerThreading> threading = std::nullopt);
  ExtAuthzTestEnv(const ExtAuthzTestEnv&) = delete;
  ExtAuthzTestEnv& operator=(const ExtAuthzTestEnv&) = delete;

  testutil::TestServer& server() { return *server_; }
  server::ServingStateHolder* holder() { return server_->state(); }
  std::shared_ptr<const server::ServingState> state() const {
    return server_->state()->Current();
  }
  // Verification-cache hits and misses so far (all generations).
  server::Metrics::CacheCounts cache_lookups() const {
    return server_->metrics().CacheLookups();
  }

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
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<TokenIssuer> default_issuer_;
  std::unique_ptr<TokenIssuer> other_issuer_;
  std::unique_ptr<TokenIssuer> past_issuer_;
};

}  // namespace jwtauth::testutil

#endif  // JWTAUTH_TESTS_SERVER_EXT_AUTHZ_TEST_ENV_H_
