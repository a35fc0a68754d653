#include "server/public_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"

namespace jwtauth::server {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kJwks[] =
    R"({"keys":[{"kty":"EC","kid":"a","alg":"ES256"},)"
    R"({"kty":"RSA","kid":"b","alg":"RS256"},)"
    R"({"kty":"EC","kid":"c","alg":"ES256"},{"kty":"OKP","kid":"d"}]})";

class PublicHttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    PublicHandlers h;
    h.jwks = [] { return std::string(kJwks); };
    h.issuer = [] { return std::string("https://auth.example.com"); };
    h.jwks_uri = [] {
      return std::string("https://keys.example.com/.well-known/jwks.json");
    };
    PublicServerOptions o;
    o.max_age = absl::Seconds(120);
    auto s = PublicHttpServer::Start("127.0.0.1:0", std::move(h), o);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(5, 0);
  }

  std::unique_ptr<PublicHttpServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(PublicHttpServerTest, ServesTheJwksWithCacheControl) {
  auto res = client_->Get("/.well-known/jwks.json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, kJwks);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(res->get_header_value("Cache-Control"), "public, max-age=120");
}

TEST_F(PublicHttpServerTest, ServesOpenIdDiscoveryForTheIssuer) {
  auto res = client_->Get("/.well-known/openid-configuration");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Cache-Control"), "public, max-age=120");
  nlohmann::json doc = nlohmann::json::parse(res->body);
  EXPECT_EQ(doc["issuer"], "https://auth.example.com");
  EXPECT_EQ(doc["jwks_uri"], "https://keys.example.com/.well-known/jwks.json");
  EXPECT_THAT(doc["id_token_signing_alg_values_supported"]
                  .get<std::vector<std::string>>(),
              ElementsAre("ES256", "RS256"));
  EXPECT_THAT(doc["response_types_supported"].get<std::vector<std::string>>(),
              ElementsAre("id_token"));
  EXPECT_THAT(doc["subject_types_supported"].get<std::vector<std::string>>(),
              ElementsAre("public"));
}

TEST_F(PublicHttpServerTest, OperatorEndpointsAreNotServed) {
  for (const char* path :
       {"/metrics", "/readyz", "/healthz", "/", "/.well-known/jwks.json/x",
        "/_well-known/jwks_json"}) {
    auto res = client_->Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 404) << path;
    EXPECT_THAT(res->body, ::testing::Not(HasSubstr("keys"))) << path;
  }
  auto res = client_->Post("/.well-known/jwks.json", "x", "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
}

TEST(OpenIdConfigurationJsonTest, BrokenOrEmptyJwksHasNoAlgs) {
  for (const char* jwks : {"", "not json", "{\"keys\":7}", "{\"keys\":[]}",
                           "{\"keys\":[1,{\"alg\":5}]}"}) {
    nlohmann::json doc = nlohmann::json::parse(
        OpenIdConfigurationJson("https://i", "https://i/jwks", jwks));
    EXPECT_EQ(doc["issuer"], "https://i") << jwks;
    EXPECT_TRUE(doc["id_token_signing_alg_values_supported"].empty()) << jwks;
  }
}

TEST(PublicHttpServerLimitsTest, DribbledRequestIsCutOff) {
  PublicServerOptions o;
  o.http.request_timeout = absl::Milliseconds(300);
  auto s = PublicHttpServer::Start("127.0.0.1:0", {}, o);
  ASSERT_TRUE(s.ok()) << s.status();
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>((*s)->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  // Part of a head, then nothing: the server closes at request_timeout.
  const std::string part = "GET /.well-known/jwks.json HTTP/1.1\r\nX: ";
  ASSERT_EQ(::send(fd, part.data(), part.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(part.size()));
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  const absl::Time start = absl::Now();
  std::string received;
  char buf[256];
  ssize_t n = 0;
  while ((n = ::recv(fd, buf, sizeof(buf), 0)) > 0) {
    received.append(buf, static_cast<size_t>(n));
  }
  const absl::Duration waited = absl::Now() - start;
  ::close(fd);
  EXPECT_EQ(n, 0);  // closed by the server, not by our receive timeout
  EXPECT_LT(waited, absl::Seconds(5));
  EXPECT_THAT(received, ::testing::Not(HasSubstr("200 OK")));
}

TEST(PublicHttpServerLimitsTest, BadAddressAndBusyPort) {
  EXPECT_EQ(PublicHttpServer::Start("nonsense", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto first = PublicHttpServer::Start("127.0.0.1:0", {});
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = PublicHttpServer::Start(
      "127.0.0.1:" + std::to_string((*first)->port()), {});
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(), HasSubstr("public server"));
}

}  // namespace
}  // namespace jwtauth::server
