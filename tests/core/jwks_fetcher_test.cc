#include "core/jwks_fetcher.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/jwks_http_server.h"
#include "tests/testutil/status_matchers.h"

namespace jwtauth {
namespace {

using ::jwtauth::testutil::HttpReply;
using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::JwksHttpServer;
using ::jwtauth::testutil::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kJwks[] = R"({"keys":[]})";

struct UrlCase {
  std::string url;
  bool allow_insecure;
  bool ok;
};

class ValidateFetchUrlTest : public testing::TestWithParam<UrlCase> {};

TEST_P(ValidateFetchUrlTest, AppliesSchemeAndLoopbackRules) {
  const UrlCase& c = GetParam();
  absl::Status s = ValidateFetchUrl(c.url, c.allow_insecure);
  EXPECT_EQ(s.ok(), c.ok) << c.url << " → " << s;
  if (!c.ok) {
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, ValidateFetchUrlTest,
    testing::Values(
        UrlCase{"https://idp.example.com/jwks", false, true},
        UrlCase{"HTTPS://idp.example.com/jwks", false, true},
        UrlCase{"http://127.0.0.1:8080/jwks", false, true},
        UrlCase{"http://127.200.3.4/jwks", false, true},
        UrlCase{"http://[::1]:8080/jwks", false, true},
        UrlCase{"http://localhost/jwks", false, true},
        UrlCase{"http://LocalHost:99/jwks", false, true},
        UrlCase{"http://idp.example.com/jwks", false, false},
        UrlCase{"http://10.0.0.1/jwks", false, false},
        UrlCase{"http://128.0.0.1/jwks", false, false},
        UrlCase{"http://127.0.0.1.evil.example/jwks", false, false},
        UrlCase{"http://localhost.evil.example/jwks", false, false},
        UrlCase{"http://[::2]/jwks", false, false},
        UrlCase{"http://idp.example.com/jwks", true, true},
        UrlCase{"ftp://idp.example.com/jwks", false, false},
        UrlCase{"file:///etc/passwd", true, false},
        UrlCase{"https://user:secret@idp.example.com/jwks", false, false},
        UrlCase{"not a url", false, false}, UrlCase{"", false, false},
        // Link-local and cloud metadata addresses (SSRF): never,
        // not even with allow_insecure or over https.
        UrlCase{"http://169.254.169.254/latest/meta-data/", true, false},
        UrlCase{"https://169.254.169.254/latest/meta-data/", false, false},
        UrlCase{"https://169.254.0.1/jwks", false, false},
        UrlCase{"https://[fd00:ec2::254]/latest/", false, false},
        UrlCase{"https://[FD00:EC2:0::254]/latest/", false, false},
        UrlCase{"https://[fe80::1]/jwks", false, false},
        UrlCase{"https://[::ffff:169.254.169.254]/jwks", false, false},
        UrlCase{"https://100.100.100.200/jwks", false, false},
        UrlCase{"http://metadata.google.internal/computeMetadata/v1/", true,
                false},
        UrlCase{"https://METADATA.google.internal./x", false, false},
        UrlCase{"https://metadata.goog/x", false, false},
        UrlCase{"https://169.253.255.255/jwks", false, true},
        UrlCase{"https://metadata.google.internal.example.com/x", false,
                true}));

TEST(IsMetadataHostTest, NamesLiteralsAndEmbeddedV4) {
  for (const char* h :
       {"169.254.169.254", "169.254.0.0", "169.254.255.255", "[fd00:ec2::254]",
        "fd00:ec2::254", "fe80::1", "[febf::1]", "::ffff:169.254.169.254",
        "::169.254.169.254", "64:ff9b::169.254.169.254", "100.100.100.200",
        "metadata.google.internal", "Metadata.Google.Internal.",
        "metadata.goog"}) {
    EXPECT_TRUE(IsMetadataHost(h)) << h;
  }
  for (const char* h :
       {"127.0.0.1", "169.255.0.1", "169.253.1.1", "[::1]", "fd00:ec2::253",
        "fec0::1", "100.100.100.201", "idp.example.com",
        "metadata.google.internal.evil", "google.internal", ""}) {
    EXPECT_FALSE(IsMetadataHost(h)) << h;
  }
}

TEST(ValidateRedirectHostTest, HostOrHostPortOnly) {
  for (const char* ok : {"cdn.example.com", "cdn.example.com:8443",
                         "127.0.0.1:9000", "[::1]", "[::1]:8443"}) {
    EXPECT_THAT(ValidateRedirectHost(ok), IsOk()) << ok;
  }
  for (const char* bad :
       {"", "https://cdn.example.com", "cdn.example.com/path", "*.example.com",
        "user@cdn.example.com", "cdn.example.com:", "cdn.example.com:99999",
        "cdn.example.com:80a", "::1", "[::1", "[::1]:", "[::1]x",
        "169.254.169.254", "metadata.google.internal", "[fd00:ec2::254]:80"}) {
    EXPECT_THAT(ValidateRedirectHost(bad),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
}

class FetcherTest : public testing::Test {
 protected:
  void SetUp() override {
    server_ = JwksHttpServer::Start();
    ASSERT_NE(server_, nullptr);
  }
  std::unique_ptr<JwksHttpServer> server_;
};

TEST_F(FetcherTest, ReturnsStatusHeadersAndBody) {
  server_->SetReply("/jwks", {.body = kJwks,
                              .headers = {{"Cache-Control", "max-age=60"},
                                          {"X-Multi", "a"}}});
  CurlJwksFetcher fetcher;
  auto r = fetcher.Fetch({.url = server_->Url("/jwks")});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, kJwks);
  EXPECT_EQ(r->Header("CACHE-control"), "max-age=60");
  EXPECT_EQ(r->Header("content-type"), "application/json");
  EXPECT_EQ(r->Header("absent"), "");
  EXPECT_EQ(r->redirects, 0);
  auto reqs = server_->Requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].user_agent, "jwtauth/0.1");
}

TEST_F(FetcherTest, NonSuccessStatusIsAValueNotAnError) {
  server_->SetReply("/err", {.status = 500, .body = "oops"});
  CurlJwksFetcher fetcher;
  auto r500 = fetcher.Fetch({.url = server_->Url("/err")});
  ASSERT_THAT(r500, IsOk());
  EXPECT_EQ(r500->status, 500);
  auto r404 = fetcher.Fetch({.url = server_->Url("/missing")});
  ASSERT_THAT(r404, IsOk());
  EXPECT_EQ(r404->status, 404);
}

TEST_F(FetcherTest, SendsConditionalHeadersAndSurfaces304) {
  server_->SetReply("/jwks", {.body = kJwks, .headers = {{"ETag", "\"v1\""}}});
  CurlJwksFetcher fetcher;
  auto r =
      fetcher.Fetch({.url = server_->Url("/jwks"),
                     .if_none_match = "\"v1\"",
                     .if_modified_since = "Tue, 14 Nov 2023 22:13:20 GMT"});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->status, 304);
  EXPECT_EQ(r->body, "");
  auto reqs = server_->Requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].if_none_match, "\"v1\"");
  EXPECT_EQ(reqs[0].if_modified_since, "Tue, 14 Nov 2023 22:13:20 GMT");
  auto fresh =
      fetcher.Fetch({.url = server_->Url("/jwks"), .if_none_match = "\"v0\""});
  ASSERT_THAT(fresh, IsOk());
  EXPECT_EQ(fresh->status, 200);
}

