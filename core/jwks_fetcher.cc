#include "core/jwks_fetcher.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/call_once.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "core/status_macros.h"

namespace jwtauth {
namespace {

void GlobalInitOnce() {
  static absl::once_flag once;
  // curl_global_init is not thread-safe itself; call_once makes it so. It is
  // never undone (curl_global_cleanup at exit would race other users).
  absl::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;
using CurlUrlPtr = std::unique_ptr<CURLU, CurlDeleter>;
using CurlListPtr = std::unique_ptr<curl_slist, CurlDeleter>;

struct ParsedUrl {
  std::string scheme;  // lower case
  std::string host;    // lower case, as in the URL ("[::1]" keeps brackets)
  std::string port;    // explicit, or the scheme's default ("443")
};

// Uses libcurl's own URL parser so that what we check is what curl fetches.
absl::StatusOr<ParsedUrl> ParseUrl(absl::string_view url) {
  GlobalInitOnce();
  CurlUrlPtr u(curl_url());
  if (u == nullptr) return absl::InternalError("out of memory");
  std::string s(url);
  if (curl_url_set(u.get(), CURLUPART_URL, s.c_str(), 0) != CURLUE_OK) {
    return absl::InvalidArgumentError("invalid URL");
  }
  ParsedUrl out;
  auto part = [&](CURLUPart which, std::string* dst) -> bool {
    char* p = nullptr;
    if (curl_url_get(u.get(), which, &p, 0) != CURLUE_OK) return false;
    *dst = p;
    curl_free(p);
    return true;
  };
  std::string ignored;
  if (part(CURLUPART_USER, &ignored) || part(CURLUPART_PASSWORD, &ignored)) {
    return absl::InvalidArgumentError("URL must not carry credentials");
  }
  if (!part(CURLUPART_SCHEME, &out.scheme) ||
      !part(CURLUPART_HOST, &out.host) || out.host.empty()) {
    return absl::InvalidArgumentError("invalid URL");
  }
  char* port = nullptr;
  if (curl_url_get(u.get(), CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
      CURLUE_OK) {
    out.port = port;
    curl_free(port);
  }
  absl::AsciiStrToLower(&out.scheme);
  absl::AsciiStrToLower(&out.host);
  return out;
}

// "[v6]" → "v6"; a trailing dot of a fully qualified name is dropped.
absl::string_view BareHost(absl::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return absl::StripSuffix(host, ".");
}

bool IsMetadataV4(uint32_t a) {  // host byte order
  return (a >> 16) == 0xa9fe ||  // 169.254.0.0/16 (link-local, AWS/GCP/Azure)
         a == 0x646464c8;        // 100.100.100.200 (Alibaba Cloud)
}

bool IsMetadataV6(const in6_addr& a) {
  const uint8_t* b = a.s6_addr;
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return true;  // fe80::/10
  static constexpr uint8_t kAws[16] = {
      0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54};
  if (std::memcmp(b, kAws, 16) == 0) return true;  // fd00:ec2::254
  // An IPv4 address inside IPv6: mapped (::ffff:a.b.c.d), compatible
  // (::a.b.c.d) or NAT64 (64:ff9b::a.b.c.d).
  static constexpr uint8_t kNat64[12] = {0, 0x64, 0xff, 0x9b};
  const bool embeds_v4 = IN6_IS_ADDR_V4MAPPED(&a) || IN6_IS_ADDR_V4COMPAT(&a) ||
                         std::memcmp(b, kNat64, 12) == 0;
  if (!embeds_v4) return false;
  uint32_t v4;
  std::memcpy(&v4, b + 12, 4);
  return IsMetadataV4(ntohl(v4));
}

bool IsMetadataSockaddr(const sockaddr* sa) {
  if (sa->sa_family == AF_INET) {
    return IsMetadataV4(
        ntohl(reinterpret_cast<const sockaddr_in*>(sa)->sin_addr.s_addr));
  }
  if (sa->sa_family == AF_INET6) {
    return IsMetadataV6(reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr);
  }
  return false;
}

constexpr char kMetadataRefused[] =
    "connection to a link-local or cloud metadata address refused";

// Splits a redirect_hosts entry into host (lower case, brackets kept) and
// port (empty = any). False if malformed.
bool SplitHostPort(absl::string_view entry, std::string* host,
                   std::string* port) {
  absl::string_view h = entry, p;
  if (absl::StartsWith(entry, "[")) {
    size_t close = entry.find(']');
    if (close == absl::string_view::npos) return false;
    h = entry.substr(0, close + 1);
    absl::string_view rest = entry.substr(close + 1);
    if (!rest.empty()) {
      if (!absl::ConsumePrefix(&rest, ":") || rest.empty()) return false;
      p = rest;
    }
  } else if (size_t colon = entry.find(':'); colon != absl::string_view::npos) {
    h = entry.substr(0, colon);
    p = entry.substr(colon + 1);
    if (p.empty()) return false;
  }
  if (h.empty() || h == "[]") return false;
  for (char c : p) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  if (p.size() > 5 || (!p.empty() && std::stoi(std::string(p)) > 65535)) {
    return false;
  }
  *host = absl::AsciiStrToLower(h);
  *port = std::string(p);
  return true;
}

// The redirect target may be fetched: same scheme+host+port as the
// original URL, or a host (and port) the operator listed.
bool RedirectAllowed(const ParsedUrl& origin, const ParsedUrl& target,
                     const std::vector<std::string>& allowed) {
  if (target.scheme == origin.scheme && target.host == origin.host &&
      target.port == origin.port) {
    return true;
  }
  for (const std::string& entry : allowed) {
    std::string host, port;
    if (!SplitHostPort(entry, &host, &port)) continue;
    if (BareHost(host) == BareHost(target.host) &&
        (port.empty() || port == target.port)) {
      return true;
    }
  }
  return false;
}

size_t WriteBody(char* data, size_t size, size_t nmemb, void* userdata);
size_t WriteHeader(char* data, size_t size, size_t nmemb, void* userdata);
int Progress(void* userdata, curl_off_t, curl_off_t, curl_off_t, curl_off_t);

struct Transfer {
  FetchResponse* response;
  size_t max_body_bytes;
  bool too_large = false;
  const std::atomic<bool>* cancel;
  bool refused_address = false;  // OpenSocket refused a metadata address
};

// CURLOPT_OPENSOCKETFUNCTION: sees every address curl is about to connect
// to (after DNS), so a name that resolves to a metadata address is refused
// before any byte is sent.
curl_socket_t OpenSocket(void* userdata, curlsocktype /*purpose*/,
                         curl_sockaddr* address) {
  auto* t = static_cast<Transfer*>(userdata);
  if (IsMetadataSockaddr(&address->addr)) {
    t->refused_address = true;
    return CURL_SOCKET_BAD;
  }
  return ::socket(address->family, address->socktype | SOCK_CLOEXEC,
                  address->protocol);
}

size_t WriteBody(char* data, size_t size, size_t nmemb, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  size_t n = size * nmemb;
  if (t->response->body.size() + n > t->max_body_bytes) {
    t->too_large = true;
    return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
  }
  t->response->body.append(data, n);
  return n;
}

size_t WriteHeader(char* data, size_t size, size_t nmemb, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  size_t n = size * nmemb;
  absl::string_view line(data, n);
  if (absl::StartsWith(line, "HTTP/")) {
    t->response->headers.clear();  // a new response (e.g. after 100-continue)
    return n;
  }
  size_t colon = line.find(':');
  if (colon == absl::string_view::npos || colon == 0) return n;
  std::string name(line.substr(0, colon));
  absl::AsciiStrToLower(&name);
  absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
  // Keep headers small: a hostile server must not grow memory unbounded.
  if (value.size() > 8192 || t->response->headers.size() > 200) return n;
  auto [it, inserted] = t->response->headers.try_emplace(name, value);
  if (!inserted) absl::StrAppend(&it->second, ", ", value);
  return n;
}

int Progress(void* userdata, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(userdata);
  return (t->cancel != nullptr && t->cancel->load(std::memory_order_relaxed))
             ? 1
             : 0;
}

absl::Status MapCurlError(CURLcode code, const Transfer& t) {
  if (t.refused_address) return absl::InvalidArgumentError(kMetadataRefused);
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return absl::DeadlineExceededError("fetch timed out or too slow");
    case CURLE_FILESIZE_EXCEEDED:
      return absl::ResourceExhaustedError("response too large");
    case CURLE_WRITE_ERROR:
      if (t.too_large)
        return absl::ResourceExhaustedError("response too large");
      return absl::UnavailableError("fetch failed: write error");
    case CURLE_ABORTED_BY_CALLBACK:
      return absl::CancelledError("fetch cancelled");
    case CURLE_COULDNT_CONNECT:
      return absl::UnavailableError("connection failed");
    case CURLE_COULDNT_RESOLVE_HOST:
      return absl::UnavailableError("host not resolved");
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
      return absl::UnavailableError(
          "TLS handshake or certificate verification failed");
    default:
      return absl::UnavailableError(
          absl::StrCat("fetch failed: ", curl_easy_strerror(code)));
  }
}

long ToMillis(absl::Duration d) {
  int64_t ms = absl::ToInt64Milliseconds(d);
  return ms < 1 ? 1L : static_cast<long>(ms);
}

bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 ||
         status == 308;
}

// Everything but the URL and the request headers: protocols, TLS checks,
// proxy, time and size limits, and the callbacks (body, headers, progress
// for cancel, socket opening for the metadata address check).
void SetTransferOptions(CURL* c, const CurlJwksFetcherOptions& o, bool loopback,
                        absl::Duration remaining, Transfer* t) {
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(c, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);
  if (!o.ca_file.empty()) {
    curl_easy_setopt(c, CURLOPT_CAINFO, o.ca_file.c_str());
  }
  if (loopback) {
    curl_easy_setopt(c, CURLOPT_PROXY, "");  // loopback never via a proxy
  }
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   ToMillis(std::min(o.connect_timeout, remaining)));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ToMillis(remaining));
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, o.low_speed_bytes_per_second);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME,
                   static_cast<long>(std::max<int64_t>(
                       1, absl::ToInt64Seconds(o.low_speed_time))));
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
                   static_cast<curl_off_t>(o.max_body_bytes));
  curl_easy_setopt(c, CURLOPT_USERAGENT, o.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &WriteHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &Progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, t);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, &OpenSocket);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, t);
}

}  // namespace

