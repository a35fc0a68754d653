// Classic attacks on the JOSE header and the compact serialization: alg
// "none" in every casing, alg spelling, crit, b64, duplicate members, kid
// values that look like paths or SQL, the token's shape, alphabet and size.
// Every case runs through SecurityServer (YAML → Application → TokenVerifier
// → AuthService on a real loopback gRPC server). Part of the
// attack suite (docs/SECURITY.md).

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/security/classic_common.h"

namespace jwtauth::testing::classic {
namespace {

class ClassicHeaderTest : public ClassicSuite {
 protected:
  static void SetUpTestSuite() { StartServer(); }

  // A correctly HMAC-signed token (the real "hs" secret) with an exact
  // header text: proves the header rule, not the signature, refuses it.
  static std::string HsWithHeader(absl::string_view header) {
    return HmacToken(kHsSecret, header, GoodClaims().dump());
  }
  // "alg": <alg> with a valid-looking HS256 signature by the real secret.
  static std::string NoneToken(absl::string_view alg, bool with_signature) {
    const std::string header = json{{"alg", alg}, {"kid", "hs"}}.dump();
    const std::string token = HsWithHeader(header);
    return with_signature ? token : token.substr(0, token.rfind('.') + 1);
  }
};

// Control: every key family verifies through the same server, so the suite
// fails if everything were refused.
TEST_F(ClassicHeaderTest, PositiveControlEveryFamilyAccepted) {
  const KeySetFixture& k = keys();
  for (const ClassicKey* key :
       {&k.hs, &k.rs, &k.es256, &k.es384, &k.es512, &k.ed}) {
    EXPECT_TRUE(Accepted(Verify(key->Token(GoodClaims())))) << key->kid;
  }
  EXPECT_TRUE(Accepted(Verify(HsWithHeader(R"({"alg":"HS256","kid":"hs"})"))));
}

// --- alg "none" (RFC 8725 §2.1, §3.1; CVE-2015-9235) ---

// RFC 8725 §3.1 / CVE-2015-9235: alg "none" with a signature present.
TEST_F(ClassicHeaderTest, AlgNoneLowercaseWithSignature) {
  EXPECT_TRUE(
      Refused(Verify(NoneToken("none", true)), v1::UNSUPPORTED_ALGORITHM));
}
// RFC 8725 §3.1: "None" (case variants bypassed case-sensitive blocklists).
TEST_F(ClassicHeaderTest, AlgNoneCapitalizedWithSignature) {
  EXPECT_TRUE(
      Refused(Verify(NoneToken("None", true)), v1::UNSUPPORTED_ALGORITHM));
}
// RFC 8725 §3.1: "NONE".
TEST_F(ClassicHeaderTest, AlgNoneUppercaseWithSignature) {
  EXPECT_TRUE(
      Refused(Verify(NoneToken("NONE", true)), v1::UNSUPPORTED_ALGORITHM));
}
// RFC 8725 §3.1: "nOnE".
TEST_F(ClassicHeaderTest, AlgNoneMixedCaseWithSignature) {
  EXPECT_TRUE(
      Refused(Verify(NoneToken("nOnE", true)), v1::UNSUPPORTED_ALGORITHM));
}
// RFC 7518 §3.6 unsecured JWS "h.p." — an empty signature part is MALFORMED
// before alg is read (core/jws.h rule order), so "none" never gets that far.
TEST_F(ClassicHeaderTest, AlgNoneLowercaseWithoutSignature) {
  EXPECT_TRUE(Refused(Verify(NoneToken("none", false)), v1::MALFORMED));
}
// RFC 8725 §3.1: unsecured "None" token.
TEST_F(ClassicHeaderTest, AlgNoneCapitalizedWithoutSignature) {
  EXPECT_TRUE(Refused(Verify(NoneToken("None", false)), v1::MALFORMED));
}
// RFC 8725 §3.1: unsecured "NONE" token.
TEST_F(ClassicHeaderTest, AlgNoneUppercaseWithoutSignature) {
  EXPECT_TRUE(Refused(Verify(NoneToken("NONE", false)), v1::MALFORMED));
}
// RFC 8725 §3.1: unsecured "nOnE" token.
TEST_F(ClassicHeaderTest, AlgNoneMixedCaseWithoutSignature) {
  EXPECT_TRUE(Refused(Verify(NoneToken("nOnE", false)), v1::MALFORMED));
}
// RFC 7515 §4.1.1: alg values are case-sensitive; "hs256" is not HS256.
TEST_F(ClassicHeaderTest, AlgLowercaseHs256IsNotHs256) {
  EXPECT_TRUE(
      Refused(Verify(NoneToken("hs256", true)), v1::UNSUPPORTED_ALGORITHM));
}
// RFC 8725 §3.1: an empty alg is no algorithm.
TEST_F(ClassicHeaderTest, AlgEmptyString) {
  EXPECT_TRUE(Refused(Verify(NoneToken("", true)), v1::UNSUPPORTED_ALGORITHM));
}
// RFC 7515 §4.1.1: alg must be a string; an array holding HS256 is not.
TEST_F(ClassicHeaderTest, AlgAsArray) {
  EXPECT_TRUE(Refused(Verify(HsWithHeader(R"({"alg":["HS256"],"kid":"hs"})")),
                      v1::MALFORMED));
}
// RFC 7515 §4.1.1: alg is required.
TEST_F(ClassicHeaderTest, AlgMissing) {
  EXPECT_TRUE(Refused(Verify(HsWithHeader(R"({"kid":"hs"})")), v1::MALFORMED));
}

// --- crit and b64 (RFC 7515 §4.1.11, RFC 7797) ---

// RFC 7515 §4.1.11: an unknown critical extension must be refused.
TEST_F(ClassicHeaderTest, CritUnknownExtension) {
  EXPECT_TRUE(Refused(
      Verify(
          HsWithHeader(R"({"alg":"HS256","kid":"hs","crit":["exp"],"exp":1})")),
      v1::HEADER_REJECTED));
}
// RFC 7515 §4.1.11: "crit" must not be an empty list.
TEST_F(ClassicHeaderTest, CritEmptyArray) {
  EXPECT_TRUE(
      Refused(Verify(HsWithHeader(R"({"alg":"HS256","kid":"hs","crit":[]})")),
              v1::HEADER_REJECTED));
}
// RFC 7515 §4.1.11: crit naming a present parameter we do not implement as
// an extension (kid) is still refused: we implement no extension.
TEST_F(ClassicHeaderTest, CritNamingPresentHeader) {
  EXPECT_TRUE(Refused(
      Verify(HsWithHeader(R"({"alg":"HS256","kid":"hs","crit":["kid"]})")),
      v1::HEADER_REJECTED));
}
// RFC 7515 §4.1.11: crit naming a parameter that is absent.
TEST_F(ClassicHeaderTest, CritNamingAbsentHeader) {
  EXPECT_TRUE(Refused(
      Verify(HsWithHeader(R"({"alg":"HS256","kid":"hs","crit":["x-custom"]})")),
      v1::HEADER_REJECTED));
}
// RFC 7797 §6: b64=false (unencoded payload) changes what is signed; with
// crit as RFC 7797 requires.
TEST_F(ClassicHeaderTest, B64FalseWithCrit) {
  EXPECT_TRUE(
      Refused(Verify(HsWithHeader(
                  R"({"alg":"HS256","kid":"hs","b64":false,"crit":["b64"]})")),
              v1::HEADER_REJECTED));
}
// RFC 7797 §3: b64=false without crit (a lax parser would ignore it).
TEST_F(ClassicHeaderTest, B64FalseWithoutCrit) {
  EXPECT_TRUE(
      Refused(Verify(HsWithHeader(R"({"alg":"HS256","kid":"hs","b64":false})")),
              v1::HEADER_REJECTED));
}

// --- duplicate members (RFC 7515 §4 "MUST be unique", RFC 8725 §2.6) ---

// RFC 7515 §5.2: {"alg":"HS256","alg":"none"} — parsers disagree on which
// one wins; duplicates must be refused, not resolved.
TEST_F(ClassicHeaderTest, DuplicateAlgHs256ThenNone) {
  EXPECT_TRUE(Refused(
      Verify(HsWithHeader(R"({"alg":"HS256","alg":"none","kid":"hs"})")),
      v1::MALFORMED));
}
// RFC 7515 §5.2: the same duplicate in the other order.
TEST_F(ClassicHeaderTest, DuplicateAlgNoneThenHs256) {
  EXPECT_TRUE(Refused(
      Verify(HsWithHeader(R"({"alg":"none","alg":"HS256","kid":"hs"})")),
      v1::MALFORMED));
}
// RFC 7515 §5.2 / RFC 8259 §7: a duplicate spelled with an escape ("\u0061lg").
TEST_F(ClassicHeaderTest, DuplicateAlgViaUnicodeEscape) {
  EXPECT_TRUE(Refused(
      Verify(HsWithHeader(R"({"alg":"HS256","\u0061lg":"none","kid":"hs"})")),
      v1::MALFORMED));
}
// RFC 7515 §5.2: duplicate kid (one parser picks the attacker's key id).
TEST_F(ClassicHeaderTest, DuplicateKid) {
  EXPECT_TRUE(
      Refused(Verify(HsWithHeader(R"({"alg":"HS256","kid":"hs","kid":"rs"})")),
              v1::MALFORMED));
}
// RFC 7515 §4: the header must be a JSON object.
TEST_F(ClassicHeaderTest, HeaderIsArray) {
  EXPECT_TRUE(Refused(Verify(HsWithHeader(R"([{"alg":"HS256","kid":"hs"}])")),
                      v1::MALFORMED));
}
// Parser DoS: a header nested deeper than the header JSON limit.
TEST_F(ClassicHeaderTest, DeeplyNestedHeader) {
  std::string deep = std::string(200, '[') + std::string(200, ']');
  EXPECT_TRUE(Refused(Verify(HsWithHeader(absl::StrCat(
                          R"({"alg":"HS256","kid":"hs","x":)", deep, "}"))),
                      v1::MALFORMED));
}

// --- kid values (RFC 7515 §4.1.4; RFC 8725 §2.9, §3.10: kid injection) ---

// kid path traversal: must be looked up as an opaque id, never a path.
TEST_F(ClassicHeaderTest, KidPathTraversal) {
  const std::string header = R"({"alg":"HS256","kid":"../../etc/passwd"})";
  EXPECT_TRUE(
      Refused(Verify(HmacToken("root:x:0:0", header, GoodClaims().dump())),
              v1::KEY_NOT_FOUND));
}
// kid "/dev/null" with the token HMAC'd under the empty key (what a kid-as-
// file-path verifier would compute).
TEST_F(ClassicHeaderTest, KidDevNullWithEmptyHmacKey) {
  const std::string header = R"({"alg":"HS256","kid":"/dev/null"})";
  EXPECT_TRUE(Refused(Verify(HmacToken("", header, GoodClaims().dump())),
                      v1::KEY_NOT_FOUND));
}
// kid naming the configured public key file, HMAC'd with that file's text.
TEST_F(ClassicHeaderTest, KidIsPathOfPublicKeyFile) {
  const std::string header =
      json{{"alg", "HS256"}, {"kid", server_->dir() + "/rs.pem"}}.dump();
  EXPECT_TRUE(Refused(
      Verify(HmacToken(keys().rs.public_pem, header, GoodClaims().dump())),
      v1::KEY_NOT_FOUND));
}
// kid SQL injection (a key store queried with string concatenation).
TEST_F(ClassicHeaderTest, KidSqlInjection) {
  const std::string header =
      json{{"alg", "HS256"}, {"kid", "' OR 1=1 --"}}.dump();
  EXPECT_TRUE(Refused(Verify(HmacToken("x", header, GoodClaims().dump())),
                      v1::KEY_NOT_FOUND));
}
// kid "hs\u0000": signed with the real secret; a C-string comparison would
// truncate at the NUL and find key "hs".
TEST_F(ClassicHeaderTest, KidWithEmbeddedNul) {
  EXPECT_TRUE(
      Refused(Verify(HsWithHeader(R"({"alg":"HS256","kid":"hs\u0000"})")),
              v1::KEY_NOT_FOUND));
}
// kid "hs\n": signed with the real secret; a line-based or trimming lookup
// would find key "hs".
TEST_F(ClassicHeaderTest, KidWithTrailingNewline) {
  EXPECT_TRUE(Refused(Verify(HsWithHeader(R"({"alg":"HS256","kid":"hs\n"})")),
                      v1::KEY_NOT_FOUND));
}
// kid "HS": kid matching is exact (case-sensitive).
TEST_F(ClassicHeaderTest, KidDifferentCase) {
  EXPECT_TRUE(Refused(Verify(HsWithHeader(R"({"alg":"HS256","kid":"HS"})")),
                      v1::KEY_NOT_FOUND));
}
// RFC 7515 §4.1.4: kid is a string; a number is refused, not coerced.
TEST_F(ClassicHeaderTest, KidNotAString) {
  EXPECT_TRUE(Refused(Verify(HsWithHeader(R"({"alg":"HS256","kid":1})")),
                      v1::HEADER_REJECTED));
}

// --- shape, alphabet and size of the compact serialization (RFC 7515 §7.1) ---

// RFC 7515 §7.1: four segments is not a compact JWS.
TEST_F(ClassicHeaderTest, FourSegments) {
  const std::string t = keys().hs.Token(GoodClaims());
  EXPECT_TRUE(Refused(Verify(absl::StrCat(t, ".", B64("x"))), v1::MALFORMED));
}
// RFC 7516 §7.1: five segments is a JWE; never processed as a JWS.
TEST_F(ClassicHeaderTest, FiveSegmentsJweShape) {
  const std::string jwe =
      absl::StrCat(B64(R"({"alg":"dir","enc":"A256GCM","kid":"hs"})"), "..",
                   B64("iv-iv-iv-iv"), ".", B64(GoodClaims().dump()), ".",
                   B64("tag-tag-tag-tag1"));
  EXPECT_TRUE(Refused(Verify(jwe), v1::MALFORMED));
}
// RFC 7515 §7.1: a newline inside the token (a header-folding trick).
TEST_F(ClassicHeaderTest, NewlineInsideToken) {
  std::string t = keys().hs.Token(GoodClaims());
  t.insert(t.find('.') + 5, "\n");
  EXPECT_TRUE(Refused(Verify(t), v1::MALFORMED));
}
// RFC 7515 §7.1: a space after a dot.
TEST_F(ClassicHeaderTest, SpaceInsideToken) {
  std::string t = keys().hs.Token(GoodClaims());
  t.insert(t.rfind('.') + 1, " ");
  EXPECT_TRUE(Refused(Verify(t), v1::MALFORMED));
}
// RFC 7515 §2 (base64url without padding): a padded signature part.
TEST_F(ClassicHeaderTest, Base64PaddingInSignature) {
  // HS256 signature: 32 bytes → 43 chars, padded form has one '='.
  const std::string t = keys().hs.Token(GoodClaims());
  EXPECT_TRUE(Refused(Verify(absl::StrCat(t, "=")), v1::MALFORMED));
}
// RFC 7515 §2: standard base64 '+' '/' instead of '-' '_' (a second spelling
// of the same bytes would bypass caches and revocation lists).
TEST_F(ClassicHeaderTest, Base64StandardAlphabet) {
  std::string t;
  for (int i = 0;
       i < 200 && t.find_first_of("-_", t.rfind('.')) == std::string::npos;
       ++i) {
    json c = GoodClaims();
    c["jti"] = i;
    t = keys().hs.Token(c);
  }
  const size_t pos = t.find_first_of("-_", t.rfind('.'));
  ASSERT_NE(pos, std::string::npos) << "no '-' or '_' in 200 signatures";
  ASSERT_TRUE(Accepted(Verify(t)));
  t[pos] = t[pos] == '-' ? '+' : '/';
  EXPECT_TRUE(Refused(Verify(t), v1::MALFORMED));
}
// RFC 7515 §2: non-canonical base64url (last char has non-zero pad bits).
TEST_F(ClassicHeaderTest, Base64NonCanonicalTrailingBits) {
  std::string t = keys().hs.Token(GoodClaims());
  // 43 chars encode 32 bytes; the last char carries 2 unused low bits.
  char& last = t.back();
  const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  last = alphabet[alphabet.find(last) ^ 1];
  EXPECT_TRUE(Refused(Verify(t), v1::MALFORMED));
}

// A validly signed ES256 token of exactly `size` bytes (padding an ignored
// header member and a claim).
std::string TokenOfSize(size_t size) {
  const ClassicKey& k = KeySetFixture::Get().es256;
  for (size_t h = 0; h < 4; ++h) {
    json header = k.Header();
    header["x"] = std::string(h, 'h');
    for (size_t p = 0; p < size; ++p) {
      json claims = GoodClaims();
      claims["pad"] = std::string(p, 'p');
      std::string t = Sign(*k.signer, header, claims.dump());
      if (t.size() == size) return t;
      if (t.size() > size) break;
    }
  }
  return "";
}

// DoS bound (limits.max_token_bytes): a token of exactly the limit (default
// 8192) is accepted — the limit is inclusive.
TEST_F(ClassicHeaderTest, TokenExactlyAtSizeLimitAccepted) {
  const std::string t = TokenOfSize(8192);
  ASSERT_EQ(t.size(), 8192u);
  EXPECT_TRUE(Accepted(Verify(t)));
}
// DoS: one byte over the limit is refused before any parsing, although
// validly signed.
TEST_F(ClassicHeaderTest, TokenOneByteOverSizeLimit) {
  const std::string t = TokenOfSize(8193);
  ASSERT_EQ(t.size(), 8193u);
  EXPECT_TRUE(Refused(Verify(t), v1::TOKEN_TOO_LARGE));
}
// DoS: a far oversized token (512 KiB, under the gRPC message cap).
TEST_F(ClassicHeaderTest, TokenFarOverSizeLimit) {
  std::string t = keys().hs.Token(GoodClaims());
  t.insert(t.find('.') + 1, std::string(512 * 1024, 'A'));
  EXPECT_TRUE(Refused(Verify(t), v1::TOKEN_TOO_LARGE));
}

}  // namespace
}  // namespace jwtauth::testing::classic