TEST_F(FetcherTest, ConnectionRefusedIsUnavailable) {
  CurlJwksFetcher fetcher;
  auto r = fetcher.Fetch(
      {.url = absl::StrCat("http://127.0.0.1:", testutil::ClosedLoopbackPort(),
                           "/jwks")});
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(FetcherTest, TotalTimeoutCutsAHangingServer) {
  server_->SetReply("/slow", {.body = kJwks, .hold = absl::Seconds(20)});
  CurlJwksFetcher fetcher;
  absl::Time start = absl::Now();
  auto r = fetcher.Fetch(
      {.url = server_->Url("/slow"), .timeout = absl::Milliseconds(300)});
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(FetcherTest, SlowDripIsCutByLowSpeedLimit) {
  // One byte every 200 ms: 5 B/s, far below the 100 B/s floor over 1 s.
  server_->SetReply("/drip", {.body = std::string(1000, ' '),
                              .drip_interval = absl::Milliseconds(200)});
  CurlJwksFetcher fetcher(
      {.low_speed_bytes_per_second = 100, .low_speed_time = absl::Seconds(1)});
  absl::Time start = absl::Now();
  auto r = fetcher.Fetch(
      {.url = server_->Url("/drip"), .timeout = absl::Seconds(30)});
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST_F(FetcherTest, TenMebibyteBodyIsRefusedUpFrontFromContentLength) {
  server_->SetReply("/huge", {.filler_bytes = 10 * 1024 * 1024});
  CurlJwksFetcher fetcher;
  auto r = fetcher.Fetch({.url = server_->Url("/huge")});
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST_F(FetcherTest, TenMebibyteChunkedBodyIsAbortedWhileStreaming) {
  server_->SetReply("/huge",
                    {.filler_bytes = 10 * 1024 * 1024, .chunked = true});
  CurlJwksFetcher fetcher;
  auto r = fetcher.Fetch({.url = server_->Url("/huge")});
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST_F(FetcherTest, BodyExactlyAtTheCapIsAccepted) {
  server_->SetReply("/cap", {.filler_bytes = 4096, .chunked = true});
  CurlJwksFetcher at_cap({.max_body_bytes = 4096});
  auto ok = at_cap.Fetch({.url = server_->Url("/cap")});
  ASSERT_THAT(ok, IsOk());
  EXPECT_EQ(ok->body.size(), 4096u);
  CurlJwksFetcher below({.max_body_bytes = 4095});
  EXPECT_THAT(below.Fetch({.url = server_->Url("/cap")}),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST_F(FetcherTest, FollowsRedirectsWithinTheLimit) {
  server_->SetReply("/old",
                    {.status = 302, .headers = {{"Location", "/jwks"}}});
  server_->SetReply("/jwks", {.body = kJwks});
  CurlJwksFetcher fetcher;
  auto r = fetcher.Fetch({.url = server_->Url("/old")});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->redirects, 1);
  EXPECT_EQ(r->effective_url, server_->Url("/jwks"));
}

TEST_F(FetcherTest, RedirectLoopStopsAtTheLimit) {
  server_->SetReply("/loop",
                    {.status = 301, .headers = {{"Location", "/loop"}}});
  CurlJwksFetcher fetcher({.max_redirects = 2});
  EXPECT_THAT(fetcher.Fetch({.url = server_->Url("/loop")}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(server_->RequestCount("/loop"), 3);
}

TEST_F(FetcherTest, RedirectToNonLoopbackHttpIsRefusedBeforeConnecting) {
  server_->SetReply(
      "/away", {.status = 302,
                .headers = {{"Location", "http://idp.example.invalid/x"}}});
  CurlJwksFetcher fetcher;
  auto r = fetcher.Fetch({.url = server_->Url("/away")});
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("redirect refused"));
}

// JWKS redirects (SSRF): by default a redirect stays on scheme+host+port;
// another port on the same address is another origin. The target is never
// named.
TEST_F(FetcherTest, RedirectToAnotherHostIsRefusedWithoutNamingIt) {
  auto other = JwksHttpServer::Start();
  ASSERT_NE(other, nullptr);
  other->SetReply("/internal", {.body = kJwks});
  const std::string target = other->Url("/internal?token=abc");
  server_->SetReply("/away", {.status = 302,
                              .body = "see the internal place",
                              .headers = {{"Location", target}}});
  CurlJwksFetcher fetcher;
  auto r = fetcher.Fetch({.url = server_->Url("/away")});
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument));
  const std::string msg(r.status().message());
  EXPECT_EQ(msg, "redirect to another host refused");
  EXPECT_EQ(other->TotalRequests(), 0);
}

TEST_F(FetcherTest, RedirectFromAddressToNameIsAnotherHost) {
  server_->SetReply(
      "/away",
      {.status = 302,
       .headers = {{"Location", absl::StrCat("http://localhost:",
                                             server_->port(), "/jwks")}}});
  server_->SetReply("/jwks", {.body = kJwks});
  CurlJwksFetcher fetcher;
  EXPECT_THAT(fetcher.Fetch({.url = server_->Url("/away")}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  auto r = fetcher.Fetch(
      {.url = server_->Url("/away"), .redirect_hosts = {"LocalHost"}});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->status, 200);
}

TEST_F(FetcherTest, RedirectToAnAllowlistedHostPortIsFollowed) {
  auto cdn = JwksHttpServer::Start();
  ASSERT_NE(cdn, nullptr);
  cdn->SetReply("/jwks", {.body = kJwks});
  server_->SetReply(
      "/old", {.status = 302, .headers = {{"Location", cdn->Url("/jwks")}}});
  CurlJwksFetcher fetcher;
  // A different port of the allowlisted host does not match.
  EXPECT_THAT(fetcher.Fetch({.url = server_->Url("/old"),
                             .redirect_hosts = {absl::StrCat(
                                 "127.0.0.1:", server_->port())}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(cdn->TotalRequests(), 0);
  for (const std::string& allowed :
       {absl::StrCat("127.0.0.1:", cdn->port()), std::string("127.0.0.1")}) {
    auto r = fetcher.Fetch(
        {.url = server_->Url("/old"), .redirect_hosts = {allowed}});
    ASSERT_THAT(r, IsOk()) << allowed;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, kJwks);
    EXPECT_EQ(r->redirects, 1);
  }
}

// Metadata SSRF: a metadata address is refused as a redirect target even
// when allow_insecure is set and the host is (wrongly) allowlisted.
TEST_F(FetcherTest, RedirectToMetadataAddressIsAlwaysRefused) {
  for (const char* location :
       {"http://169.254.169.254/latest/meta-data/iam/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://[fd00:ec2::254]/latest/"}) {
    server_->SetReply("/meta",
                      {.status = 302, .headers = {{"Location", location}}});
    CurlJwksFetcher fetcher;
    auto r = fetcher.Fetch(
        {.url = server_->Url("/meta"),
         .allow_insecure = true,
         .redirect_hosts = {"169.254.169.254", "metadata.google.internal",
                            "[fd00:ec2::254]"}});
    EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument)) << location;
    EXPECT_THAT(std::string(r.status().message()), Not(HasSubstr("meta-data")))
        << location;
  }
}

// Numeric spellings of 169.254.169.254 (curl's URL parser normalises them,
// so the name check sees the address).
TEST_F(FetcherTest, NumericSpellingsOfTheMetadataAddressAreRefused) {
  CurlJwksFetcher fetcher({.connect_timeout = absl::Seconds(2)});
  for (const char* url : {"http://2852039166/latest/meta-data/",
                          "http://0xa9fea9fe/latest/meta-data/",
                          "http://169.254.43518/latest/meta-data/"}) {
    auto r = fetcher.Fetch(
        {.url = url, .timeout = absl::Seconds(3), .allow_insecure = true});
    EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument)) << url;
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("metadata"))
        << url;
  }
}

// The connect-time check: a harmless-looking name that resolves to a
// metadata address (pinned here as DNS would answer) is refused before any
// connection; the same name resolving to loopback works.
TEST_F(FetcherTest, NameResolvingToMetadataAddressIsRefusedAtConnect) {
  server_->SetReply("/jwks", {.body = kJwks});
  const std::string port = absl::StrCat(server_->port());
  const std::string url = absl::StrCat("http://keys.test:", port, "/jwks");
  for (const char* address :
       {"169.254.169.254", "[fd00:ec2::254]", "[::ffff:169.254.169.254]"}) {
    CurlJwksFetcher fetcher(
        {.connect_timeout = absl::Seconds(2),
         .resolve = {absl::StrCat("keys.test:", port, ":", address)}});
    auto r = fetcher.Fetch(
        {.url = url, .timeout = absl::Seconds(3), .allow_insecure = true});
    EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument)) << address;
    EXPECT_EQ(r.status().message(),
              "connection to a link-local or cloud metadata address refused")
        << address;
  }
  EXPECT_EQ(server_->RequestCount("/jwks"), 0);
  CurlJwksFetcher loopback(
      {.resolve = {absl::StrCat("keys.test:", port, ":127.0.0.1")}});
  auto ok = loopback.Fetch({.url = url, .allow_insecure = true});
  ASSERT_THAT(ok, IsOk());
  EXPECT_EQ(ok->body, kJwks);
}

TEST_F(FetcherTest, InsecureUrlIsRefusedWithoutConnecting) {
  CurlJwksFetcher fetcher;
  EXPECT_THAT(fetcher.Fetch({.url = "http://idp.example.invalid/jwks"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(FetcherTest, CancelAbortsATransferInFlight) {
  server_->SetReply("/hang", {.body = kJwks, .hold = absl::Seconds(20)});
  CurlJwksFetcher fetcher;
  std::atomic<bool> cancel{false};
  std::thread canceller([&] {
    ASSERT_TRUE(server_->WaitForRequestCount("/hang", 1, absl::Seconds(10)));
    cancel.store(true);
  });
  absl::Time start = absl::Now();
  auto r = fetcher.Fetch({.url = server_->Url("/hang"),
                          .timeout = absl::Seconds(20),
                          .cancel = &cancel});
  canceller.join();
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(FetcherTest, ConcurrentFetchesAreIndependent) {
  server_->SetReply("/jwks", {.body = kJwks});
  CurlJwksFetcher fetcher;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        auto r = fetcher.Fetch({.url = server_->Url("/jwks")});
        if (r.ok() && r->status == 200 && r->body == kJwks) ok++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 30);
  EXPECT_EQ(server_->RequestCount("/jwks"), 30);
}

class TlsFetcherTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto pki = testutil::TestPki::Create();
    ASSERT_THAT(pki, IsOk());
    pki_ = std::move(*pki).release();
  }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(pki_, nullptr);
    server_ = JwksHttpServer::StartTls(
        {.cert_file = pki_->cert_file(), .key_file = pki_->key_file()});
    ASSERT_NE(server_, nullptr);
    server_->SetReply("/jwks", {.body = kJwks});
  }
  static testutil::TestPki* pki_;
  std::unique_ptr<JwksHttpServer> server_;
};
testutil::TestPki* TlsFetcherTest::pki_ = nullptr;

TEST_F(TlsFetcherTest, VerifiesWithTheConfiguredCa) {
  CurlJwksFetcher fetcher({.ca_file = pki_->ca_file()});
  auto r = fetcher.Fetch({.url = server_->Url("/jwks")});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, kJwks);
}

TEST_F(TlsFetcherTest, VerifiesIpAddressSan) {
  CurlJwksFetcher fetcher({.ca_file = pki_->ca_file()});
  auto r = fetcher.Fetch(
      {.url = absl::StrCat("https://127.0.0.1:", server_->port(), "/jwks")});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->status, 200);
}

