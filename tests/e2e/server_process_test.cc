// End-to-end tests of the BUILT jwtauth-server binary: each test writes a
// config file, starts the process on 127.0.0.1 port 0 (the port is read from
// its "serving" log line), talks to it with the generated C++ stubs and
// signals it like an orchestrator would.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/algorithm.h"
#include "core/base64url.h"
#include "core/crypto/key_material.h"
#include "core/crypto/signature_verifier.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "jwtauth/v1/auth.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "tests/testutil/raw_unary_call.h"
#include "tests/testutil/temp_dir.h"
#include "tests/testutil/wait.h"

namespace jwtauth::e2e {
namespace {

namespace fs = std::filesystem;
using ::jwtauth::testutil::kWaitTimeout;
using ::jwtauth::testutil::WaitUntil;
using ::testing::HasSubstr;

constexpr char kBinary[] = JWTAUTH_BINARY_DIR "/server/jwtauth-server";
constexpr char kSecretA[] = "secret-A-0123456789abcdef0123456789";
constexpr char kSecretB[] = "secret-B-fedcba9876543210fedcba9876";

std::string SignHs256(absl::string_view secret, absl::string_view kid,
                      absl::string_view sub) {
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  nlohmann::json header = {{"alg", "HS256"}, {"typ", "JWT"}, {"kid", kid}};
  nlohmann::json payload = {{"iss", "https://issuer.e2e"},
                            {"aud", "api"},
                            {"sub", sub},
                            {"iat", now},
                            {"exp", now + 600}};
  std::string input = absl::StrCat(Base64UrlEncode(header.dump()), ".",
                                   Base64UrlEncode(payload.dump()));
  auto km = crypto::KeyMaterial::FromSecret(secret);
  auto signer = crypto::NewSigner(Algorithm::kHs256, *km);
  auto sig = (*signer)->Sign(input);
  return absl::StrCat(input, ".", Base64UrlEncode(*sig));
}

// A child jwtauth-server process with its stderr captured line by line.
class ServerProcess {
 public:
  ServerProcess(const std::vector<std::string>& args) {
    int err[2], out[2];
    EXPECT_EQ(pipe(err), 0);
    EXPECT_EQ(pipe(out), 0);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(err[1], 2);
      dup2(out[1], 1);
      close(err[0]);
      close(out[0]);
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(kBinary));
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      unsetenv("JWTAUTH_CONFIG");
      execv(kBinary, argv.data());
      _exit(127);
    }
    close(err[1]);
    close(out[1]);
    reader_ = std::thread([this, fd = err[0]] { Read(fd, &stderr_); });
    out_reader_ = std::thread([this, fd = out[0]] { Read(fd, &stdout_); });
  }
  ~ServerProcess() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      Wait();
    }
    if (reader_.joinable()) reader_.join();
    if (out_reader_.joinable()) out_reader_.join();
  }

  void Signal(int sig) { kill(pid_, sig); }
  // Exit code, or -signal. A process still running after `timeout` is a
  // test failure; it is then killed (SIGKILL) and reaped.
  int Wait(absl::Duration timeout = absl::Seconds(60)) {
    int status = 0;
    const absl::Time deadline = absl::Now() + timeout;
    pid_t r;
    while ((r = waitpid(pid_, &status, WNOHANG)) == 0) {
      if (absl::Now() >= deadline) {
        ADD_FAILURE() << "jwtauth-server did not exit within " << timeout;
        kill(pid_, SIGKILL);
        r = waitpid(pid_, &status, 0);
        break;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    if (r < 0) ADD_FAILURE() << "waitpid failed: " << std::strerror(errno);
    exited_ = true;
    if (reader_.joinable()) reader_.join();
    if (out_reader_.joinable()) out_reader_.join();
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }
  // Waits for a JSON log line with event == `event` and all `fields`.
  std::optional<nlohmann::json> WaitForEvent(
      absl::string_view event, std::map<std::string, std::string> fields = {},
      absl::Duration timeout = absl::Seconds(20)) {
    absl::MutexLock lock(&mu_);
    std::optional<nlohmann::json> found;
    size_t scanned = 0;
    auto match = [&]() {
      std::vector<std::string> lines = absl::StrSplit(stderr_, '\n');
      for (; scanned + 1 < lines.size(); ++scanned) {
        auto j = nlohmann::json::parse(lines[scanned], nullptr, false);
        if (j.is_discarded() || !j.is_object() || j.value("event", "") != event)
          continue;
        bool ok = true;
        for (const auto& [k, v] : fields) ok &= j.value(k, "") == v;
        if (ok) {
          found = j;
          return true;
        }
      }
      return eof_;
    };
    mu_.AwaitWithTimeout(absl::Condition(&match), timeout);
    return found;
  }
  std::string Stderr() {
    absl::MutexLock lock(&mu_);
    return stderr_;
  }
  std::string Stdout() {
    absl::MutexLock lock(&mu_);
    return stdout_;
  }

 private:
  void Read(int fd, std::string* into) {
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
      absl::MutexLock lock(&mu_);
      into->append(buf, static_cast<size_t>(n));
    }
    close(fd);
    absl::MutexLock lock(&mu_);
    if (into == &stderr_) eof_ = true;
  }

  pid_t pid_ = -1;
  bool exited_ = false;
  absl::Mutex mu_;
  std::string stderr_ ABSL_GUARDED_BY(mu_);
  std::string stdout_ ABSL_GUARDED_BY(mu_);
  bool eof_ ABSL_GUARDED_BY(mu_) = false;
  std::thread reader_, out_reader_;
};

class ServerProcessTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = tmp_.path(); }
  void Write(const std::string& name, const std::string& content) {
    tmp_.Write(name, content);
  }
  std::string ConfigPath() { return (dir_ / "config.yaml").string(); }
  void WriteConfig() {
    Write("config.yaml", R"(server:
  listen: "127.0.0.1:0"
  admin_listen: "127.0.0.1:0"
  shutdown_grace: 10s
  drain_delay: 1s
  watch_interval: "0"
providers:
  - name: default
    issuers: [https://issuer.e2e]
    audiences: [api]
    keys:
      - {kid: hs1, alg: HS256, secret_file: hs.txt}
log: {level: info}
)");
  }
  std::unique_ptr<v1::AuthService::Stub> Connect(ServerProcess& p) {
    auto serving = p.WaitForEvent("serving");
    EXPECT_TRUE(serving.has_value()) << p.Stderr();
    if (!serving) return nullptr;
    const std::string port = (*serving)["grpc_port"];
    return v1::AuthService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + port, grpc::InsecureChannelCredentials()));
  }
  grpc::Status Verify(v1::AuthService::Stub& stub, const std::string& token,
                      v1::VerifyResponse* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(5));
    v1::VerifyRequest req;
    req.set_token("Bearer " + token);
    return stub.Verify(&ctx, req, resp);
  }

  testutil::TempDir tmp_{"e2e"};
  fs::path dir_;
};

