// A small ext_authz server for the Node wire tests (tests/envoy_wire): serves
// ExtAuthzService over the fixed ServingState of ExtAuthzTestEnv on
// 127.0.0.1:0, prints ONE JSON line to stdout
//   {"port": 41234, "tokens": {"valid": "...", ...}, "signing_kid": "..."}
// and serves until stdin reaches EOF (the test closes it, or dies), then shuts
// down and exits 0. Test-only keys; the tokens are worthless elsewhere.

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "core/issuer.h"
#include "nlohmann/json.hpp"
#include "tests/server/ext_authz_test_env.h"

namespace {

// The policy the wire tests exercise (see tests/envoy_wire/wire.test.js).
constexpr char kPolicy[] = R"(
signing: {ephemeral: true, issuer: "https://jwtauth.test"}
ext_authz:
  forward_claims:
    - {claim: sub, header: x-jwt-sub}
    - {claim: org.id, header: x-org-id}
  routes:
    - name: public
      rules: [{allow: true}]
    - name: orders
      match: {context_extensions: {service: orders}}
      rules:
        - {methods: [GET], claims: [{claim: scope, contains: orders.read}]}
        - {deny: true}
    - name: parity
      match: {context_extensions: {service: parity}}
      token_sources:
        - {header: authorization, prefix: "Bearer "}
        - {cookie: session}
        - {query: access_token}
      forward_payload_header: x-jwt-payload
      allow_missing: true
    - name: keep
      match: {context_extensions: {service: keep}}
      forward_token: true
    - name: lenient
      match: {context_extensions: {service: lenient}}
      allow_missing_or_failed: true
    - name: internal
      match: {context_extensions: {service: internal}}
      issue_upstream_token:
        header: x-internal-token
        audience: orders-svc
        ttl: 60s
        claims: [sub, scope]
)";

}  // namespace

int main() {
  auto env = jwtauth::testutil::ExtAuthzTestEnv::Create(kPolicy);
  if (!env.ok()) {
    std::cerr << "ext_authz_test_server: " << env.status() << "\n";
    return 1;
  }
  // The env serves ExtAuthzService on 127.0.0.1:<port> already.
  jwtauth::testutil::ExtAuthzTestEnv& e = **env;
  nlohmann::json out = {
      {"port", e.server().port()},
      {"tokens",
       {{"valid", e.Token({{"sub", "alice"}, {"org", {{"id", "o-42"}}}})},
        {"reader", e.Token({{"sub", "bob"}, {"scope", "orders.read"}})},
        {"writer", e.Token({{"sub", "carol"}, {"scope", "orders.write"}})},
        {"other_provider", e.Token({{"sub", "dave"}}, "other")},
        {"expired", e.ExpiredToken()}}},
      {"signing_kid", e.state()->issuer->signing_key().kid()}};
  std::cout << out.dump() << std::endl;

  // Serve until stdin closes.
  char buf[256];
  while (read(STDIN_FILENO, buf, sizeof(buf)) > 0) {
  }
  return 0;
}
