// The cost of metrics on the request path. Not a test.
//
//   cmake --preset release
//   cmake --build --preset release --target metrics_benchmark
//   build/release/tests/bench/metrics_benchmark
//
//   BM_ServeVerifyCacheHit    AuthService::ServeVerify with one token (a
//                             verification-cache hit), metrics recorded:
//                             the Verify handler as the transport runs it
//   BM_ServeCheckCacheHit     ExtAuthzService::ServeCheck on a configured
//                             route, token cached
//   BM_Record/...             recording one RPC, by design:
//     PrometheusHistogram     prometheus::Counter + prometheus::Histogram,
//                             pointers resolved once (Observe takes a mutex)
//     RpcSeriesByReason       RpcSeries::Record(FailureReason): lock-free
//     RpcSeriesByName         RpcSeries::Record("OK"): + one lookup in an
//                             immutable table
// Each runs on 1 and 2 threads (contention on the same series).
//
// BM_Serve* use only the service API, so the same file builds against an
// older checkout for a before/after comparison in one run (the BM_Record
// part needs server/rpc_metrics.h and is left out there).

#include <memory>
#include <string>

#include "benchmark/benchmark.h"
#include "envoy/service/auth/v3/external_auth.grpc.pb.h"
#include "jwtauth/v1/auth.pb.h"
#include "server/auth_service.h"
#include "server/ext_authz_service.h"
#include "server/wire_buffer.h"
#include "tests/server/ext_authz_test_env.h"
#if __has_include("server/rpc_metrics.h")
#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "server/rpc_metrics.h"
#define JWTAUTH_HAS_RPC_SERIES 1
#endif

namespace {

namespace authv3 = ::envoy::service::auth::v3;
using jwtauth::server::AuthService;
using jwtauth::server::ExtAuthzService;
using jwtauth::server::ServiceContext;
using jwtauth::testutil::ExtAuthzTestEnv;

constexpr char kPolicy[] = R"(
ext_authz:
  routes:
    - name: api
      match: {path_prefix: /}
)";

struct Fixture {
  Fixture() {
    auto created = ExtAuthzTestEnv::Create(kPolicy);
    if (!created.ok()) std::abort();
    env = *std::move(created);
    ServiceContext ctx{.state = env->holder(),
                       .metrics = &env->server().metrics()};
    auth = std::make_unique<AuthService>(ctx);
    ext_authz = std::make_unique<ExtAuthzService>(ctx);
    const std::string token = env->Token();
    jwtauth::v1::VerifyRequest verify;
    verify.set_token(token);
    verify.set_provider("default");
    verify_request = verify.SerializeAsString();
    authv3::CheckRequest check;
    auto* http = check.mutable_attributes()->mutable_request()->mutable_http();
    http->set_method("GET");
    http->set_path("/orders/1");
    http->set_host("api.example.com");
    (*http->mutable_headers())["authorization"] = "Bearer " + token;
    check_request = check.SerializeAsString();
  }
  std::unique_ptr<ExtAuthzTestEnv> env;
  std::unique_ptr<AuthService> auth;
  std::unique_ptr<ExtAuthzService> ext_authz;
  std::string verify_request;
  std::string check_request;
};

Fixture& Shared() {
  static Fixture* const fixture = new Fixture();
  return *fixture;
}

void BM_ServeVerifyCacheHit(benchmark::State& state) {
  Fixture& f = Shared();
  const grpc::ByteBuffer request =
      jwtauth::server::ByteBufferOf(f.verify_request);
  for (auto _ : state) {
    grpc::ByteBuffer response;
    grpc::Status status = f.auth->ServeVerify(nullptr, &request, &response);
    if (!status.ok()) state.SkipWithError("Verify failed");
    benchmark::DoNotOptimize(response);
  }
}
BENCHMARK(BM_ServeVerifyCacheHit)->ThreadRange(1, 2)->UseRealTime();

void BM_ServeCheckCacheHit(benchmark::State& state) {
  Fixture& f = Shared();
  const grpc::ByteBuffer request =
      jwtauth::server::ByteBufferOf(f.check_request);
  for (auto _ : state) {
    grpc::ByteBuffer response;
    grpc::Status status = f.ext_authz->ServeCheck(nullptr, &request, &response);
    if (!status.ok()) state.SkipWithError("Check failed");
    benchmark::DoNotOptimize(response);
  }
}
BENCHMARK(BM_ServeCheckCacheHit)->ThreadRange(1, 2)->UseRealTime();

#ifdef JWTAUTH_HAS_RPC_SERIES
using jwtauth::FailureReason;
using jwtauth::server::RpcSeries;

const absl::Duration kLatency = absl::Microseconds(37);

void BM_Record_PrometheusHistogram(benchmark::State& state) {
  static prometheus::Registry* const registry = new prometheus::Registry();
  static prometheus::Counter* const counter =
      &prometheus::BuildCounter().Name("c").Register(*registry).Add(
          {{"method", "Verify"}, {"result", "OK"}});
  static prometheus::Histogram* const histogram =
      &prometheus::BuildHistogram().Name("h").Register(*registry).Add(
          {{"method", "Verify"}, {"result", "OK"}},
          prometheus::Histogram::BucketBoundaries(
              RpcSeries::kLatencyBuckets.begin(),
              RpcSeries::kLatencyBuckets.end()));
  for (auto _ : state) {
    counter->Increment();
    histogram->Observe(absl::ToDoubleSeconds(kLatency));
  }
}
BENCHMARK(BM_Record_PrometheusHistogram)->ThreadRange(1, 2)->UseRealTime();

RpcSeries& SharedSeries() {
  static RpcSeries* const series = new RpcSeries("Verify", std::nullopt);
  return *series;
}

void BM_Record_RpcSeriesByReason(benchmark::State& state) {
  RpcSeries& series = SharedSeries();
  for (auto _ : state) series.Record(FailureReason::kUnspecified, kLatency);
}
BENCHMARK(BM_Record_RpcSeriesByReason)->ThreadRange(1, 2)->UseRealTime();

void BM_Record_RpcSeriesByName(benchmark::State& state) {
  RpcSeries& series = SharedSeries();
  for (auto _ : state) series.Record("OK", kLatency);
}
BENCHMARK(BM_Record_RpcSeriesByName)->ThreadRange(1, 2)->UseRealTime();
#endif  // JWTAUTH_HAS_RPC_SERIES

}  // namespace

BENCHMARK_MAIN();