absl::string_view FetchResponse::Header(absl::string_view name) const {
  std::string key(name);
  absl::AsciiStrToLower(&key);
  auto it = headers.find(key);
  return it == headers.end() ? absl::string_view()
                             : absl::string_view(it->second);
}

bool IsLoopbackHost(absl::string_view host) {
  if (absl::EqualsIgnoreCase(host, "localhost")) return true;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::string h(host);
  in_addr v4;
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, h.c_str(), &v6) == 1) {
    return std::memcmp(&v6, &in6addr_loopback, sizeof(v6)) == 0;
  }
  return false;
}

bool IsMetadataHost(absl::string_view host) {
  const absl::string_view bare = BareHost(host);
  if (absl::EqualsIgnoreCase(bare, "metadata.google.internal") ||
      absl::EqualsIgnoreCase(bare, "metadata.goog")) {
    return true;
  }
  const std::string h(bare);
  in_addr v4;
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1) {
    return IsMetadataV4(ntohl(v4.s_addr));
  }
  in6_addr v6;
  return inet_pton(AF_INET6, h.c_str(), &v6) == 1 && IsMetadataV6(v6);
}

absl::Status ValidateRedirectHost(absl::string_view entry) {
  std::string host, port;
  if (entry.empty() || entry.size() > 260 ||
      entry.find_first_of("/?#@*\\ %") != absl::string_view::npos ||
      !SplitHostPort(entry, &host, &port)) {
    return absl::InvalidArgumentError(
        "expected \"host\" or \"host:port\" (no scheme, path or wildcard)");
  }
  if (IsMetadataHost(host)) {
    return absl::InvalidArgumentError(
        "a link-local or cloud metadata address is never allowed");
  }
  return absl::OkStatus();
}

