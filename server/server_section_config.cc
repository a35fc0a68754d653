#include "server/server_section_config.h"

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/status_macros.h"

namespace jwtauth::server {
namespace {

bool IsHttpUrl(absl::string_view url) {
  return absl::StartsWith(url, "https://") || absl::StartsWith(url, "http://");
}

absl::StatusOr<TlsConfig> ParseTls(const ConfigNode& n) {
  JWTAUTH_RETURN_IF_ERROR(n.ExpectMap(
      {"cert_file", "key_file", "client_ca_file", "require_client_cert"}));
  TlsConfig t;
  t.location = n.location();
  JWTAUTH_RETURN_IF_ERROR(n.ReadFile("cert_file", &t.cert_file));
  JWTAUTH_RETURN_IF_ERROR(n.ReadFile("key_file", &t.key_file));
  JWTAUTH_RETURN_IF_ERROR(n.ReadFile("client_ca_file", &t.client_ca_file));
  JWTAUTH_RETURN_IF_ERROR(
      n.Read("require_client_cert", &t.require_client_cert));
  if (t.cert_file.empty() || t.key_file.empty()) {
    return n.Error("cert_file and key_file are both required");
  }
  if (t.require_client_cert && t.client_ca_file.empty()) {
    return n["require_client_cert"].Error(
        "needs client_ca_file to verify client certificates");
  }
  return t;
}

absl::Status ParseThreading(const ConfigNode& n, ServerSection& s) {
  std::string threading = "async";
  JWTAUTH_RETURN_IF_ERROR(n.Read("threading", &threading));
  if (threading == "async") {
    s.threading = ServerThreading::kAsync;
  } else if (threading == "callback") {
    s.threading = ServerThreading::kCallback;
  } else {
    return n["threading"].Error("expected async or callback");
  }
  JWTAUTH_RETURN_IF_ERROR(n.ReadInt("async_queues", 0, 64, &s.async_queues));
  return n.ReadInt("async_threads_per_queue", 1, 16,
                   &s.async_threads_per_queue);
}

absl::Status ParsePublicListener(const ConfigNode& n, ServerSection& s) {
  JWTAUTH_RETURN_IF_ERROR(n.Read("public_listen", &s.public_listen));
  JWTAUTH_RETURN_IF_ERROR(n.Read("public_base_url", &s.public_base_url));
  if (!s.public_listen.empty() &&
      s.public_listen.find(':') == std::string::npos) {
    return n["public_listen"].Error("expected host:port");
  }
  if (s.public_base_url.empty()) return absl::OkStatus();
  if (!IsHttpUrl(s.public_base_url) ||
      s.public_base_url.find_first_of("?#") != std::string::npos) {
    return n["public_base_url"].Error(
        "expected an http(s) URL without query or fragment");
  }
  return absl::OkStatus();
}

// Reads the duration at `key` and checks it lies in [min, max].
absl::Status ReadDurationIn(const ConfigNode& n, absl::string_view key,
                            absl::Duration min, absl::Duration max,
                            absl::Duration* out) {
  JWTAUTH_RETURN_IF_ERROR(n.Read(key, out));
  if (*out < min || *out > max) {
    return n[key].Error(absl::StrCat("must be between ",
                                     absl::FormatDuration(min), " and ",
                                     absl::FormatDuration(max)));
  }
  return absl::OkStatus();
}

absl::Status ParseConnection(const ConfigNode& n, ConnectionConfig& c) {
  JWTAUTH_RETURN_IF_ERROR(
      n.ExpectMap({"max_age", "max_age_grace", "keepalive_time",
                   "keepalive_timeout", "min_client_ping_interval"}));
  JWTAUTH_RETURN_IF_ERROR(ReadDurationIn(n, "max_age", absl::ZeroDuration(),
                                         absl::Hours(24), &c.max_age));
  if (c.max_age > absl::ZeroDuration() && c.max_age < absl::Seconds(1)) {
    return n["max_age"].Error("must be 0 (never) or at least 1s");
  }
  JWTAUTH_RETURN_IF_ERROR(ReadDurationIn(n, "max_age_grace",
                                         absl::ZeroDuration(), absl::Hours(1),
                                         &c.max_age_grace));
  JWTAUTH_RETURN_IF_ERROR(ReadDurationIn(n, "keepalive_time", absl::Seconds(1),
                                         absl::Hours(24), &c.keepalive_time));
  JWTAUTH_RETURN_IF_ERROR(ReadDurationIn(n, "keepalive_timeout",
                                         absl::Seconds(1), absl::Minutes(10),
                                         &c.keepalive_timeout));
  return ReadDurationIn(n, "min_client_ping_interval", absl::ZeroDuration(),
                        absl::Hours(1), &c.min_client_ping_interval);
}

}  // namespace

absl::Status ParseServerSection(const ConfigNode& n, ServerSection& s) {
  JWTAUTH_RETURN_IF_ERROR(
      n.ExpectMap({"listen", "admin_listen", "admin_verbose", "public_listen",
                   "public_base_url", "tls", "connection", "shutdown_grace",
                   "drain_delay", "watch_interval", "threading", "async_queues",
                   "async_threads_per_queue"}));
  JWTAUTH_RETURN_IF_ERROR(n.ReadNonEmpty("listen", &s.listen));
  JWTAUTH_RETURN_IF_ERROR(n.Read("admin_listen", &s.admin_listen));
  JWTAUTH_RETURN_IF_ERROR(n.Read("admin_verbose", &s.admin_verbose));
  JWTAUTH_RETURN_IF_ERROR(ParsePublicListener(n, s));
  if (n.Has("tls")) {
    JWTAUTH_ASSIGN_OR_RETURN(s.tls, ParseTls(n["tls"]));
  }
  if (n.Has("connection")) {
    JWTAUTH_RETURN_IF_ERROR(ParseConnection(n["connection"], s.connection));
  }
  JWTAUTH_RETURN_IF_ERROR(n.Read("shutdown_grace", &s.shutdown_grace));
  JWTAUTH_RETURN_IF_ERROR(n.Read("watch_interval", &s.watch_interval));
  JWTAUTH_RETURN_IF_ERROR(n.Read("drain_delay", &s.drain_delay));
  JWTAUTH_RETURN_IF_ERROR(ParseThreading(n, s));
  if (s.listen.find(':') == std::string::npos) {
    return n["listen"].Error("expected host:port");
  }
  if (!s.admin_listen.empty() &&
      s.admin_listen.find(':') == std::string::npos) {
    return n["admin_listen"].Error("expected host:port");
  }
  return absl::OkStatus();
}

}  // namespace jwtauth::server
