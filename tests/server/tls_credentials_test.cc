// ServerCredentialsFor with real handshakes on 127.0.0.1: the certificate a
// new connection sees follows the files (rewritten in place, or the
// Kubernetes Secret volume's `..data` symlink swap) without a restart, and
// calls on an established connection keep working throughout; the client CA
// (mTLS) reloads the same way.

#include "server/tls_credentials.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "server/grpc_server.h"
#include "tests/testutil/raw_unary_call.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"
#include "tests/testutil/test_ca.h"
#include "tests/testutil/wait.h"

namespace jwtauth::server {
namespace {

namespace fs = std::filesystem;
using ::jwtauth::testutil::CertifiedKey;
using ::jwtauth::testutil::ClientCert;
using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::ServerCert;
using ::jwtauth::testutil::StatusIs;
using ::jwtauth::testutil::TempDir;
using ::jwtauth::testutil::TestCa;
using ::jwtauth::testutil::WaitUntil;
using ::testing::HasSubstr;

CertifiedKey Issue(const TestCa& ca, absl::string_view common_name) {
  // Every server certificate names localhost / 127.0.0.1; the CN tells them
  // apart.
  absl::StatusOr<CertifiedKey> cert = ca.Issue(ServerCert(common_name));
  EXPECT_THAT(cert, IsOk());
  return cert.ok() ? *cert : CertifiedKey{};
}

// Writes `content` to `path` by rename, so a reader sees old or new only.
void ReplaceFile(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(std::fwrite(content.data(), 1, content.size(), f), content.size());
  ASSERT_EQ(std::fclose(f), 0);
  fs::rename(tmp, path);
}

// A Kubernetes Secret volume: <dir>/tls.crt -> ..data/tls.crt,
// ..data -> ..<version>/; an update writes a new version directory and
// swaps ..data atomically.
class SecretVolume {
 public:
  explicit SecretVolume(const TempDir& dir) : root_(dir.path()) {}
  void Publish(const CertifiedKey& pair, const std::string& ca_pem = "") {
    const std::string version = absl::StrCat("..v", ++version_);
    fs::create_directory(root_ / version);
    WriteAt(root_ / version / "tls.crt", pair.cert_pem);
    WriteAt(root_ / version / "tls.key", pair.key_pem);
    WriteAt(root_ / version / "ca.crt", ca_pem);
    fs::create_directory_symlink(version, root_ / "..data_tmp");
    fs::rename(root_ / "..data_tmp", root_ / "..data");
    for (const char* name : {"tls.crt", "tls.key", "ca.crt"}) {
      if (!fs::is_symlink(root_ / name)) {
        fs::create_symlink(fs::path("..data") / name, root_ / name);
      }
    }
  }
  std::string Path(const char* name) const { return (root_ / name).string(); }

 private:
  static void WriteAt(const fs::path& path, const std::string& content) {
    FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fwrite(content.data(), 1, content.size(), f);
    std::fclose(f);
  }
  fs::path root_;
  int version_ = 0;
};

// grpc.health.v1.Health/Check with an empty request: OK whatever the
// serving status, so every failure is a transport or TLS failure.
grpc::Status HealthCheck(grpc::ChannelInterface* channel,
                         std::string* server_cn = nullptr) {
  grpc::ClientContext ctx;
  testutil::RawReply reply = testutil::RawUnaryCall(
      std::shared_ptr<grpc::ChannelInterface>(channel,
                                              [](grpc::ChannelInterface*) {}),
      "/grpc.health.v1.Health/Check", "", absl::Seconds(5), &ctx);
  if (server_cn != nullptr && ctx.auth_context() != nullptr) {
    auto cn = ctx.auth_context()->FindPropertyValues("x509_common_name");
    *server_cn = cn.empty() ? "" : std::string(cn[0].data(), cn[0].size());
  }
  return reply.status;
}

class TlsReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ca = TestCa::Create("reload-ca");
    ASSERT_THAT(ca, IsOk());
    ca_ = *std::move(ca);
  }

  void StartServer(const TlsConfig& tls) {
    ServerSection section;
    section.listen = "127.0.0.1:0";
    section.watch_interval = absl::Seconds(1);
    section.tls = tls;
    auto creds = ServerCredentialsFor(section);
    ASSERT_THAT(creds, IsOk()) << creds.status();
    auto server =
        GrpcServer::Start(section, *creds, ServiceContext{.state = &holder_});
    ASSERT_THAT(server, IsOk()) << server.status();
    server_ = *std::move(server);
  }

