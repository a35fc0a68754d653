// ServingStateBuilder on configs parsed from YAML (as an operator writes
// them) with key files in a temporary directory: what a build produces, that
// it never touches the KeyStore it is given, and where its errors point.

#include "server/serving_state_builder.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/crypto/key_material.h"
#include "core/issuer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/fake_clock.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace jwtauth::server {
namespace {

namespace fs = std::filesystem;
using ::jwtauth::testutil::FakeClock;
using ::jwtauth::testutil::IsOk;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class ServingStateBuilderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Write("hs.txt", "0123456789abcdef0123456789abcdef");
    auto km = crypto::KeyMaterial::Generate(Algorithm::kEs256);
    ASSERT_THAT(km, IsOk());
    Write("signing.pem", *km->PrivatePem());
  }

  void Write(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name, std::ios::binary | std::ios::trunc) << content;
  }

  ServerConfig Parse(
      const std::string& providers_yaml,
      const std::string& signing_issuer = "https://issuer.test") {
    const std::string text = absl::StrCat(R"(
server: {listen: "127.0.0.1:0", admin_listen: ""}
signing:
  alg: ES256
  kid: own
  private_key_file: signing.pem
  issuer: )",
                                          signing_issuer, "\n", providers_yaml);
    auto config =
        ParseServerConfig(text, (dir_ / "config.yaml").string(), dir_.string());
    EXPECT_THAT(config, IsOk()) << config.status();
    return config.ok() ? *std::move(config) : ServerConfig{};
  }

  static constexpr char kProvider[] = R"(providers:
  - name: default
    issuers: [https://issuer.test]
    audiences: [api]
    keys:
      - {kid: hs, alg: HS256, secret_file: hs.txt}
)";

  testutil::TempDir tmp_{"builder_test"};
  fs::path dir_{tmp_.path()};
  FakeClock clock_;
  KeyStore store_{&clock_};
  ServingStateBuilder builder_{{.key_store = &store_, .clock = &clock_}};
};

// The swap is the caller's: a build only prepares the store's new content,
// and the verifier it made serves the new keys once they are installed.
TEST_F(ServingStateBuilderTest, BuildLeavesTheKeyStoreToTheCaller) {
  const KeySetSnapshot before = store_.Current();
  auto built = builder_.Build(Parse(kProvider));
  ASSERT_THAT(built, IsOk()) << built.status();
  EXPECT_EQ(store_.Current(), before);
  EXPECT_THAT(store_.Sources(), IsEmpty());

  ASSERT_NE(built->verifier, nullptr);
  ASSERT_NE(built->issuer, nullptr);
  ASSERT_EQ(built->key_sources.size(), 2u);  // hs.txt + the signing key
  EXPECT_EQ(built->key_sources[0].source_id,
            absl::StrCat("file:", (dir_ / "hs.txt").string()));
  EXPECT_EQ(built->key_sources[1].source_id, "signing:own");
  EXPECT_NE(built->cache, nullptr);  // on by default

  auto token = built->issuer->Issue({.subject = "alice", .audiences = {"api"}});
  ASSERT_THAT(token, IsOk()) << token.status();
  EXPECT_EQ(built->verifier->Verify(token->token).reason(),
            FailureReason::kKeyNotFound);  // keys not installed yet
  store_.ReplaceAll(std::move(built->key_sources));
  VerifyResult r = built->verifier->Verify(token->token);
  ASSERT_TRUE(r.ok()) << r.failure().detail;
  EXPECT_EQ(r->kid(), "own");
}

TEST_F(ServingStateBuilderTest, VerifierCrossCheckFailureBuildsNothing) {
  ServerConfig config = Parse(kProvider);
  config.providers.push_back(config.providers[0]);  // duplicate name
  const KeySetSnapshot before = store_.Current();
  auto built = builder_.Build(config);
  ASSERT_FALSE(built.ok());
  EXPECT_THAT(built.status().message(), HasSubstr("config.yaml: providers: "));
  EXPECT_EQ(store_.Current(), before);
}

TEST_F(ServingStateBuilderTest, ProviderPolicyErrorCarriesItsLocation) {
  ServerConfig config = Parse(kProvider);
  config.providers[0].issuers.clear();
  auto built = builder_.Build(config);
  ASSERT_FALSE(built.ok());
  EXPECT_THAT(built.status().message(),
              HasSubstr(absl::StrCat((dir_ / "config.yaml").string(), ":")));
  EXPECT_THAT(built.status().message(), HasSubstr("providers[0]"));
}

TEST_F(ServingStateBuilderTest,
       JwksUrlsBecomePendingSourcesAndNothingIsFetched) {
  auto built = builder_.Build(Parse(absl::StrCat(kProvider, R"(
    jwks_urls: ["http://127.0.0.1:1/jwks"]
)")));
  ASSERT_THAT(built, IsOk()) << built.status();
  ASSERT_EQ(built->jwks_sources.size(), 1u);
  EXPECT_EQ(built->jwks_sources[0].url, "http://127.0.0.1:1/jwks");
  ASSERT_EQ(built->required_jwks_ids.size(), 1u);
  EXPECT_EQ(built->required_jwks_ids[0], JwksSourceId(built->jwks_sources[0]));
  const SourceKeys& pending = built->key_sources.back();
  EXPECT_TRUE(pending.pending);
  EXPECT_EQ(pending.source_id, built->required_jwks_ids[0]);
}

TEST_F(ServingStateBuilderTest, WarnsWhenNoProviderAcceptsTheSigningIssuer) {
  auto built = builder_.Build(Parse(kProvider, "https://elsewhere.test"));
  ASSERT_THAT(built, IsOk()) << built.status();
  ASSERT_EQ(built->warnings.size(), 1u);
  EXPECT_THAT(built->warnings[0], HasSubstr("signing.issuer"));
  // The signing key serves no provider, so only hs.txt is a source.
  EXPECT_EQ(built->key_sources.size(), 1u);
}

TEST_F(ServingStateBuilderTest, UnreadableKeyFileIsAnErrorAtItsEntry) {
  fs::remove(dir_ / "hs.txt");
  auto built = builder_.Build(Parse(kProvider));
  ASSERT_FALSE(built.ok());
  EXPECT_THAT(built.status().message(),
              HasSubstr("providers[0].keys[0].secret_file: cannot read"));
}

}  // namespace
}  // namespace jwtauth::server
