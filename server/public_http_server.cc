#include "server/public_http_server.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "server/bounded_http_server.h"

namespace jwtauth::server {

std::string OpenIdConfigurationJson(absl::string_view issuer,
                                    absl::string_view jwks_uri,
                                    absl::string_view jwks) {
  std::set<std::string> algs;
  nlohmann::json doc = nlohmann::json::parse(jwks, nullptr,
                                             /*allow_exceptions=*/false);
  if (doc.is_object() && doc.contains("keys") && doc["keys"].is_array()) {
    for (const nlohmann::json& key : doc["keys"]) {
      if (!key.is_object()) continue;
      auto alg = key.find("alg");
      if (alg != key.end() && alg->is_string()) {
        algs.insert(alg->get<std::string>());
      }
    }
  }
  nlohmann::json out;
  out["issuer"] = std::string(issuer);
  out["jwks_uri"] = std::string(jwks_uri);
  out["response_types_supported"] = {"id_token"};
  out["subject_types_supported"] = {"public"};
  out["id_token_signing_alg_values_supported"] = algs;
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

PublicHttpServer::PublicHttpServer(const HttpServerOptions& options)
    : http_(std::make_unique<BoundedHttpServer>(options)) {}

PublicHttpServer::~PublicHttpServer() { Stop(); }

absl::StatusOr<std::unique_ptr<PublicHttpServer>> PublicHttpServer::Start(
    absl::string_view listen_address, PublicHandlers handlers,
    PublicServerOptions options) {
  std::unique_ptr<PublicHttpServer> pub(new PublicHttpServer(options.http));
  httplib::Server& svr = pub->http_->routes();
  auto h = std::make_shared<PublicHandlers>(std::move(handlers));
  const std::string cache_control =
      absl::StrCat("public, max-age=", absl::ToInt64Seconds(options.max_age));
  auto jwks = [h] {
    return h->jwks ? h->jwks() : std::string("{\"keys\":[]}");
  };
  svr.Get(kJwksRoute, [jwks, cache_control](const httplib::Request&,
                                            httplib::Response& res) {
    res.set_header("Cache-Control", cache_control);
    res.set_content(jwks(), "application/json");
  });
  svr.Get(kOpenIdConfigurationRoute,
          [h, jwks, cache_control](const httplib::Request&,
                                   httplib::Response& res) {
            res.set_header("Cache-Control", cache_control);
            res.set_content(OpenIdConfigurationJson(
                                h->issuer ? h->issuer() : "",
                                h->jwks_uri ? h->jwks_uri() : "", jwks()),
                            "application/json");
          });
  JWTAUTH_RETURN_IF_ERROR(pub->http_->Start(listen_address, "public server"));
  return pub;
}

}  // namespace jwtauth::server
