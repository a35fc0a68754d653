#include "server/tls_credentials.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"

namespace jwtauth::server {
namespace {

absl::StatusOr<std::string> ReadTlsFile(const TlsConfig& tls,
                                        const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(tls.location.Error(
        absl::StrCat("cannot read ", path, ": ", std::strerror(errno))));
  }
  return std::string(std::istreambuf_iterator<char>(in), {});
}

grpc_ssl_client_certificate_request_type ClientCertRequest(
    const TlsConfig& tls) {
  if (tls.client_ca_file.empty()) {
    return GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE;
  }
  return tls.require_client_cert
             ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
             : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
}

// Files read once: the pair as it is now.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> StaticCredentials(
    const TlsConfig& tls) {
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  JWTAUTH_ASSIGN_OR_RETURN(pair.cert_chain, ReadTlsFile(tls, tls.cert_file));
  JWTAUTH_ASSIGN_OR_RETURN(pair.private_key, ReadTlsFile(tls, tls.key_file));
  grpc::SslServerCredentialsOptions opts;
  opts.pem_key_cert_pairs.push_back(std::move(pair));
  if (!tls.client_ca_file.empty()) {
    JWTAUTH_ASSIGN_OR_RETURN(opts.pem_root_certs,
                             ReadTlsFile(tls, tls.client_ca_file));
  }
  opts.client_certificate_request = ClientCertRequest(tls);
  return grpc::SslServerCredentials(opts);
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(
    const ServerSection& server) {
  if (!server.tls.has_value()) return grpc::InsecureServerCredentials();
  const TlsConfig& tls = *server.tls;
  // Read now so a missing file fails start-up (the watcher would only log).
  JWTAUTH_ASSIGN_OR_RETURN(auto credentials, StaticCredentials(tls));
  if (server.watch_interval <= absl::ZeroDuration()) return credentials;
  const int64_t seconds =
      std::max<int64_t>(1, absl::ToInt64Seconds(absl::Ceil(
                               server.watch_interval, absl::Seconds(1))));
  auto provider =
      std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
          tls.key_file, tls.cert_file, tls.client_ca_file,
          static_cast<unsigned int>(seconds));
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (!tls.client_ca_file.empty()) options.watch_root_certs();
  options.set_cert_request_type(ClientCertRequest(tls));
  return grpc::experimental::TlsServerCredentials(options);
}

}  // namespace jwtauth::server
