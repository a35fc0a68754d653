// Keeps the benchmark baseline honest: the BUILT ceiling_server answers
// grpc.health.v1.Health/Check with SERVING on every threading mode, logs the
// serving line scripts parse, exits 0 on SIGTERM, and refuses bad flags;
// with --reply-file it answers any request with exactly the file's bytes.

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace jwtauth::bench {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

constexpr char kBinary[] =
    JWTAUTH_BINARY_DIR "/tests/bench/ceiling/ceiling_server";
constexpr absl::Duration kTimeout = absl::Seconds(30);

// A child ceiling_server whose stderr is read through a pipe.
class CeilingProcess {
 public:
  explicit CeilingProcess(const std::vector<std::string>& args) {
    int err[2];
    EXPECT_EQ(pipe(err), 0);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(err[1], 2);
      close(err[0]);
      std::vector<char*> argv = {const_cast<char*>(kBinary)};
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(kBinary, argv.data());
      _exit(127);
    }
    close(err[1]);
    fd_ = err[0];
  }
  ~CeilingProcess() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(fd_);
  }

  // The first stderr line, or "" at EOF or after kTimeout.
  std::string FirstLine() {
    std::string line;
    const absl::Time deadline = absl::Now() + kTimeout;
    while (absl::Now() < deadline) {
      pollfd p = {fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char c;
      if (read(fd_, &c, 1) != 1 || c == '\n') return line;
      line.push_back(c);
    }
    return line;
  }

  // Exit code, or -signal; -1000 if it did not exit within kTimeout.
  int Stop(int sig) {
    if (sig != 0) kill(pid_, sig);
    const absl::Time deadline = absl::Now() + kTimeout;
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (absl::Now() >= deadline) return -1000;
      absl::SleepFor(absl::Milliseconds(10));
    }
    exited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  bool exited_ = false;
};

// The port of the serving line (exactly {"event":"serving","grpc_port":N}),
// or 0.
int ServingPort(CeilingProcess& server) {
  nlohmann::json serving =
      nlohmann::json::parse(server.FirstLine(), nullptr, false);
  int port = 0;
  if (!serving.is_object() || serving.size() != 2 ||
      serving.value("event", "") != "serving" ||
      !absl::SimpleAtoi(serving.value("grpc_port", ""), &port)) {
    return 0;
  }
  return port;
}

std::unique_ptr<Health::Stub> HealthStub(int port) {
  return Health::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
}

grpc::Status CallCheck(Health::Stub& stub, const HealthCheckRequest& request,
                       HealthCheckResponse* response) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  return stub.Check(&context, request, response);
}

class CeilingServerTest
    : public ::testing::TestWithParam<std::vector<std::string>> {};

TEST_P(CeilingServerTest, AnswersServingAndExitsCleanlyOnSigterm) {
  CeilingProcess server(GetParam());
  const int port = ServingPort(server);
  ASSERT_GT(port, 0) << "no serving line";
  auto stub = HealthStub(port);
  for (int i = 0; i < 3; ++i) {
    HealthCheckResponse response;
    grpc::Status status = CallCheck(*stub, HealthCheckRequest(), &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
  }
  EXPECT_EQ(server.Stop(SIGTERM), 0);
}

// The sized ceiling sends the file's bytes whatever the request: here a
// NOT_SERVING answer (the plain ceiling says SERVING) to a request with a
// field set (the plain one is empty).
TEST(CeilingServerReplyFileTest, AnswersEveryRequestWithTheFileBytes) {
  const char* tmp = std::getenv("TMPDIR");
  const std::string path = std::string(tmp != nullptr ? tmp : "/tmp") +
                           "/ceiling_reply_" + std::to_string(getpid());
  HealthCheckResponse reply;
  reply.set_status(HealthCheckResponse::NOT_SERVING);
  {
    std::ofstream out(path, std::ios::binary);
    out << reply.SerializeAsString();
  }
  CeilingProcess server({"--reply-file", path, "--threading", "callback"});
  const int port = ServingPort(server);
  std::remove(path.c_str());
  ASSERT_GT(port, 0) << "no serving line";
  auto stub = HealthStub(port);
  HealthCheckRequest request;
  request.set_service(std::string(700, 'x'));  // about a CheckRequest's size
  for (int i = 0; i < 3; ++i) {
    HealthCheckResponse response;
    grpc::Status status = CallCheck(*stub, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);
  }
  EXPECT_EQ(server.Stop(SIGTERM), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Modes, CeilingServerTest,
    ::testing::Values(
        std::vector<std::string>{},
        std::vector<std::string>{"--threading", "callback"},
        std::vector<std::string>{"--threading", "async", "--queues", "2",
                                 "--threads-per-queue", "1"},
        std::vector<std::string>{"--threading=async", "--requests-per-queue=1"},
        std::vector<std::string>{"--threading", "sync"},
        std::vector<std::string>{"--threading", "sync", "--sync-threads", "2",
                                 "--listen", "127.0.0.1:0"}));

TEST(CeilingServerFlagsTest, RefusesNonLoopbackAndBadValues) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"--listen", "0.0.0.0:0"},
        std::vector<std::string>{"--threading", "fast"},
        std::vector<std::string>{"--queues", "0"},
        std::vector<std::string>{"--queues"},
        std::vector<std::string>{"--reply-file", "/nonexistent/reply.bin"},
        std::vector<std::string>{"--reply-file", "/dev/null", "--threading",
                                 "async"},
        std::vector<std::string>{"--unknown", "1"}}) {
    CeilingProcess server(args);
    EXPECT_EQ(server.Stop(0), 2) << args[0];
  }
}

}  // namespace
}  // namespace jwtauth::bench
