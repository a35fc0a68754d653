// Envoy ext_authz Check, measured like Verify (docs/PERFORMANCE.md, "ext_authz
// Check"). Everything runs on the same in-memory ServingState
// (ExtAuthzTestEnv: HS256 provider keys, TokenVerifier + VerificationCache):
//
//   BM_Verify/{cached,uncached}     TokenVerifier::Verify: the baseline
//   BM_Authorize/{1,0,2}            ExtAuthzService::Authorize: route + rule
//                                   selection, token extraction, the same
//                                   Verify, claim rule, response building
//                                   (1 cached, 0 uncached, 2 cached without
//                                   dynamic_metadata)
//   BM_AuthorizeMissingToken        401 path (no crypto)
//   BM_CheckLoopback                full gRPC Check over 127.0.0.1 (sync
//                                   client, callback server, same process)
//
// Ratios against BM_Verify in the same run are what to compare across
// machines. Build with the release preset.

#include <memory>
#include <string>

#include "benchmark/benchmark.h"
#include "envoy/service/auth/v3/external_auth.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "server/ext_authz_service.h"
#include "tests/bench/envoy_like_request.h"
#include "tests/server/ext_authz_test_env.h"

namespace {

namespace authv3 = ::envoy::service::auth::v3;
using jwtauth::server::ExtAuthzService;
using jwtauth::server::ServiceContext;
using jwtauth::testutil::ExtAuthzTestEnv;

constexpr char kPolicy[] = R"(
ext_authz:
  forward_claims:
    - {claim: sub, header: x-jwt-sub}
    - {claim: org.id, header: x-org-id}
  routes:
    - name: public
      match: {path_prefix: /healthz}
      rules: [{allow: true}]
    - name: orders
      match: {context_extensions: {service: orders}}
      rules:
        - {methods: [GET], claims: [{claim: scope, contains: orders.read}]}
        - {deny: true}
)";

std::unique_ptr<ExtAuthzTestEnv> MakeEnv(bool cached,
                                         bool dynamic_metadata = true) {
  std::string policy = kPolicy;
  if (!dynamic_metadata) policy += "  dynamic_metadata: false\n";
  auto env = ExtAuthzTestEnv::Create(policy, cached);
  if (!env.ok()) std::abort();
  return *std::move(env);
}

// Envoy's request shape, with a forged claim header to strip and
// context_extensions.
authv3::CheckRequest MakeRequest(const std::string& token) {
  authv3::CheckRequest req;
  jwtauth::bench::FillEnvoyLikeCheckRequest("bench/1.0", req);
  auto& h = *req.mutable_attributes()
                 ->mutable_request()
                 ->mutable_http()
                 ->mutable_headers();
  h["x-jwt-sub"] = "forged";
  if (!token.empty()) h["authorization"] = "Bearer " + token;
  (*req.mutable_attributes()->mutable_context_extensions())["service"] =
      "orders";
  return req;
}

std::string ReaderToken(const ExtAuthzTestEnv& env) {
  return env.Token({{"sub", "bob"},
                    {"scope", "openid orders.read"},
                    {"org", {{"id", "o-42"}}}});
}

void BM_Verify(benchmark::State& state) {
  auto env = MakeEnv(state.range(0) != 0);
  const std::string token = ReaderToken(*env);
  auto serving = env->state();
  jwtauth::VerifyOptions options;
  for (auto _ : state) {
    auto result = serving->verifier->Verify(token, options);
    if (!result.ok()) state.SkipWithError("verify failed");
    benchmark::DoNotOptimize(result);
  }
  state.SetLabel(state.range(0) != 0 ? "cached" : "uncached");
}
BENCHMARK(BM_Verify)->Arg(1)->Arg(0);

// Arg 1: cached, 0: uncached, 2: cached without dynamic_metadata.
void BM_Authorize(benchmark::State& state) {
  auto env = MakeEnv(state.range(0) != 0, state.range(0) != 2);
  ExtAuthzService service(ServiceContext{.state = env->holder()});
  const authv3::CheckRequest req = MakeRequest(ReaderToken(*env));
  for (auto _ : state) {
    auto serving = env->state();  // one ServingState read per request
    authv3::CheckResponse resp;
    if (service.Authorize(*serving, req, &resp) != "OK") {
      state.SkipWithError("not allowed");
    }
    benchmark::DoNotOptimize(resp);
  }
  state.SetLabel(state.range(0) == 0   ? "uncached"
                 : state.range(0) == 2 ? "cached, no dynamic_metadata"
                                       : "cached");
}
BENCHMARK(BM_Authorize)->Arg(1)->Arg(0)->Arg(2);

void BM_AuthorizeMissingToken(benchmark::State& state) {
  auto env = MakeEnv(true);
  ExtAuthzService service(ServiceContext{.state = env->holder()});
  const authv3::CheckRequest req = MakeRequest("");
  for (auto _ : state) {
    auto serving = env->state();
    authv3::CheckResponse resp;
    benchmark::DoNotOptimize(service.Authorize(*serving, req, &resp));
  }
}
BENCHMARK(BM_AuthorizeMissingToken);

void BM_CheckLoopback(benchmark::State& state) {
  auto env = MakeEnv(true);
  ExtAuthzService service(ServiceContext{.state = env->holder()});
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    state.SkipWithError("cannot listen");
    return;
  }
  auto stub = authv3::Authorization::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  const authv3::CheckRequest req = MakeRequest(ReaderToken(*env));
  for (auto _ : state) {
    grpc::ClientContext ctx;
    authv3::CheckResponse resp;
    grpc::Status s = stub->Check(&ctx, req, &resp);
    if (!s.ok() || resp.status().code() != 0)
      state.SkipWithError("check failed");
  }
  server->Shutdown();
}
BENCHMARK(BM_CheckLoopback)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
