// Process tests of `jwtauth jwks FILE...` (cli/jwks_command.cc): a public
// JWKS from PEM / JWK / JWKS files, private members dropped, RFC 7638 kids,
// HMAC secrets skipped; the result verifies tokens with `verify --jwks`.

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/jwk_thumbprint.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/cli/cli_process.h"
#include "tests/testutil/temp_dir.h"
#include "tests/testutil/test_keys.h"

namespace jwtauth::cli {
namespace {

using ::jwtauth::testutil::GenerateTestKey;
using ::jwtauth::testutil::ProcessResult;
using ::jwtauth::testutil::RunCli;
using ::jwtauth::testutil::SignJws;
using ::jwtauth::testutil::TestKey;
using ::testing::HasSubstr;
using ::testing::Not;

class JwksCommandTest : public ::testing::Test {
 protected:
  ProcessResult Run(const std::vector<std::string>& args) {
    return RunCli(args, tmp_.path());
  }
  std::string PrivatePem(const TestKey& k) {
    return *k.private_key.PrivatePem();
  }
  static nlohmann::json Parse(const ProcessResult& r) {
    return nlohmann::json::parse(r.out, nullptr, false);
  }
  testutil::TempDir tmp_{"cli_jwks"};
};

TEST_F(JwksCommandTest, PemAndJwkFilesBecomeOnePublicJwks) {
  TestKey es = GenerateTestKey(Algorithm::kEs256, "");
  TestKey rs = GenerateTestKey(Algorithm::kRs256, "");
  TestKey ed = GenerateTestKey(Algorithm::kEdDsa, "ed-1");
  const std::string es_pem = tmp_.Write("es.pem", PrivatePem(es));
  const std::string rs_pub =
      tmp_.Write("rs.pub.pem", *rs.private_key.PublicPem());
  const std::string ed_jwk = tmp_.Write("ed.jwk", ed.key.ToPublicJwk()->dump());

  ProcessResult r = Run({"jwks", es_pem, rs_pub, ed_jwk});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json jwks = Parse(r);
  ASSERT_TRUE(jwks.is_object()) << r.out;
  ASSERT_EQ(jwks["keys"].size(), 3u) << r.out;
  // No kid: the RFC 7638 thumbprint; a kid is kept.
  EXPECT_EQ(jwks["keys"][0]["kid"], *JwkThumbprint(*es.key.ToPublicJwk()));
  EXPECT_EQ(jwks["keys"][0]["kty"], "EC");
  EXPECT_EQ(jwks["keys"][1]["kid"], *JwkThumbprint(*rs.key.ToPublicJwk()));
  EXPECT_EQ(jwks["keys"][2]["kid"], "ed-1");
  for (const char* priv : {"\"d\"", "\"p\"", "\"q\"", "\"dp\"", "\"qi\""}) {
    EXPECT_THAT(r.out, Not(HasSubstr(priv)));
  }
  // --json: the same document.
  ProcessResult j = Run({"jwks", "--json", es_pem, rs_pub, ed_jwk});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_EQ(Parse(j), jwks);
}

TEST_F(JwksCommandTest, PrivateJwkMembersAreDroppedAndDuplicatesMerged) {
  TestKey es = GenerateTestKey(Algorithm::kEs256, "es-1");
  nlohmann::json priv = *es.key.ToPublicJwk();
  priv["d"] = "bm90LXJlYWxseS1hLXByaXZhdGUta2V5LWJ1dC1zaG91bGQtZ28";
  const std::string with_d = tmp_.Write("priv.jwk", priv.dump());
  const std::string set = tmp_.Write(
      "set.json", nlohmann::json({{"keys", {*es.key.ToPublicJwk()}}}).dump());
  ProcessResult r = Run({"jwks", with_d, set});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json jwks = Parse(r);
  ASSERT_TRUE(jwks.is_object()) << r.out;
  ASSERT_EQ(jwks["keys"].size(), 1u) << r.out;
  EXPECT_FALSE(jwks["keys"][0].contains("d"));
  EXPECT_THAT(r.out, Not(HasSubstr(priv["d"].get<std::string>())));
}

TEST_F(JwksCommandTest, TheOutputVerifiesTokensOffline) {
  TestKey es = GenerateTestKey(Algorithm::kEs256, "");
  ProcessResult r = Run({"jwks", tmp_.Write("es.pem", PrivatePem(es))});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string jwks = tmp_.Write("jwks.json", r.out);
  const std::string kid = Parse(r)["keys"][0]["kid"];
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  TestKey signer = es;
  signer.kid = kid;  // the header names the thumbprint kid
  const std::string token = SignJws(
      signer,
      nlohmann::json(
          {{"iss", "https://i.test"}, {"aud", "api"}, {"exp", now + 60}})
          .dump());
  ProcessResult v = Run({"verify", "--jwks", jwks, "--iss", "https://i.test",
                         "--aud", "api", token});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_THAT(v.out, HasSubstr(absl::StrCat("kid=", kid)));
}

TEST_F(JwksCommandTest, SecretsAreSkippedAndBadFilesAreErrors) {
  TestKey es = GenerateTestKey(Algorithm::kEs256, "es-1");
  const std::string secret_value =
      "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTEyMzQ1Ng";
  const std::string mixed = tmp_.Write(
      "mixed.json",
      nlohmann::json({{"keys",
                       {*es.key.ToPublicJwk(),
                        {{"kty", "oct"}, {"kid", "hs"}, {"k", secret_value}}}}})
          .dump());
  ProcessResult r = Run({"jwks", mixed});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Parse(r)["keys"].size(), 1u) << r.out;
  EXPECT_THAT(r.err, HasSubstr("HMAC secret"));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr(secret_value)));

  const std::string only_secret = tmp_.Write(
      "oct.json", nlohmann::json({{"kty", "oct"}, {"k", secret_value}}).dump());
  r = Run({"jwks", only_secret});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("no public key"));

  r = Run({"jwks", tmp_.Path("missing.pem")});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("missing.pem: cannot read"));
  r = Run({"jwks", tmp_.Write("junk.txt", "hello")});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("not a PEM key, JWK or JWKS"));
  r = Run({"jwks", tmp_.Write("bad.pem",
                              "-----BEGIN PRIVATE KEY-----\nAAAA\n"
                              "-----END PRIVATE KEY-----\n")});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  // Two different keys under one kid.
  TestKey other = GenerateTestKey(Algorithm::kEs256, "es-1");
  r = Run({"jwks", tmp_.Write("a.jwk", es.key.ToPublicJwk()->dump()),
           tmp_.Write("b.jwk", other.key.ToPublicJwk()->dump())});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("two different keys have kid \"es-1\""));
  r = Run({"jwks"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

}  // namespace
}  // namespace jwtauth::cli
