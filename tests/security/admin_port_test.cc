// Attack suite: admin HTTP port robustness. Slow clients
// that dribble a request head byte by byte ("slowloris") must neither starve
// /healthz nor hold a connection for longer than the bounded request-head
// time. The admin server is the one main() runs, started by the
// SecurityServer harness from a YAML `server: {admin_listen: ...}`.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/security/security_server.h"

namespace jwtauth::testing {
namespace {

constexpr char kConfig[] = R"(
server: {listen: "127.0.0.1:0", admin_listen: "127.0.0.1:0"}
providers:
  - {name: p, issuers: [https://iss.test], audiences: [api],
     keys: [{kid: k1, alg: HS256, secret_file: "{dir}/hs.txt"}]}
)";

// One slowloris client on 127.0.0.1: sends a request line, then one header
// byte every `interval`, never finishing the head. Stops when the server
// closes the connection, when stop() is called, or after `limit`.
class SlowClient {
 public:
  SlowClient(int port, absl::Duration interval, absl::Duration limit)
      : thread_([this, port, interval, limit] { Run(port, interval, limit); }) {
  }
  ~SlowClient() {
    stop_ = true;
    join();
  }
  void stop() { stop_ = true; }
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  bool connected() const { return connected_.load(); }
  // How long after connecting the server closed the connection; nullopt if
  // it was still open when the client gave up.
  std::optional<absl::Duration> closed_after() {
    join();
    return closed_after_;
  }

 private:
  void Run(int port, absl::Duration interval, absl::Duration limit) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(fd);
      return;
    }
    connected_ = true;
    const absl::Time start = absl::Now();
    const std::string head = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    size_t sent = 0;
    while (!stop_ && absl::Now() - start < limit) {
      const char byte = sent < head.size() ? head[sent] : 'a';
      if (::send(fd, &byte, 1, MSG_NOSIGNAL) != 1) break;  // closed
      ++sent;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(interval))) >
          0) {
        char buf[512];
        if (::recv(fd, buf, sizeof(buf), 0) <= 0) break;  // closed
        // An error response: the server is closing; read until EOF.
        continue;
      }
    }
    if (!stop_ && absl::Now() - start < limit) {
      closed_after_ = absl::Now() - start;
    }
    ::close(fd);
  }

  std::atomic<bool> stop_{false};
  std::atomic<bool> connected_{false};
  std::optional<absl::Duration> closed_after_;
  std::thread thread_;
};

class AdminPortAttack : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SecurityServer::Start(
        kConfig, {{"hs.txt", "0123456789abcdef0123456789abcdef"}},
        {.start_refresher = false});
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
    ASSERT_GT(server_->admin_port(), 0);
  }

  // GET /healthz with a fresh client; how long the answer took, or nullopt
  // when there was no 200 within `timeout`.
  std::optional<absl::Duration> Healthz(absl::Duration timeout) {
    httplib::Client c("127.0.0.1", server_->admin_port());
    const auto secs = absl::ToInt64Seconds(timeout);
    c.set_connection_timeout(secs, 0);
    c.set_read_timeout(secs, 0);
    c.set_write_timeout(secs, 0);
    const absl::Time start = absl::Now();
    auto res = c.Get("/healthz");
    if (!res || res->status != 200) return std::nullopt;
    return absl::Now() - start;
  }

  std::unique_ptr<SecurityServer> server_;
};

// Slowloris (CWE-400): 16 clients dribbling request heads
// must not starve /healthz on the admin port.
TEST_F(AdminPortAttack, SixteenSlowClientsDoNotStarveHealthz) {
  std::vector<std::unique_ptr<SlowClient>> slow;
  for (int i = 0; i < 16; ++i) {
    slow.push_back(std::make_unique<SlowClient>(
        server_->admin_port(), absl::Milliseconds(100), absl::Seconds(12)));
  }
  // Let every slow client connect and start dribbling (bounded wait).
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  for (auto& c : slow) {
    while (!c->connected() && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(10));
    }
  }
  absl::SleepFor(absl::Milliseconds(300));
  for (int round = 0; round < 3; ++round) {
    std::optional<absl::Duration> took = Healthz(absl::Seconds(3));
    ASSERT_TRUE(took.has_value()) << "round " << round;
    EXPECT_LT(*took, absl::Seconds(1)) << "round " << round;
  }
  for (auto& c : slow) c->stop();
}

// Slowloris: a client that never finishes its request head is
// disconnected after the bounded request-head time, however steadily it
// dribbles bytes (a per-read timeout alone never fires).
TEST_F(AdminPortAttack, SlowClientsAreDisconnectedAfterBoundedHeadTime) {
  std::vector<std::unique_ptr<SlowClient>> slow;
  for (int i = 0; i < 16; ++i) {
    slow.push_back(std::make_unique<SlowClient>(
        server_->admin_port(), absl::Milliseconds(100), absl::Seconds(15)));
  }
  for (auto& c : slow) {
    std::optional<absl::Duration> closed = c->closed_after();
    ASSERT_TRUE(closed.has_value()) << "still open after 15 s";
    EXPECT_LT(*closed, absl::Seconds(8));
  }
  EXPECT_TRUE(Healthz(absl::Seconds(3)).has_value());
}

}  // namespace
}  // namespace jwtauth::testing