TEST_F(TlsFetcherTest, WrongCaFails) {
  CurlJwksFetcher fetcher({.ca_file = pki_->other_ca_file()});
  auto r = fetcher.Fetch({.url = server_->Url("/jwks")});
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(server_->RequestCount("/jwks"), 0);
}

TEST_F(TlsFetcherTest, SystemTrustStoreDoesNotTrustTheTestCa) {
  CurlJwksFetcher fetcher;
  EXPECT_THAT(fetcher.Fetch({.url = server_->Url("/jwks")}),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(TlsFetcherTest, RedirectFromHttpsToHttpIsRefused) {
  auto plain = JwksHttpServer::Start();
  ASSERT_NE(plain, nullptr);
  plain->SetReply("/jwks", {.body = kJwks});
  server_->SetReply(
      "/old", {.status = 302, .headers = {{"Location", plain->Url("/jwks")}}});
  CurlJwksFetcher fetcher({.ca_file = pki_->ca_file()});
  auto r = fetcher.Fetch({.url = server_->Url("/old")});
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument));
  // Not even when the plain host is allowlisted.
  r = fetcher.Fetch({.url = server_->Url("/old"),
                     .redirect_hosts = {"127.0.0.1", "localhost"}});
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(plain->TotalRequests(), 0);
}

}  // namespace
}  // namespace jwtauth
