#ifndef JWTAUTH_TESTS_CLIENT_SCRIPTED_AUTH_SERVER_H_
#define JWTAUTH_TESTS_CLIENT_SCRIPTED_AUTH_SERVER_H_

// ScriptedAuthServer: a real gRPC server on 127.0.0.1:0 (plaintext, TLS or
// mTLS credentials) serving a scripted AuthService for the client library's
// tests: each method fails its first `fail_first` calls with `fail_code`,
// then answers; it counts attempts per method and records the last
// user-agent and whether the peer presented a certificate. Verify answers
// valid for token "good" (claims {"sub":"alice"}) and SIGNATURE_INVALID
// otherwise; IssueToken answers token "issued:<subject>"; ListKeys one key
// with kid "k1". Thread-safe counters; not copyable.

#include <atomic>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "jwtauth/v1/auth.grpc.pb.h"

namespace jwtauth::testutil {

class ScriptedAuthService final : public v1::AuthService::CallbackService {
 public:
  std::atomic<int> fail_first{0};
  std::atomic<grpc::StatusCode> fail_code{grpc::StatusCode::UNAVAILABLE};
  std::atomic<int> verify_calls{0};
  std::atomic<int> issue_calls{0};
  std::atomic<int> list_calls{0};

  std::string user_agent() const {
    absl::MutexLock lock(&mu_);
    return user_agent_;
  }
  bool peer_had_certificate() const {
    absl::MutexLock lock(&mu_);
    return peer_had_certificate_;
  }

  grpc::ServerUnaryReactor* Verify(grpc::CallbackServerContext* context,
                                   const v1::VerifyRequest* request,
                                   v1::VerifyResponse* response) override {
    if (auto* failed = MaybeFail(context, verify_calls)) return failed;
    if (request->token() == "good") {
      response->set_valid(true);
      response->set_provider("p");
      response->set_claims_json(R"({"sub":"alice"})");
    } else {
      response->set_reason(v1::SIGNATURE_INVALID);
      response->set_detail("signature does not verify");
    }
    return Finish(context, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* IssueToken(
      grpc::CallbackServerContext* context,
      const v1::IssueTokenRequest* request,
      v1::IssueTokenResponse* response) override {
    if (auto* failed = MaybeFail(context, issue_calls)) return failed;
    response->set_token("issued:" + request->subject());
    return Finish(context, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ListKeys(grpc::CallbackServerContext* context,
                                     const v1::ListKeysRequest*,
                                     v1::ListKeysResponse* response) override {
    if (auto* failed = MaybeFail(context, list_calls)) return failed;
    response->add_keys()->set_kid("k1");
    return Finish(context, grpc::Status::OK);
  }

 private:
  grpc::ServerUnaryReactor* MaybeFail(grpc::CallbackServerContext* context,
                                      std::atomic<int>& calls) {
    Record(context);
    if (++calls <= fail_first.load()) {
      return Finish(context, grpc::Status(fail_code.load(), "scripted"));
    }
    return nullptr;
  }

  void Record(grpc::CallbackServerContext* context) {
    absl::MutexLock lock(&mu_);
    auto it = context->client_metadata().find("user-agent");
    if (it != context->client_metadata().end()) {
      user_agent_.assign(it->second.data(), it->second.size());
    }
    auto auth = context->auth_context();
    peer_had_certificate_ =
        auth != nullptr && !auth->FindPropertyValues("x509_pem_cert").empty();
  }

  static grpc::ServerUnaryReactor* Finish(grpc::CallbackServerContext* context,
                                          grpc::Status status) {
    auto* reactor = context->DefaultReactor();
    reactor->Finish(std::move(status));
    return reactor;
  }

  mutable absl::Mutex mu_;
  std::string user_agent_ ABSL_GUARDED_BY(mu_);
  bool peer_had_certificate_ ABSL_GUARDED_BY(mu_) = false;
};

class ScriptedAuthServer final {
 public:
  explicit ScriptedAuthServer(
      std::shared_ptr<grpc::ServerCredentials> credentials =
          grpc::InsecureServerCredentials()) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", std::move(credentials), &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    EXPECT_NE(server_, nullptr);
    EXPECT_GT(port_, 0);
  }
  ~ScriptedAuthServer() {
    if (server_ != nullptr) server_->Shutdown();
  }
  ScriptedAuthServer(const ScriptedAuthServer&) = delete;
  ScriptedAuthServer& operator=(const ScriptedAuthServer&) = delete;

  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }
  ScriptedAuthService& service() { return service_; }

 private:
  ScriptedAuthService service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace jwtauth::testutil

#endif  // JWTAUTH_TESTS_CLIENT_SCRIPTED_AUTH_SERVER_H_
