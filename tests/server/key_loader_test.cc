// LoadVerificationKeys / LoadSigningKey on real files in a temporary
// directory and generated keys: each entry kind, and the errors naming the
// config entry.

#include "server/key_loader.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/base64url.h"
#include "core/crypto/key_material.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"
#include "tests/testutil/test_keys.h"

namespace jwtauth::server {
namespace {

namespace fs = std::filesystem;
using ::jwtauth::testutil::GenerateTestKey;
using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::TestKey;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSecret[] = "0123456789abcdef0123456789abcdef";

class KeyLoaderTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name, std::ios::binary | std::ios::trunc) << content;
    return (dir_ / name).string();
  }

  // An entry as the config parser makes it: providers[0].keys[1] at 7:9.
  static KeySourceConfig Entry(KeySourceKind kind, std::string value,
                               std::string alg = "", std::string kid = "") {
    KeySourceConfig k;
    k.kind = kind;
    k.value = std::move(value);
    k.alg = std::move(alg);
    k.kid = std::move(kid);
    k.location = {"config.yaml", 7, 9, "providers[0].keys[1]"};
    return k;
  }

  static std::string PrivatePem(const TestKey& key) {
    return *key.private_key.PrivatePem();
  }

  testutil::TempDir tmp_{"key_loader_test"};
  fs::path dir_{tmp_.path()};
  KeyLoadOptions options_;
};

TEST_F(KeyLoaderTest, SecretFileIsTrimmedOfTrailingNewlines) {
  auto keys = LoadVerificationKeys(
      Entry(KeySourceKind::kSecretFile,
            Write("hs.txt", absl::StrCat(kSecret, "\r\n")), "HS256", "hs"),
      options_);
  ASSERT_THAT(keys, IsOk()) << keys.status();
  ASSERT_EQ(keys->keys.size(), 1u);
  EXPECT_EQ(keys->keys[0].kid(), "hs");
  EXPECT_EQ(keys->keys[0].alg(), Algorithm::kHs256);

  auto empty = LoadVerificationKeys(
      Entry(KeySourceKind::kSecretFile, Write("empty.txt", "\n"), "HS256"),
      options_);
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(empty.status().message(),
              HasSubstr("config.yaml:7:9: providers[0].keys[1].secret_file: "
                        "secret file is empty"));
}

TEST_F(KeyLoaderTest, SecretFileHoldingAPublicKeyIsRefused) {
  TestKey ec = GenerateTestKey(Algorithm::kEs256);
  std::string pem = *ec.private_key.PublicPem();
  pem.append(64, 'x');
  auto keys = LoadVerificationKeys(
      Entry(KeySourceKind::kSecretFile, Write("pem.txt", pem), "HS256"),
      options_);
  ASSERT_FALSE(keys.ok());
  EXPECT_THAT(keys.status().message(), HasSubstr("secret_file"));
  EXPECT_THAT(keys.status().message(), Not(HasSubstr("BEGIN")));
}

TEST_F(KeyLoaderTest, SecretEnvReadsTheInjectedEnvironment) {
  options_.load.getenv =
      [](absl::string_view name) -> std::optional<std::string> {
    if (name == "HS_SECRET") return std::string(kSecret);
    return std::nullopt;
  };
  EXPECT_THAT(
      LoadVerificationKeys(
          Entry(KeySourceKind::kSecretEnv, "HS_SECRET", "HS256"), options_),
      IsOk());
  auto missing = LoadVerificationKeys(
      Entry(KeySourceKind::kSecretEnv, "NOT_SET", "HS256"), options_);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(),
              HasSubstr("secret_env: environment variable NOT_SET is not set"));
}

TEST_F(KeyLoaderTest, PrivateKeyFileContributesOnlyItsPublicHalf) {
  TestKey ec = GenerateTestKey(Algorithm::kEs256);
  auto keys = LoadVerificationKeys(
      Entry(KeySourceKind::kPrivateKeyFile, Write("ec.pem", PrivatePem(ec)),
            "ES256", "ec"),
      options_);
  ASSERT_THAT(keys, IsOk()) << keys.status();
  ASSERT_EQ(keys->keys.size(), 1u);
  EXPECT_FALSE(keys->keys[0].material().has_private());
  EXPECT_EQ(keys->keys[0].kid(), "ec");
}

