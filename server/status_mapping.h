#ifndef JWTAUTH_SERVER_STATUS_MAPPING_H_
#define JWTAUTH_SERVER_STATUS_MAPPING_H_

// Every translation between the core's error vocabulary and gRPC / the proto
// lives here (STYLE 15): absl::Status → grpc::Status, core FailureReason ↔
// jwtauth.v1.FailureReason, core KeyState ↔ jwtauth.v1.KeyState, and the
// spelling of results used as metric label values.
//
// All functions are pure, stateless and thread-safe. The mappings are total:
// tests/server/status_mapping_test.cc walks every enumerator of each side.
// Values outside an enum's range (e.g. a proto enum number from a newer peer)
// map to the "unspecified"/UNKNOWN value, never to undefined behaviour.
//
//   grpc::Status s = ToGrpcStatus(absl::InvalidArgumentError("bad ttl"));
//   resp.set_reason(ToProtoReason(result.failure().reason));

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/failure.h"
#include "core/key.h"
#include "grpcpp/support/status.h"
#include "jwtauth/v1/auth.pb.h"

namespace jwtauth::server {

// absl and gRPC share the canonical code numbers (0..16); anything else maps
// to UNKNOWN.
grpc::StatusCode ToGrpcCode(absl::StatusCode code);
absl::StatusCode FromGrpcCode(grpc::StatusCode code);

// Code and message are carried over; payloads/details are not. The other
// direction is client::StatusFromGrpc (client/client.h): the client library
// is where gRPC results become absl ones, and it must not link server/.
grpc::Status ToGrpcStatus(const absl::Status& status);

// "OK", "INVALID_ARGUMENT", ... (the canonical upper-snake names, as gRPC and
// Prometheus labels spell them).
absl::string_view GrpcCodeName(grpc::StatusCode code);

// Core ↔ proto failure reasons (same names, same numbers). Unknown values →
// the UNSPECIFIED value of the other side.
v1::FailureReason ToProtoReason(FailureReason reason);
FailureReason FromProtoReason(v1::FailureReason reason);

// Key lifecycle (core/key.h) ↔ proto. Unknown → KEY_STATE_UNSPECIFIED /
// nullopt.
v1::KeyState ToProtoKeyState(KeyState state);
std::optional<KeyState> FromProtoKeyState(v1::KeyState state);

// Label value for a finished Verify/Check: "OK" for a valid token, else the
// failure reason name ("SIGNATURE_INVALID").
absl::string_view ResultLabel(FailureReason reason);

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_STATUS_MAPPING_H_
