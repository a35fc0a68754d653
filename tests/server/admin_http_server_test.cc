#include "server/admin_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <optional>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"

namespace jwtauth::server {
namespace {

using ::testing::HasSubstr;

class AdminHttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AdminHandlers h;
    h.metrics = [] {
      return std::string("# TYPE jwtauth_x counter\njwtauth_x 1\n");
    };
    h.jwks = [] { return std::string(R"({"keys":[{"kty":"EC","kid":"a"}]})"); };
    h.readiness = [this] {
      ReadinessReport r;
      r.ready = ready_.load();
      r.generation = 3;
      ProviderReadiness p;
      p.name = "default";
      p.issuers = {"https://issuer"};
      SourceReadiness loaded;
      loaded.source_id = "file:/k.pem";
      loaded.loaded = true;
      loaded.key_count = 1;
      loaded.age = absl::Seconds(12);
      SourceReadiness pending;
      pending.source_id = "jwks:https://idp/jwks";
      pending.loaded = ready_.load();
      pending.last_error = "timeout";
      p.sources = {loaded, pending};
      r.providers.push_back(p);
      return r;
    };
    auto s = AdminHttpServer::Start("127.0.0.1:0", std::move(h));
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(5, 0);
  }

  std::atomic<bool> ready_{false};
  std::unique_ptr<AdminHttpServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(AdminHttpServerTest, MetricsServesPrometheusText) {
  auto res = client_->Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_THAT(res->get_header_value("Content-Type"),
              HasSubstr("version=0.0.4"));
  EXPECT_EQ(res->body, "# TYPE jwtauth_x counter\njwtauth_x 1\n");
}

TEST_F(AdminHttpServerTest, HealthzIsAlwaysOk) {
  auto res = client_->Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(AdminHttpServerTest, ReadyzFollowsReadinessAndShowsFreshness) {
  auto res = client_->Get("/readyz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << res->body;
  EXPECT_EQ(j["ready"], false);
  EXPECT_EQ(j["generation"], 3);
  EXPECT_EQ(j["providers"][0]["issuers"][0], "https://issuer");
  EXPECT_EQ(j["providers"][0]["sources"][0]["age_seconds"], 12.0);
  EXPECT_TRUE(j["providers"][0]["sources"][1]["age_seconds"].is_null());
  EXPECT_EQ(j["providers"][0]["sources"][1]["last_error"], "timeout");

  ready_ = true;
  res = client_->Get("/readyz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(AdminHttpServerTest, JwksEndpoint) {
  auto res = client_->Get("/.well-known/jwks.json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  EXPECT_THAT(res->body, HasSubstr("\"kid\":\"a\""));
}

// Route patterns are regular expressions: an unescaped '.' would match any
// character, so these near-misses must not be served (the first three were,
// before the route escaped its dots).
TEST_F(AdminHttpServerTest, OnlyTheExactJwksPathIsServed) {
  for (const char* path :
       {"/_well-known/jwks.json", "/.well-known/jwks_json",
        "/Xwell-known/jwksXjson", "/.well-known/jwks.json/x"}) {
    auto res = client_->Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 404) << path;
    EXPECT_THAT(res->body, ::testing::Not(HasSubstr("keys"))) << path;
  }
}

TEST_F(AdminHttpServerTest, UnknownPathIs404AndPostIs405) {
  auto res = client_->Get("/nope");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  res = client_->Post("/metrics", "x", "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
}

TEST_F(AdminHttpServerTest, StopIsIdempotentAndClosesThePort) {
  const int port = server_->port();
  server_->Stop();
  server_->Stop();
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(1, 0);
  EXPECT_FALSE(c.Get("/healthz"));
}

TEST(AdminHttpServerStartTest, RejectsBadAddressAndBusyPort) {
  EXPECT_FALSE(AdminHttpServer::Start("no-port", {}).ok());
  auto first = AdminHttpServer::Start("127.0.0.1:0", {});
  ASSERT_TRUE(first.ok());
  auto second = AdminHttpServer::Start(
      "127.0.0.1:" + std::to_string((*first)->port()), {});
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

// Connects to 127.0.0.1:port, sends `head`, then one byte every `interval`
// until the server closes the connection or `limit` passes. Returns how long
// the connection stayed open (nullopt: still open at `limit`) and what the
// server sent.
struct SlowResult {
  std::optional<absl::Duration> closed_after;
  std::string received;
};
SlowResult Dribble(int port, const std::string& head, absl::Duration interval,
                   absl::Duration limit) {
  SlowResult r;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  const absl::Time start = absl::Now();
  ::send(fd, head.data(), head.size(), MSG_NOSIGNAL);
  bool closed = false;
  while (!closed && absl::Now() - start < limit) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(interval))) >
        0) {
      char buf[512];
      const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) closed = true;
      if (n > 0) r.received.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (::send(fd, "a", 1, MSG_NOSIGNAL) != 1) closed = true;
  }
  if (closed) r.closed_after = absl::Now() - start;
  ::close(fd);
  return r;
}