TEST_F(KeyLoaderTest, JwkWhoseKidDisagreesIsRefused) {
  TestKey ec = GenerateTestKey(Algorithm::kEs256, "real-kid");
  auto keys = LoadVerificationKeys(
      Entry(KeySourceKind::kJwk, ec.key.ToPublicJwk()->dump(), "", "other-kid"),
      options_);
  ASSERT_FALSE(keys.ok());
  EXPECT_THAT(keys.status().message(),
              HasSubstr("providers[0].keys[1].jwk: kid \"other-kid\" does "
                        "not match the JWK's kid"));
}

TEST_F(KeyLoaderTest, JwksEntriesItSkipsBecomeWarnings) {
  TestKey ec = GenerateTestKey(Algorithm::kEs256, "good");
  nlohmann::json jwks = {
      {"keys", {*ec.key.ToPublicJwk(), {{"kty", "unknown"}, {"kid", "odd"}}}}};
  auto keys = LoadVerificationKeys(
      Entry(KeySourceKind::kJwksFile, Write("jwks.json", jwks.dump())),
      options_);
  ASSERT_THAT(keys, IsOk()) << keys.status();
  ASSERT_EQ(keys->keys.size(), 1u);
  EXPECT_EQ(keys->keys[0].kid(), "good");
  ASSERT_EQ(keys->warnings.size(), 1u);
  EXPECT_THAT(keys->warnings[0], HasSubstr("providers[0].keys[1]: skipped"));
}

TEST_F(KeyLoaderTest, UnreadableFileNamesTheEntry) {
  auto keys = LoadVerificationKeys(
      Entry(KeySourceKind::kPublicKeyFile, (dir_ / "missing.pem").string()),
      options_);
  ASSERT_FALSE(keys.ok());
  EXPECT_THAT(keys.status().message(),
              HasSubstr("config.yaml:7:9: providers[0].keys[1]."
                        "public_key_file: cannot read"));
}

TEST_F(KeyLoaderTest, SigningKeyFromPrivatePemCarriesKidAlgAndState) {
  TestKey ec = GenerateTestKey(Algorithm::kEs256);
  KeySourceConfig k = Entry(KeySourceKind::kPrivateKeyFile,
                            Write("sign.pem", PrivatePem(ec)), "ES256", "s1");
  k.state = KeyState::kRetiring;
  auto sk = LoadSigningKey(k, options_);
  ASSERT_THAT(sk, IsOk()) << sk.status();
  EXPECT_EQ(sk->kid(), "s1");
  EXPECT_EQ(sk->alg(), Algorithm::kEs256);
  EXPECT_EQ(sk->state(), KeyState::kRetiring);
}

TEST_F(KeyLoaderTest, SigningKeyErrorsNameTheEntry) {
  TestKey ec = GenerateTestKey(Algorithm::kEs256);
  auto no_kid = LoadSigningKey(Entry(KeySourceKind::kPrivateKeyFile,
                                     Write("a.pem", PrivatePem(ec)), "ES256"),
                               options_);
  ASSERT_FALSE(no_kid.ok());
  EXPECT_THAT(no_kid.status().message(),
              HasSubstr("private_key_file: kid is required for a signing key"));

  auto public_only = LoadSigningKey(
      Entry(KeySourceKind::kPrivateKeyFile,
            Write("b.pem", *ec.private_key.PublicPem()), "ES256", "k"),
      options_);
  ASSERT_FALSE(public_only.ok());
  EXPECT_THAT(public_only.status().message(),
              HasSubstr("private_key_file: the PEM holds no private key"));

  auto not_signing = LoadSigningKey(
      Entry(KeySourceKind::kJwks, "{\"keys\":[]}", "ES256", "k"), options_);
  ASSERT_FALSE(not_signing.ok());
  EXPECT_THAT(not_signing.status().message(),
              HasSubstr("jwks: not a signing key source"));
}

TEST_F(KeyLoaderTest, SigningJwkSuppliesKidAndAlg) {
  const nlohmann::json jwk = {{"kty", "oct"},
                              {"k", Base64UrlEncode(kSecret)},
                              {"kid", "from-jwk"},
                              {"alg", "HS256"}};
  auto sk = LoadSigningKey(
      Entry(KeySourceKind::kJwkFile, Write("sign.jwk", jwk.dump())), options_);
  ASSERT_THAT(sk, IsOk()) << sk.status();
  EXPECT_EQ(sk->kid(), "from-jwk");
  EXPECT_EQ(sk->alg(), Algorithm::kHs256);
}

}  // namespace
}  // namespace jwtauth::server
