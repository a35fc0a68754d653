// Process tests of `jwtauth verify --config FILE TOKEN` (cli/verify_command.cc,
// cli/offline_verifier.cc): the built CLI binary
// (JWTAUTH_CLI_PATH) runs against config files written here, one with static
// keys and one with a JWKS URL served by a loopback JwksHttpServer, and the
// tests assert its exit code (0 valid, 1 invalid, 2 usage, 3 config/I/O
// error) and the printed reason.

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testutil/jwks_http_server.h"
#include "tests/testutil/test_keys.h"

extern char** environ;

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

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class JwtauthCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           absl::StrCat("jwtauth_cli_test_", ::getpid(), "_", counter_++);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name, std::ios::binary | std::ios::trunc) << content;
  }
  std::string Path(const std::string& name) const {
    return (dir_ / name).string();
  }

  // Runs the CLI with `args`; stdout/stderr go to files (no pipe deadlock).
  CliResult Run(const std::vector<std::string>& args) {
    const fs::path out = dir_ / "stdout.txt";
    const fs::path err = dir_ / "stderr.txt";
    std::vector<std::string> argv_s = {JWTAUTH_CLI_PATH};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid = 0;
    CliResult r;
    int rc =
        posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      ADD_FAILURE() << "posix_spawn " << argv[0] << ": " << rc;
      return r;
    }
    int status = 0;
    if (::waitpid(pid, &status, 0) != pid) {
      ADD_FAILURE() << "waitpid failed";
      return r;
    }
    EXPECT_TRUE(WIFEXITED(status)) << "CLI died: status " << status;
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    r.out = ReadAll(out);
    r.err = ReadAll(err);
    return r;
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

  static inline int counter_ = 0;
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

}  // namespace
}  // namespace jwtauth::cli
