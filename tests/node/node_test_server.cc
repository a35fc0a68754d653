// A small AuthService server for the Node client test (tests/node): serves
// jwtauth.v1.AuthService over a fixed ServingState on 127.0.0.1:0 (plaintext)
// and prints "PORT=<n>" and "TOKEN=<a valid token>" on stdout, then serves
// until SIGTERM/SIGINT. Test-only; the production binary is jwtauth-server.
//
// State: provider "default" (issuer https://issuer.node.test, audience
// api://node) with an ES256 signing key "node-sign" and an RS256 key; an HS256
// provider "hmac" (secret never published); direct issuing disabled,
// exchange enabled for tokens of provider "default" to audience api://node.

#include <pthread.h>

#include <csignal>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/clock.h"
#include "core/issuer.h"
#include "core/key_store.h"
#include "core/verifier.h"
#include "grpcpp/grpcpp.h"
#include "server/auth_service.h"
#include "server/service_context.h"
#include "tests/testutil/test_keys.h"

namespace {

int Fail(absl::string_view what, const absl::Status& status) {
  std::cerr << "node_test_server: " << what << ": " << status << "\n";
  return 1;
}

}  // namespace

int main() {
  using namespace jwtauth;  // NOLINT: test binary
  constexpr char kIssuer[] = "https://issuer.node.test";
  // Block the stop signals in every thread (gRPC's threads inherit the
  // mask) so sigwait below receives them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  const Clock& clock = RealClock::Get();
  const absl::Time now = clock.Now();

  KeyStore store;
  testutil::TestKey signing_tk = testutil::GenerateTestKey(Algorithm::kEs256, "node-sign");
  testutil::TestKey rs = testutil::GenerateTestKey(Algorithm::kRs256, "node-rs");
  testutil::TestKey hs = testutil::GenerateTestKey(Algorithm::kHs256, "node-hs");
  auto signing = SigningKey::Create(Algorithm::kEs256, "node-sign", signing_tk.private_key);
  if (!signing.ok()) return Fail("signing key", signing.status());
  auto sign_verify = signing->VerificationKey(now);
  if (!sign_verify.ok()) return Fail("verification key", sign_verify.status());
  store.SetSourceKeys("default", signing->source_id(), {*sign_verify});
  store.SetSourceKeys("default", "inline:node-rs", {rs.key});
  store.SetSourceKeys("hmac", "inline:node-hs", {hs.key});

  ProviderOptions def;
  def.name = "default";
  def.issuers = {kIssuer};
  def.audiences = {"api://node"};
  ProviderOptions hmac;
  hmac.name = "hmac";
  hmac.issuers = {"https://hmac.node.test"};
  hmac.audiences = {"api://node"};
  VerifierConfig vc;
  vc.providers = {def, hmac};
  vc.key_store = &store;
  vc.clock = &clock;
  auto verifier = TokenVerifier::Create(std::move(vc));
  if (!verifier.ok()) return Fail("verifier", verifier.status());

  IssuerOptions io;
  io.issuer = kIssuer;
  io.exchange.claim_allowlist = {"sub", "scope"};
  io.exchange.allowed_providers = {"default"};
  io.exchange.allowed_audiences = {"api://node"};
  auto issuer = TokenIssuer::Create(io, *signing, &clock);
  if (!issuer.ok()) return Fail("issuer", issuer.status());

  // A valid token for the client to play with (issued by the issuer itself).
  IssueRequest ir;
  ir.subject = "node-user";
  ir.audiences = {"api://node"};
  ir.claims = {{"scope", "orders.read"}};
  auto token = (*issuer)->Issue(ir);
  if (!token.ok()) return Fail("issue", token.status());

  auto state = std::make_shared<server::ServingState>();
  state->generation = 1;
  state->verifier = std::shared_ptr<const TokenVerifier>(std::move(*verifier));
  state->issuer = std::shared_ptr<const TokenIssuer>(std::move(*issuer));
  state->issue_policy.exchange_enabled = true;
  state->issue_policy.exchange_allowed_providers = {"default"};
  state->issue_policy.exchange_allowed_audiences = {"api://node"};
  server::ServingStateHolder holder;
  holder.Publish(state);
  server::AuthService service(server::ServiceContext{&holder, &store, nullptr, nullptr});

  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::cerr << "node_test_server: could not listen on 127.0.0.1:0\n";
    return 1;
  }
  std::cout << "PORT=" << port << "\nTOKEN=" << token->token << std::endl;

  int sig = 0;
  sigwait(&stop, &sig);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  return 0;
}
