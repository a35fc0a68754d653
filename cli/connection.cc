#include "cli/connection.h"

#include <cstdlib>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "core/status_macros.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace jwtauth::cli {
namespace {

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> Credentials(
    const Args& args) {
  std::optional<std::string> ca = args.Get("tls-ca");
  std::optional<std::string> cert = args.Get("tls-cert");
  std::optional<std::string> key = args.Get("tls-key");
  if (!ca.has_value()) {
    if (cert.has_value() || key.has_value()) {
      return absl::InvalidArgumentError("--tls-cert/--tls-key need --tls-ca");
    }
    return grpc::InsecureChannelCredentials();
  }
  grpc::SslCredentialsOptions ssl;
  JWTAUTH_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadFile(*ca));
  if (cert.has_value() != key.has_value()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (cert.has_value()) {
    JWTAUTH_ASSIGN_OR_RETURN(ssl.pem_cert_chain, ReadFile(*cert));
    JWTAUTH_ASSIGN_OR_RETURN(ssl.pem_private_key, ReadFile(*key));
  }
  return grpc::SslCredentials(ssl);
}

}  // namespace

absl::StatusOr<client::Client> Connect(const Args& args) {
  std::string server = "127.0.0.1:50051";
  if (const char* env = std::getenv("JWTAUTH_SERVER"); env && *env) {
    server = env;
  }
  if (auto s = args.Get("server")) server = *s;
  client::ClientOptions options;
  if (auto t = args.Get("timeout")) {
    absl::Duration d;
    if (!absl::ParseDuration(*t, &d) || d <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError("--timeout: not a positive duration");
    }
    options.default_timeout = d;
  }
  JWTAUTH_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ChannelCredentials> creds,
                           Credentials(args));
  return client::Client(grpc::CreateChannel(server, creds), options);
}

}  // namespace jwtauth::cli
