// MakeChannel / Client::Create against a real gRPC server on 127.0.0.1:0
// (tests/client/scripted_auth_server.h): option and file errors by field,
// the channel arguments, gRPC retries (Verify and ListKeys retried on
// UNAVAILABLE up to max_attempts, IssueToken attempted exactly once), TLS
// and mTLS handshakes with certificates from TestCa, and one channel shared
// by several Clients.

#include "client/channel_factory.h"

#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "client/client.h"
#include "gmock/gmock.h"
#include "grpc/grpc.h"
#include "grpcpp/security/server_credentials.h"
#include "gtest/gtest.h"
#include "tests/client/scripted_auth_server.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"
#include "tests/testutil/test_ca.h"

namespace jwtauth::client {
namespace {

using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::ScriptedAuthServer;
using ::jwtauth::testutil::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

ClientOptions PlaintextTo(const ScriptedAuthServer& server) {
  ClientOptions options;
  options.target = server.target();
  options.plaintext = true;
  options.retry.initial_backoff = absl::Milliseconds(5);
  options.retry.max_backoff = absl::Milliseconds(20);
  return options;
}

// The channel arguments as key → value text.
std::map<std::string, std::string> ArgsOf(const ClientOptions& options) {
  grpc::ChannelArguments args = MakeChannelArguments(options);
  grpc_channel_args raw;
  args.SetChannelArgs(&raw);
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < raw.num_args; ++i) {
    const grpc_arg& arg = raw.args[i];
    out[arg.key] = arg.type == GRPC_ARG_STRING ? arg.value.string
                   : arg.type == GRPC_ARG_INTEGER
                       ? std::to_string(arg.value.integer)
                       : "";
  }
  return out;
}

TEST(MakeChannelTest, BadOptionIsInvalidArgumentNamingTheField) {
  ClientOptions options;
  options.target = "127.0.0.1:1";
  options.retry.max_attempts = 0;
  auto channel = MakeChannel(options);
  EXPECT_THAT(channel, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(channel.status().message()),
              StartsWith("retry.max_attempts:"));
  EXPECT_THAT(Client::Create(options),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(MakeChannelTest, UnreadableCertificateFileIsNotFoundNamingTheField) {
  ClientOptions options;
  options.target = "127.0.0.1:1";
  options.tls.ca_file = "/nonexistent/ca.pem";
  auto channel = MakeChannel(options);
  EXPECT_THAT(channel, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(std::string(channel.status().message()),
              StartsWith("tls.ca_file:"));

  testutil::TempDir dir("client");
  std::ofstream(dir.Path("ca.pem")) << "-----BEGIN CERTIFICATE-----\n";
  options.tls.ca_file = dir.Path("ca.pem");
  options.tls.cert_file = dir.Path("missing.pem");
  options.tls.key_file = dir.Path("missing.key");
  EXPECT_THAT(std::string(Client::Create(options).status().message()),
              StartsWith("tls.cert_file:"));
}

TEST(MakeChannelTest, FileWithoutPemArmourIsInvalidArgument) {
  testutil::TempDir dir("client");
  std::ofstream(dir.Path("ca.der")) << "\x30\x82 not pem";
  ClientOptions options;
  options.target = "127.0.0.1:1";
  options.tls.ca_file = dir.Path("ca.der");
  auto channel = MakeChannel(options);
  EXPECT_THAT(channel, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(channel.status().message()), HasSubstr("not PEM"));
}

TEST(MakeChannelTest, ArgumentsCarryRetryConfigUserAgentAndKeepalive) {
  ClientOptions options;
  options.user_agent_prefix = "svc/1";
  auto args = ArgsOf(options);
  EXPECT_THAT(args[GRPC_ARG_SERVICE_CONFIG], HasSubstr("retryPolicy"));
  EXPECT_EQ(args[GRPC_ARG_PRIMARY_USER_AGENT_STRING],
            "svc/1 jwtauth-cpp-client/" + std::string(ClientVersion()));
  EXPECT_EQ(args.count(GRPC_ARG_KEEPALIVE_TIME_MS), 0u);  // off by default

  options.keepalive.time = absl::Seconds(30);
  options.keepalive.timeout = absl::Seconds(5);
  options.keepalive.permit_without_calls = true;
  options.retry.max_attempts = 1;
  args = ArgsOf(options);
  EXPECT_EQ(args[GRPC_ARG_KEEPALIVE_TIME_MS], "30000");
  EXPECT_EQ(args[GRPC_ARG_KEEPALIVE_TIMEOUT_MS], "5000");
  EXPECT_EQ(args[GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS], "1");
  EXPECT_EQ(args[GRPC_ARG_SERVICE_CONFIG], "{}");
}

TEST(MakeChannelTest, ServerSeesTheUserAgent) {
  ScriptedAuthServer server;
  ClientOptions options = PlaintextTo(server);
  options.user_agent_prefix = "billing/2.1";
  auto client = Client::Create(options);
  ASSERT_THAT(client, IsOk());
  ASSERT_THAT(client->Verify("good"), IsOk());
  // gRPC C++ puts its own "grpc-c++/<version>" first.
  EXPECT_THAT(server.service().user_agent(),
              HasSubstr("billing/2.1 jwtauth-cpp-client/" +
                        std::string(ClientVersion()) + " "));
}

TEST(MakeChannelTest, SeveralClientsShareOneChannel) {
  ScriptedAuthServer server;
  auto channel = MakeChannel(PlaintextTo(server));
  ASSERT_THAT(channel, IsOk());
  Client verifier(*channel);
  Client issuer(*channel);
  EXPECT_EQ(verifier.channel(), issuer.channel());
  auto verified = verifier.Verify("good");
  ASSERT_THAT(verified, IsOk());
  EXPECT_TRUE(verified->valid);
  v1::IssueTokenRequest request;
  request.set_subject("bob");
  auto issued = issuer.IssueToken(request);
  ASSERT_THAT(issued, IsOk());
  EXPECT_EQ(issued->token(), "issued:bob");
}

// ---- Retries ---------------------------------------------------------------

TEST(ClientRetryTest, VerifyIsRetriedOnUnavailableUntilItSucceeds) {
  ScriptedAuthServer server;
  server.service().fail_first = 2;
  ClientOptions options = PlaintextTo(server);
  options.retry.max_attempts = 3;
  auto client = Client::Create(options);
  ASSERT_THAT(client, IsOk());
  auto r = client->Verify("good");
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->valid);
  EXPECT_EQ(server.service().verify_calls, 3);
}

TEST(ClientRetryTest, VerifyGivesUpAfterMaxAttempts) {
  ScriptedAuthServer server;
  server.service().fail_first = 100;
  ClientOptions options = PlaintextTo(server);
  options.retry.max_attempts = 4;
  auto client = Client::Create(options);
  ASSERT_THAT(client, IsOk());
  EXPECT_THAT(client->Verify("good"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(server.service().verify_calls, 4);
}

TEST(ClientRetryTest, ListKeysIsRetriedOnUnavailable) {
  ScriptedAuthServer server;
  server.service().fail_first = 4;
  ClientOptions options = PlaintextTo(server);
  options.retry.max_attempts = 5;
  auto client = Client::Create(options);
  ASSERT_THAT(client, IsOk());
  auto keys = client->ListKeys();
  ASSERT_THAT(keys, IsOk());
  EXPECT_EQ(keys->keys(0).kid(), "k1");
  EXPECT_EQ(server.service().list_calls, 5);
}

TEST(ClientRetryTest, IssueTokenIsAttemptedExactlyOnce) {
  ScriptedAuthServer server;
  server.service().fail_first = 100;
  ClientOptions options = PlaintextTo(server);
  options.retry.max_attempts = 5;
  auto client = Client::Create(options);
  ASSERT_THAT(client, IsOk());
  v1::IssueTokenRequest request;
  request.set_subject("alice");
  EXPECT_THAT(client->IssueToken(request),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(server.service().issue_calls, 1);
}

TEST(ClientRetryTest, OtherCodesAreNotRetried) {
  ScriptedAuthServer server;
  server.service().fail_first = 100;
  server.service().fail_code = grpc::StatusCode::INTERNAL;
  ClientOptions options = PlaintextTo(server);
  options.retry.max_attempts = 5;
  auto client = Client::Create(options);
  ASSERT_THAT(client, IsOk());
  EXPECT_THAT(client->Verify("good"), StatusIs(absl::StatusCode::kInternal));
  EXPECT_EQ(server.service().verify_calls, 1);
}

TEST(ClientRetryTest, OneAttemptTurnsRetriesOff) {
  ScriptedAuthServer server;
  server.service().fail_first = 1;
  ClientOptions options = PlaintextTo(server);
  options.retry.max_attempts = 1;
  auto client = Client::Create(options);
  ASSERT_THAT(client, IsOk());
  EXPECT_THAT(client->Verify("good"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(server.service().verify_calls, 1);
}

// ---- TLS and mTLS ----------------------------------------------------------

class ClientTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pki = testutil::TestPki::Create();
    ASSERT_THAT(pki, IsOk());
    pki_ = std::move(*pki);
    auto client_cert = pki_->ca().Issue(testutil::ClientCert(
        "caller", {.uris = {"spiffe://jwtauth.test/caller"}}));
    ASSERT_THAT(client_cert, IsOk());
    client_files_ = client_cert->WriteTo(dir_, "client");
  }

  std::shared_ptr<grpc::ServerCredentials> ServerCredentials(
      grpc_ssl_client_certificate_request_type client_certs) const {
    grpc::SslServerCredentialsOptions options(client_certs);
    options.pem_root_certs = pki_->ca().cert_pem();
    options.pem_key_cert_pairs.push_back(
        {pki_->server().key_pem, pki_->server().cert_pem});
    return grpc::SslServerCredentials(options);
  }

  ClientOptions TlsTo(const ScriptedAuthServer& server) const {
    ClientOptions options;
    options.target = server.target();
    options.tls.ca_file = pki_->ca_file();
    options.tls.server_name_override = "localhost";
    options.default_timeout = absl::Seconds(5);
    options.retry.max_attempts = 1;
    return options;
  }

  std::unique_ptr<testutil::TestPki> pki_;
  testutil::TempDir dir_{"client_tls"};
  testutil::TlsFiles client_files_;
};

TEST_F(ClientTlsTest, TlsWithTheRightCaVerifies) {
  ScriptedAuthServer server(
      ServerCredentials(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE));
  auto client = Client::Create(TlsTo(server));
  ASSERT_THAT(client, IsOk());
  auto r = client->Verify("good");
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->valid);
  EXPECT_FALSE(server.service().peer_had_certificate());
}

TEST_F(ClientTlsTest, ServerCertificateFromAnotherCaIsRefused) {
  ScriptedAuthServer server(
      ServerCredentials(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE));
  ClientOptions options = TlsTo(server);
  options.tls.ca_file = pki_->other_ca_file();
  auto client = Client::Create(options);
  ASSERT_THAT(client, IsOk());
  EXPECT_THAT(client->Verify("good"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(server.service().verify_calls, 0);
}

TEST_F(ClientTlsTest, PlaintextClientCannotTalkToTlsServer) {
  ScriptedAuthServer server(
      ServerCredentials(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE));
  ClientOptions options;
  options.target = server.target();
  options.plaintext = true;
  options.default_timeout = absl::Seconds(5);
  auto client = Client::Create(options);
  ASSERT_THAT(client, IsOk());
  EXPECT_FALSE(client->Verify("good").ok());
  EXPECT_EQ(server.service().verify_calls, 0);
}

TEST_F(ClientTlsTest, MutualTlsPresentsTheClientCertificate) {
  ScriptedAuthServer server(ServerCredentials(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY));
  ClientOptions options = TlsTo(server);
  options.tls.cert_file = client_files_.cert_file;
  options.tls.key_file = client_files_.key_file;
  auto client = Client::Create(options);
  ASSERT_THAT(client, IsOk());
  auto r = client->Verify("good");
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->valid);
  EXPECT_TRUE(server.service().peer_had_certificate());
}

TEST_F(ClientTlsTest, MutualTlsServerRefusesAClientWithoutCertificate) {
  ScriptedAuthServer server(ServerCredentials(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY));
  auto client = Client::Create(TlsTo(server));
  ASSERT_THAT(client, IsOk());
  EXPECT_THAT(client->Verify("good"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(server.service().verify_calls, 0);
}

}  // namespace
}  // namespace jwtauth::client
