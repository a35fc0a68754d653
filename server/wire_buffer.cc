#include "server/wire_buffer.h"

#include "grpcpp/support/slice.h"

namespace jwtauth::server {

bool ParseFromByteBuffer(const grpc::ByteBuffer& buffer,
                         google::protobuf::MessageLite* message) {
  grpc::Slice slice;
  if (!buffer.TrySingleSlice(&slice).ok() &&
      !buffer.DumpToSingleSlice(&slice).ok()) {
    return false;
  }
  return message->ParseFromArray(slice.begin(), static_cast<int>(slice.size()));
}

grpc::ByteBuffer ByteBufferOf(absl::string_view bytes) {
  grpc::Slice slice(bytes.data(), bytes.size());
  return grpc::ByteBuffer(&slice, 1);
}

}  // namespace jwtauth::server
