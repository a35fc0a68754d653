#include "server/admin_http_server.h"

#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "httplib.h"
#include "nlohmann/json.hpp"

namespace jwtauth::server {

absl::StatusOr<std::pair<std::string, int>> SplitHostPort(
    absl::string_view address) {
  size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos || colon == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected host:port, got \"", address, "\""));
  }
  std::string host(address.substr(0, colon));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port = 0;
  if (!absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid port in \"", address, "\""));
  }
  return std::make_pair(host, port);
}

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
    absl::string_view listen_address, AdminHandlers handlers) {
  auto hp = SplitHostPort(listen_address);
  if (!hp.ok()) return hp.status();
  std::unique_ptr<AdminHttpServer> admin(new AdminHttpServer());
  admin->server_ = std::make_unique<httplib::Server>();
  httplib::Server& svr = *admin->server_;
  svr.new_task_queue = [] { return new httplib::ThreadPool(2); };
  svr.set_read_timeout(5, 0);
  svr.set_write_timeout(5, 0);
  svr.set_keep_alive_max_count(100);
  // httplib's default also sets SO_REUSEPORT, which would let a second
  // process silently share the admin port; keep only SO_REUSEADDR.
  svr.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });

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
  svr.Get("/.well-known/jwks.json",
          [h](const httplib::Request&, httplib::Response& res) {
            res.set_header("Cache-Control", "public, max-age=300");
            res.set_content(h->jwks ? h->jwks() : std::string("{\"keys\":[]}"),
                            "application/json");
          });
  auto not_allowed = [](const httplib::Request&, httplib::Response& res) {
    res.status = 405;
    res.set_content("method not allowed\n", "text/plain");
  };
  svr.Post(".*", not_allowed);
  svr.Put(".*", not_allowed);
  svr.Delete(".*", not_allowed);
  svr.Patch(".*", not_allowed);

  const auto& [host, port] = *hp;
  int bound = 0;
  if (port == 0) {
    bound = svr.bind_to_any_port(host);
  } else {
    bound = svr.bind_to_port(host, port) ? port : -1;
  }
  if (bound <= 0) {
    return absl::UnavailableError(
        absl::StrCat("admin server: cannot bind ", listen_address));
  }
  admin->port_ = bound;
  admin->thread_ = std::thread([&svr] { svr.listen_after_bind(); });
  // Stop() before the listener loop is up would be lost (httplib sets its
  // running flag inside listen_after_bind), so wait for it, bounded.
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (!svr.is_running() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  return admin;
}

void AdminHttpServer::Stop() {
  if (server_ != nullptr) server_->stop();
  if (thread_.joinable()) thread_.join();
}

AdminHttpServer::~AdminHttpServer() { Stop(); }

}  // namespace jwtauth::server
