#ifndef JWTAUTH_SERVER_PROTO_JSON_H_
#define JWTAUTH_SERVER_PROTO_JSON_H_

// Conversions between nlohmann::json (core's claim representation) and the
// protobuf well-known types used on the wire (google.protobuf.Struct/Value,
// Timestamp, Duration). Used by AuthService (claims out, claims in) and the
// ext_authz service (dynamic_metadata).
//
// Pure functions, thread-safe. Failure modes: StructToJson never fails (a
// Struct is always representable); JsonToStruct fails (InvalidArgument) only
// for a non-object root. Numbers become doubles in Struct, as the type
// requires (integers above 2^53 lose precision; claims_json keeps them).
// Non-finite doubles in a Struct (NaN/Inf) have no JSON form and become null.
//
// Why not protobuf's util::JsonStringToMessage / MessageToJsonString: claims
// are already a parsed, bounded nlohmann tree (core/json_limits), so a tree
// walk avoids a second print and parse; a Struct's depth is bounded by the
// gRPC parser's recursion limit. Why not util::TimeUtil: it works in int64
// nanoseconds, and a client-supplied Duration (IssueToken ttl) of 10^11
// seconds overflows that; absl::Duration saturates instead.

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "nlohmann/json.hpp"

namespace jwtauth::server {

void JsonToValue(const nlohmann::json& json, google::protobuf::Value* out);
absl::StatusOr<google::protobuf::Struct> JsonToStruct(
    const nlohmann::json& json);

nlohmann::json ValueToJson(const google::protobuf::Value& value);
nlohmann::json StructToJson(const google::protobuf::Struct& s);

google::protobuf::Timestamp ToProtoTimestamp(absl::Time t);
absl::Time FromProtoTimestamp(const google::protobuf::Timestamp& t);
google::protobuf::Duration ToProtoDuration(absl::Duration d);
absl::Duration FromProtoDuration(const google::protobuf::Duration& d);

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_PROTO_JSON_H_
