#ifndef JWTAUTH_TESTS_BENCH_ENVOY_LIKE_REQUEST_H_
#define JWTAUTH_TESTS_BENCH_ENVOY_LIKE_REQUEST_H_

// The CheckRequest the benchmarks send: shaped like the one Envoy's
// ext_authz filter sends for a browser or service call (HTTP attributes
// plus a dozen headers), so Check is measured on realistic input. Shared
// by the load generator and the in-process ext_authz benchmark.

#include <string>

#include "envoy/service/auth/v3/external_auth.pb.h"

namespace jwtauth::bench {

inline void FillEnvoyLikeCheckRequest(
    const std::string& user_agent,
    ::envoy::service::auth::v3::CheckRequest& req) {
  auto* http = req.mutable_attributes()->mutable_request()->mutable_http();
  http->set_id("8f2b6c52-3a1d-4e0e-9c71-5f0c2e8d1a11");
  http->set_method("GET");
  http->set_path("/orders/42?expand=items");
  http->set_host("api.example.com");
  http->set_scheme("https");
  http->set_protocol("HTTP/1.1");
  auto& h = *http->mutable_headers();
  h[":authority"] = "api.example.com";
  h[":method"] = "GET";
  h[":path"] = "/orders/42?expand=items";
  h[":scheme"] = "https";
  h["accept"] = "application/json";
  h["accept-encoding"] = "gzip, br";
  h["user-agent"] = user_agent;
  h["x-forwarded-for"] = "10.1.2.3";
  h["x-forwarded-proto"] = "https";
  h["x-request-id"] = "8f2b6c52-3a1d-4e0e-9c71-5f0c2e8d1a11";
}

}  // namespace jwtauth::bench

#endif  // JWTAUTH_TESTS_BENCH_ENVOY_LIKE_REQUEST_H_
