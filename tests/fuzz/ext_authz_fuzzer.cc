// libFuzzer target for ext_authz request handling: a serialized Envoy
// CheckRequest → ExtAuthzService::Authorize (server/ext_authz_service.h),
// the transport-free decision (route and rule selection, token from
// headers / cookies / query, verification, forwarded claims). No gRPC server
// is started: the serving state is built from a fixed config by the same
// ServingStateBuilder the server uses (fixed clock, fuzz keys).
// Properties (any violation aborts):
//   - status.code is OK, UNAUTHENTICATED, PERMISSION_DENIED or UNAVAILABLE,
//     with ok_response exactly for OK and the matching HTTP status
//     (401 / 403 / 503) otherwise;
//   - allowed: no header both set and removed, no control character in a
//     forwarded value;
//   - denied: the body is a JSON object with "error"; neither body nor
//     headers contain any token-like string of the request;
//   - the same request gives the same response twice;
//   - ServeCheck on the raw bytes (CheckRequestView reads them in place,
//     protobuf what it declines) gives the response Authorize gives on the
//     parsed message.
// Seeds: tests/fuzz/corpus/ext_authz/ (serialized requests, see README.md).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "core/key_store.h"
#include "envoy/service/auth/v3/external_auth.pb.h"
#include "google/protobuf/util/message_differencer.h"
#include "nlohmann/json.hpp"
#include "server/config.h"
#include "server/ext_authz_service.h"
#include "server/service_context.h"
#include "server/serving_state_builder.h"
#include "server/wire_buffer.h"
#include "tests/fuzz/fuzz_keys.h"
#include "tests/testutil/fake_clock.h"

