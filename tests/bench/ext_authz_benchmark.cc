// Envoy ext_authz Check, measured like Verify (docs/PERFORMANCE.md, "ext_authz
// Check"). Everything runs on the same in-memory ServingState
// (ExtAuthzTestEnv: HS256 provider keys, TokenVerifier + VerificationCache):
//
//   BM_Verify/{cached,uncached}     TokenVerifier::Verify: the baseline
//   BM_Authorize/{1,0,2,3,4}        ExtAuthzService::Authorize: route + rule
//                                   selection, token extraction, the same
//                                   Verify, claim rule, response building
//                                   (1 cached, 0 uncached, 2 cached without
//                                   dynamic_metadata; 3 cached and 4
//                                   uncached on a route with
//                                   issue_upstream_token)
//   BM_AuthorizeMissingToken        401 path (no crypto)
//   BM_ServeCheck                   ExtAuthzService::ServeCheck: the raw
//                                   method's body, serialized CheckRequest
//                                   in, serialized answer out (cached)
//   BM_CheckRequestView             how ServeCheck reads the request:
//                                   CheckRequestView::FromWire, in place
//   BM_ParseCheckRequest            the protobuf parse it replaced (still
//                                   the fallback; stack-first arena)
//   BM_CheckLoopback/{0,1}          full gRPC Check over 127.0.0.1 (sync
//                                   client, callback server, same process;
//                                   1 = with issue_upstream_token)
//
// Ratios against BM_Verify in the same run are what to compare across
// machines. Build with the release preset.

#include <memory>
#include <string>

#include "benchmark/benchmark.h"
#include "envoy/service/auth/v3/external_auth.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "server/check_request_view.h"
#include "server/ext_authz_service.h"
#include "server/wire_buffer.h"
#include "tests/bench/envoy_like_request.h"
#include "tests/server/ext_authz_test_env.h"

namespace {

namespace authv3 = ::envoy::service::auth::v3;
using jwtauth::server::ExtAuthzService;
using jwtauth::server::ServiceContext;
using jwtauth::testutil::ExtAuthzTestEnv;

constexpr char kPolicy[] = R"(
signing: {ephemeral: true, issuer: "https://jwtauth.test"}
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
    - name: internal
      match: {context_extensions: {service: internal}}
      rules: [{claims: [{claim: scope, contains: orders.read}]}]
      issue_upstream_token:
        header: x-internal-token
        audience: orders-svc
        ttl: 60s
        claims: [sub, scope]
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
authv3::CheckRequest MakeRequest(const std::string& token,
                                 const std::string& service = "orders") {
  authv3::CheckRequest req;
  jwtauth::bench::FillEnvoyLikeCheckRequest("bench/1.0", req);
  auto& h = *req.mutable_attributes()
                 ->mutable_request()
                 ->mutable_http()
                 ->mutable_headers();
  h["x-jwt-sub"] = "forged";
  if (!token.empty()) h["authorization"] = "Bearer " + token;
  (*req.mutable_attributes()->mutable_context_extensions())["service"] =
      service;
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

// Arg 1: cached, 0: uncached, 2: cached without dynamic_metadata, 3: cached
// with issue_upstream_token (one signature per token, then the memo), 4:
// uncached with issue_upstream_token (a signature per Check).
void BM_Authorize(benchmark::State& state) {
  const int64_t arg = state.range(0);
  const bool cached = arg != 0 && arg != 4;
  auto env = MakeEnv(cached, arg != 2);
  ExtAuthzService service(ServiceContext{.state = env->holder()});
  const authv3::CheckRequest req =
      MakeRequest(ReaderToken(*env), arg >= 3 ? "internal" : "orders");
  for (auto _ : state) {
    auto serving = env->state();  // one ServingState read per request
    authv3::CheckResponse resp;
    if (service.Authorize(*serving, req, &resp) != "OK") {
      state.SkipWithError("not allowed");
    }
    benchmark::DoNotOptimize(resp);
  }
  constexpr const char* kLabels[] = {
      "uncached", "cached", "cached, no dynamic_metadata",
      "cached, issue_upstream_token", "uncached, issue_upstream_token"};
  state.SetLabel(kLabels[arg]);
}
BENCHMARK(BM_Authorize)->Arg(1)->Arg(0)->Arg(2)->Arg(3)->Arg(4);

void BM_ServeCheck(benchmark::State& state) {
  auto env = MakeEnv(true);
  ExtAuthzService service(ServiceContext{.state = env->holder()});
  const std::string bytes = MakeRequest(ReaderToken(*env)).SerializeAsString();
  const grpc::ByteBuffer request = jwtauth::server::ByteBufferOf(bytes);
  for (auto _ : state) {
    grpc::ByteBuffer response;
    if (!service.ServeCheck(nullptr, &request, &response).ok()) {
      state.SkipWithError("ServeCheck failed");
    }
    benchmark::DoNotOptimize(response);
  }
  state.SetLabel(std::to_string(bytes.size()) + " request bytes");
}
BENCHMARK(BM_ServeCheck);

void BM_CheckRequestView(benchmark::State& state) {
  auto env = MakeEnv(true);
  const std::string bytes = MakeRequest(ReaderToken(*env)).SerializeAsString();
  for (auto _ : state) {
    auto view = jwtauth::server::CheckRequestView::FromWire(bytes);
    if (!view.has_value()) state.SkipWithError("declined");
    benchmark::DoNotOptimize(view);
  }
}
BENCHMARK(BM_CheckRequestView);

void BM_ParseCheckRequest(benchmark::State& state) {
  auto env = MakeEnv(true);
  const std::string bytes = MakeRequest(ReaderToken(*env)).SerializeAsString();
  const grpc::ByteBuffer request = jwtauth::server::ByteBufferOf(bytes);
  for (auto _ : state) {
    alignas(16) char block[8192];
    google::protobuf::ArenaOptions options;
    options.initial_block = block;
    options.initial_block_size = sizeof(block);
    google::protobuf::Arena arena(options);
    auto* parsed =
        google::protobuf::Arena::CreateMessage<authv3::CheckRequest>(&arena);
    if (!jwtauth::server::ParseFromByteBuffer(request, parsed)) {
      state.SkipWithError("parse failed");
    }
    benchmark::DoNotOptimize(parsed);
  }
}
BENCHMARK(BM_ParseCheckRequest);

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
  const authv3::CheckRequest req = MakeRequest(
      ReaderToken(*env), state.range(0) != 0 ? "internal" : "orders");
  for (auto _ : state) {
    grpc::ClientContext ctx;
    authv3::CheckResponse resp;
    grpc::Status s = stub->Check(&ctx, req, &resp);
    if (!s.ok() || resp.status().code() != 0)
      state.SkipWithError("check failed");
  }
  server->Shutdown();
}
BENCHMARK(BM_CheckLoopback)->Arg(0)->Arg(1)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
