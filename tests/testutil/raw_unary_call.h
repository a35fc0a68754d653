#ifndef JWTAUTH_TESTS_TESTUTIL_RAW_UNARY_CALL_H_
#define JWTAUTH_TESTS_TESTUTIL_RAW_UNARY_CALL_H_

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"

namespace jwtauth::testutil {

// What a unary call answered: its status and, when OK, the response
// message's bytes (a response whose bytes cannot be read is INTERNAL).
struct RawReply {
  grpc::Status status;
  std::string bytes;
};

// One unary call of `method` ("/package.Service/Method") whose request is
// `request` as given, through a GenericStub: for tests that send what a
// generated stub would not build (invalid UTF-8, hand-made messages) or
// call a service without its proto. The call's deadline is `timeout`.
// `context`, when given, is the call's context, to read after the call
// (its auth_context, say).
RawReply RawUnaryCall(std::shared_ptr<grpc::ChannelInterface> channel,
                      const std::string& method, absl::string_view request,
                      absl::Duration timeout = absl::Seconds(10),
                      grpc::ClientContext* context = nullptr);

}  // namespace jwtauth::testutil

#endif  // JWTAUTH_TESTS_TESTUTIL_RAW_UNARY_CALL_H_
