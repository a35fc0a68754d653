#include "server/connection_options.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "grpc/grpc.h"

namespace jwtauth::server {
namespace {

// Milliseconds as a channel-argument int; 0 (off) and overlong values
// become INT_MAX, gRPC's "never".
int ArgMillis(absl::Duration d) {
  constexpr int64_t kNever = std::numeric_limits<int>::max();
  const int64_t ms = absl::ToInt64Milliseconds(d);
  return static_cast<int>(ms <= 0 ? kNever : std::min(ms, kNever));
}

}  // namespace

void ApplyConnectionOptions(const ConnectionConfig& connection,
                            grpc::ServerBuilder& builder) {
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                             ArgMillis(connection.max_age));
  builder.AddChannelArgument(
      GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
      static_cast<int>(absl::ToInt64Milliseconds(connection.max_age_grace)));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                             ArgMillis(connection.keepalive_time));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                             ArgMillis(connection.keepalive_timeout));
  // Server pings keep probing an idle connection (no limit on pings
  // without data), and client pings on an idle connection are no abuse.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
      static_cast<int>(
          absl::ToInt64Milliseconds(connection.min_client_ping_interval)));
}

}  // namespace jwtauth::server