TEST_F(ServerProcessTest, InvalidConfigExitsNonZeroNamingFileLineAndField) {
  Write("config.yaml", R"(providers:
  - name: default
    issuer: [https://x]
)");
  ServerProcess p({"--config", ConfigPath()});
  EXPECT_NE(p.Wait(), 0);
  EXPECT_THAT(p.Stderr(), HasSubstr(ConfigPath() +
                                    ":3:5: providers[0].issuer: unknown key"));
}

TEST_F(ServerProcessTest, CheckConfigValidatesSecretsWithoutListening) {
  WriteConfig();
  {
    ServerProcess p({"--check-config", "--config", ConfigPath()});
    EXPECT_NE(p.Wait(), 0);  // hs.txt missing
    EXPECT_THAT(p.Stderr(),
                HasSubstr("providers[0].keys[0].secret_file: cannot read"));
  }
  Write("hs.txt", kSecretA);
  ServerProcess p({"--check-config", "--config", ConfigPath()});
  EXPECT_EQ(p.Wait(), 0);
  EXPECT_THAT(p.Stdout(), HasSubstr("config OK"));
}

TEST_F(ServerProcessTest, VerifiesAndReloadsChangedKeyFileOnSighup) {
  Write("hs.txt", kSecretA);
  WriteConfig();
  ServerProcess p({"--config", ConfigPath()});
  auto stub = Connect(p);
  ASSERT_NE(stub, nullptr);

  v1::VerifyResponse resp;
  ASSERT_TRUE(Verify(*stub, SignHs256(kSecretA, "hs1", "alice"), &resp).ok());
  EXPECT_TRUE(resp.valid()) << resp.detail();
  EXPECT_EQ(resp.provider(), "default");

  resp.Clear();
  ASSERT_TRUE(Verify(*stub, SignHs256(kSecretB, "hs1", "bob"), &resp).ok());
  EXPECT_FALSE(resp.valid());
  EXPECT_EQ(resp.reason(), v1::SIGNATURE_INVALID);

  // Rotate the secret file, SIGHUP, wait for generation 2.
  Write("hs.txt", kSecretB);
  p.Signal(SIGHUP);
  ASSERT_TRUE(p.WaitForEvent("config_loaded", {{"generation", "2"}}))
      << p.Stderr();
  resp.Clear();
  ASSERT_TRUE(Verify(*stub, SignHs256(kSecretB, "hs1", "bob"), &resp).ok());
  EXPECT_TRUE(resp.valid()) << resp.detail();
  resp.Clear();
  ASSERT_TRUE(Verify(*stub, SignHs256(kSecretA, "hs1", "alice"), &resp).ok());
  EXPECT_FALSE(resp.valid());

  // An invalid config on SIGHUP is rejected; the old one keeps serving.
  Write("config.yaml", "providers: [\n");
  p.Signal(SIGHUP);
  ASSERT_TRUE(p.WaitForEvent("config_rejected")) << p.Stderr();
  resp.Clear();
  ASSERT_TRUE(Verify(*stub, SignHs256(kSecretB, "hs1", "bob"), &resp).ok());
  EXPECT_TRUE(resp.valid());

  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(), 0);
}

TEST_F(ServerProcessTest, SigtermDuringConcurrentCallsDrainsAndExitsZero) {
  Write("hs.txt", kSecretA);
  WriteConfig();
  ServerProcess p({"--config", ConfigPath()});
  auto serving = p.WaitForEvent("serving");
  ASSERT_TRUE(serving.has_value()) << p.Stderr();
  const std::string target =
      "127.0.0.1:" + (*serving)["grpc_port"].get<std::string>();
  const std::string token = SignHs256(kSecretA, "hs1", "alice");

  constexpr int kThreads = 4;
  std::atomic<int> ok{0}, invalid{0}, failed{0};
  std::atomic<bool> signalled{false};
  std::atomic<bool> stop{false};  // the "load balancer" saw the pod go away
  std::vector<std::string> failures[kThreads];
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto stub = v1::AuthService::NewStub(
          grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
      while (!stop) {
        v1::VerifyResponse resp;
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(5));
        v1::VerifyRequest req;
        req.set_token(token);
        grpc::Status s = stub->Verify(&ctx, req, &resp);
        if (s.ok()) {
          (resp.valid() ? ok : invalid)++;
          continue;
        }
        failed++;
        failures[t].push_back(
            absl::StrCat(s.error_code(), " ", s.error_message()));
        return;
      }
    });
  }
  auto stop_clients = [&] {
    stop = true;
    for (auto& th : threads) th.join();
  };
  // Let the stream run, then terminate while calls are in flight.
  if (!WaitUntil([&] { return ok.load() >= 2000; })) {
    stop_clients();
    FAIL() << "only " << ok.load() << " of 2000 calls succeeded within "
           << kWaitTimeout << " (failed: " << failed.load() << ")\n"
           << p.Stderr();
  }
  signalled = true;
  p.Signal(SIGTERM);
  // Calls keep flowing while the server drains (health NOT_SERVING); the
  // clients stop starting new ones once the server announced the drain, as
  // a load balancer would, and every call made must have succeeded.
  if (!p.WaitForEvent("draining")) {
    stop_clients();
    FAIL() << "no \"draining\" event\n" << p.Stderr();
  }
  const int at_drain = ok.load();
  const bool drained_calls_ok =
      WaitUntil([&] { return ok.load() >= at_drain + 500; });
  stop_clients();
  EXPECT_TRUE(drained_calls_ok)
      << "only " << ok.load() - at_drain << " of 500 calls succeeded during "
      << "the drain within " << kWaitTimeout;
  EXPECT_EQ(p.Wait(), 0) << p.Stderr();
  EXPECT_EQ(failed.load(), 0) << (failures[0].empty() ? "" : failures[0][0]);
  EXPECT_EQ(invalid.load(), 0);
  EXPECT_GE(ok.load(), 2000);
  EXPECT_THAT(p.Stderr(), HasSubstr("\"event\":\"stopped\""));
}