namespace jwtauth::fuzz {
namespace {

using envoy::service::auth::v3::CheckRequest;
using envoy::service::auth::v3::CheckResponse;

[[noreturn]] void Violated(const std::string& what) {
  std::fprintf(stderr, "ext_authz property violated: %s\n", what.c_str());
  std::abort();
}

using ::jwtauth::testutil::FixedClock;

constexpr char kExtAuthzYaml[] = R"yaml(
ext_authz:
  forward_claims:
    - {claim: sub, header: x-user}
    - {claim: org.id, header: x-org-id}
    - {claim: roles, header: x-roles}
  routes:
    - name: public
      rules: [{allow: true}]
    - name: orders
      provider: main
      audience: api://orders
      match: {path_prefix: /orders}
      token_sources:
        - {header: authorization, prefix: "Bearer "}
        - {cookie: session}
        - {query: access_token}
        - {header: x-api-token}
      rules:
        - {path_prefix: /orders/health, allow: true}
        - {methods: [GET, HEAD], claims: [{claim: scope, contains: orders.read}]}
        - {methods: [POST], claims: [{claim: scope, contains: orders.write},
                                     {claim: role, in: [admin, clerk]}]}
        - {deny: true}
    - name: admin
      match: {context_extensions: {area: admin}, hosts: ["*.fuzz.test"]}
      rules:
        - {path_regex: "/admin/[a-z]+", claims: [{claim: role, equals: admin}]}
        - {path_exact: /admin, claims: [{claim: email_verified, exists: true}]}
        - {deny: true}
)yaml";

// Public JWK of a fuzz key (the config's key entries are verification keys).
std::string PublicJwkText(nlohmann::json jwk) {
  for (const char* member : {"d", "p", "q", "dp", "dq", "qi"}) {
    jwk.erase(member);
  }
  return jwk.dump();
}

std::string ConfigYaml() {
  std::string keys;
  for (const nlohmann::json& jwk : FuzzJwks()) {
    const std::string alg = jwk.value("alg", "");
    if (alg != "HS256" && alg != "ES256" && alg != "EdDSA") continue;
    absl::StrAppend(&keys, "      - jwk: '", PublicJwkText(jwk), "'\n");
  }
  return absl::StrCat(
      "cache: {enabled: true}\nproviders:\n"
      "  - name: main\n    issuers: [\"https://fuzz.test\"]\n"
      "    audiences: [\"api://fuzz\", \"api://orders\"]\n    keys:\n",
      keys,
      "  - name: other\n    issuers: [\"https://other.fuzz\"]\n"
      "    audiences: [\"api://other\"]\n    keys:\n",
      keys, kExtAuthzYaml);
}

struct World {
  FixedClock clock{absl::FromUnixSeconds(1'700'000'000)};
  KeyStore store{&clock};
  server::BuiltServingState built;
  std::shared_ptr<server::ServingState> state;
  server::ServingStateHolder holder;
  std::unique_ptr<server::ExtAuthzService> service;
};

World& GetWorld() {
  static World* world = [] {
    auto* w = new World();
    absl::StatusOr<server::ServerConfig> config = server::ParseServerConfig(
        ConfigYaml(), "ext_authz_fuzz.yaml", "/nonexistent",
        {.getenv = nullptr, .apply_env_overrides = false});
    if (!config.ok()) HarnessBroken(config.status().ToString());
    server::ServingStateBuilder builder(
        {.key_store = &w->store, .clock = &w->clock, .load = {}});
    absl::StatusOr<server::BuiltServingState> built = builder.Build(*config);
    if (!built.ok()) HarnessBroken(built.status().ToString());
    w->built = *std::move(built);
    w->store.ReplaceAll(std::move(w->built.key_sources));
    w->state = std::make_shared<server::ServingState>();
    w->state->generation = 1;
    w->state->verifier = std::move(w->built.verifier);
    w->state->ext_authz = w->built.ext_authz;
    w->holder.Publish(w->state);
    w->service = std::make_unique<server::ExtAuthzService>(
        server::ServiceContext{.state = &w->holder,
                               .key_store = &w->store,
                               .metrics = nullptr,
                               .logger = nullptr});
    return w;
  }();
  return *world;
}

// Every string of the request that looks like a compact JWS (two dots,
// 20+ characters of the alphabet) or is a whole header value of such size.
std::vector<std::string> TokenLike(const CheckRequest& request) {
  std::vector<std::string> out;
  const auto& http = request.attributes().request().http();
  auto consider = [&out](absl::string_view text) {
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find_first_of(" ;,=&?", start);
      if (end == text.npos) end = text.size();
      absl::string_view piece = text.substr(start, end - start);
      if (piece.size() >= 20 && piece.find('.') != piece.npos &&
          piece.find('.', piece.find('.') + 1) != piece.npos) {
        out.emplace_back(piece);
      }
      start = end + 1;
    }
  };
  for (const auto& [name, value] : http.headers()) consider(value);
  consider(http.query());
  consider(http.path());
  return out;
}

void CheckDenied(const CheckResponse& r, const CheckRequest& request) {
  const auto& denied = r.denied_response();
  const int code = r.status().code();
  const int http = denied.status().code();
  if ((code == 16 && http != 401) || (code == 7 && http != 403) ||
      (code == 14 && http != 503)) {
    Violated(absl::StrCat("status ", code, " with HTTP ", http));
  }
  nlohmann::json body = nlohmann::json::parse(denied.body(), nullptr, false);
  if (!body.is_object() || !body.contains("error")) {
    Violated("denied body is not {\"error\": ...}");
  }
  for (const std::string& token : TokenLike(request)) {
    if (denied.body().find(token) != std::string::npos) {
      Violated("denied body echoes a token");
    }
    for (const auto& h : denied.headers()) {
      if (h.header().value().find(token) != std::string::npos) {
        Violated("denied header echoes a token");
      }
    }
  }
}

void CheckAllowed(const CheckResponse& r) {
  const auto& ok = r.ok_response();
  for (const auto& h : ok.headers()) {
    for (const std::string& removed : ok.headers_to_remove()) {
      if (removed == h.header().key()) Violated("header set and removed");
    }
    for (unsigned char c : h.header().value()) {
      if (c < 0x20 || c == 0x7f) Violated("control character forwarded");
    }
  }
}

}  // namespace
}  // namespace jwtauth::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  jwtauth::fuzz::GetWorld();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace jwtauth::fuzz;
  CheckRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  World& w = GetWorld();
  CheckResponse first;
  w.service->Authorize(*w.state, request, &first);
  const int code = first.status().code();
  if (code != 0 && code != 7 && code != 14 && code != 16) {
    Violated(absl::StrCat("unexpected status code ", code));
  }
  if ((code == 0) != first.has_ok_response() ||
      (code != 0) != first.has_denied_response()) {
    Violated("ok_response/denied_response does not match the status");
  }
  if (code == 0) {
    CheckAllowed(first);
  } else {
    CheckDenied(first, request);
  }
  CheckResponse second;
  w.service->Authorize(*w.state, request, &second);
  if (!google::protobuf::util::MessageDifferencer::Equals(first, second)) {
    Violated("the same request got two different responses");
  }
  const grpc::ByteBuffer raw = jwtauth::server::ByteBufferOf(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  grpc::ByteBuffer wire;
  CheckResponse from_wire;
  if (!w.service->ServeCheck(nullptr, &raw, &wire).ok() ||
      !jwtauth::server::ParseFromByteBuffer(wire, &from_wire) ||
      !google::protobuf::util::MessageDifferencer::Equals(first, from_wire)) {
    Violated("ServeCheck on the bytes and Authorize on the message differ");
  }
  return 0;
}