absl::Status ValidateFetchUrl(absl::string_view url, bool allow_insecure) {
  JWTAUTH_ASSIGN_OR_RETURN(ParsedUrl parsed, ParseUrl(url));
  if (IsMetadataHost(parsed.host)) {
    return absl::InvalidArgumentError(
        "URL host is a link-local or cloud metadata address");
  }
  if (parsed.scheme == "https") return absl::OkStatus();
  if (parsed.scheme != "http") {
    return absl::InvalidArgumentError("URL scheme must be https");
  }
  if (allow_insecure || IsLoopbackHost(parsed.host)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      "plain http is allowed only for loopback hosts or with allow_insecure");
}

namespace {

// The rules for one hop's URL (`origin`: the first one's). Errors never name
// the URL: they end up in /readyz and logs.
absl::Status CheckHop(int hop, absl::string_view url, const ParsedUrl& target,
                      const ParsedUrl& origin, bool was_https,
                      const FetchRequest& request) {
  if (absl::Status s = ValidateFetchUrl(url, request.allow_insecure); !s.ok()) {
    return hop == 0 ? s
                    : absl::InvalidArgumentError(
                          absl::StrCat("redirect refused: ", s.message()));
  }
  if (was_https && target.scheme != "https") {
    return absl::InvalidArgumentError("redirect refused: https to http");
  }
  if (!RedirectAllowed(origin, target, request.redirect_hosts)) {
    return absl::InvalidArgumentError("redirect to another host refused");
  }
  return absl::OkStatus();
}

CurlListPtr ToList(const std::vector<std::string>& lines) {
  curl_slist* raw = nullptr;
  for (const std::string& line : lines) {
    raw = curl_slist_append(raw, line.c_str());  // copies
  }
  return CurlListPtr(raw);
}

// Accept, and the conditional-GET validators of the last good response.
CurlListPtr RequestHeaders(const FetchRequest& request) {
  std::vector<std::string> lines = {
      "Accept: application/jwk-set+json, application/json;q=0.9, */*;q=0.1"};
  if (!request.if_none_match.empty()) {
    lines.push_back(absl::StrCat("If-None-Match: ", request.if_none_match));
  }
  if (!request.if_modified_since.empty()) {
    lines.push_back(
        absl::StrCat("If-Modified-Since: ", request.if_modified_since));
  }
  return ToList(lines);
}

// One HTTP exchange, redirects not followed.
struct HopResult {
  FetchResponse response;
  // The redirect target of a 3xx that names one; nullopt otherwise.
  std::optional<std::string> location;
};

absl::StatusOr<HopResult> PerformHop(const std::string& url,
                                     const ParsedUrl& target,
                                     absl::Duration remaining,
                                     const FetchRequest& request,
                                     const CurlJwksFetcherOptions& options) {
  CurlPtr curl(curl_easy_init());
  if (curl == nullptr) return absl::InternalError("curl init failed");
  CURL* c = curl.get();
  HopResult result;
  Transfer transfer{&result.response, options.max_body_bytes, false,
                    request.cancel};

  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  SetTransferOptions(c, options, IsLoopbackHost(target.host), remaining,
                     &transfer);

  CurlListPtr header_list = RequestHeaders(request);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, header_list.get());
  CurlListPtr resolve_list = ToList(options.resolve);
  if (resolve_list != nullptr) {
    curl_easy_setopt(c, CURLOPT_RESOLVE, resolve_list.get());
  }

