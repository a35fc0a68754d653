#include "server/key_source_config.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "core/algorithm.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/config_test_env.h"
#include "tests/testutil/status_matchers.h"

namespace jwtauth::server {
namespace {

using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::LoadConfigText;
using ::testing::HasSubstr;

absl::StatusOr<KeySourceConfig> Key(absl::string_view entry,
                                    KeyRole role = KeyRole::kVerification) {
  return ParseKeySourceConfig(LoadConfigText(absl::StrCat("k: ", entry))["k"],
                              role);
}

std::string KeyError(absl::string_view entry) {
  absl::StatusOr<KeySourceConfig> k = Key(entry);
  return k.ok() ? "OK" : std::string(k.status().message());
}

// Every algorithm name AlgorithmFromName knows is accepted, nothing else.
TEST(KeySourceConfigTest, AlgorithmNamesComeFromAlgorithmFromName) {
  for (Algorithm alg : kAllAlgorithms) {
    const std::string name(AlgorithmName(alg));
    const std::string entry =
        KeyTypeFor(alg) == KeyType::kOct
            ? absl::StrCat("{alg: ", name, ", secret_env: S}\n")
            : absl::StrCat("{alg: ", name, ", public_key_file: k.pem}\n");
    EXPECT_EQ(KeyError(entry), "OK") << name;
  }
  for (const char* bad : {"none", "hs256", "RS1", "ES256K"}) {
    EXPECT_THAT(KeyError(absl::StrCat("{alg: ", bad, ", jwk_file: k.json}\n")),
                HasSubstr("config.yaml:1:10: k.alg: unsupported algorithm"))
        << bad;
  }
}

TEST(KeySourceConfigTest, SecretsServeOnlyHmac) {
  EXPECT_THAT(KeyError("{alg: RS256, secret: abc}\n"),
              HasSubstr("k.alg: an HMAC secret can only serve HS"));
  EXPECT_THAT(KeyError("{secret: abc}\n"),
              HasSubstr("config.yaml:1:4: k.alg: required for an HMAC secret"));
  EXPECT_THAT(KeyError("{alg: HS256, public_key_file: k.pem}\n"),
              HasSubstr("k.alg: HS* needs secret"));
  EXPECT_EQ(KeyError("{alg: HS256, jwks_file: k.json}\n"), "OK");
}

TEST(KeySourceConfigTest, SigningKeysNeedAlgUnlessJwk) {
  EXPECT_THAT(
      Key("{private_key_file: a.pem}\n", KeyRole::kSigning).status().message(),
      HasSubstr("k.alg: required for a signing key"));
  EXPECT_THAT(Key("{jwk_file: a.json}\n", KeyRole::kSigning), IsOk());
  EXPECT_THAT(std::string(Key("{public_key_file: a.pem, alg: ES256}\n",
                              KeyRole::kSigning)
                              .status()
                              .message()),
              HasSubstr("k.public_key_file: unknown key"));
}

TEST(KeySourceConfigTest, FilesAndLabels) {
  absl::StatusOr<KeySourceConfig> k = Key("{alg: HS256, secret_file: s.txt}\n");
  ASSERT_THAT(k, IsOk());
  EXPECT_EQ(k->kind, KeySourceKind::kSecretFile);
  EXPECT_EQ(k->SourceLabel(), "file:/etc/jwtauth/s.txt");
  EXPECT_EQ(k->Files(), std::vector<std::string>{"/etc/jwtauth/s.txt"});
  k = Key("{alg: HS256, secret_env: S}\n");
  ASSERT_THAT(k, IsOk());
  EXPECT_EQ(k->SourceLabel(), "env:S");
  EXPECT_TRUE(k->Files().empty());
}

}  // namespace
}  // namespace jwtauth::server
