#ifndef JWTAUTH_CLIENT_CLIENT_OPTIONS_H_
#define JWTAUTH_CLIENT_CLIENT_OPTIONS_H_

// ClientOptions: everything a caller configures about its connection to
// jwtauth.v1.AuthService (the google-cloud-cpp set): target, transport
// security, default deadline, retry policy, keepalive and user agent.
// CallOptions: what one call may override (deadline, caller token,
// metadata).
//
// Plain values, validated once by ValidateClientOptions() (MakeChannel and
// Client::Create call it): a bad option is an InvalidArgument status naming
// the field, never a crash. Copyable and movable.
//
//   jwtauth::client::ClientOptions options;
//   options.target = "jwtauth.internal:50051";
//   options.tls.ca_file = "/etc/jwtauth/ca.pem";          // TLS by default
//   options.tls.cert_file = "/etc/svc/tls.crt";           // mTLS: both
//   options.tls.key_file = "/etc/svc/tls.key";
//   options.retry.max_attempts = 3;                       // 1 = no retries

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace jwtauth::client {

// Server authentication (and, with cert_file + key_file, client
// authentication) from PEM files, read when the channel is made.
struct TlsOptions {
  // CA bundle the server's certificate must chain to. Empty: gRPC's default
  // roots (GRPC_DEFAULT_SSL_ROOTS_FILE_PATH, else the bundled set).
  std::string ca_file{};
  // mTLS: this client's certificate chain and private key; both or neither.
  std::string cert_file{};
  std::string key_file{};
  // Name checked against the server certificate instead of the target's
  // host (e.g. when dialling an IP). Empty: the target's host.
  std::string server_name_override{};
};

// gRPC's own retries (service config `retryPolicy`), applied only to the
// idempotent Verify and ListKeys and only on UNAVAILABLE. IssueToken is
// never retried: a retried issue could mint two tokens. All attempts share
// the call's one deadline.
struct RetryPolicy {
  // Attempts including the first, 1..5 (gRPC's ceiling). 1 = no retries.
  int max_attempts = 3;
  // Delay before retry n is random in [0, min(initial * multiplier^(n-1),
  // max)] (gRPC's jittered exponential backoff).
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(2);
  double backoff_multiplier = 2.0;
};

// HTTP/2 keepalive pings. Off by default; servers refuse pings more often
// than their policy allows (gRPC's default: every 5 min) with GOAWAY.
struct KeepaliveOptions {
  // Ping after this much idle time on the connection; zero = off.
  absl::Duration time = absl::ZeroDuration();
  // Close the connection when a ping is not answered within this.
  absl::Duration timeout = absl::Seconds(20);
  // Also ping while no call is active (keeps idle connections warm through
  // NATs and load balancers).
  bool permit_without_calls = false;
};

struct ClientOptions {
  // gRPC target, e.g. "host:port" or "dns:///host:port". Required by
  // MakeChannel/Client::Create; unused when a channel is passed in.
  std::string target{};
  // Plaintext only when chosen explicitly; the default is TLS (`tls`).
  bool plaintext = false;
  TlsOptions tls{};
  // Deadline of each call unless CallOptions::timeout is set. Must be > 0.
  absl::Duration default_timeout = absl::Seconds(10);
  RetryPolicy retry{};
  KeepaliveOptions keepalive{};
  // Prepended to "jwtauth-cpp-client/<version>" in the user-agent header,
  // e.g. "billing-service/2.1".
  std::string user_agent_prefix{};
};

struct CallOptions {
  // Overrides ClientOptions::default_timeout when > 0.
  absl::Duration timeout = absl::ZeroDuration();
  // Sent as metadata "authorization: Bearer <caller_token>" (IssueToken's
  // caller-token authorization). Empty = none.
  std::string caller_token{};
  // Extra metadata (lower-case keys).
  std::vector<std::pair<std::string, std::string>> metadata{};
};

// The library's version ("0.1.0"), as sent in the user agent.
absl::string_view ClientVersion();

// "<user_agent_prefix> jwtauth-cpp-client/<version>" (no leading space
// without a prefix).
std::string UserAgent(const ClientOptions& options);

// InvalidArgument naming the first bad field ("retry.max_attempts: must be
// 1..5, got 0"); files are not read here (MakeChannel reads them).
absl::Status ValidateClientOptions(const ClientOptions& options);

// The gRPC service config JSON carrying `retry` for Verify and ListKeys;
// "{}" when retry.max_attempts == 1. Assumes a valid policy.
std::string RetryServiceConfig(const RetryPolicy& retry);

}  // namespace jwtauth::client

#endif  // JWTAUTH_CLIENT_CLIENT_OPTIONS_H_
