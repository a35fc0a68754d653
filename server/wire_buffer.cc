#include "server/wire_buffer.h"

#include "grpcpp/support/slice.h"

namespace jwtauth::server {

bool SingleSliceOf(const grpc::ByteBuffer& buffer, grpc::Slice* slice) {
  return buffer.TrySingleSlice(slice).ok() ||
         buffer.DumpToSingleSlice(slice).ok();
}

bool ParseFromByteBuffer(const grpc::ByteBuffer& buffer,
                         google::protobuf::MessageLite* message) {
  grpc::Slice slice;
  if (!SingleSliceOf(buffer, &slice)) return false;
  return message->ParseFromArray(slice.begin(), static_cast<int>(slice.size()));
}

grpc::ByteBuffer ByteBufferOf(absl::string_view bytes) {
  grpc::Slice slice(bytes.data(), bytes.size());
  return grpc::ByteBuffer(&slice, 1);
}

}  // namespace jwtauth::server