// grpc.health.v1.Health/Check by hand (no generated health stubs here):
// HealthCheckRequest{service=1}, HealthCheckResponse{status=1}. Returns the
// ServingStatus (1 SERVING, 2 NOT_SERVING) or -(gRPC status code).
int HealthStatus(const std::string& target, const std::string& service) {
  std::string req;
  if (!service.empty()) {
    req.push_back('\x0a');
    req.push_back(static_cast<char>(service.size()));
    req += service;
  }
  testutil::RawReply reply = testutil::RawUnaryCall(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()),
      "/grpc.health.v1.Health/Check", req, absl::Seconds(5));
  if (!reply.status.ok()) return -static_cast<int>(reply.status.error_code());
  const std::string& bytes = reply.bytes;
  if (bytes.size() == 2 && bytes[0] == '\x08') return bytes[1];
  return bytes.empty() ? 0 : -101;  // empty: UNKNOWN (0)
}

// The public port serves the JWKS and discovery, and nothing of the admin
// port; --check-config accepts it.
TEST_F(ServerProcessTest, PublicPortServesJwksAndDiscoveryOnly) {
  Write("hs.txt", kSecretA);
  auto ec = crypto::KeyMaterial::Generate(Algorithm::kEs256);
  ASSERT_TRUE(ec.ok());
  Write("signing.pem", *ec->PrivatePem());
  Write("config.yaml", R"(server:
  listen: "127.0.0.1:0"
  admin_listen: "127.0.0.1:0"
  public_listen: "127.0.0.1:0"
  public_base_url: "https://keys.e2e"
  watch_interval: "0"
signing: {alg: ES256, kid: s1, private_key_file: signing.pem,
          issuer: "https://issuer.e2e"}
providers:
  - name: default
    issuers: [https://issuer.e2e]
    audiences: [api]
    keys:
      - {kid: hs1, alg: HS256, secret_file: hs.txt}
)");
  {
    ServerProcess check({"--check-config", "--config", ConfigPath()});
    EXPECT_EQ(check.Wait(), 0) << check.Stderr();
  }
  ServerProcess p({"--config", ConfigPath()});
  auto serving = p.WaitForEvent("serving");
  ASSERT_TRUE(serving.has_value()) << p.Stderr();
  httplib::Client pub("127.0.0.1",
                      std::stoi((*serving)["public_port"].get<std::string>()));
  auto discovery = pub.Get("/.well-known/openid-configuration");
  ASSERT_TRUE(discovery);
  EXPECT_EQ(discovery->status, 200);
  nlohmann::json doc = nlohmann::json::parse(discovery->body);
  EXPECT_EQ(doc["issuer"], "https://issuer.e2e");
  EXPECT_EQ(doc["jwks_uri"], "https://keys.e2e/.well-known/jwks.json");
  EXPECT_EQ(doc["id_token_signing_alg_values_supported"],
            nlohmann::json::array({"ES256"}));
  auto jwks = pub.Get("/.well-known/jwks.json");
  ASSERT_TRUE(jwks);
  EXPECT_EQ(nlohmann::json::parse(jwks->body)["keys"][0]["kid"], "s1");
  for (const char* path : {"/metrics", "/readyz", "/healthz"}) {
    auto res = pub.Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 404) << path;
  }
  httplib::Client admin("127.0.0.1",
                        std::stoi((*serving)["admin_port"].get<std::string>()));
  auto metrics = admin.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(), 0);
}

