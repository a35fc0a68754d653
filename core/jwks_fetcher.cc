#include "core/jwks_fetcher.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>

#include <cstring>
#include <memory>
#include <utility>

#include "absl/base/call_once.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

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
  std::string host;    // as in the URL ("[::1]" keeps its brackets)
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
  if (!part(CURLUPART_SCHEME, &out.scheme) || !part(CURLUPART_HOST, &out.host) ||
      out.host.empty()) {
    return absl::InvalidArgumentError("invalid URL");
  }
  absl::AsciiStrToLower(&out.scheme);
  return out;
}

size_t WriteBody(char* data, size_t size, size_t nmemb, void* userdata);
size_t WriteHeader(char* data, size_t size, size_t nmemb, void* userdata);
int Progress(void* userdata, curl_off_t, curl_off_t, curl_off_t, curl_off_t);

struct Transfer {
  FetchResponse* response;
  size_t max_body_bytes;
  bool too_large = false;
  const std::atomic<bool>* cancel;
};

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
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return absl::DeadlineExceededError("fetch timed out or too slow");
    case CURLE_FILESIZE_EXCEEDED:
      return absl::ResourceExhaustedError("response too large");
    case CURLE_WRITE_ERROR:
      if (t.too_large) return absl::ResourceExhaustedError("response too large");
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

}  // namespace

absl::string_view FetchResponse::Header(absl::string_view name) const {
  std::string key(name);
  absl::AsciiStrToLower(&key);
  auto it = headers.find(key);
  return it == headers.end() ? absl::string_view() : absl::string_view(it->second);
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

absl::Status ValidateFetchUrl(absl::string_view url, bool allow_insecure) {
  absl::StatusOr<ParsedUrl> parsed = ParseUrl(url);
  if (!parsed.ok()) return parsed.status();
  if (parsed->scheme == "https") return absl::OkStatus();
  if (parsed->scheme != "http") {
    return absl::InvalidArgumentError("URL scheme must be https");
  }
  if (allow_insecure || IsLoopbackHost(parsed->host)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      "plain http is allowed only for loopback hosts or with allow_insecure");
}

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
  for (int hop = 0;; ++hop) {
    absl::StatusOr<ParsedUrl> parsed = ParseUrl(url);
    if (!parsed.ok()) return parsed.status();
    if (absl::Status s = ValidateFetchUrl(url, request.allow_insecure);
        !s.ok()) {
      return hop == 0 ? s
                      : absl::InvalidArgumentError(absl::StrCat(
                            "redirect refused: ", s.message()));
    }
    if (was_https && parsed->scheme != "https") {
      return absl::InvalidArgumentError("redirect refused: https to http");
    }
    was_https = parsed->scheme == "https";

    absl::Duration remaining = deadline - absl::Now();
    if (remaining <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError("fetch timed out or too slow");
    }

    CurlPtr curl(curl_easy_init());
    if (curl == nullptr) return absl::InternalError("curl init failed");
    CURL* c = curl.get();
    FetchResponse response;
    Transfer transfer{&response, options_.max_body_bytes, false,
                      request.cancel};

    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);
    if (!options_.ca_file.empty()) {
      curl_easy_setopt(c, CURLOPT_CAINFO, options_.ca_file.c_str());
    }
    if (IsLoopbackHost(parsed->host)) {
      curl_easy_setopt(c, CURLOPT_PROXY, "");  // loopback never via a proxy
    }
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     ToMillis(std::min(options_.connect_timeout, remaining)));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ToMillis(remaining));
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT,
                     options_.low_speed_bytes_per_second);
    curl_easy_setopt(
        c, CURLOPT_LOW_SPEED_TIME,
        static_cast<long>(std::max<int64_t>(
            1, absl::ToInt64Seconds(options_.low_speed_time))));
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
                     static_cast<curl_off_t>(options_.max_body_bytes));
    curl_easy_setopt(c, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &WriteBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &WriteHeader);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &transfer);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &Progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &transfer);

    curl_slist* raw = nullptr;
    raw = curl_slist_append(raw,
                            "Accept: application/jwk-set+json, "
                            "application/json;q=0.9, */*;q=0.1");
    std::string inm, ims;
    if (!request.if_none_match.empty()) {
      inm = absl::StrCat("If-None-Match: ", request.if_none_match);
      raw = curl_slist_append(raw, inm.c_str());
    }
    if (!request.if_modified_since.empty()) {
      ims = absl::StrCat("If-Modified-Since: ", request.if_modified_since);
      raw = curl_slist_append(raw, ims.c_str());
    }
    CurlListPtr header_list(raw);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, header_list.get());

    CURLcode code = curl_easy_perform(c);
    if (code != CURLE_OK) return MapCurlError(code, transfer);

    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    response.status = static_cast<int>(status);
    response.effective_url = url;
    response.redirects = hop;
    if (!IsRedirect(response.status)) return response;

    char* location = nullptr;
    curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &location);
    if (location == nullptr) return response;  // 3xx without Location
    if (hop >= options_.max_redirects) {
      return absl::FailedPreconditionError("too many redirects");
    }
    url = location;
  }
}

}  // namespace jwtauth
