#ifndef JWTAUTH_TESTS_TESTUTIL_JWKS_HTTP_SERVER_H_
#define JWTAUTH_TESTS_TESTUTIL_JWKS_HTTP_SERVER_H_

// JwksHttpServer: a real cpp-httplib server (plain HTTP, or HTTPS through
// httplib::SSLServer) on 127.0.0.1 with an ephemeral port, serving scripted
// replies per path: body, status, headers, a hold before answering, a slow
// drip, huge (streamed) bodies, automatic 304 for a matching If-None-Match.
// It counts and records requests so tests can assert how often a URL was
// fetched, and waits for request counts with a bound (never sleeps).
//
// Owns its listener thread; the destructor stops it, interrupting holds and
// drips at once. Thread-safe.
//
//   auto server = JwksHttpServer::Start();
//   server->SetReply("/jwks", {.body = jwks_json,
//                              .headers = {{"Cache-Control", "max-age=60"}}});
//   std::string url = server->Url("/jwks");
//   EXPECT_EQ(server->RequestCount("/jwks"), 1);
//
// For HTTPS, TestPki (tests/testutil/test_ca.h) supplies the certificate
// files StartTls() takes.

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tests/testutil/test_ca.h"

namespace jwtauth::testutil {

struct HttpReply {
  int status = 200;
  std::string body{};
  std::vector<std::pair<std::string, std::string>> headers{};
  std::string content_type = "application/json";
  // Wait this long before answering (interrupted by Stop()).
  absl::Duration hold = absl::ZeroDuration();
  // Slow drip: send the body one byte per `drip_interval` (chunked).
  absl::Duration drip_interval = absl::ZeroDuration();
  // Instead of `body`, stream this many filler bytes ('x').
  size_t filler_bytes = 0;
  // With filler: chunked (no Content-Length), so only a streaming cap helps.
  bool chunked = false;
  // Answer 304 (same headers, no body) when the request's If-None-Match
  // equals this reply's ETag header.
  bool honor_if_none_match = true;
};

struct RecordedRequest {
  std::string path{};
  std::string if_none_match{};
  std::string if_modified_since{};
  std::string user_agent{};
};

class JwksHttpServer {
 public:
  struct TlsFiles {
    std::string cert_file{};
    std::string key_file{};
  };

  // Binds 127.0.0.1:0 and starts serving. Null on failure.
  static std::unique_ptr<JwksHttpServer> Start();
  static std::unique_ptr<JwksHttpServer> StartTls(const TlsFiles& files);

  ~JwksHttpServer();
  JwksHttpServer(const JwksHttpServer&) = delete;
  JwksHttpServer& operator=(const JwksHttpServer&) = delete;

  int port() const;
  // "http://127.0.0.1:<port><path>" or, for TLS,
  // "https://localhost:<port><path>".
  std::string Url(absl::string_view path) const;

  // Unknown paths answer 404.
  void SetReply(absl::string_view path, HttpReply reply);

  int RequestCount(absl::string_view path) const;
  int TotalRequests() const;
  std::vector<RecordedRequest> Requests() const;
  // True once `path` has seen at least `count` requests within `timeout`.
  bool WaitForRequestCount(absl::string_view path, int count,
                           absl::Duration timeout) const;

  void Stop();

  class Impl;

 private:
  explicit JwksHttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A loopback port on which nothing listens (bound, then closed).
int ClosedLoopbackPort();

}  // namespace jwtauth::testutil

#endif  // JWTAUTH_TESTS_TESTUTIL_JWKS_HTTP_SERVER_H_