TEST_F(ServerProcessTest, DevDefaultWarnsLoudlyAndStaysOnLoopback) {
  // Ports 0 via the documented env overrides (still loopback).
  setenv("JWTAUTH_SERVER_LISTEN", "127.0.0.1:0", 1);
  setenv("JWTAUTH_SERVER_ADMIN_LISTEN", "127.0.0.1:0", 1);
  ServerProcess p({});
  unsetenv("JWTAUTH_SERVER_LISTEN");
  unsetenv("JWTAUTH_SERVER_ADMIN_LISTEN");
  auto warn = p.WaitForEvent("dev_mode");
  ASSERT_TRUE(warn.has_value()) << p.Stderr();
  EXPECT_THAT(p.Stderr(), HasSubstr("NOT FOR PRODUCTION"));
  auto serving = p.WaitForEvent("serving", {{"listen", "127.0.0.1:0"}});
  ASSERT_TRUE(serving.has_value()) << p.Stderr();
  ASSERT_TRUE(p.WaitForEvent("ready")) << p.Stderr();
  const std::string target =
      "127.0.0.1:" + (*serving)["grpc_port"].get<std::string>();
  // Probes may name the service (Envoy, grpc_health_probe -service).
  EXPECT_EQ(HealthStatus(target, ""), 1);
  EXPECT_EQ(HealthStatus(target, "jwtauth.v1.AuthService"), 1);
  EXPECT_EQ(HealthStatus(target, "envoy.service.auth.v3.Authorization"), 1);
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(), 0);
}

// protobuf and gRPC write their own messages (a refused request's "invalid
// UTF-8" line, say); the server routes them through its JSON logger, so
// every stderr line stays one JSON event (server/library_logs.h).
TEST_F(ServerProcessTest, LibraryMessagesAreJsonLinesLikeTheRest) {
  Write("hs.txt", kSecretA);
  WriteConfig();
  std::string config = tmp_.Read("config.yaml");
  config.replace(config.find("log: {level: info}"), 18, "log: {level: debug}");
  Write("config.yaml", config);
  ServerProcess p({"--config", ConfigPath()});
  auto serving = p.WaitForEvent("serving");
  ASSERT_TRUE(serving.has_value()) << p.Stderr();
  // A VerifyRequest whose token (field 1, string) is not UTF-8.
  const testutil::RawReply reply = testutil::RawUnaryCall(
      grpc::CreateChannel(
          "127.0.0.1:" + (*serving)["grpc_port"].get<std::string>(),
          grpc::InsecureChannelCredentials()),
      "/jwtauth.v1.AuthService/Verify",
      absl::string_view("\x0a\x02\xc3\x28", 4), absl::Seconds(5));
  EXPECT_EQ(reply.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto logged = p.WaitForEvent("library_log", {{"library", "protobuf"}});
  ASSERT_TRUE(logged.has_value()) << p.Stderr();
  EXPECT_THAT((*logged)["message"].get<std::string>(),
              HasSubstr("invalid UTF-8"));
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(), 0);
  for (absl::string_view line : absl::StrSplit(p.Stderr(), '\n')) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line, nullptr, false);
    EXPECT_TRUE(!j.is_discarded() && j.is_object()) << "not JSON: " << line;
  }
}

}  // namespace
}  // namespace jwtauth::e2e
