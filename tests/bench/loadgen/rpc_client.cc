#include "tests/bench/loadgen/rpc_client.h"

#include <chrono>

#include "tests/bench/envoy_like_request.h"

namespace jwtauth::loadgen {
namespace {

namespace authv3 = ::envoy::service::auth::v3;

constexpr char kHealthMethod[] = "/grpc.health.v1.Health/Check";

}  // namespace

RpcClient::RpcClient(const LoadFlags& flags, const TokenSet* tokens,
                     CompletionSink* sink)
    : method_(flags.method),
      deadline_(std::chrono::milliseconds(flags.deadline_ms)),
      tokens_(tokens),
      sink_(sink) {
  for (int i = 0; i < flags.channels; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("jwtauth.bench_channel", i);  // distinct connections
    std::shared_ptr<grpc::Channel> channel = grpc::CreateCustomChannel(
        flags.target, grpc::InsecureChannelCredentials(), args);
    verify_.push_back(jwtauth::v1::AuthService::NewStub(channel));
    check_.push_back(authv3::Authorization::NewStub(channel));
    health_.push_back(std::make_unique<grpc::GenericStub>(channel));
  }
}

void RpcClient::InitSlot(CallSlot& slot) const {
  if (method_ == Method::kHealth) {
    // An empty HealthCheckRequest serializes to zero bytes, but the buffer
    // must hold a slice: a default ByteBuffer is not a sendable message.
    grpc::Slice empty;
    slot.health_request = grpc::ByteBuffer(&empty, 1);
    return;
  }
  if (method_ != Method::kCheck) return;
  bench::FillEnvoyLikeCheckRequest("load_generator/1.0", slot.check_request);
  slot.authorization = &(*slot.check_request.mutable_attributes()
                              ->mutable_request()
                              ->mutable_http()
                              ->mutable_headers())["authorization"];
}

std::string RpcClient::SerializedRequest(size_t token) const {
  switch (method_) {
    case Method::kVerify: {
      jwtauth::v1::VerifyRequest request;
      request.set_token(tokens_->token(token));
      return request.SerializeAsString();
    }
    case Method::kCheck: {
      CallSlot slot;  // the request exactly as Start() would send it
      InitSlot(slot);
      *slot.authorization = "Bearer " + std::string(tokens_->token(token));
      return slot.check_request.SerializeAsString();
    }
    case Method::kHealth:
      break;
  }
  return "";  // an empty HealthCheckRequest
}

void RpcClient::Start(CallSlot& slot, size_t token) {
  slot.token = token;
  slot.ctx.emplace();
  slot.ctx->set_deadline(std::chrono::system_clock::now() + deadline_);
  const size_t channel = static_cast<size_t>(slot.index) % verify_.size();
  switch (method_) {
    case Method::kVerify:
      StartVerify(slot, channel);
      break;
    case Method::kCheck:
      StartCheck(slot, channel);
      break;
    case Method::kHealth:
      StartHealth(slot, channel);
      break;
  }
}

void RpcClient::StartVerify(CallSlot& slot, size_t channel) {
  slot.verify_request.set_token(tokens_->token(slot.token));
  slot.verify_response.Clear();
  verify_[channel]->async()->Verify(
      &*slot.ctx, &slot.verify_request, &slot.verify_response,
      [this, &slot](const grpc::Status& s) { Finish(slot, s); });
}

void RpcClient::StartCheck(CallSlot& slot, size_t channel) {
  slot.authorization->assign("Bearer ");
  slot.authorization->append(tokens_->token(slot.token));
  slot.check_response.Clear();
  check_[channel]->async()->Check(
      &*slot.ctx, &slot.check_request, &slot.check_response,
      [this, &slot](const grpc::Status& s) { Finish(slot, s); });
}

void RpcClient::StartHealth(CallSlot& slot, size_t channel) {
  slot.health_response.Clear();
  health_[channel]->UnaryCall(
      &*slot.ctx, kHealthMethod, grpc::StubOptions(), &slot.health_request,
      &slot.health_response,
      [this, &slot](const grpc::Status& s) { Finish(slot, s); });
}

void RpcClient::Finish(CallSlot& slot, const grpc::Status& status) {
  bool expected = status.ok();
  if (expected && method_ != Method::kHealth) {
    const bool valid = tokens_->valid(slot.token);
    if (method_ == Method::kVerify) {
      const auto& r = slot.verify_response;
      expected =
          valid ? r.valid()
                : !r.valid() && (tokens_->garbage() ||
                                 r.reason() == jwtauth::v1::SIGNATURE_INVALID);
    } else {
      expected = (slot.check_response.status().code() == 0) == valid;
    }
  }
  sink_->OnComplete(slot, expected);
}

}  // namespace jwtauth::loadgen
