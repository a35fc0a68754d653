#include "core/jwk.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "core/base64url.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/keys_verifier.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/test_keys.h"

namespace jwtauth {
namespace {

KeyOptions Opt(std::string kid = "",
               std::optional<Algorithm> alg = std::nullopt) {
  KeyOptions o;
  o.kid = std::move(kid);
  o.alg = alg;
  return o;
}

using ::jwtauth::testutil::CachedTestKey;
using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::SignJws;
using ::jwtauth::testutil::StatusIs;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::SizeIs;

// RFC 7515 A.3 P-256 public key (facts from the RFC).
json P256() {
  return {{"kty", "EC"},
          {"crv", "P-256"},
          {"x", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"},
          {"y", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}};
}
constexpr char kP256D[] = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";

json Oct(size_t n, const std::string& kid = "") {
  json j = {{"kty", "oct"}, {"k", Base64UrlEncode(std::string(n, 's'))}};
  if (!kid.empty()) j["kid"] = kid;
  return j;
}

json With(json j, const std::string& name, json value) {
  j[name] = std::move(value);
  return j;
}

absl::StatusOr<Key> Import(const json& j) { return ImportJwk(j, {}); }

TEST(JwkTest, ExportImportRoundTripVerifiesForEveryAsymmetricAlg) {
  for (Algorithm alg : kAllAlgorithms) {
    if (KeyTypeFor(alg) == KeyType::kOct) continue;
    SCOPED_TRACE(std::string(AlgorithmName(alg)));
    const testutil::TestKey& tk = CachedTestKey(alg);
    absl::StatusOr<json> jwk = tk.key.ToPublicJwk();
    ASSERT_THAT(jwk, IsOk());
    absl::StatusOr<Key> back = Import(*jwk);
    ASSERT_THAT(back, IsOk());
    EXPECT_EQ(back->kid(), tk.kid);
    EXPECT_EQ(back->alg(), alg);
    EXPECT_EQ(back->material().Fingerprint(), tk.key.material().Fingerprint());
    std::vector<Key> keys = {*back};
    EXPECT_TRUE(testutil::KeysVerifier(keys)
                    .Verify(SignJws(tk, "hello"))
                    .signature_verified);
  }
}

TEST(JwkTest, ImportsEachKty) {
  EXPECT_THAT(Import(P256()), IsOk());
  EXPECT_THAT(Import(Oct(32)), IsOk());
  absl::StatusOr<json> rsa = CachedTestKey(Algorithm::kRs256).key.ToPublicJwk();
  ASSERT_THAT(rsa, IsOk());
  EXPECT_THAT(Import(*rsa), IsOk());
  absl::StatusOr<json> okp = CachedTestKey(Algorithm::kEdDsa).key.ToPublicJwk();
  ASSERT_THAT(okp, IsOk());
  EXPECT_THAT(Import(*okp), IsOk());
}

TEST(JwkTest, RejectsUnknownOrMissingKty) {
  EXPECT_THAT(Import(With(P256(), "kty", "ec")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Import(With(P256(), "kty", 3)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  json no_kty = P256();
  no_kty.erase("kty");
  EXPECT_THAT(Import(no_kty), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Import(json::array()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(JwkTest, UseMustBeSig) {
  EXPECT_THAT(Import(With(P256(), "use", "sig")), IsOk());
  absl::StatusOr<Key> enc = Import(With(P256(), "use", "enc"));
  EXPECT_THAT(enc, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(enc.status().message(), HasSubstr("use"));
}

TEST(JwkTest, KeyOpsMustContainVerifyAndAgreeWithUse) {
  EXPECT_THAT(Import(With(P256(), "key_ops", {"verify"})), IsOk());
  EXPECT_THAT(Import(With(P256(), "key_ops", {"sign", "verify"})), IsOk());
  EXPECT_THAT(Import(With(P256(), "key_ops", {"encrypt"})),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Import(With(P256(), "key_ops", {"sign, verify"})),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Import(With(P256(), "key_ops", {"verify", "verify"})),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Import(With(P256(), "key_ops", "verify")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // Without "use", extra ops are tolerated; with use=sig they contradict it.
  EXPECT_THAT(Import(With(P256(), "key_ops", {"verify", "encrypt"})), IsOk());
  EXPECT_THAT(Import(With(With(P256(), "use", "sig"), "key_ops",
                          {"verify", "encrypt"})),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(JwkTest, AlgBindsAndMustFit) {
  absl::StatusOr<Key> bound = Import(With(P256(), "alg", "ES256"));
  ASSERT_THAT(bound, IsOk());
  EXPECT_EQ(bound->alg(), Algorithm::kEs256);
  for (const char* bad : {"ES384", "ES521", "ES224", "HS256", "RS256", "none",
                          "es256", "ECDH-ES"}) {
    EXPECT_THAT(Import(With(P256(), "alg", bad)),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
  EXPECT_THAT(Import(With(Oct(32), "alg", "A256GCM")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Import(With(Oct(32), "alg", "HS384")),  // 32 < 48 bytes
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Import(With(Oct(48), "alg", "HS384")), IsOk());
}

TEST(JwkTest, StrictBase64UrlMembers) {
  json padded = P256();
  padded["x"] = padded["x"].get<std::string>() + "=";
  EXPECT_THAT(Import(padded), StatusIs(absl::StatusCode::kInvalidArgument));
  json plus = P256();
  std::string x = plus["x"];
  x[3] = '+';
  plus["x"] = x;
  EXPECT_THAT(Import(plus), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Import(With(Oct(32), "k", "c2VjcmV0 c2VjcmV0")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Import(With(Oct(32), "k", "")),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(JwkTest, EcCoordinatesMustHaveExactLength) {
  json short_x = P256();
  short_x["x"] = Base64UrlEncode(std::string(31, 'a'));
  EXPECT_THAT(Import(short_x), StatusIs(absl::StatusCode::kInvalidArgument));
  json wrong_curve = With(P256(), "crv", "P-384");
  EXPECT_THAT(Import(wrong_curve),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Import(With(P256(), "crv", "secp256k1")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  json missing_y = P256();
  missing_y.erase("y");
  EXPECT_THAT(Import(missing_y), StatusIs(absl::StatusCode::kInvalidArgument));
  // A point off the curve (last byte of y changed).
  json off = P256();
  std::string y = *Base64UrlDecode(off["y"].get<std::string>());
  y.back() ^= 1;
  off["y"] = Base64UrlEncode(y);
  EXPECT_THAT(Import(off), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(JwkTest, OkpOnlyEd25519) {
  absl::StatusOr<json> okp = CachedTestKey(Algorithm::kEdDsa).key.ToPublicJwk();
  ASSERT_THAT(okp, IsOk());
  EXPECT_THAT(Import(With(*okp, "crv", "X25519")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Import(With(*okp, "crv", "Ed448")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Import(With(*okp, "x", Base64UrlEncode(std::string(31, 'x')))),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// Small-order Ed25519 keys: the small-order check reaches JWK import with its
// reason.
TEST(JwkTest, SmallOrderEd25519Refused) {
  json identity = {
      {"kty", "OKP"},
      {"crv", "Ed25519"},
      {"x", Base64UrlEncode(std::string(1, '\x01') + std::string(31, '\0'))}};
  absl::StatusOr<Key> key = Import(identity);
  EXPECT_THAT(key, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(key.status().message()),
              HasSubstr("Ed25519 public key has small order"));
  json set = {
      {"keys", {With(identity, "kid", "evil"), With(P256(), "kid", "p")}}};
  absl::StatusOr<JwksImport> r = ImportJwks(set.dump(), {});
  ASSERT_THAT(r, IsOk());
  EXPECT_THAT(r->keys, SizeIs(1));
  ASSERT_THAT(r->skipped, SizeIs(1));
  EXPECT_THAT(r->skipped[0], HasSubstr("small order"));
}

TEST(JwkTest, WeakKeysRefused) {
  EXPECT_THAT(Import(Oct(31)), StatusIs(absl::StatusCode::kInvalidArgument));
  JwkImportOptions lax;
  lax.strength.min_hmac_bytes = 16;
  EXPECT_THAT(ImportJwk(Oct(16), lax), IsOk());
}

TEST(JwkTest, PrivateMembersIgnoredOnPublicImport) {
  absl::StatusOr<Key> key = Import(With(P256(), "d", kP256D));
  ASSERT_THAT(key, IsOk());
  EXPECT_FALSE(key->material().has_private());
  // Even a malformed "d" is not read.
  EXPECT_THAT(Import(With(P256(), "d", "!!")), IsOk());
}

TEST(JwkTest, ImportPrivateJwkRequiresPrivateMaterial) {
  EXPECT_THAT(ImportPrivateJwk(P256(), {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  absl::StatusOr<Key> key = ImportPrivateJwk(With(P256(), "d", kP256D), {});
  ASSERT_THAT(key, IsOk());
  EXPECT_TRUE(key->material().has_private());
  EXPECT_THAT(crypto::NewSigner(Algorithm::kEs256, key->material()), IsOk());
  // key_ops on a signing key must allow "sign".
  EXPECT_THAT(ImportPrivateJwk(
                  With(With(P256(), "d", kP256D), "key_ops", {"verify"}), {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // The exported JWK of a private key carries no private member.
  absl::StatusOr<json> pub = key->ToPublicJwk();
  ASSERT_THAT(pub, IsOk());
  EXPECT_FALSE(pub->contains("d"));
}

TEST(JwkTest, X5cAndX5uAreIgnored) {
  json j = P256();
  j["x5u"] = "https://attacker.example/cert.pem";
  j["x5c"] = {"bm90IGEgY2VydA=="};
  absl::StatusOr<Key> key = Import(j);
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(key->material().Fingerprint(),
            Import(P256())->material().Fingerprint());
}

TEST(JwksTest, SkipAndReport) {
  json set = {{"keys",
               {With(P256(), "kid", "good"),
                With(With(P256(), "kid", "e"), "use", "enc"),
                {{"kty", "XYZ"}, {"kid", "u"}},
                7}}};
  absl::StatusOr<JwksImport> r = ImportJwks(set.dump(), {});
  ASSERT_THAT(r, IsOk());
  ASSERT_THAT(r->keys, SizeIs(1));
  EXPECT_EQ(r->keys[0].kid(), "good");
  ASSERT_THAT(r->skipped, SizeIs(3));
  EXPECT_THAT(r->skipped[0], HasSubstr("key 1 (kid \"e\"): use is not sig"));
  EXPECT_THAT(r->skipped[1], HasSubstr("key 2 (kid \"u\")"));
  EXPECT_THAT(r->skipped[2], HasSubstr("key 3"));
}

TEST(JwksTest, SourceAndLoadedAtAreStamped) {
  JwkImportOptions opts;
  opts.source = "jwks:https://idp/keys";
  opts.loaded_at = absl::FromUnixSeconds(42);
  absl::StatusOr<JwksImport> r =
      ImportJwks(json{{"keys", {P256()}}}.dump(), opts);
  ASSERT_THAT(r, IsOk());
  ASSERT_THAT(r->keys, SizeIs(1));
  EXPECT_EQ(r->keys[0].source(), "jwks:https://idp/keys");
  EXPECT_EQ(r->keys[0].loaded_at(), absl::FromUnixSeconds(42));
}

TEST(JwksTest, SingleJwkIsAccepted) {
  absl::StatusOr<JwksImport> r = ImportJwks(P256().dump(), {});
  ASSERT_THAT(r, IsOk());
  EXPECT_THAT(r->keys, SizeIs(1));
}

TEST(JwksTest, NotAJwksIsAnError) {
  EXPECT_THAT(ImportJwks("not json", {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ImportJwks(R"({"keys":{}})", {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ImportJwks(R"({"foo":1})", {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ImportJwks(R"([1,2])", {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ImportJwks(R"({"keys":[],"keys":[]})", {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(JwksTest, MaxKeys) {
  json set = {{"keys", json::array()}};
  for (int i = 0; i < 5; ++i)
    set["keys"].push_back(With(P256(), "kid", "k" + std::to_string(i)));
  JwkImportOptions opts;
  opts.max_keys = 3;
  absl::StatusOr<JwksImport> r = ImportJwks(set.dump(), opts);
  ASSERT_THAT(r, IsOk());
  EXPECT_THAT(r->keys, SizeIs(3));
  ASSERT_THAT(r->skipped, SizeIs(1));
  EXPECT_THAT(r->skipped[0], HasSubstr("max_keys"));
}

TEST(JwksTest, DuplicateKidWithDifferentKeysDropsAll) {
  json set = {{"keys",
               {Oct(32, "dup"), With(Oct(33, "dup"), "alg", "HS256"),
                Oct(40, "other")}}};
  absl::StatusOr<JwksImport> r = ImportJwks(set.dump(), {});
  ASSERT_THAT(r, IsOk());
  ASSERT_THAT(r->keys, SizeIs(1));
  EXPECT_EQ(r->keys[0].kid(), "other");
  ASSERT_THAT(r->skipped, SizeIs(2));
  EXPECT_THAT(r->skipped[0], HasSubstr("duplicate kid"));
}

TEST(JwksTest, SameKeyTwiceUnderOneKidIsKept) {
  json set = {{"keys",
               {With(With(P256(), "kid", "a"), "alg", "ES256"),
                With(P256(), "kid", "a")}}};
  absl::StatusOr<JwksImport> r = ImportJwks(set.dump(), {});
  ASSERT_THAT(r, IsOk());
  EXPECT_THAT(r->keys, SizeIs(2));
  EXPECT_THAT(r->skipped, SizeIs(0));
}

TEST(JwksTest, MixedSymmetricSetDropsSecrets) {
  json set = {{"keys", {Oct(32, "s"), With(P256(), "kid", "p")}}};
  absl::StatusOr<JwksImport> r = ImportJwks(set.dump(), {});
  ASSERT_THAT(r, IsOk());
  ASSERT_THAT(r->keys, SizeIs(1));
  EXPECT_EQ(r->keys[0].kty(), KeyType::kEc);
  ASSERT_THAT(r->skipped, SizeIs(1));
  EXPECT_THAT(r->skipped[0], HasSubstr("symmetric"));

  JwkImportOptions allow;
  allow.allow_mixed_symmetric = true;
  absl::StatusOr<JwksImport> r2 = ImportJwks(set.dump(), allow);
  ASSERT_THAT(r2, IsOk());
  EXPECT_THAT(r2->keys, SizeIs(2));
}

// No oct keys from JWKS URLs: with allow_symmetric = false (JWKS URLs) no oct
// entry is read, alone or mixed, whatever allow_mixed_symmetric says.
TEST(JwksTest, SymmetricKeysRefusedWhenNotAllowed) {
  JwkImportOptions no_secrets;
  no_secrets.allow_symmetric = false;
  no_secrets.allow_mixed_symmetric = true;
  EXPECT_THAT(ImportJwk(Oct(64, "s"), no_secrets),
              StatusIs(absl::StatusCode::kInvalidArgument));
  json only_oct = {{"keys", {Oct(32, "s1"), Oct(64, "s2")}}};
  absl::StatusOr<JwksImport> r = ImportJwks(only_oct.dump(), no_secrets);
  ASSERT_THAT(r, IsOk());
  EXPECT_THAT(r->keys, SizeIs(0));
  ASSERT_THAT(r->skipped, SizeIs(2));
  EXPECT_THAT(r->skipped[0], HasSubstr("symmetric (oct) key refused"));
  json mixed = {{"keys", {Oct(32, "s"), With(P256(), "kid", "p")}}};
  r = ImportJwks(mixed.dump(), no_secrets);
  ASSERT_THAT(r, IsOk());
  ASSERT_THAT(r->keys, SizeIs(1));
  EXPECT_EQ(r->keys[0].kty(), KeyType::kEc);
  // The default still accepts a configured oct-only set (static keys).
  r = ImportJwks(only_oct.dump(), {});
  ASSERT_THAT(r, IsOk());
  EXPECT_THAT(r->keys, SizeIs(2));
}

// JWKS key strength: the strength policy applies to every JWKS entry.
TEST(JwksTest, StrengthPolicyAppliesToEveryEntry) {
  absl::StatusOr<json> rsa = CachedTestKey(Algorithm::kRs256).key.ToPublicJwk();
  ASSERT_THAT(rsa, IsOk());
  json set = {{"keys", {*rsa, With(P256(), "kid", "p")}}};
  JwkImportOptions strict;
  strict.strength.min_rsa_bits = 3072;
  absl::StatusOr<JwksImport> r = ImportJwks(set.dump(), strict);
  ASSERT_THAT(r, IsOk());
  ASSERT_THAT(r->keys, SizeIs(1));
  EXPECT_EQ(r->keys[0].kty(), KeyType::kEc);
  ASSERT_THAT(r->skipped, SizeIs(1));
  EXPECT_THAT(r->skipped[0], HasSubstr("RSA modulus too small"));
  r = ImportJwks(set.dump(), {});
  ASSERT_THAT(r, IsOk());
  EXPECT_THAT(r->keys, SizeIs(2));
}

// The same key loaded twice (e.g. under two providers, or bound to two
// issuers) is one JWK in the published document.
TEST(JwksTest, ExportPublishesEachDistinctKeyOnce) {
  const Key es = CachedTestKey(Algorithm::kEs256).key;
  const Key rs = CachedTestKey(Algorithm::kRs256).key;
  const Key bound = es.BoundToIssuer("https://other.example");
  json out = ExportPublicJwks(std::vector<const Key*>{&es, &rs, &bound, &es});
  ASSERT_EQ(out["keys"].size(), 2u);
  EXPECT_EQ(out["keys"][0]["kty"], "EC");
  EXPECT_EQ(out["keys"][1]["kty"], "RSA");
}

// Private keys export only their public members.
TEST(JwksTest, ExportNeverHasPrivateMembers) {
  std::vector<Key> keys;
  for (Algorithm alg : {Algorithm::kRs256, Algorithm::kEs256, Algorithm::kEdDsa,
                        Algorithm::kHs256}) {
    keys.push_back(CachedTestKey(alg).key);
  }
  json out = ExportPublicJwks(keys);
  ASSERT_EQ(out["keys"].size(), 3u);
  for (const json& jwk : out["keys"]) {
    for (const char* member : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
      EXPECT_FALSE(jwk.contains(member)) << member;
    }
  }
}

// A kid read from a file may be any bytes: the text form replaces what is
// not UTF-8 instead of throwing.
TEST(JwksTest, ExportTextReplacesBytesThatAreNotUtf8) {
  const Key es = CachedTestKey(Algorithm::kEs256).key;
  absl::StatusOr<Key> odd = Key::Create(Opt("k\xff"), es.material());
  ASSERT_THAT(odd, IsOk());
  const std::string text = ExportPublicJwksText(std::vector<const Key*>{&*odd});
  EXPECT_THAT(text, HasSubstr("\"kid\":\"k\xef\xbf\xbd\""));
  EXPECT_EQ(json::parse(text)["keys"].size(), 1u);
}

TEST(JwksTest, ExportOmitsSymmetricKeys) {
  std::vector<Key> keys = {CachedTestKey(Algorithm::kHs256).key,
                           CachedTestKey(Algorithm::kEs256).key,
                           CachedTestKey(Algorithm::kRs256).key};
  json out = ExportPublicJwks(keys);
  ASSERT_TRUE(out["keys"].is_array());
  ASSERT_EQ(out["keys"].size(), 2u);
  EXPECT_EQ(out["keys"][0]["kty"], "EC");
  EXPECT_EQ(out["keys"][1]["kty"], "RSA");
  EXPECT_EQ(out.dump().find("\"k\""), std::string::npos);
  // And it imports back.
  absl::StatusOr<JwksImport> back = ImportJwks(out.dump(), {});
  ASSERT_THAT(back, IsOk());
  EXPECT_THAT(back->keys, SizeIs(2));
}

TEST(PemTest, ImportPemAndSecret) {
  absl::StatusOr<std::string> pem =
      CachedTestKey(Algorithm::kEs256).private_key.PublicPem();
  ASSERT_THAT(pem, IsOk());
  absl::StatusOr<Key> key = ImportPem(*pem, Opt("pem", Algorithm::kEs256));
  ASSERT_THAT(key, IsOk());
  std::vector<Key> keys = {*key};
  EXPECT_TRUE(testutil::KeysVerifier(keys)
                  .Verify(SignJws(CachedTestKey(Algorithm::kEs256), "x",
                                  {{"kid", "pem"}}))
                  .signature_verified);
  EXPECT_THAT(ImportPem("-----BEGIN NOTHING-----", Opt()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ImportSecret(std::string(32, 'x'), Opt("", Algorithm::kHs256)),
              IsOk());
  crypto::KeyStrengthPolicy lax;
  lax.min_hmac_bytes = 16;
  EXPECT_THAT(
      ImportSecret(std::string(20, 'x'), Opt("", Algorithm::kHs512), lax),
      IsOk());  // legacy floor: every HS alg accepts >= 16 bytes
  EXPECT_THAT(ImportSecret(std::string(20, 'x'), Opt("", Algorithm::kHs256)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(JwkTest, SecretThatIsAPublicKeyIsRefused) {
  // An RSA public key PEM configured as an HS256 secret would let anyone
  // holding the public key forge tokens (alg confusion by configuration).
  std::string pem = *CachedTestKey(Algorithm::kRs256).private_key.PublicPem();
  EXPECT_THAT(ImportSecret(pem, Opt("", Algorithm::kHs256)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      ImportSecret(
          "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0ZXN0a2V5MDEyMzQ1Njc4OQ",
          Opt("", Algorithm::kHs256)),
      StatusIs(absl::StatusCode::kInvalidArgument));
  absl::StatusOr<Key> key =
      ImportSecret(std::string(32, 'x'), Opt("", Algorithm::kHs256));
  EXPECT_THAT(key, IsOk());
}

TEST(JwkTest, SecretThatIsDerOrJwkOrOtherSshKeyIsRefused) {
  const testutil::TestKey& rs = CachedTestKey(Algorithm::kRs256);
  std::string pem = *rs.private_key.PublicPem();
  std::string body;
  for (char c : pem) {
    if (c != '\n') body.push_back(c);
  }
  body = body.substr(body.find("KEY-----") + 8);
  body = body.substr(0, body.find("-----"));
  std::string der;
  ASSERT_TRUE(absl::Base64Unescape(body, &der));
  EXPECT_THAT(CheckSecretIsNotKeyText(der),
              StatusIs(absl::StatusCode::kInvalidArgument));
  json jwk = *rs.key.ToPublicJwk();
  EXPECT_THAT(CheckSecretIsNotKeyText(jwk.dump()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CheckSecretIsNotKeyText(json{{"keys", {jwk}}}.dump(2) + "\n"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CheckSecretIsNotKeyText("ssh-dss AAAAB3NzaC1kc3MAAACBAP"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // Secrets that merely start like JSON or DER are still fine.
  EXPECT_THAT(CheckSecretIsNotKeyText(R"({"not":"a key","pad":"0123456789"})"),
              IsOk());
  EXPECT_THAT(
      CheckSecretIsNotKeyText(std::string("\x30") + std::string(40, 'z')),
      IsOk());
}

// Replays the jwk_fuzzer seed corpus with the fuzzer's properties.
TEST(JwkCorpusTest, SeedsHoldFuzzProperties) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(JWTAUTH_SOURCE_DIR) / "tests/fuzz/corpus/jwk";
  int files = 0, loaded = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    std::ifstream in(e.path());
    std::stringstream buf;
    buf << in.rdbuf();
    ++files;
    JwkImportOptions opts;
    opts.max_keys = 8;
    absl::StatusOr<JwksImport> r = ImportJwks(buf.str(), opts);
    if (!r.ok()) continue;
    loaded += static_cast<int>(r->keys.size());
    EXPECT_LE(r->keys.size(), opts.max_keys) << e.path();
    for (const Key& key : r->keys) {
      EXPECT_FALSE(testutil::ServedAlgorithms(key).empty());
    }
    json exported = ExportPublicJwks(r->keys);
    for (const json& jwk : exported["keys"]) {
      EXPECT_FALSE(jwk.contains("k") || jwk.contains("d")) << e.path();
      EXPECT_THAT(ImportJwk(jwk, opts), IsOk()) << e.path();
    }
  }
  EXPECT_GE(files, 10);
  EXPECT_GE(loaded, 5);
}

}  // namespace
}  // namespace jwtauth
