// server.connection on real servers on 127.0.0.1: with a short max_age the
// server closes a client's connection with GOAWAY while calls keep flowing
// (none fails), and a client behind a connection-level balancer (the way a
// Kubernetes ClusterIP / kube-proxy picks a backend per TCP connection)
// reaches replicas added after it connected, which it never does without
// max_age. Each replica is the production wiring (TestServer: Application +
// GrpcServer), counting its own Verify calls.

#include "server/connection_options.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/jwk.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "jwtauth/v1/auth.grpc.pb.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/test_keys.h"
#include "tests/testutil/test_server.h"

namespace jwtauth::server {
namespace {

using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::TestServer;

// A TCP balancer on 127.0.0.1: each accepted connection goes to the next
// backend, round robin over the list as it is at accept time; bytes are
// copied both ways until either side closes.
class ConnectionBalancer {
 public:
  ConnectionBalancer() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr = Loopback(0);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(listen_fd_, 64);
    socklen_t len = sizeof(addr);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }
  ~ConnectionBalancer() {
    stop_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    accept_thread_.join();
    ::close(listen_fd_);
    for (std::thread& t : pumps_) t.join();
  }

  void AddBackend(int port) {
    absl::MutexLock lock(&mu_);
    backends_.push_back(port);
  }
  int port() const { return port_; }
  int connections() {
    absl::MutexLock lock(&mu_);
    return connections_;
  }

 private:
  static sockaddr_in Loopback(int port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return addr;
  }

  void AcceptLoop() {
    while (!stop_) {
      const int client = ::accept(listen_fd_, nullptr, nullptr);
      if (client < 0) return;  // shut down
      int backend_port = 0;
      {
        absl::MutexLock lock(&mu_);
        backend_port = backends_[next_++ % backends_.size()];
        ++connections_;
      }
      const int backend = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr = Loopback(backend_port);
      if (::connect(backend, reinterpret_cast<sockaddr*>(&addr),
                    sizeof(addr)) != 0) {
        ::close(backend);
        ::close(client);
        continue;
      }
      pumps_.emplace_back([this, client, backend] { Pump(client, backend); });
    }
  }

  void Pump(int a, int b) {
    char buf[16384];
    while (!stop_) {
      pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
      if (::poll(fds, 2, 100) < 0) break;
      bool closed = false;
      for (int i = 0; i < 2 && !closed; ++i) {
        if (fds[i].revents == 0) continue;
        const ssize_t n = ::recv(fds[i].fd, buf, sizeof(buf), 0);
        if (n <= 0) {
          closed = true;
          break;
        }
        const int to = fds[i].fd == a ? b : a;
        for (ssize_t sent = 0; sent < n;) {
          const ssize_t w = ::send(to, buf + sent, n - sent, MSG_NOSIGNAL);
          if (w <= 0) {
            closed = true;
            break;
          }
          sent += w;
        }
      }
      if (closed) break;
    }
    ::close(a);
    ::close(b);
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread accept_thread_;
  std::vector<std::thread> pumps_;  // accept thread only, joined at the end
  absl::Mutex mu_;
  std::vector<int> backends_ ABSL_GUARDED_BY(mu_);
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;
  int connections_ ABSL_GUARDED_BY(mu_) = 0;
};

class ConnectionOptionsTest : public ::testing::TestWithParam<ServerThreading> {
 protected:
  void SetUp() override {
    const int64_t exp = absl::ToUnixSeconds(absl::Now() + absl::Hours(1));
    token_ = testutil::SignJws(
        key_, absl::StrCat(R"({"iss":"https://iss.test","aud":"api",)",
                           R"("sub":"a","exp":)", exp, "}"));
  }

