#ifndef JWTAUTH_CORE_JWKS_FETCHER_H_
#define JWTAUTH_CORE_JWKS_FETCHER_H_

// JwksFetcher: one HTTP GET of a configured URL (a JWKS or an OpenID
// discovery document), returning status, headers and body as a value.
// CurlJwksFetcher implements it with libcurl.
//
// Transport rules (CurlJwksFetcher):
//  - https with certificate and host-name verification (system CAs, or
//    `ca_file`); plain http only to loopback (127.0.0.0/8, ::1, localhost)
//    or with an explicit `allow_insecure`. Any other scheme is refused.
//  - Connect and total timeouts, a low-speed floor (a slow drip is cut off),
//    a response size cap enforced while streaming (and up front from
//    Content-Length), never a proxy for loopback.
//  - Redirects are followed by hand, up to `max_redirects`: every hop must
//    pass the same URL rules, may never go from https to http, and must
//    stay on the original URL's scheme+host+port unless the target's host
//    (or host:port) is in `redirect_hosts`. A refused redirect reports
//    "redirect to another host refused", never the target or the body.
//  - Never to link-local or cloud metadata addresses (169.254.0.0/16,
//    fe80::/10, fd00:ec2::254, 100.100.100.200, metadata.google.internal,
//    metadata.goog): refused by name/literal in every URL and redirect, and
//    for the resolved address at connect time (a socket callback refuses to
//    open a socket to one) and again for the connected peer before a
//    response is accepted. (Through an HTTP proxy the proxy resolves names;
//    the literal and name checks still apply.)
//  - Conditional GET: If-None-Match / If-Modified-Since from the request;
//    a 304 is returned as a normal response for the caller to handle.
//  - `cancel` (optional) aborts a transfer in flight within about a second.
//
// Failure modes: absl::Status with a short fixed phrase and no URL query,
// credentials or body text: InvalidArgument (URL refused), DeadlineExceeded
// (timeout / too slow), ResourceExhausted (too large), Unavailable
// (connect, DNS, TLS, protocol), Cancelled. Any HTTP status is a success at
// this layer.
//
// Thread-safe: Fetch may run concurrently (one curl easy handle per call);
// libcurl's global init runs once per process.
//
//   CurlJwksFetcher fetcher({.ca_file = "/etc/ssl/idp-ca.pem"});
//   absl::StatusOr<FetchResponse> r = fetcher.Fetch({.url = url});

#include <atomic>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace jwtauth {

struct FetchRequest {
  std::string url{};
  std::string if_none_match{};      // ETag of the last good response, or empty
  std::string if_modified_since{};  // Last-Modified of it, or empty
  // Total time for the whole exchange (all redirect hops); zero = the
  // fetcher's default.
  absl::Duration timeout = absl::ZeroDuration();
  bool allow_insecure = false;  // permit http to non-loopback hosts
  // Redirect targets allowed besides the URL's own scheme+host+port: "host"
  // (any port) or "host:port" ("[v6]:port"); compared case-insensitively.
  std::vector<std::string> redirect_hosts{};
  // Non-owning; must outlive the call. When it becomes true the transfer is
  // aborted and Fetch returns Cancelled.
  const std::atomic<bool>* cancel = nullptr;
};

struct FetchResponse {
  int status = 0;
  // Lower-case names; repeated headers joined with ", ".
  std::map<std::string, std::string> headers{};
  std::string body{};
  std::string effective_url{};  // after redirects
  int redirects = 0;

  // Header value by (case-insensitive) name; empty if absent.
  absl::string_view Header(absl::string_view name) const;
};

class JwksFetcher {
 public:
  virtual ~JwksFetcher() = default;
  virtual absl::StatusOr<FetchResponse> Fetch(const FetchRequest& request) = 0;
};

// The URL rules above, with no network access: InvalidArgument for a bad
// URL, a non-http(s) scheme, credentials in the URL, or http to a
// non-loopback host without `allow_insecure`. Config validation calls it.
absl::Status ValidateFetchUrl(absl::string_view url, bool allow_insecure);

// True for 127.0.0.0/8, ::1 and "localhost" (any case), as in a URL host.
bool IsLoopbackHost(absl::string_view host);

// True for a link-local or cloud metadata address or name, as in a URL host
// or as a numeric address: 169.254.0.0/16, fe80::/10, fd00:ec2::254,
// 100.100.100.200, IPv4-mapped forms of those, metadata.google.internal and
// metadata.goog (any case, optional trailing dot).
bool IsMetadataHost(absl::string_view host);

// One redirect_hosts entry: "host", "host:port" or "[v6]" / "[v6]:port";
// no scheme, path, credentials or wildcard, and not a metadata host.
absl::Status ValidateRedirectHost(absl::string_view entry);

struct CurlJwksFetcherOptions {
  std::string ca_file{};  // empty = system trust store
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration default_timeout = absl::Seconds(10);
  size_t max_body_bytes = 1024 * 1024;
  int max_redirects = 3;
  // Abort when the transfer stays below this rate for low_speed_time.
  long low_speed_bytes_per_second = 256;
  absl::Duration low_speed_time = absl::Seconds(5);
  std::string user_agent = "jwtauth/0.1";
  // Fixed name → address entries, "host:port:address" as for curl's
  // --resolve (tests; split-horizon setups). The metadata address checks
  // apply to the pinned address like to any resolved one.
  std::vector<std::string> resolve{};
};

class CurlJwksFetcher final : public JwksFetcher {
 public:
  explicit CurlJwksFetcher(CurlJwksFetcherOptions options = {});
  CurlJwksFetcher(const CurlJwksFetcher&) = delete;
  CurlJwksFetcher& operator=(const CurlJwksFetcher&) = delete;

  absl::StatusOr<FetchResponse> Fetch(const FetchRequest& request) override;

  const CurlJwksFetcherOptions& options() const { return options_; }

 private:
  const CurlJwksFetcherOptions options_;
};

}  // namespace jwtauth

#endif  // JWTAUTH_CORE_JWKS_FETCHER_H_