  CURLcode code = curl_easy_perform(c);
  if (code != CURLE_OK) return MapCurlError(code, transfer);
  // Belt and braces: the peer actually connected to (a reused or
  // proxied connection included) is checked before the response counts.
  char* peer = nullptr;
  if (curl_easy_getinfo(c, CURLINFO_PRIMARY_IP, &peer) == CURLE_OK &&
      peer != nullptr && IsMetadataHost(peer)) {
    return absl::InvalidArgumentError(kMetadataRefused);
  }

  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  result.response.status = static_cast<int>(status);
  if (IsRedirect(result.response.status)) {
    char* location = nullptr;
    curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &location);
    if (location != nullptr) result.location = location;
  }
  return result;
}

}  // namespace

CurlJwksFetcher::CurlJwksFetcher(CurlJwksFetcherOptions options)
    : options_(std::move(options)) {
  GlobalInitOnce();
}

absl::StatusOr<FetchResponse> CurlJwksFetcher::Fetch(
    const FetchRequest& request) {
  GlobalInitOnce();
  const absl::Duration total = request.timeout > absl::ZeroDuration()
                                   ? request.timeout
                                   : options_.default_timeout;
  const absl::Time deadline = absl::Now() + total;
  std::string url = request.url;
  bool was_https = false;
  ParsedUrl origin;
  for (int hop = 0;; ++hop) {
    JWTAUTH_ASSIGN_OR_RETURN(ParsedUrl parsed, ParseUrl(url));
    if (hop == 0) origin = parsed;
    JWTAUTH_RETURN_IF_ERROR(
        CheckHop(hop, url, parsed, origin, was_https, request));
    was_https = parsed.scheme == "https";

    absl::Duration remaining = deadline - absl::Now();
    if (remaining <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError("fetch timed out or too slow");
    }
    JWTAUTH_ASSIGN_OR_RETURN(
        HopResult result,
        PerformHop(url, parsed, remaining, request, options_));
    result.response.effective_url = url;
    result.response.redirects = hop;
    // Not a redirect, or a 3xx without Location: the answer as it is.
    if (!result.location.has_value()) return std::move(result.response);
    if (hop >= options_.max_redirects) {
      return absl::FailedPreconditionError("too many redirects");
    }
    url = *std::move(result.location);
  }
}

}  // namespace jwtauth
