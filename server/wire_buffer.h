#ifndef JWTAUTH_SERVER_WIRE_BUFFER_H_
#define JWTAUTH_SERVER_WIRE_BUFFER_H_

// Protobuf messages to and from gRPC byte buffers, for the raw-buffer
// methods (Verify, Check) that send memoised serialized responses.

#include "absl/strings/string_view.h"
#include "google/protobuf/message_lite.h"
#include "grpcpp/support/byte_buffer.h"

namespace jwtauth::server {

// The buffer's bytes as one slice: `buffer`'s own when it is one slice, as
// small requests are (no copy), else a joined copy. False when the buffer
// cannot be read.
bool SingleSliceOf(const grpc::ByteBuffer& buffer, grpc::Slice* slice);

// Parses `message` from a request buffer (through SingleSliceOf). False
// when the bytes are not a message.
bool ParseFromByteBuffer(const grpc::ByteBuffer& buffer,
                         google::protobuf::MessageLite* message);

// A buffer holding a copy of `bytes`.
grpc::ByteBuffer ByteBufferOf(absl::string_view bytes);

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_WIRE_BUFFER_H_
