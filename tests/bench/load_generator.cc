// load_generator: drives Verify against a running jwtauth-server with a fixed
// number of in-flight requests (gRPC C++ callback client), bounded by count
// and time, 127.0.0.1 only. Prints req/s and latency percentiles.
//
//   load_generator --target 127.0.0.1:50051 --secret-file hs.txt --kid hs1
//       [--issuer https://bench] [--audience api] [--inflight 64]
//       [--channels 4] [--requests 200000] [--seconds 10] [--warmup 2000]
//
// The token is an HS256 JWT signed here with the given secret, so the
// server does the full verification path (signature, policy, cache on).
// Every non-OK RPC or valid=false answer is counted as an error.
//
// Output (one line, also machine-readable):
//   mode=<label> requests=N errors=E seconds=S rps=R p50_us=.. p90_us=..
//   p99_us=.. max_us=..

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "core/algorithm.h"
#include "core/base64url.h"
#include "core/crypto/key_material.h"
#include "core/crypto/signature_verifier.h"
#include "grpcpp/grpcpp.h"
#include "jwtauth/v1/auth.grpc.pb.h"
#include "nlohmann/json.hpp"

namespace {

struct Flags {
  std::string target = "127.0.0.1:50051";
  std::string secret_file;
  std::string kid = "hs1";
  std::string issuer = "https://bench";
  std::string audience = "api";
  std::string label = "server";
  int inflight = 64;
  int channels = 4;
  int64_t requests = 200000;
  double seconds = 10;
  int64_t warmup = 2000;
};

std::string MakeToken(const Flags& f) {
  std::ifstream in(f.secret_file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string secret = ss.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r'))
    secret.pop_back();
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  nlohmann::json header = {{"alg", "HS256"}, {"typ", "JWT"}, {"kid", f.kid}};
  nlohmann::json payload = {{"iss", f.issuer},
                            {"aud", f.audience},
                            {"sub", "bench"},
                            {"iat", now},
                            {"exp", now + 3600}};
  std::string input = absl::StrCat(jwtauth::Base64UrlEncode(header.dump()), ".",
                                   jwtauth::Base64UrlEncode(payload.dump()));
  auto km = jwtauth::crypto::KeyMaterial::FromSecret(secret);
  if (!km.ok()) {
    std::fprintf(stderr, "bad secret: %s\n",
                 std::string(km.status().message()).c_str());
    std::exit(2);
  }
  auto signer = jwtauth::crypto::NewSigner(jwtauth::Algorithm::kHs256, *km);
  auto sig = (*signer)->Sign(input);
  return absl::StrCat(input, ".", jwtauth::Base64UrlEncode(*sig));
}

class Driver {
 public:
  Driver(const Flags& f, std::string token) : f_(f), token_(std::move(token)) {
    for (int i = 0; i < f.channels; ++i) {
      grpc::ChannelArguments args;
      args.SetInt("jwtauth.bench_channel", i);  // distinct connections
      stubs_.push_back(
          jwtauth::v1::AuthService::NewStub(grpc::CreateCustomChannel(
              f.target, grpc::InsecureChannelCredentials(), args)));
    }
  }

  // Runs `total` calls (or until `deadline`) with f_.inflight outstanding.
  void Run(int64_t total, absl::Time deadline, bool record) {
    total_ = total;
    deadline_ = deadline;
    record_ = record;
    started_ = 0;
    finished_ = 0;
    errors_ = 0;
    outstanding_ = 1;  // guard: released after the initial calls start
    done_ = std::make_unique<absl::Notification>();
    {
      absl::MutexLock lock(&mu_);
      latencies_us_.clear();
      latencies_us_.reserve(
          static_cast<size_t>(std::min<int64_t>(total, 10000000)));
    }
    start_ = absl::Now();
    for (int i = 0; i < f_.inflight; ++i) StartOne(i);
    if (outstanding_.fetch_sub(1) == 1) done_->Notify();
    done_->WaitForNotification();
    end_ = absl::Now();
  }

  void Report() {
    absl::MutexLock lock(&mu_);
    std::sort(latencies_us_.begin(), latencies_us_.end());
    auto pct = [&](double p) -> double {
      if (latencies_us_.empty()) return 0;
      size_t i = static_cast<size_t>(p * (latencies_us_.size() - 1));
      return latencies_us_[i];
    };
    const double secs = absl::ToDoubleSeconds(end_ - start_);
    const int64_t n = finished_.load();
    std::printf(
        "mode=%s requests=%lld errors=%lld seconds=%.2f rps=%.0f p50_us=%.0f "
        "p90_us=%.0f p99_us=%.0f max_us=%.0f inflight=%d channels=%d\n",
        f_.label.c_str(), static_cast<long long>(n),
        static_cast<long long>(errors_.load()), secs, n / secs, pct(0.50),
        pct(0.90), pct(0.99), latencies_us_.empty() ? 0 : latencies_us_.back(),
        f_.inflight, f_.channels);
    std::fflush(stdout);
  }
  int64_t errors() const { return errors_.load(); }

 private:
  struct Call {
    grpc::ClientContext ctx;
    jwtauth::v1::VerifyRequest req;
    jwtauth::v1::VerifyResponse resp;
    absl::Time start;
  };

  void StartOne(int slot) {
    if (started_.fetch_add(1) >= total_ || absl::Now() >= deadline_) return;
    outstanding_.fetch_add(1);
    auto* call = new Call;
    call->req.set_token(token_);
    call->ctx.set_deadline(std::chrono::system_clock::now() +
                           std::chrono::seconds(10));
    call->start = absl::Now();
    auto& stub = stubs_[slot % stubs_.size()];
    stub->async()->Verify(&call->ctx, &call->req, &call->resp,
                          [this, call, slot](grpc::Status s) {
                            const double us = absl::ToDoubleMicroseconds(
                                absl::Now() - call->start);
                            if (!s.ok() || !call->resp.valid())
                              errors_.fetch_add(1);
                            if (record_) {
                              absl::MutexLock lock(&mu_);
                              latencies_us_.push_back(us);
                            }
                            delete call;
                            finished_.fetch_add(1);
                            StartOne(slot);
                            if (outstanding_.fetch_sub(1) == 1) done_->Notify();
                          });
  }

  const Flags f_;
  const std::string token_;
  std::vector<std::unique_ptr<jwtauth::v1::AuthService::Stub>> stubs_;
  int64_t total_ = 0;
  absl::Time deadline_;
  bool record_ = false;
  std::atomic<int64_t> started_{0}, finished_{0}, errors_{0}, outstanding_{0};
  std::unique_ptr<absl::Notification> done_;
  absl::Mutex mu_;
  std::vector<double> latencies_us_;
  absl::Time start_, end_;
};

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  for (int i = 1; i + 1 < argc; i += 2) {
    absl::string_view k = argv[i];
    std::string v = argv[i + 1];
    if (k == "--target")
      f.target = v;
    else if (k == "--secret-file")
      f.secret_file = v;
    else if (k == "--kid")
      f.kid = v;
    else if (k == "--issuer")
      f.issuer = v;
    else if (k == "--audience")
      f.audience = v;
    else if (k == "--label")
      f.label = v;
    else if (k == "--inflight")
      (void)absl::SimpleAtoi(v, &f.inflight);
    else if (k == "--channels")
      (void)absl::SimpleAtoi(v, &f.channels);
    else if (k == "--requests")
      (void)absl::SimpleAtoi(v, &f.requests);
    else if (k == "--seconds")
      (void)absl::SimpleAtod(v, &f.seconds);
    else if (k == "--warmup")
      (void)absl::SimpleAtoi(v, &f.warmup);
    else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  if (!absl::StartsWith(f.target, "127.0.0.1:") &&
      !absl::StartsWith(f.target, "localhost:")) {
    std::fprintf(stderr, "load_generator: loopback targets only\n");
    return 2;
  }
  if (f.secret_file.empty() || f.inflight < 1 || f.channels < 1) {
    std::fprintf(
        stderr,
        "load_generator: --secret-file required; inflight, channels >= 1\n");
    return 2;
  }
  Driver d(f, MakeToken(f));
  d.Run(f.warmup, absl::Now() + absl::Seconds(30), false);
  if (d.errors() > 0) {
    std::fprintf(
        stderr, "load_generator: %lld errors during warmup (token rejected?)\n",
        static_cast<long long>(d.errors()));
    return 1;
  }
  d.Run(f.requests, absl::Now() + absl::Seconds(f.seconds), true);
  d.Report();
  return d.errors() == 0 ? 0 : 1;
}
