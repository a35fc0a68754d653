#include "server/admin_http_server.h"

#include <utility>

#include "core/status_macros.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "server/bounded_http_server.h"

namespace jwtauth::server {

std::string ReadinessReport::ToJson() const {
  nlohmann::json j;
  j["ready"] = ready;
  j["shutting_down"] = shutting_down;
  j["generation"] = generation;
  j["providers"] = nlohmann::json::array();
  for (const auto& p : providers) {
    nlohmann::json pj;
    pj["name"] = p.name;
    pj["issuers"] = p.issuers;
    pj["sources"] = nlohmann::json::array();
    for (const auto& s : p.sources) {
      nlohmann::json sj;
      sj["source"] = s.source_id;
      sj["required"] = s.required;
      sj["loaded"] = s.loaded;
      sj["keys"] = s.key_count;
      if (s.age.has_value()) {
        sj["age_seconds"] = absl::ToDoubleSeconds(*s.age);
      } else {
        sj["age_seconds"] = nullptr;
      }
      if (!s.last_error.empty()) sj["last_error"] = s.last_error;
      pj["sources"].push_back(std::move(sj));
    }
    j["providers"].push_back(std::move(pj));
  }
  // Invalid UTF-8 in a label is replaced rather than throwing.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::StatusOr<std::unique_ptr<AdminHttpServer>> AdminHttpServer::Start(
    absl::string_view listen_address, AdminHandlers handlers,
    AdminServerOptions options) {
  std::unique_ptr<AdminHttpServer> admin(new AdminHttpServer());
  admin->http_ = std::make_unique<BoundedHttpServer>(options);
  httplib::Server& svr = admin->http_->routes();
  auto h = std::make_shared<AdminHandlers>(std::move(handlers));
  svr.Get("/metrics", [h](const httplib::Request&, httplib::Response& res) {
    res.set_content(h->metrics ? h->metrics() : std::string(),
                    "text/plain; version=0.0.4; charset=utf-8");
  });
  svr.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  svr.Get("/readyz", [h](const httplib::Request&, httplib::Response& res) {
    ReadinessReport r = h->readiness ? h->readiness() : ReadinessReport{};
    res.status = r.ready && !r.shutting_down ? 200 : 503;
    res.set_content(r.ToJson(), "application/json");
  });
  svr.Get(kJwksRoute, [h](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "public, max-age=300");
    res.set_content(h->jwks ? h->jwks() : std::string("{\"keys\":[]}"),
                    "application/json");
  });
  JWTAUTH_RETURN_IF_ERROR(admin->http_->Start(listen_address, "admin server"));
  return admin;
}

void AdminHttpServer::Stop() {
  if (http_ != nullptr) http_->Stop();
}

int AdminHttpServer::port() const { return http_->port(); }

AdminHttpServer::~AdminHttpServer() { Stop(); }

}  // namespace jwtauth::server