TEST(AdminHttpServerLimitsTest, DribbledRequestIsCutOffAtRequestTimeout) {
  AdminServerOptions o;
  o.request_timeout = absl::Milliseconds(500);
  auto s = AdminHttpServer::Start("127.0.0.1:0", {}, o);
  ASSERT_TRUE(s.ok()) << s.status();
  // A byte every 50 ms: far inside any per-read timeout, never a full head.
  SlowResult r = Dribble((*s)->port(), "GET /healthz HTTP/1.1\r\nX-Slow: ",
                         absl::Milliseconds(50), absl::Seconds(10));
  ASSERT_TRUE(r.closed_after.has_value());
  EXPECT_GE(*r.closed_after, absl::Milliseconds(400));
  EXPECT_LT(*r.closed_after, absl::Seconds(3));
  // An idle connection (nothing sent at all) is closed the same way.
  r = Dribble((*s)->port(), "", absl::Seconds(20), absl::Seconds(10));
  ASSERT_TRUE(r.closed_after.has_value());
  EXPECT_LT(*r.closed_after, absl::Seconds(3));
}

TEST(AdminHttpServerLimitsTest, OversizedRequestIsRefused) {
  AdminServerOptions o;
  o.max_request_bytes = 1024;
  auto s = AdminHttpServer::Start("127.0.0.1:0", {}, o);
  ASSERT_TRUE(s.ok()) << s.status();
  const std::string head =
      "GET /healthz HTTP/1.1\r\nX-Big: " + std::string(4096, 'b') + "\r\n\r\n";
  SlowResult r =
      Dribble((*s)->port(), head, absl::Milliseconds(50), absl::Seconds(10));
  ASSERT_TRUE(r.closed_after.has_value());
  EXPECT_LT(*r.closed_after, absl::Seconds(3));
  EXPECT_THAT(r.received, ::testing::Not(HasSubstr("200 OK")));
}

TEST(AdminHttpServerLimitsTest, OneRequestPerConnection) {
  auto s = AdminHttpServer::Start("127.0.0.1:0", {});
  ASSERT_TRUE(s.ok()) << s.status();
  SlowResult r =
      Dribble((*s)->port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
              absl::Seconds(20), absl::Seconds(10));
  ASSERT_TRUE(r.closed_after.has_value());
  EXPECT_LT(*r.closed_after, absl::Seconds(3));
  EXPECT_THAT(r.received, HasSubstr("200 OK"));
  EXPECT_THAT(r.received, HasSubstr("Connection: close"));
}

TEST(AdminHttpServerLimitsTest, RejectsBadOptions) {
  AdminServerOptions o;
  o.workers = 0;
  EXPECT_EQ(AdminHttpServer::Start("127.0.0.1:0", {}, o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = AdminServerOptions{};
  o.request_timeout = absl::ZeroDuration();
  EXPECT_EQ(AdminHttpServer::Start("127.0.0.1:0", {}, o).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SplitHostPortTest, Forms) {
  EXPECT_EQ(SplitHostPort("127.0.0.1:90")->first, "127.0.0.1");
  EXPECT_EQ(SplitHostPort("[::1]:90")->first, "::1");
  EXPECT_EQ(SplitHostPort("[::1]:90")->second, 90);
  EXPECT_FALSE(SplitHostPort("host:x").ok());
  EXPECT_FALSE(SplitHostPort("host:70000").ok());
}

}  // namespace
}  // namespace jwtauth::server