  // A replica closing connections after `max_age` ("0" = never).
  std::unique_ptr<TestServer> StartReplica(absl::string_view max_age) {
    const Key* keys[] = {&key_.key};
    auto s = TestServer::Start(
        absl::StrCat(
            "server:\n  listen: \"127.0.0.1:0\"\n  admin_listen: \"\"\n"
            "  connection: {max_age: \"",
            max_age,
            "\", max_age_grace: 10s}\n"
            "providers:\n  - name: p\n    issuers: [https://iss.test]\n"
            "    audiences: [api]\n    keys: [{jwks_file: "
            "\"{dir}/keys.json\"}]\n"),
        {{"keys.json", ExportPublicJwksText(keys)}},
        {.start_refresher = false, .threading = GetParam()});
    EXPECT_THAT(s, IsOk()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }

  // `callers` threads send Verify over one channel for `duration`; returns
  // the number of calls that did not come back OK and valid.
  int CallFor(grpc::Channel& channel, absl::Duration duration,
              int callers = 4) {
    std::atomic<int> failed{0};
    const absl::Time end = absl::Now() + duration;
    std::vector<std::thread> threads;
    for (int i = 0; i < callers; ++i) {
      threads.emplace_back([&] {
        auto stub =
            v1::AuthService::NewStub(std::shared_ptr<grpc::ChannelInterface>(
                &channel, [](grpc::ChannelInterface*) {}));
        while (absl::Now() < end) {
          grpc::ClientContext ctx;
          ctx.set_deadline(std::chrono::system_clock::now() +
                           std::chrono::seconds(10));
          v1::VerifyRequest request;
          request.set_token(token_);
          v1::VerifyResponse response;
          grpc::Status s = stub->Verify(&ctx, request, &response);
          if (!s.ok() || !response.valid()) {
            failed.fetch_add(1);
            ADD_FAILURE() << s.error_code() << " " << s.error_message() << " "
                          << response.detail();
          }
        }
      });
    }
    for (std::thread& t : threads) t.join();
    return failed.load();
  }

  static std::shared_ptr<grpc::Channel> ChannelTo(int port) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                     grpc::InsecureChannelCredentials(), args);
  }

  static uint64_t Calls(TestServer& replica) {
    return replica.metrics().RpcCount("Verify", "OK");
  }

  const testutil::TestKey& key_ = testutil::CachedTestKey(Algorithm::kEs256);
  std::string token_;
};

TEST_P(ConnectionOptionsTest, MaxAgeRecyclesConnectionsWithoutFailingCalls) {
  auto replica = StartReplica("1s");
  ASSERT_NE(replica, nullptr);
  ConnectionBalancer balancer;
  balancer.AddBackend(replica->port());
  auto channel = ChannelTo(balancer.port());
  EXPECT_EQ(CallFor(*channel, absl::Seconds(4)), 0);
  EXPECT_GT(Calls(*replica), 0u);
  // One connection at first, then a new one after every GOAWAY (1 s ± 10%).
  EXPECT_GE(balancer.connections(), 3);
}

TEST_P(ConnectionOptionsTest, NewConnectionsReachReplicasAddedLater) {
  std::vector<std::unique_ptr<TestServer>> replicas;
  for (int i = 0; i < 3; ++i) replicas.push_back(StartReplica("1s"));
  for (auto& r : replicas) ASSERT_NE(r, nullptr);
  ConnectionBalancer balancer;
  balancer.AddBackend(replicas[0]->port());
  balancer.AddBackend(replicas[1]->port());
  auto channel = ChannelTo(balancer.port());
  EXPECT_EQ(CallFor(*channel, absl::Seconds(3)), 0);
  const uint64_t before[] = {Calls(*replicas[0]), Calls(*replicas[1])};
  EXPECT_GT(before[0], 0u);
  EXPECT_GT(before[1], 0u);

  balancer.AddBackend(replicas[2]->port());  // scaled out
  EXPECT_EQ(CallFor(*channel, absl::Seconds(4)), 0);
  const uint64_t after[] = {Calls(*replicas[0]) - before[0],
                            Calls(*replicas[1]) - before[1],
                            Calls(*replicas[2])};
  EXPECT_GT(after[2], 0u);
  std::cout << "calls per replica, 2 replicas: " << before[0] << " / "
            << before[1] << "; after adding a third: " << after[0] << " / "
            << after[1] << " / " << after[2] << "; connections "
            << balancer.connections() << "\n";
}

TEST_P(ConnectionOptionsTest, WithoutMaxAgeAClientStaysOnItsFirstReplica) {
  std::vector<std::unique_ptr<TestServer>> replicas;
  for (int i = 0; i < 2; ++i) replicas.push_back(StartReplica("0"));
  for (auto& r : replicas) ASSERT_NE(r, nullptr);
  ConnectionBalancer balancer;
  balancer.AddBackend(replicas[0]->port());
  auto channel = ChannelTo(balancer.port());
  EXPECT_EQ(CallFor(*channel, absl::Milliseconds(500)), 0);
  balancer.AddBackend(replicas[1]->port());
  EXPECT_EQ(CallFor(*channel, absl::Seconds(3)), 0);
  EXPECT_GT(Calls(*replicas[0]), 0u);
  EXPECT_EQ(Calls(*replicas[1]), 0u);
  EXPECT_EQ(balancer.connections(), 1);
}

INSTANTIATE_TEST_SUITE_P(Threading, ConnectionOptionsTest,
                         ::testing::Values(ServerThreading::kAsync,
                                           ServerThreading::kCallback),
                         [](const auto& info) {
                           return info.param == ServerThreading::kAsync
                                      ? std::string("Async")
                                      : std::string("Callback");
                         });

}  // namespace
}  // namespace jwtauth::server
