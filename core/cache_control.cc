#include "core/cache_control.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace jwtauth {
namespace {

// RFC 9111 §1.2.2: a delta-seconds beyond 2^31 is taken as 2^31.
constexpr int64_t kMaxDeltaSeconds = int64_t{1} << 31;

// delta-seconds = 1*DIGIT. Invalid → nullopt.
std::optional<absl::Duration> ParseDeltaSeconds(absl::string_view s) {
  s = absl::StripAsciiWhitespace(s);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') {
    s = s.substr(1, s.size() - 2);
  }
  if (s.empty()) return std::nullopt;
  int64_t value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
    if (value > kMaxDeltaSeconds) value = kMaxDeltaSeconds;  // saturate
  }
  return absl::Seconds(value);
}

}  // namespace

CacheControl ParseCacheControl(absl::string_view value) {
  CacheControl out;
  for (absl::string_view part : absl::StrSplit(value, ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (part.empty()) continue;
    absl::string_view name = part;
    absl::string_view arg;
    bool has_arg = false;
    if (size_t eq = part.find('='); eq != absl::string_view::npos) {
      name = absl::StripAsciiWhitespace(part.substr(0, eq));
      arg = part.substr(eq + 1);
      has_arg = true;
    }
    if (absl::EqualsIgnoreCase(name, "max-age") ||
        absl::EqualsIgnoreCase(name, "s-maxage")) {
      // Missing or invalid value: treat as stale (zero).
      std::optional<absl::Duration> d =
          has_arg ? ParseDeltaSeconds(arg) : std::nullopt;
      absl::Duration v = d.value_or(absl::ZeroDuration());
      if (absl::EqualsIgnoreCase(name, "max-age")) {
        if (!out.max_age.has_value()) out.max_age = v;  // first one wins
      } else {
        if (!out.s_maxage.has_value()) out.s_maxage = v;
      }
    } else if (absl::EqualsIgnoreCase(name, "no-store")) {
      out.no_store = true;
    } else if (absl::EqualsIgnoreCase(name, "no-cache")) {
      // `no-cache="field"` only restricts fields; the response stays cacheable.
      if (!has_arg) out.no_cache = true;
    }
  }
  return out;
}

std::optional<absl::Time> ParseHttpDate(absl::string_view value) {
  std::string v(absl::StripAsciiWhitespace(value));
  if (v.empty()) return std::nullopt;
  static constexpr const char* kFormats[] = {
      "%a, %d %b %Y %H:%M:%S GMT",  // IMF-fixdate (preferred)
      "%A, %d-%b-%y %H:%M:%S GMT",  // obsolete RFC 850
      "%a %b %e %H:%M:%S %Y",       // obsolete asctime
  };
  for (const char* format : kFormats) {
    absl::Time t;
    std::string err;
    if (absl::ParseTime(format, v, absl::UTCTimeZone(), &t, &err)) return t;
  }
  return std::nullopt;
}

std::optional<absl::Duration> FreshnessFromHeaders(const CacheHeaders& headers,
                                                   absl::Time now) {
  std::optional<absl::Duration> lifetime;
  if (!headers.cache_control.empty()) {
    CacheControl cc = ParseCacheControl(headers.cache_control);
    if (cc.no_store || cc.no_cache) return absl::ZeroDuration();
    if (cc.s_maxage.has_value()) {
      lifetime = cc.s_maxage;
    } else if (cc.max_age.has_value()) {
      lifetime = cc.max_age;
    }
  }
  if (!lifetime.has_value() && !headers.expires.empty()) {
    std::optional<absl::Time> expires = ParseHttpDate(headers.expires);
    if (!expires.has_value()) return absl::ZeroDuration();  // e.g. "0": stale
    std::optional<absl::Time> date = ParseHttpDate(headers.date);
    absl::Duration d = *expires - date.value_or(now);
    lifetime = std::max(d, absl::ZeroDuration());
  }
  if (!lifetime.has_value()) return std::nullopt;
  if (!headers.age.empty()) {
    if (std::optional<absl::Duration> age = ParseDeltaSeconds(headers.age)) {
      lifetime = std::max(*lifetime - *age, absl::ZeroDuration());
    }
  }
  return lifetime;
}

absl::Duration ClampDuration(absl::Duration d, absl::Duration lo,
                             absl::Duration hi) {
  if (d < lo) return lo;
  if (d > hi) return hi;
  return d;
}

absl::Duration RefreshDelayFromHeaders(const CacheHeaders& headers,
                                       const RefreshBounds& bounds,
                                       absl::Time now) {
  std::optional<absl::Duration> fresh = FreshnessFromHeaders(headers, now);
  return ClampDuration(fresh.value_or(bounds.default_interval), bounds.min,
                       bounds.max);
}

absl::Duration ApplyJitter(absl::Duration delay, double fraction, double u,
                           const RefreshBounds& bounds) {
  fraction = std::clamp(fraction, 0.0, 1.0);
  if (!(u >= 0.0)) u = 0.0;  // also catches NaN
  if (u >= 1.0) u = 1.0;
  double factor = 1.0 + fraction * (2.0 * u - 1.0);
  return ClampDuration(delay * factor, bounds.min, bounds.max);
}

}  // namespace jwtauth
