#ifndef JWTAUTH_SERVER_JWKS_EVENT_LOG_H_
#define JWTAUTH_SERVER_JWKS_EVENT_LOG_H_

// What the server makes of a JwksRefresher event: a JSON log line
// (jwks_loaded / jwks_fetch_failed / jwks_keys_dropped, URL redacted, with
// the reasons entries were skipped) and, when `metrics` is given, the
// jwtauth_jwks_fetch_total / last-success metrics. Shared by the
// Application and the CLI's offline verification, so both report a fetch
// alike.
//
// The returned callable is thread-safe as long as `logger` and `metrics`
// are; both are not owned and must outlive it.
//
//   JwksRefresherOptions o;
//   o.on_event = JwksEventLog(&logger, &metrics);

#include <functional>

#include "core/jwks_refresher.h"
#include "server/logging.h"
#include "server/metrics.h"

namespace jwtauth::server {

// `logger` is required; `metrics` may be null (nothing recorded).
std::function<void(const JwksEvent&)> JwksEventLog(Logger* logger,
                                                   Metrics* metrics);

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_JWKS_EVENT_LOG_H_