  // A channel of its own (no subchannel shared with other channels): a new
  // connection, a new handshake.
  std::shared_ptr<grpc::Channel> NewChannel(
      const CertifiedKey* client = nullptr) {
    grpc::SslCredentialsOptions opts;
    opts.pem_root_certs = ca_->cert_pem();
    if (client != nullptr) {
      opts.pem_private_key = client->key_pem;
      opts.pem_cert_chain = client->cert_pem;
    }
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", server_->port()), grpc::SslCredentials(opts),
        args);
  }

  std::string CnOfNewConnection() {
    std::string cn;
    grpc::Status s = HealthCheck(NewChannel().get(), &cn);
    return s.ok() ? cn : absl::StrCat("error: ", s.error_message());
  }

  // Calls on one established channel from a thread until Stop(); counts
  // failures.
  struct Caller {
    std::shared_ptr<grpc::Channel> channel;
    std::atomic<bool> stop{false};
    std::atomic<int> ok{0}, failed{0};
    std::thread thread;
    void Start() {
      thread = std::thread([this] {
        while (!stop.load()) {
          (HealthCheck(channel.get()).ok() ? ok : failed).fetch_add(1);
          absl::SleepFor(absl::Milliseconds(20));
        }
      });
    }
    void Stop() {
      stop = true;
      thread.join();
    }
  };

  void ExpectRotation(const std::function<void()>& rotate) {
    ASSERT_EQ(CnOfNewConnection(), "cert-a");
    Caller caller;
    caller.channel = NewChannel();
    std::string first_cn;
    ASSERT_TRUE(HealthCheck(caller.channel.get(), &first_cn).ok());
    EXPECT_EQ(first_cn, "cert-a");
    caller.Start();
    rotate();
    const bool rotated =
        WaitUntil([&] { return CnOfNewConnection() == "cert-b"; },
                  absl::Seconds(20), absl::Milliseconds(100));
    absl::SleepFor(absl::Milliseconds(200));
    caller.Stop();
    EXPECT_TRUE(rotated) << CnOfNewConnection();
    EXPECT_EQ(caller.failed.load(), 0);
    EXPECT_GT(caller.ok.load(), 0);
    // The established connection keeps the certificate it was opened with.
    std::string cn;
    ASSERT_TRUE(HealthCheck(caller.channel.get(), &cn).ok());
    EXPECT_EQ(cn, "cert-a");
  }

  std::unique_ptr<TestCa> ca_;
  ServingStateHolder holder_;
  std::unique_ptr<GrpcServer> server_;
};

TEST_F(TlsReloadTest, FilesRewrittenInPlaceAreServedToNewConnections) {
  TempDir dir("tls_inplace");
  CertifiedKey a = Issue(*ca_, "cert-a"), b = Issue(*ca_, "cert-b");
  TlsConfig tls;
  tls.cert_file = dir.Write("server.pem", a.cert_pem);
  tls.key_file = dir.Write("server.key", a.key_pem);
  StartServer(tls);
  ExpectRotation([&] {
    ReplaceFile(tls.key_file, b.key_pem);
    ReplaceFile(tls.cert_file, b.cert_pem);
  });
}

TEST_F(TlsReloadTest, SecretVolumeSymlinkSwapIsServedToNewConnections) {
  TempDir dir("tls_volume");
  CertifiedKey a = Issue(*ca_, "cert-a"), b = Issue(*ca_, "cert-b");
  SecretVolume volume(dir);
  volume.Publish(a);
  TlsConfig tls;
  tls.cert_file = volume.Path("tls.crt");
  tls.key_file = volume.Path("tls.key");
  StartServer(tls);
  ExpectRotation([&] { volume.Publish(b); });
}

TEST_F(TlsReloadTest, ClientCaReloadsForMutualTls) {
  TempDir dir("tls_mtls");
  auto other_ca = TestCa::Create("next-client-ca");
  ASSERT_THAT(other_ca, IsOk());
  CertifiedKey server = Issue(*ca_, "cert-a");
  auto old_client = ca_->Issue(ClientCert("old", {}));
  auto new_client = (*other_ca)->Issue(ClientCert("new", {}));
  ASSERT_THAT(old_client, IsOk());
  ASSERT_THAT(new_client, IsOk());
  SecretVolume volume(dir);
  volume.Publish(server, ca_->cert_pem());
  TlsConfig tls{.cert_file = volume.Path("tls.crt"),
                .key_file = volume.Path("tls.key"),
                .client_ca_file = volume.Path("ca.crt"),
                .require_client_cert = true,
                .location = {}};
  StartServer(tls);
  EXPECT_TRUE(HealthCheck(NewChannel(&*old_client).get()).ok());
  EXPECT_FALSE(HealthCheck(NewChannel(&*new_client).get()).ok());
  EXPECT_FALSE(HealthCheck(NewChannel().get()).ok());  // no client cert

  volume.Publish(server, (*other_ca)->cert_pem());
  EXPECT_TRUE(WaitUntil(
      [&] { return HealthCheck(NewChannel(&*new_client).get()).ok(); },
      absl::Seconds(20), absl::Milliseconds(100)));
  EXPECT_FALSE(HealthCheck(NewChannel(&*old_client).get()).ok());
}

TEST(TlsCredentialsTest, UnreadableFilesFailAtStartEvenWhenWatched) {
  ServerSection section;
  EXPECT_THAT(ServerCredentialsFor(section), IsOk());  // plaintext
  for (absl::Duration interval : {absl::ZeroDuration(), absl::Seconds(2)}) {
    section.watch_interval = interval;
    section.tls = TlsConfig{.cert_file = "/nonexistent/cert.pem",
                            .key_file = "/nonexistent/key.pem",
                            .client_ca_file = "",
                            .require_client_cert = false,
                            .location = {"config.yaml", 4, 3, "server.tls"}};
    auto creds = ServerCredentialsFor(section);
    ASSERT_THAT(creds, StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(creds.status().message(),
                HasSubstr("config.yaml:4:3: server.tls: cannot read "
                          "/nonexistent/cert.pem"));
  }
}

}  // namespace
}  // namespace jwtauth::server
