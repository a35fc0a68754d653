// Classic attacks on key sources: JWKS entries that must not load (use: enc,
// wrong key_ops, alg/kty mismatch, duplicate kids, oct next to public keys),
// from a static jwks_file and from a jwks_url on loopback; header-supplied
// keys (jku, x5u, jwk, x5c) that must never be used or fetched.
// Every case runs through SecurityServer (YAML → Application → TokenVerifier
// → AuthService on a real loopback gRPC server). Part of the
// attack suite (docs/SECURITY.md).

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/security/classic_common.h"
#include "tests/testutil/jwks_http_server.h"
#include "tests/testutil/wait.h"

namespace jwtauth::testing::classic {
namespace {

using testutil::GenerateTestKey;
using testutil::HttpReply;
using testutil::JwksHttpServer;
using testutil::TestKey;

json PublicJwk(const TestKey& k) {
  absl::StatusOr<json> j = k.key.ToPublicJwk();
  return j.ok() ? *j : json::object();
}

json ClaimsFor(absl::string_view iss) {
  json c = GoodClaims();
  c["iss"] = iss;
  return c;
}

// The keys behind the JWKS document: one good entry and one per hole.
struct JwksKeys {
  TestKey good = GenerateTestKey(Algorithm::kRs256, "good");
  TestKey enc = GenerateTestKey(Algorithm::kEs256, "enc");
  TestKey ops = GenerateTestKey(Algorithm::kEs256, "ops");
  TestKey mismatch = GenerateTestKey(Algorithm::kEs256, "mismatch");
  TestKey dup1 = GenerateTestKey(Algorithm::kEs256, "dup");
  TestKey dup2 = GenerateTestKey(Algorithm::kEs256, "dup");
  std::string oct_secret = "jwks-published-hmac-secret-0123456789abcdef";

  static const JwksKeys& Get() {
    static const JwksKeys* k = new JwksKeys();
    return *k;
  }

