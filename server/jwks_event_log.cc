#include "server/jwks_event_log.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "server/source_redaction.h"

namespace jwtauth::server {
namespace {

absl::string_view FetchResult(JwksEvent::Type type) {
  switch (type) {
    case JwksEvent::Type::kLoaded:
      return "ok";
    case JwksEvent::Type::kNotModified:
      return "not_modified";
    case JwksEvent::Type::kFetchFailed:
      return "error";
    case JwksEvent::Type::kKeysDropped:
      return "dropped_stale";
  }
  return "error";
}

void LogEvent(Logger* logger, const JwksEvent& e) {
  // Why JWKS entries were skipped (weak, oct, small-order, ...).
  const std::string reasons = absl::StrJoin(e.skipped_reasons, "; ");
  switch (e.type) {
    case JwksEvent::Type::kLoaded:
    case JwksEvent::Type::kNotModified:
      logger->Log(LogLevel::kInfo, "jwks_loaded",
                  {{"provider", e.provider},
                   {"url", RedactUrl(e.url)},
                   {"keys", absl::StrCat(e.keys)},
                   {"skipped", absl::StrCat(e.skipped)},
                   {"skipped_reasons", reasons},
                   {"early", e.early ? "true" : "false"}});
      break;
    case JwksEvent::Type::kFetchFailed:
      logger->Log(LogLevel::kWarn, "jwks_fetch_failed",
                  {{"provider", e.provider},
                   {"url", RedactUrl(e.url)},
                   {"error", std::string(e.status.message())},
                   {"skipped_reasons", reasons}});
      break;
    case JwksEvent::Type::kKeysDropped:
      logger->Log(LogLevel::kError, "jwks_keys_dropped",
                  {{"provider", e.provider}, {"url", RedactUrl(e.url)}});
      break;
  }
}

}  // namespace

std::function<void(const JwksEvent&)> JwksEventLog(Logger* logger,
                                                   Metrics* metrics) {
  return [logger, metrics](const JwksEvent& e) {
    if (metrics != nullptr) {
      metrics->RecordJwksFetch(e.url, FetchResult(e.type), e.source_id);
      if (e.type == JwksEvent::Type::kLoaded ||
          e.type == JwksEvent::Type::kNotModified) {
        metrics->SetJwksLastSuccess(e.url, absl::Now());
      }
    }
    LogEvent(logger, e);
  };
}

}  // namespace jwtauth::server
