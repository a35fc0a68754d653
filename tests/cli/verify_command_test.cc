// Process tests of `jwtauth verify --config FILE TOKEN` and `jwtauth verify
// --jwks FILE|URL --iss ISS --aud AUD TOKEN` (cli/verify_command.cc,
// cli/offline_verifier.cc): the built CLI binary runs against config and
// key files written here and JWKS URLs served by a loopback JwksHttpServer,
// and the tests assert its exit code (0 valid, 1 invalid, 2 usage, 3
// config/I/O error) and the printed reason. Verify against a running
// server: issue_command_test.

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/cli/cli_process.h"
#include "tests/testutil/jwks_http_server.h"
#include "tests/testutil/temp_dir.h"
#include "tests/testutil/test_keys.h"

namespace jwtauth::cli {
namespace {

namespace fs = std::filesystem;
using ::jwtauth::testutil::GenerateTestKey;
using ::jwtauth::testutil::HttpReply;
using ::jwtauth::testutil::JwksHttpServer;
using ::jwtauth::testutil::SignJws;
using ::jwtauth::testutil::TestKey;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kIssuer[] = "https://issuer.test";

using CliResult = testutil::ProcessResult;

class JwtauthCliTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = tmp_.path(); }

  void Write(const std::string& name, const std::string& content) {
    tmp_.Write(name, content);
  }
  std::string Path(const std::string& name) const {
    return (dir_ / name).string();
  }

  CliResult Run(const std::vector<std::string>& args,
                const std::string& stdin_text = "") {
    return testutil::RunCli(args, dir_.string(), stdin_text);
  }

  static nlohmann::json Claims(
      const nlohmann::json& overrides = nlohmann::json::object()) {
    const int64_t now = absl::ToUnixSeconds(absl::Now());
    nlohmann::json c = {{"iss", kIssuer},
                        {"sub", "alice"},
                        {"aud", "api"},
                        {"iat", now},
                        {"exp", now + 600}};
    for (const auto& [k, v] : overrides.items()) c[k] = v;
    return c;
  }

  // A config whose one provider trusts `keys_yaml` (a "keys:" or
  // "jwks_urls:" block, indented for the provider map).
  void WriteConfig(const std::string& keys_yaml) {
    Write("config.yaml",
          absl::StrCat(R"(server: {listen: "127.0.0.1:0", admin_listen: ""}
log: {level: warn}
providers:
  - name: default
    issuers: [")",
                       kIssuer, R"("]
    audiences: [api, other]
)",
                       keys_yaml));
  }

  testutil::TempDir tmp_{"cli_test"};
  fs::path dir_;
};

class StaticKeyCliTest : public JwtauthCliTest {
 protected:
  void SetUp() override {
    JwtauthCliTest::SetUp();
    Write("es.jwk", key_.key.ToPublicJwk()->dump());
    WriteConfig("    keys:\n      - jwk_file: es.jwk\n");
  }
  TestKey key_ = GenerateTestKey(Algorithm::kEs256, "es-1");
};

TEST_F(StaticKeyCliTest, ValidTokenExitsZeroAndPrintsProviderAndKid) {
  const std::string token = SignJws(key_, Claims().dump());
  CliResult r = Run({"verify", "--config", Path("config.yaml"), token});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("valid: provider=default kid=es-1 alg=ES256"));
  EXPECT_THAT(r.out, HasSubstr("\"sub\": \"alice\""));
  // "Bearer " prefix as in an Authorization header.
  r = Run({"verify", "--config", Path("config.yaml"), "Bearer " + token});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST_F(StaticKeyCliTest, InvalidTokensExitOneWithTheReason) {
  const std::string expired = SignJws(
      key_, Claims({{"exp", absl::ToUnixSeconds(absl::Now()) - 3600}}).dump());
  CliResult r = Run({"verify", "--config", Path("config.yaml"), expired});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("invalid: EXPIRED"));

  TestKey stranger = GenerateTestKey(Algorithm::kEs256, "es-1");  // same kid
  r = Run({"verify", "--config", Path("config.yaml"),
           SignJws(stranger, Claims().dump())});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("invalid: SIGNATURE_INVALID"));

  r = Run({"verify", "--config", Path("config.yaml"),
           SignJws(key_, Claims({{"iss", "https://evil.test"}}).dump())});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("invalid: ISSUER_MISMATCH"));

  r = Run({"verify", "--config", Path("config.yaml"), "not-a-jwt"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("invalid: MALFORMED"));
}

