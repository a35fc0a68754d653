#ifndef JWTAUTH_CORE_CACHE_CONTROL_H_
#define JWTAUTH_CORE_CACHE_CONTROL_H_

// HTTP caching headers → when to refresh a JWKS.
//
// Freshness comes from, in order: `Cache-Control: s-maxage` (wins: jwtauth
// is a shared cache for every request it serves), `max-age`, then `Expires`
// relative to `Date` (RFC 9111 §4.2.1), minus any `Age`. `no-store` or
// `no-cache` ask for the shortest interval allowed. When the server says
// nothing the configured default applies. The result is clamped to
// [min, max]; jitter (± a fraction, from injected randomness so tests are
// deterministic) then spreads replicas so they do not fetch in lockstep, and
// is clamped again so the bounds always hold.
//
// Pure functions; thread-safe. Malformed values never fail: an invalid
// max-age or Expires means "already stale" (RFC 9111 §4.2.1/§5.3) and so
// yields the minimum interval.
//
//   RefreshBounds bounds;  // default 10m, min 30s, max 24h
//   absl::Duration d = RefreshDelayFromHeaders(
//       {.cache_control = cc, .expires = exp, .date = date}, bounds, now);
//   d = ApplyJitter(d, 0.1, uniform_0_1, bounds);

#include <optional>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace jwtauth {

struct RefreshBounds {
  absl::Duration default_interval = absl::Minutes(10);
  absl::Duration min = absl::Seconds(30);
  absl::Duration max = absl::Hours(24);
};

// The directives of one Cache-Control value that matter here.
struct CacheControl {
  std::optional<absl::Duration> max_age{};
  std::optional<absl::Duration> s_maxage{};
  bool no_store = false;
  bool no_cache = false;
};

// Parses a Cache-Control header value (directives are case-insensitive,
// comma-separated, values may be quoted). An invalid delta-seconds value
// parses as zero (stale); huge values saturate at ~68 years.
CacheControl ParseCacheControl(absl::string_view value);

// An HTTP-date (IMF-fixdate, RFC 850 or asctime form). nullopt if invalid.
std::optional<absl::Time> ParseHttpDate(absl::string_view value);

// The caching-relevant response headers; empty = absent.
struct CacheHeaders {
  absl::string_view cache_control{};
  absl::string_view expires{};
  absl::string_view date{};
  absl::string_view age{};
};

// Freshness lifetime the server asked for, before clamping. nullopt when the
// response carries no freshness information (→ use the default). `now` is
// used for Expires when Date is missing or invalid.
std::optional<absl::Duration> FreshnessFromHeaders(const CacheHeaders& headers,
                                                   absl::Time now);

// Clamp(freshness or bounds.default_interval, min, max); no-store/no-cache
// → bounds.min.
absl::Duration RefreshDelayFromHeaders(const CacheHeaders& headers,
                                       const RefreshBounds& bounds,
                                       absl::Time now);

absl::Duration ClampDuration(absl::Duration d, absl::Duration lo,
                             absl::Duration hi);

// delay × (1 + fraction × (2u − 1)) for u in [0, 1), i.e. within
// ± fraction, then clamped to [bounds.min, bounds.max]. `fraction` is
// clamped to [0, 1]; `u` outside [0, 1) is clamped too.
absl::Duration ApplyJitter(absl::Duration delay, double fraction, double u,
                           const RefreshBounds& bounds);

}  // namespace jwtauth

#endif  // JWTAUTH_CORE_CACHE_CONTROL_H_
