// A small AuthService server for the Node client test (tests/node): stands up
// the production wiring in-process (tests/testutil/test_server.h: YAML config
// → Application → AuthService on 127.0.0.1:0, plaintext), prints "PORT=<n>"
// and "TOKEN=<a valid token>" on stdout, then serves until SIGTERM/SIGINT.
// Test-only; the production binary is jwtauth-server.
//
// State: provider "default" (issuer https://issuer.node.test, audience
// api://node) with the ES256 signing key "node-sign" and an RS256 key; an
// HS256 provider "hmac" (secret never published); direct issuing disabled,
// exchange enabled for tokens of provider "default" to audience api://node.

#include <pthread.h>

#include <csignal>
#include <iostream>
#include <memory>
#include <string>

#include "core/algorithm.h"
#include "core/crypto/key_material.h"
#include "core/issuer.h"
#include "tests/testutil/test_server.h"

namespace {

constexpr char kConfig[] = R"(
signing:
  alg: ES256
  kid: node-sign
  private_key_file: "{dir}/sign.pem"
  issuer: https://issuer.node.test
providers:
  - name: default
    issuers: [https://issuer.node.test]
    audiences: [api://node]
    keys: [{kid: node-rs, alg: RS256, public_key_file: "{dir}/rs.pem"}]
  - name: hmac
    issuers: [https://hmac.node.test]
    audiences: [api://node]
    keys: [{kid: node-hs, alg: HS256, secret_file: "{dir}/hs.txt"}]
issue:
  exchange:
    enabled: true
    claims: [sub, scope]
    allowed_providers: [default]
    allowed_audiences: [api://node]
)";

int Fail(absl::string_view what, const absl::Status& status) {
  std::cerr << "node_test_server: " << what << ": " << status << "\n";
  return 1;
}

}  // namespace

int main() {
  using namespace jwtauth;  // NOLINT: test binary
  // Block the stop signals in every thread (gRPC's threads inherit the
  // mask) so sigwait below receives them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  auto signing = crypto::KeyMaterial::Generate(Algorithm::kEs256);
  if (!signing.ok()) return Fail("signing key", signing.status());
  auto rs = crypto::KeyMaterial::Generate(Algorithm::kRs256);
  if (!rs.ok()) return Fail("RS256 key", rs.status());
  auto sign_pem = signing->PrivatePem();
  if (!sign_pem.ok()) return Fail("signing key PEM", sign_pem.status());
  auto rs_pem = rs->PublicPem();
  if (!rs_pem.ok()) return Fail("RS256 key PEM", rs_pem.status());
  const std::string secret = "node-test-hmac-secret-0123456789abcdef";

  auto server = testutil::TestServer::Start(
      kConfig,
      {{"sign.pem", *sign_pem}, {"rs.pem", *rs_pem}, {"hs.txt", secret}},
      {.start_refresher = false});
  if (!server.ok()) return Fail("server", server.status());

  // A valid token for the client to play with (issued by the issuer itself).
  auto state = (*server)->state()->Current();
  IssueRequest ir;
  ir.subject = "node-user";
  ir.audiences = {"api://node"};
  ir.claims = {{"scope", "orders.read"}};
  auto token = state->issuer->Issue(ir);
  if (!token.ok()) return Fail("issue", token.status());
  std::cout << "PORT=" << (*server)->port() << "\nTOKEN=" << token->token
            << std::endl;

  int sig = 0;
  sigwait(&stop, &sig);
  server->reset();
  return 0;
}
