#include "cli/connection.h"

#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/status_macros.h"

namespace jwtauth::cli {
namespace {

// The flags' TLS choice as client options: plaintext without --tls-ca.
absl::Status SetTransport(const ConnectionFlags& flags,
                          client::ClientOptions& options) {
  if (!flags.tls_ca.has_value()) {
    if (flags.tls_cert.has_value() || flags.tls_key.has_value()) {
      return absl::InvalidArgumentError("--tls-cert/--tls-key need --tls-ca");
    }
    options.plaintext = true;
    return absl::OkStatus();
  }
  if (flags.tls_cert.has_value() != flags.tls_key.has_value()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  options.tls.ca_file = *flags.tls_ca;
  options.tls.cert_file = flags.tls_cert.value_or("");
  options.tls.key_file = flags.tls_key.value_or("");
  return absl::OkStatus();
}

}  // namespace

void AddConnectionFlags(CLI::App* app, ConnectionFlags* flags) {
  const std::string group = "Connection";
  app->add_option("--server", flags->server,
                  "host:port (default $JWTAUTH_SERVER or 127.0.0.1:50051)")
      ->group(group);
  app->add_option("--tls-ca", flags->tls_ca,
                  "Use TLS, trusting this CA bundle (default: plaintext)")
      ->group(group);
  app->add_option("--tls-cert", flags->tls_cert,
                  "Client certificate for mTLS (with --tls-key)")
      ->group(group);
  app->add_option("--tls-key", flags->tls_key, "Client private key for mTLS")
      ->group(group);
  app->add_option("--timeout", flags->timeout,
                  "Per-call deadline, e.g. 5s (default 10s)")
      ->group(group);
}

absl::StatusOr<client::Client> Connect(const ConnectionFlags& flags) {
  client::ClientOptions options;
  options.target = "127.0.0.1:50051";
  if (const char* env = std::getenv("JWTAUTH_SERVER"); env && *env) {
    options.target = env;
  }
  if (flags.server.has_value()) options.target = *flags.server;
  if (flags.timeout.has_value()) {
    absl::Duration d;
    if (!absl::ParseDuration(*flags.timeout, &d) || d <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError("--timeout: not a positive duration");
    }
    options.default_timeout = d;
  }
  options.user_agent_prefix = "jwtauth-cli/" JWTAUTH_VERSION;
  JWTAUTH_RETURN_IF_ERROR(SetTransport(flags, options));
  // Errors name the option ("tls.ca_file: cannot read '...'").
  return client::Client::Create(options);
}

}  // namespace jwtauth::cli
