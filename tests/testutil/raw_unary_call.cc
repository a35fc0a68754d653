#include "tests/testutil/raw_unary_call.h"

#include <utility>
#include <vector>

#include "absl/synchronization/notification.h"
#include "grpcpp/generic/generic_stub.h"

namespace jwtauth::testutil {

RawReply RawUnaryCall(std::shared_ptr<grpc::ChannelInterface> channel,
                      const std::string& method, absl::string_view request,
                      absl::Duration timeout, grpc::ClientContext* context) {
  grpc::GenericStub stub(std::move(channel));
  grpc::ClientContext own_context;
  grpc::ClientContext& ctx = context != nullptr ? *context : own_context;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   absl::ToChronoMilliseconds(timeout));
  grpc::Slice slice(request.data(), request.size());
  const grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::ByteBuffer response_buffer;
  absl::Notification done;
  RawReply reply;
  stub.UnaryCall(&ctx, method, grpc::StubOptions(), &request_buffer,
                 &response_buffer, [&](grpc::Status s) {
                   reply.status = std::move(s);
                   done.Notify();
                 });
  done.WaitForNotification();
  if (!reply.status.ok()) return reply;
  std::vector<grpc::Slice> slices;
  if (!response_buffer.Dump(&slices).ok()) {
    reply.status =
        grpc::Status(grpc::StatusCode::INTERNAL,
                     "RawUnaryCall: the response bytes are unreadable");
    return reply;
  }
  for (const grpc::Slice& s : slices) {
    reply.bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return reply;
}

}  // namespace jwtauth::testutil
