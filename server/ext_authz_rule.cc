#include "server/ext_authz_rule.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/claims.h"
#include "re2/re2.h"

namespace jwtauth::server {
namespace {

bool HasControlChar(absl::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && u != '\t') || u == 0x7f;
  });
}

absl::string_view StripPort(absl::string_view host) {
  if (!host.empty() && host.front() == '[') {  // [v6]:port
    size_t close = host.find(']');
    return close == absl::string_view::npos ? host : host.substr(0, close + 1);
  }
  size_t colon = host.rfind(':');
  return colon == absl::string_view::npos ? host : host.substr(0, colon);
}

bool HostMatches(absl::string_view pattern, absl::string_view host) {
  // Compare ports only when the pattern names one ("[::1]" has none).
  const bool pattern_has_port = StripPort(pattern).size() != pattern.size();
  absl::string_view h = pattern_has_port ? host : StripPort(host);
  if (absl::StartsWith(pattern, "*.")) {
    absl::string_view suffix = pattern.substr(1);  // ".example.com"
    return h.size() > suffix.size() && absl::EndsWithIgnoreCase(h, suffix);
  }
  return absl::EqualsIgnoreCase(pattern, h);
}

// Percent-decodes a query component ('+' is a space in form encoding).
std::string PercentDecode(absl::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < in.size() &&
               absl::ascii_isxdigit(static_cast<unsigned char>(in[i + 1])) &&
               absl::ascii_isxdigit(static_cast<unsigned char>(in[i + 2]))) {
      auto hex = [](char h) {
        return absl::ascii_isdigit(static_cast<unsigned char>(h))
                   ? h - '0'
                   : absl::ascii_tolower(static_cast<unsigned char>(h)) - 'a' +
                         10;
      };
      out.push_back(static_cast<char>(hex(in[i + 1]) * 16 + hex(in[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

bool IsUnreserved(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int HexValue(char h) {
  return absl::ascii_isdigit(static_cast<unsigned char>(h))
             ? h - '0'
             : absl::ascii_tolower(static_cast<unsigned char>(h)) - 'a' + 10;
}

}  // namespace

std::string CanonicalRequestPath(absl::string_view path) {
  path = path.substr(0, path.find_first_of("?#"));
  std::string decoded;
  decoded.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c == '%' && i + 2 < path.size() &&
        absl::ascii_isxdigit(static_cast<unsigned char>(path[i + 1])) &&
        absl::ascii_isxdigit(static_cast<unsigned char>(path[i + 2]))) {
      const char v =
          static_cast<char>(HexValue(path[i + 1]) * 16 + HexValue(path[i + 2]));
      if (IsUnreserved(v)) {
        decoded.push_back(v);
      } else {  // reserved or non-ASCII: stays encoded, hex in upper case
        decoded.push_back('%');
        decoded.push_back(
            absl::ascii_toupper(static_cast<unsigned char>(path[i + 1])));
        decoded.push_back(
            absl::ascii_toupper(static_cast<unsigned char>(path[i + 2])));
      }
      i += 2;
    } else {
      decoded.push_back(c);
    }
  }
  // Merge slashes and remove dot segments (RFC 3986 5.2.4): empty and "."
  // segments vanish, ".." drops the previous one (never above the root).
  std::vector<absl::string_view> segments;
  bool directory = false;  // the last raw segment was "", "." or ".."
  for (absl::string_view seg : absl::StrSplit(decoded, '/')) {
    directory = seg.empty() || seg == "." || seg == "..";
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
  }
  std::string out = absl::StrCat("/", absl::StrJoin(segments, "/"));
  if (directory && !segments.empty()) out.push_back('/');
  return out;
}

bool PathPrefixMatches(absl::string_view prefix, absl::string_view path) {
  if (prefix.empty() || !absl::StartsWith(path, prefix)) return false;
  return path.size() == prefix.size() || prefix.back() == '/' ||
         path[prefix.size()] == '/';
}

bool RequestMatch::Matches(const RequestView& request) const {
  if (has_path()) {
    const std::string path = CanonicalRequestPath(request.path);
    if (!path_prefix.empty() && !PathPrefixMatches(path_prefix, path)) {
      return false;
    }
    if (!path_exact.empty() && path != path_exact) return false;
    if (path_regex != nullptr && !RE2::FullMatch(path, *path_regex)) {
      return false;
    }
  }
  if (!methods.empty() && std::find(methods.begin(), methods.end(),
                                    request.method) == methods.end()) {
    return false;
  }
  if (!hosts.empty() &&
      std::none_of(hosts.begin(), hosts.end(), [&](const std::string& h) {
        return HostMatches(h, request.host);
      })) {
    return false;
  }
  return true;
}

std::optional<std::string> ExtractToken(const std::vector<TokenSource>& sources,
                                        const RequestView& request) {
  std::optional<FoundToken> found = FindToken(sources, request);
  if (!found.has_value()) return std::nullopt;
  return std::move(found->token);
}

std::string CookieHeaderWithout(absl::string_view cookie_header,
                                absl::string_view name) {
  std::vector<absl::string_view> kept;
  // The same split as the cookie source (Envoy joins repeated headers).
  for (absl::string_view pair :
       absl::StrSplit(cookie_header, absl::ByAnyChar(";,"))) {
    pair = absl::StripAsciiWhitespace(pair);
    if (pair.empty()) continue;
    if (pair.substr(0, pair.find('=')) == name) continue;
    // A pair with a control character is no cookie (RFC 6265 §4.1.1) and
    // must not reach the upstream in a header we set: dropped.
    if (std::any_of(pair.begin(), pair.end(), [](char c) {
          const auto u = static_cast<unsigned char>(c);
          return u < 0x20 || u == 0x7f;
        })) {
      continue;
    }
    kept.push_back(pair);
  }
  return absl::StrJoin(kept, "; ");
}

std::optional<FoundToken> FindToken(const std::vector<TokenSource>& sources,
                                    const RequestView& request) {
  auto found = [](std::string token, const TokenSource& src) {
    return std::optional<FoundToken>(FoundToken{std::move(token), &src});
  };
  for (const TokenSource& src : sources) {
    switch (src.kind) {
      case TokenSource::Kind::kHeader: {
        std::optional<absl::string_view> v = request.header(src.name);
        if (!v.has_value()) break;
        absl::string_view value = absl::StripAsciiWhitespace(*v);
        if (!src.prefix.empty()) {
          if (!absl::StartsWithIgnoreCase(value, src.prefix)) break;
          value = absl::StripLeadingAsciiWhitespace(
              value.substr(src.prefix.size()));
        }
        if (!value.empty()) return found(std::string(value), src);
        break;
      }
      case TokenSource::Kind::kCookie: {
        std::optional<absl::string_view> v = request.header("cookie");
        if (!v.has_value()) break;
        // Envoy joins repeated cookie headers with "; " or ",".
        for (absl::string_view pair :
             absl::StrSplit(*v, absl::ByAnyChar(";,"))) {
          pair = absl::StripAsciiWhitespace(pair);
          size_t eq = pair.find('=');
          if (eq == absl::string_view::npos || pair.substr(0, eq) != src.name) {
            continue;
          }
          absl::string_view value = pair.substr(eq + 1);
          if (value.size() >= 2 && value.front() == '"' &&
              value.back() == '"') {
            value = value.substr(1, value.size() - 2);
          }
          if (!value.empty()) return found(std::string(value), src);
        }
        break;
      }
      case TokenSource::Kind::kQuery: {
        for (absl::string_view pair : absl::StrSplit(request.query, '&')) {
          size_t eq = pair.find('=');
          if (eq == absl::string_view::npos) continue;
          if (PercentDecode(pair.substr(0, eq)) != src.name) continue;
          std::string value = PercentDecode(pair.substr(eq + 1));
          if (!value.empty()) return found(std::move(value), src);
        }
        break;
      }
    }
  }
  return std::nullopt;
}

const ClaimCondition* FirstFailedCondition(const ExtAuthzRule& rule,
                                           const nlohmann::json& claims) {
  const Claims view(claims);
  for (const ClaimCondition& cond : rule.claims) {
    if (!ClaimValueMatches(view.Find(cond.claim), cond.op, cond.values)) {
      return &cond;
    }
  }
  return nullptr;
}

std::optional<std::string> ClaimHeaderValue(const nlohmann::json& claims,
                                            absl::string_view path) {
  const nlohmann::json* v = Claims(claims).Find(path);
  if (v == nullptr || v->is_null()) return std::nullopt;
  std::string out = Claims::ValueToString(*v);
  if (HasControlChar(out)) return std::nullopt;
  return out;
}

}  // namespace jwtauth::server