TEST_F(StaticKeyCliTest, AudienceFlagNarrowsAndJsonOutputParses) {
  const std::string token = SignJws(key_, Claims().dump());  // aud "api"
  CliResult r = Run({"verify", "--config", Path("config.yaml"), "--audience",
                     "other", "--json", token});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["valid"], false);
  EXPECT_EQ(j["reason"], "AUDIENCE_MISMATCH");
  // Token bytes are never echoed.
  EXPECT_THAT(r.out + r.err,
              Not(HasSubstr(token.substr(token.rfind('.') + 1))));

  r = Run({"verify", "--config", Path("config.yaml"), "--audience", "api",
           "--json", token});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["valid"], true);
  EXPECT_EQ(j["kid"], "es-1");
}

TEST_F(StaticKeyCliTest, ConfigErrorsExitThreeNamingTheField) {
  const std::string token = SignJws(key_, Claims().dump());
  WriteConfig("    keys:\n      - jwk_file: missing.jwk\n");
  CliResult r = Run({"verify", "--config", Path("config.yaml"), token});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("config.yaml:"));
  EXPECT_THAT(r.err, HasSubstr("providers[0].keys[0]"));
  EXPECT_EQ(r.out, "");

  Write("config.yaml", "providers: [\n");
  r = Run({"verify", "--config", Path("config.yaml"), token});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;

  r = Run({"verify", "--config", Path("nope.yaml"), token});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;

  r = Run({"verify", "--config", Path("config.yaml"), "--server", "127.0.0.1:1",
           token});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
}

class JwksUrlCliTest : public JwtauthCliTest {
 protected:
  void SetUp() override {
    JwtauthCliTest::SetUp();
    http_ = JwksHttpServer::Start();
    ASSERT_NE(http_, nullptr);
    WriteConfig(
        absl::StrCat("    jwks_urls: [\"", http_->Url("/jwks"), "\"]\n"));
  }
  void ServeKey() {
    nlohmann::json jwks = {{"keys", {*remote_.key.ToPublicJwk()}}};
    http_->SetReply("/jwks", HttpReply{.body = jwks.dump()});
  }
  std::unique_ptr<JwksHttpServer> http_;
  TestKey remote_ = GenerateTestKey(Algorithm::kRs256, "remote-1");
};

TEST_F(JwksUrlCliTest, FetchesTheUrlOnceAndVerifies) {
  ServeKey();
  CliResult r = Run({"verify", "--config", Path("config.yaml"),
                     SignJws(remote_, Claims().dump())});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out,
              HasSubstr("valid: provider=default kid=remote-1 alg=RS256"));
  EXPECT_EQ(http_->RequestCount("/jwks"), 1);

  // A kid the JWKS does not have: invalid, and no second fetch (no refresher).
  TestKey other = GenerateTestKey(Algorithm::kEs256, "unknown-kid");
  r = Run({"verify", "--config", Path("config.yaml"),
           SignJws(other, Claims().dump())});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("invalid: KEY_NOT_FOUND"));
  EXPECT_EQ(http_->RequestCount("/jwks"), 2);  // one per process
}

TEST_F(JwksUrlCliTest, UnreachableJwksIsKeysUnavailable) {
  http_->SetReply("/jwks", HttpReply{.status = 503});
  CliResult r = Run({"verify", "--config", Path("config.yaml"),
                     SignJws(remote_, Claims().dump())});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("invalid: KEYS_UNAVAILABLE"));
  EXPECT_THAT(r.err,
              HasSubstr("jwks_fetch_failed"));  // logged, as the server would
  EXPECT_EQ(http_->RequestCount("/jwks"), 1);
}

// ---- verify --jwks ----------------------------------------------------------

