#ifndef JWTAUTH_CLIENT_CHANNEL_FACTORY_H_
#define JWTAUTH_CLIENT_CHANNEL_FACTORY_H_

// MakeChannel: the one place a ClientOptions becomes a grpc::Channel —
// credentials (TLS/mTLS from PEM files, or plaintext when chosen), the
// retry service config, keepalive and the user agent. A channel is
// expensive (connections, name resolution): make one per target and share
// it between Clients (Client(channel, options)); it is thread-safe.
//
// Errors (nothing is dialled until the first call): InvalidArgument for a
// bad option (ValidateClientOptions) or a file that is not PEM, NotFound
// for an unreadable file; each names the field.
//
//   absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
//       jwtauth::client::MakeChannel(options);
//   jwtauth::client::Client verify_client(*channel, options);
//   jwtauth::client::Client issue_client(*channel, options);

#include <memory>

#include "absl/status/statusor.h"
#include "client/client_options.h"
#include "grpcpp/channel.h"
#include "grpcpp/support/channel_arguments.h"

namespace jwtauth::client {

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(
    const ClientOptions& options);

// The channel arguments MakeChannel uses (service config, keepalive, user
// agent, TLS name override); exposed for callers that build their own
// channel with grpc::CreateCustomChannel.
grpc::ChannelArguments MakeChannelArguments(const ClientOptions& options);

}  // namespace jwtauth::client

#endif  // JWTAUTH_CLIENT_CHANNEL_FACTORY_H_
