#include "client/channel_factory.h"

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "grpc/grpc.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace jwtauth::client {
namespace {

absl::StatusOr<std::string> ReadPemFile(absl::string_view field,
                                        const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) {
    return absl::NotFoundError(
        absl::StrCat(field, ": cannot read '", path, "'"));
  }
  // A certificate or key gRPC cannot parse fails only at the handshake, as
  // an opaque UNAVAILABLE; a file without PEM armour is caught here.
  if (!absl::StrContains(text.str(), "-----BEGIN ")) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": '", path, "' is not PEM"));
  }
  return text.str();
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeCredentials(
    const ClientOptions& options) {
  if (options.plaintext) return grpc::InsecureChannelCredentials();
  const TlsOptions& tls = options.tls;
  grpc::SslCredentialsOptions ssl;
  if (!tls.ca_file.empty()) {
    JWTAUTH_ASSIGN_OR_RETURN(ssl.pem_root_certs,
                             ReadPemFile("tls.ca_file", tls.ca_file));
  }
  if (!tls.cert_file.empty()) {
    JWTAUTH_ASSIGN_OR_RETURN(ssl.pem_cert_chain,
                             ReadPemFile("tls.cert_file", tls.cert_file));
    JWTAUTH_ASSIGN_OR_RETURN(ssl.pem_private_key,
                             ReadPemFile("tls.key_file", tls.key_file));
  }
  return grpc::SslCredentials(ssl);
}

int ClampedMillis(absl::Duration d) {
  const int64_t ms = absl::ToInt64Milliseconds(d);
  return ms > INT32_MAX ? INT32_MAX : static_cast<int>(ms);
}

}  // namespace

grpc::ChannelArguments MakeChannelArguments(const ClientOptions& options) {
  grpc::ChannelArguments args;
  args.SetServiceConfigJSON(RetryServiceConfig(options.retry));
  args.SetString(GRPC_ARG_PRIMARY_USER_AGENT_STRING, UserAgent(options));
  const KeepaliveOptions& keepalive = options.keepalive;
  if (keepalive.time > absl::ZeroDuration()) {
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, ClampedMillis(keepalive.time));
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                ClampedMillis(keepalive.timeout));
    args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS,
                keepalive.permit_without_calls ? 1 : 0);
  }
  if (!options.plaintext && !options.tls.server_name_override.empty()) {
    args.SetSslTargetNameOverride(options.tls.server_name_override);
  }
  return args;
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(
    const ClientOptions& options) {
  JWTAUTH_RETURN_IF_ERROR(ValidateClientOptions(options));
  JWTAUTH_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ChannelCredentials> creds,
                           MakeCredentials(options));
  return grpc::CreateCustomChannel(options.target, creds,
                                   MakeChannelArguments(options));
}

}  // namespace jwtauth::client