class JwksFlagCliTest : public JwtauthCliTest {
 protected:
  void SetUp() override {
    JwtauthCliTest::SetUp();
    nlohmann::json jwks = {{"keys", {*key_.key.ToPublicJwk()}}};
    Write("jwks.json", jwks.dump());
  }
  std::vector<std::string> Args(const std::string& jwks,
                                const std::string& token) {
    return {"verify", "--jwks", jwks, "--iss", kIssuer, "--aud", "api", token};
  }
  TestKey key_ = GenerateTestKey(Algorithm::kEs256, "es-1");
};

TEST_F(JwksFlagCliTest, VerifiesWithAJwksFileAndTheDefaultPolicy) {
  const std::string token = SignJws(key_, Claims().dump());
  CliResult r = Run(Args(Path("jwks.json"), token));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("valid: provider=jwks kid=es-1 alg=ES256"));

  // From stdin, with --json.
  std::vector<std::string> args = Args(Path("jwks.json"), "-");
  args.push_back("--json");
  r = Run(args, token + "\n");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["valid"], true);
  EXPECT_EQ(j["claims"]["sub"], "alice");

  // Issuer, audience and expiry are all checked.
  r = Run({"verify", "--jwks", Path("jwks.json"), "--iss", "https://other",
           "--aud", "api", token});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("invalid: ISSUER_MISMATCH"));
  r = Run({"verify", "--jwks", Path("jwks.json"), "--iss", kIssuer, "--aud",
           "web", token});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("invalid: AUDIENCE_MISMATCH"));
  // Repeated flags accumulate; each takes exactly one value.
  r = Run({"verify", "--jwks", Path("jwks.json"), "--iss", "https://other",
           "--aud", "web", "--iss", kIssuer, "--aud", "api", token});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string expired = SignJws(
      key_, Claims({{"exp", absl::ToUnixSeconds(absl::Now()) - 3600}}).dump());
  r = Run(Args(Path("jwks.json"), expired));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("invalid: EXPIRED"));
  TestKey stranger = GenerateTestKey(Algorithm::kEs256, "es-1");
  r = Run(Args(Path("jwks.json"), SignJws(stranger, Claims().dump())));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("invalid: SIGNATURE_INVALID"));
}

TEST_F(JwksFlagCliTest, FetchesAJwksUrlOnceOverLoopbackHttp) {
  std::unique_ptr<JwksHttpServer> http = JwksHttpServer::Start();
  ASSERT_NE(http, nullptr);
  http->SetReply("/keys", HttpReply{.body = tmp_.Read("jwks.json")});
  const std::string token = SignJws(key_, Claims().dump());
  CliResult r = Run(Args(http->Url("/keys"), token));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("valid: provider=jwks kid=es-1"));
  EXPECT_EQ(http->RequestCount("/keys"), 1);

  http->SetReply("/keys", HttpReply{.status = 500});
  r = Run(Args(http->Url("/keys"), token));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("invalid: KEYS_UNAVAILABLE"));
}

TEST_F(JwksFlagCliTest, BadInputIsAUsageOrIoErrorWithoutEchoingTheToken) {
  const std::string token = SignJws(key_, Claims().dump());
  std::string printed;  // everything printed, for the no-echo check
  auto run = [&](const std::vector<std::string>& args) {
    CliResult r = Run(args);
    printed += r.out + r.err;
    return r;
  };
  // --iss and --aud are required with --jwks, and only with it.
  CliResult r = run({"verify", "--jwks", Path("jwks.json"), token});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("--jwks needs --iss and --aud"));
  r = run({"verify", "--iss", kIssuer, "--aud", "api", "--server",
           "127.0.0.1:1", token});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  // --jwks excludes --config and --server.
  r = run({"verify", "--jwks", Path("jwks.json"), "--config", Path("jwks.json"),
           "--iss", kIssuer, "--aud", "api", token});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  // A missing file, a refused URL, a file that is not a JWKS: exit 3.
  r = run(Args(Path("missing.json"), token));
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("missing.json: cannot read"));
  r = run(Args("http://192.0.2.1/jwks", token));
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("plain http is allowed only for loopback"));
  Write("garbage.json", "not json");
  r = run(Args(Path("garbage.json"), token));
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(printed, Not(HasSubstr(token.substr(token.rfind('.') + 1))));
  EXPECT_THAT(printed, Not(HasSubstr(token.substr(0, token.find('.')))));
}

}  // namespace
}  // namespace jwtauth::cli