  std::string Document() const {
    json e_good = PublicJwk(good);
    e_good["use"] = "sig";
    json e_enc = PublicJwk(enc);
    e_enc["use"] = "enc";
    json e_ops = PublicJwk(ops);
    e_ops["key_ops"] = {"encrypt"};
    json e_mismatch = PublicJwk(mismatch);
    e_mismatch["alg"] = "RS256";
    json e_oct = {{"kty", "oct"},
                  {"kid", "oct"},
                  {"alg", "HS256"},
                  {"k", B64(oct_secret)}};
    return json{{"keys",
                 {e_good, e_enc, e_ops, e_mismatch, PublicJwk(dup1),
                  PublicJwk(dup2), e_oct}}}
        .dump();
  }
};

std::string JwksProviderYaml(absl::string_view name, absl::string_view iss,
                             absl::string_view source) {
  return absl::StrCat("  - name: ", name, "\n    issuers: [\"", iss,
                      "\"]\n    audiences: [api]\n", source);
}

// Shared checks for a provider fed by the JWKS document above.
class JwksEntryChecks {
 protected:
  static void ExpectGoodAccepted(SecurityServer& s, absl::string_view iss) {
    EXPECT_TRUE(Accepted(s.Verify(
        testutil::SignJws(JwksKeys::Get().good, ClaimsFor(iss).dump()))));
  }
  static v1::VerifyResponse VerifyBy(SecurityServer& s, const TestKey& k,
                                     absl::string_view iss) {
    return s.Verify(testutil::SignJws(k, ClaimsFor(iss).dump()));
  }
};

class ClassicJwksFileTest : public ClassicSuite, public JwksEntryChecks {
 protected:
  static constexpr char kJwksIss[] = "https://jwks.test";
  static void SetUpTestSuite() {
    const KeySetFixture& k = KeySetFixture::Get();
    std::map<std::string, std::string> files = k.Files();
    files["jwks.json"] = JwksKeys::Get().Document();
    auto s = SecurityServer::Start(
        KeySetFixture::Yaml(JwksProviderYaml(
            "j", kJwksIss,
            "    keys:\n      - {jwks_file: \"{dir}/jwks.json\"}\n")),
        files);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(s).value();
  }
};

// Control: the sig entry of the same document verifies.
TEST_F(ClassicJwksFileTest, PositiveControlSigEntryAccepted) {
  ExpectGoodAccepted(*server_, kJwksIss);
}
// RFC 7517 §4.2: a key published with use "enc" is not a signature key.
TEST_F(ClassicJwksFileTest, UseEncEntryNotLoaded) {
  EXPECT_TRUE(Refused(VerifyBy(*server_, JwksKeys::Get().enc, kJwksIss),
                      v1::KEY_NOT_FOUND));
}
// RFC 7517 §4.3: key_ops ["encrypt"] does not permit "verify".
TEST_F(ClassicJwksFileTest, KeyOpsEncryptEntryNotLoaded) {
  EXPECT_TRUE(Refused(VerifyBy(*server_, JwksKeys::Get().ops, kJwksIss),
                      v1::KEY_NOT_FOUND));
}
// RFC 7517 §4.4 / RFC 8725 §3.1: alg RS256 on an EC key is inconsistent.
TEST_F(ClassicJwksFileTest, AlgKtyMismatchEntryNotLoaded) {
  EXPECT_TRUE(Refused(VerifyBy(*server_, JwksKeys::Get().mismatch, kJwksIss),
                      v1::KEY_NOT_FOUND));
}
// RFC 7517 §4.5: two different keys under one kid; neither may be trusted
// (which one wins would be an accident of order).
TEST_F(ClassicJwksFileTest, DuplicateKidFirstKeyNotTrusted) {
  EXPECT_TRUE(Refused(VerifyBy(*server_, JwksKeys::Get().dup1, kJwksIss),
                      v1::KEY_NOT_FOUND));
}
// RFC 7517 §4.5: the second key under the duplicate kid.
TEST_F(ClassicJwksFileTest, DuplicateKidSecondKeyNotTrusted) {
  EXPECT_TRUE(Refused(VerifyBy(*server_, JwksKeys::Get().dup2, kJwksIss),
                      v1::KEY_NOT_FOUND));
}
// RFC 8725 §3.1: an oct (secret) entry next to public keys is dropped, so a
// token HMAC'd with the published "secret" finds no key.
TEST_F(ClassicJwksFileTest, OctEntryBesidePublicKeysNotLoaded) {
  const std::string header = R"({"alg":"HS256","kid":"oct"})";
  EXPECT_TRUE(
      Refused(server_->Verify(HmacToken(JwksKeys::Get().oct_secret, header,
                                        ClaimsFor(kJwksIss).dump())),
              v1::KEY_NOT_FOUND));
}
// CVE-2016-10555 via JWKS: HS256 MAC'd with the published RSA key's PEM.
TEST_F(ClassicJwksFileTest, AlgConfusionHs256OnJwksRsaKey) {
  const std::string pem =
      JwksKeys::Get().good.private_key.PublicPem().value_or("");
  EXPECT_TRUE(
      Refused(server_->Verify(HmacToken(pem, R"({"alg":"HS256","kid":"good"})",
                                        ClaimsFor(kJwksIss).dump())),
              v1::UNSUPPORTED_ALGORITHM));
}

// The same document served from a jwks_url on loopback.
class ClassicJwksUrlTest : public ClassicSuite, public JwksEntryChecks {
 protected:
  static constexpr char kUrlIss[] = "https://url.test";
  static void SetUpTestSuite() {
    http_ = JwksHttpServer::Start();
    ASSERT_NE(http_, nullptr);
    http_->SetReply("/jwks", HttpReply{.body = JwksKeys::Get().Document()});
    auto s = SecurityServer::Start(
        KeySetFixture::Yaml(JwksProviderYaml(
            "u", kUrlIss,
            absl::StrCat("    jwks_urls: [\"", http_->Url("/jwks"), "\"]\n"))),
        KeySetFixture::Get().Files());
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(s).value();
    // Bounded wait for the first fetch to be published.
    const std::string good =
        testutil::SignJws(JwksKeys::Get().good, ClaimsFor(kUrlIss).dump());
    ASSERT_TRUE(
        testutil::WaitUntil([&] { return server_->Verify(good).valid(); },
                            absl::Seconds(10), absl::Milliseconds(20)))
        << "the first JWKS fetch was not published";
  }
  static void TearDownTestSuite() {
    server_.reset();
    http_.reset();
  }
  static inline std::unique_ptr<JwksHttpServer> http_;
};

// Control: the sig entry fetched from the URL verifies.
TEST_F(ClassicJwksUrlTest, PositiveControlSigEntryAccepted) {
  ExpectGoodAccepted(*server_, kUrlIss);
  EXPECT_GE(http_->RequestCount("/jwks"), 1);
}
// RFC 7517 §4.2 over HTTP: use "enc".
TEST_F(ClassicJwksUrlTest, UseEncEntryNotLoaded) {
  EXPECT_TRUE(Refused(VerifyBy(*server_, JwksKeys::Get().enc, kUrlIss),
                      v1::KEY_NOT_FOUND));
}
// RFC 7517 §4.3 over HTTP: key_ops ["encrypt"].
TEST_F(ClassicJwksUrlTest, KeyOpsEncryptEntryNotLoaded) {
  EXPECT_TRUE(Refused(VerifyBy(*server_, JwksKeys::Get().ops, kUrlIss),
                      v1::KEY_NOT_FOUND));
}
// RFC 7517 §4.4 over HTTP: alg RS256 on an EC key.
TEST_F(ClassicJwksUrlTest, AlgKtyMismatchEntryNotLoaded) {
  EXPECT_TRUE(Refused(VerifyBy(*server_, JwksKeys::Get().mismatch, kUrlIss),
                      v1::KEY_NOT_FOUND));
}
// RFC 7517 §4.5 over HTTP: duplicate kid, either key.
TEST_F(ClassicJwksUrlTest, DuplicateKidNotTrusted) {
  EXPECT_TRUE(Refused(VerifyBy(*server_, JwksKeys::Get().dup1, kUrlIss),
                      v1::KEY_NOT_FOUND));
  EXPECT_TRUE(Refused(VerifyBy(*server_, JwksKeys::Get().dup2, kUrlIss),
                      v1::KEY_NOT_FOUND));
}
// RFC 8725 §3.1: a URL never supplies HMAC secrets.
TEST_F(ClassicJwksUrlTest, OctEntryFromUrlNotLoaded) {
  const std::string header = R"({"alg":"HS256","kid":"oct"})";
  EXPECT_TRUE(
      Refused(server_->Verify(HmacToken(JwksKeys::Get().oct_secret, header,
                                        ClaimsFor(kUrlIss).dump())),
              v1::KEY_NOT_FOUND));
}

// --- header-supplied keys (RFC 8725 §2.9, §3.10; CVE-2018-0114) ---

class ClassicKeyInjectionTest : public ClassicSuite {
 protected:
  static void SetUpTestSuite() {
    StartServer();
    attacker_ = new TestKey(GenerateTestKey(Algorithm::kEs256, "evil"));
    http_ = JwksHttpServer::Start();
    ASSERT_NE(http_, nullptr);
    http_->SetReply(
        "/jwks",
        HttpReply{.body = json{{"keys", {PublicJwk(*attacker_)}}}.dump()});
    http_->SetReply("/cert.pem",
                    HttpReply{.body = "-----BEGIN CERTIFICATE-----\n"});
  }
  static void TearDownTestSuite() {
    server_.reset();
    http_.reset();
  }
  // The attacker's ES256 token with extra header members.
  static std::string AttackerToken(const json& extra, bool with_kid = true) {
    json header = {{"alg", "ES256"}};
    if (with_kid) header["kid"] = attacker_->kid;
    for (auto it = extra.begin(); it != extra.end(); ++it)
      header[it.key()] = it.value();
    return Sign(*attacker_->signer, header, GoodClaims().dump());
  }
  // True if the attacker's server saw no request within a short window.
  static bool NeverFetched() {
    return !http_->WaitForRequestCount("/jwks", 1, absl::Milliseconds(300)) &&
           http_->TotalRequests() == 0;
  }
  static inline TestKey* attacker_ = nullptr;
  static inline std::unique_ptr<JwksHttpServer> http_;
};

// RFC 8725 §3.10 / RFC 7515 §4.1.2: jku pointing at the attacker's JWKS
// (loopback) is never fetched; the attacker's kid stays unknown.
TEST_F(ClassicKeyInjectionTest, JkuToAttackerJwksNotFetched) {
  EXPECT_TRUE(Refused(Verify(AttackerToken({{"jku", http_->Url("/jwks")}})),
                      v1::KEY_NOT_FOUND));
  EXPECT_TRUE(NeverFetched());
}
// RFC 8725 §3.10: jku with the kid of a configured key: the configured key
// is used (and fails); the URL is not fetched.
TEST_F(ClassicKeyInjectionTest, JkuWithConfiguredKidNotFetched) {
  json header = {
      {"alg", "ES256"}, {"kid", "es256"}, {"jku", http_->Url("/jwks")}};
  EXPECT_TRUE(
      Refused(Verify(Sign(*attacker_->signer, header, GoodClaims().dump())),
              v1::SIGNATURE_INVALID));
  EXPECT_TRUE(NeverFetched());
}
// RFC 7515 §4.1.5: x5u is never fetched.
TEST_F(ClassicKeyInjectionTest, X5uNotFetched) {
  EXPECT_TRUE(Refused(Verify(AttackerToken({{"x5u", http_->Url("/cert.pem")}})),
                      v1::KEY_NOT_FOUND));
  EXPECT_EQ(http_->TotalRequests(), 0);
}
// CVE-2018-0114: an embedded "jwk" with the attacker's kid is not a key.
TEST_F(ClassicKeyInjectionTest, EmbeddedJwkWithAttackerKid) {
  EXPECT_TRUE(Refused(Verify(AttackerToken({{"jwk", PublicJwk(*attacker_)}})),
                      v1::KEY_NOT_FOUND));
}
// CVE-2018-0114: embedded "jwk" and no kid — only configured ES256 keys are
// tried, and they do not verify the attacker's signature.
TEST_F(ClassicKeyInjectionTest, EmbeddedJwkWithoutKid) {
  json jwk = PublicJwk(*attacker_);
  jwk.erase("kid");
  EXPECT_TRUE(Refused(Verify(AttackerToken({{"jwk", jwk}}, /*with_kid=*/false)),
                      v1::SIGNATURE_INVALID));
}
// CVE-2018-0114: embedded "jwk" claiming a configured kid.
TEST_F(ClassicKeyInjectionTest, EmbeddedJwkWithConfiguredKid) {
  json jwk = PublicJwk(*attacker_);
  jwk["kid"] = "es256";
  json header = {{"alg", "ES256"}, {"kid", "es256"}, {"jwk", jwk}};
  EXPECT_TRUE(
      Refused(Verify(Sign(*attacker_->signer, header, GoodClaims().dump())),
              v1::SIGNATURE_INVALID));
}
// RFC 7515 §4.1.6 / RFC 8725 §3.10: an embedded x5c certificate (issued by
// a CA the attacker controls) is not a trust anchor.
TEST_F(ClassicKeyInjectionTest, EmbeddedX5cNotTrusted) {
  auto pki = testutil::TestPki::Create();
  ASSERT_TRUE(pki.ok()) << pki.status();
  auto slurp = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  auto key = crypto::KeyMaterial::FromPem(slurp((*pki)->key_file()));
  ASSERT_TRUE(key.ok()) << key.status();
  auto signer = crypto::NewSigner(Algorithm::kEs256, *key);
  ASSERT_TRUE(signer.ok()) << signer.status();
  const std::string cert_b64 =
      absl::Base64Escape(PemToDer(slurp((*pki)->cert_file())));
  const std::string ca_b64 =
      absl::Base64Escape(PemToDer(slurp((*pki)->ca_file())));
  json header = {{"alg", "ES256"}, {"x5c", {cert_b64, ca_b64}}};
  EXPECT_TRUE(Refused(Verify(Sign(**signer, header, GoodClaims().dump())),
                      v1::SIGNATURE_INVALID));
  header["kid"] = "evil-x5c";
  EXPECT_TRUE(Refused(Verify(Sign(**signer, header, GoodClaims().dump())),
                      v1::KEY_NOT_FOUND));
}

}  // namespace
}  // namespace jwtauth::testing::classic
