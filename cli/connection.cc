#include "cli/connection.h"

#include <cstdlib>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "cli/common.h"
#include "core/status_macros.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace jwtauth::cli {
namespace {

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> Credentials(
    const ConnectionFlags& flags) {
  if (!flags.tls_ca.has_value()) {
    if (flags.tls_cert.has_value() || flags.tls_key.has_value()) {
      return absl::InvalidArgumentError("--tls-cert/--tls-key need --tls-ca");
    }
    return grpc::InsecureChannelCredentials();
  }
  grpc::SslCredentialsOptions ssl;
  JWTAUTH_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadFile(*flags.tls_ca));
  if (flags.tls_cert.has_value() != flags.tls_key.has_value()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (flags.tls_cert.has_value()) {
    JWTAUTH_ASSIGN_OR_RETURN(ssl.pem_cert_chain, ReadFile(*flags.tls_cert));
    JWTAUTH_ASSIGN_OR_RETURN(ssl.pem_private_key, ReadFile(*flags.tls_key));
  }
  return grpc::SslCredentials(ssl);
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
  std::string server = "127.0.0.1:50051";
  if (const char* env = std::getenv("JWTAUTH_SERVER"); env && *env) {
    server = env;
  }
  if (flags.server.has_value()) server = *flags.server;
  client::ClientOptions options;
  if (flags.timeout.has_value()) {
    absl::Duration d;
    if (!absl::ParseDuration(*flags.timeout, &d) || d <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError("--timeout: not a positive duration");
    }
    options.default_timeout = d;
  }
  JWTAUTH_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ChannelCredentials> creds,
                           Credentials(flags));
  return client::Client(grpc::CreateChannel(server, creds), options);
}

}  // namespace jwtauth::cli
