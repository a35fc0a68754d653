// Classic attacks on the claims set: duplicate members, deep and huge JSON,
// a payload that is not an object, and time claims (exp/nbf/iat) that are
// strings, negative, fractional, huge, non-finite, boolean, null or objects.
// Every token is correctly signed (HS256, the configured secret), so the
// claims rule — not the signature — decides. Every case runs through
// SecurityServer (YAML → Application → TokenVerifier → AuthService on a real
// loopback gRPC server). Part of the
// attack suite (docs/SECURITY.md).

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "tests/security/classic_common.h"

namespace jwtauth::testing::classic {
namespace {

class ClassicClaimsTest : public ClassicSuite {
 protected:
  static void SetUpTestSuite() { StartServer(); }

  // HS256 token over the exact payload text.
  static v1::VerifyResponse VerifyPayload(absl::string_view payload) {
    return Verify(
        HmacToken(kHsSecret, R"({"alg":"HS256","kid":"hs"})", payload));
  }
  // The good claims with `name` set to the raw JSON text `value`.
  static v1::VerifyResponse VerifyWithClaim(absl::string_view name,
                                            absl::string_view value) {
    json c = GoodClaims();
    c.erase(std::string(name));
    std::string text = c.dump();
    text.insert(text.size() - 1, absl::StrCat(",\"", name, "\":", value));
    return VerifyPayload(text);
  }
};

// Control: the good claims verify; and a nested claim at the depth limit
// (max_json_depth 16: the object plus 15 arrays) is fine.
TEST_F(ClassicClaimsTest, PositiveControlAccepted) {
  EXPECT_TRUE(Accepted(VerifyPayload(GoodClaims().dump())));
  EXPECT_TRUE(Accepted(VerifyWithClaim(
      "x", absl::StrCat(std::string(15, '['), std::string(15, ']')))));
}

// --- duplicate members (RFC 7519 §4 "MUST be unique", RFC 8725 §2.6) ---

// RFC 7519 §4: duplicate "exp" — one parser takes the far-future value.
TEST_F(ClassicClaimsTest, DuplicateExp) {
  const int64_t now = NowSeconds();
  EXPECT_TRUE(Refused(VerifyPayload(absl::StrCat(
                          R"({"iss":"https://iss.test","aud":"api","exp":)",
                          now - 3600, R"(,"exp":)", now + 3600, "}")),
                      v1::MALFORMED));
}
// RFC 7519 §4: duplicate "iss" (first accepted, second attacker-chosen).
TEST_F(ClassicClaimsTest, DuplicateIss) {
  const int64_t now = NowSeconds();
  EXPECT_TRUE(
      Refused(VerifyPayload(absl::StrCat(
                  R"({"iss":"https://iss.test","iss":"https://evil.test",)",
                  R"("aud":"api","exp":)", now + 600, "}")),
              v1::MALFORMED));
}
// RFC 8259 §7: a duplicate spelled with an escape ("\u0061ud").
TEST_F(ClassicClaimsTest, DuplicateAudViaUnicodeEscape) {
  const int64_t now = NowSeconds();
  EXPECT_TRUE(Refused(
      VerifyPayload(absl::StrCat(
          R"({"iss":"https://iss.test","aud":"api","\u0061ud":"other",)",
          R"("exp":)", now + 600, "}")),
      v1::MALFORMED));
}

// --- deep and huge JSON (parser DoS; limits.max_json_depth/max_claims) ---

// 1000 nested arrays inside a claim: refused at the depth limit, no crash.
TEST_F(ClassicClaimsTest, DeepNestedArraysInClaim) {
  EXPECT_TRUE(Refused(
      VerifyWithClaim(
          "x", absl::StrCat(std::string(1000, '['), std::string(1000, ']'))),
      v1::MALFORMED));
}
// 1000 nested arrays as the whole payload.
TEST_F(ClassicClaimsTest, DeepNestedArraysAsPayload) {
  EXPECT_TRUE(Refused(VerifyPayload(absl::StrCat(std::string(1000, '['),
                                                 std::string(1000, ']'))),
                      v1::MALFORMED));
}
// 1000 nested objects, unterminated (a stack-exhaustion probe).
TEST_F(ClassicClaimsTest, DeepNestedObjectsUnterminated) {
  std::string deep;
  for (int i = 0; i < 1000; ++i) deep += R"({"a":)";
  EXPECT_TRUE(Refused(VerifyWithClaim("x", deep), v1::MALFORMED));
}
// One more level than max_json_depth (16).
TEST_F(ClassicClaimsTest, NestingOneOverDepthLimit) {
  EXPECT_TRUE(Refused(VerifyWithClaim("x", absl::StrCat(std::string(16, '['),
                                                        std::string(16, ']'))),
                      v1::MALFORMED));
}
// More members than limits.max_claims (256).
TEST_F(ClassicClaimsTest, TooManyClaims) {
  json c = GoodClaims();
  for (int i = 0; i < 300; ++i) c[absl::StrCat("c", i)] = 0;
  EXPECT_TRUE(Refused(VerifyPayload(c.dump()), v1::MALFORMED));
}
// More values than the payload value limit (1000), in one array.
TEST_F(ClassicClaimsTest, HugeArrayClaim) {
  std::string arr = "[0";
  for (int i = 0; i < 2000; ++i) arr += ",0";
  arr += "]";
  EXPECT_TRUE(Refused(VerifyWithClaim("x", arr), v1::MALFORMED));
}

// --- payload not a JSON object (RFC 7519 §7.2 step 10) ---

// RFC 7519 §7.2: the claims set is an array.
TEST_F(ClassicClaimsTest, PayloadIsArray) {
  EXPECT_TRUE(
      Refused(VerifyPayload(absl::StrCat("[", GoodClaims().dump(), "]")),
              v1::MALFORMED));
}
// RFC 7519 §7.2: the claims set is a string.
TEST_F(ClassicClaimsTest, PayloadIsString) {
  EXPECT_TRUE(Refused(VerifyPayload(R"("https://iss.test")"), v1::MALFORMED));
}
// RFC 7519 §7.2: the claims set is a number.
TEST_F(ClassicClaimsTest, PayloadIsNumber) {
  EXPECT_TRUE(Refused(VerifyPayload("42"), v1::MALFORMED));
}
// RFC 7519 §7.2: the claims set is empty (RFC 7515 allows an empty JWS
// payload, a JWT does not).
TEST_F(ClassicClaimsTest, PayloadIsEmpty) {
  EXPECT_TRUE(Refused(VerifyPayload(""), v1::MALFORMED));
}
// RFC 8259 §8.1: invalid UTF-8 inside a claim string.
TEST_F(ClassicClaimsTest, PayloadWithInvalidUtf8) {
  EXPECT_TRUE(
      Refused(VerifyWithClaim("sub", "\"al\xff\xfeice\""), v1::MALFORMED));
}
// RFC 8259 §2: trailing garbage after the object.
TEST_F(ClassicClaimsTest, PayloadWithTrailingGarbage) {
  EXPECT_TRUE(Refused(VerifyPayload(GoodClaims().dump() + "x"), v1::MALFORMED));
}

// --- time claims (RFC 7519 §2 NumericDate, §4.1.4-4.1.6) ---

// RFC 7519 §4.1.4: exp as the string "9999999999" (a lax parser coerces it).
TEST_F(ClassicClaimsTest, ExpAsNumericString) {
  EXPECT_TRUE(
      Refused(VerifyWithClaim("exp", R"("9999999999")"), v1::CLAIM_INVALID));
}
// RFC 7519 §4.1.5: nbf as a string.
TEST_F(ClassicClaimsTest, NbfAsNumericString) {
  EXPECT_TRUE(Refused(VerifyWithClaim("nbf", R"("0")"), v1::CLAIM_INVALID));
}
// RFC 7519 §4.1.6: iat as a string.
TEST_F(ClassicClaimsTest, IatAsNumericString) {
  EXPECT_TRUE(Refused(VerifyWithClaim("iat", R"("0")"), v1::CLAIM_INVALID));
}
// RFC 7519 §2: a negative exp (before 1970): never a valid NumericDate here.
TEST_F(ClassicClaimsTest, ExpNegative) {
  EXPECT_TRUE(Refused(VerifyWithClaim("exp", "-1"), v1::CLAIM_INVALID));
}
// RFC 7519 §2: a negative nbf (an "always valid" trick that also breaks
// unsigned comparisons).
TEST_F(ClassicClaimsTest, NbfNegative) {
  EXPECT_TRUE(Refused(VerifyWithClaim("nbf", "-9223372036854775808"),
                      v1::CLAIM_INVALID));
}
// RFC 7519 §2: a negative iat.
TEST_F(ClassicClaimsTest, IatNegative) {
  EXPECT_TRUE(Refused(VerifyWithClaim("iat", "-1"), v1::CLAIM_INVALID));
}
// RFC 7519 §2: NumericDate "can represent non-integer values", so a
// fractional future exp is legal and accepted (core/claims.cc keeps the
// fraction as nanoseconds).
TEST_F(ClassicClaimsTest, ExpFractionalFutureAccepted) {
  EXPECT_TRUE(
      Accepted(VerifyWithClaim("exp", absl::StrCat(NowSeconds() + 600, ".5"))));
}
// RFC 7519 §2: a fractional past exp is EXPIRED, not rounded up into
// validity.
TEST_F(ClassicClaimsTest, ExpFractionalPastExpired) {
  EXPECT_TRUE(
      Refused(VerifyWithClaim("exp", absl::StrCat(NowSeconds() - 120, ".999")),
              v1::EXPIRED));
}
// RFC 7519 §2: exp 1e300 — past year 9999, refused instead of overflowing
// a time conversion into the past or future.
TEST_F(ClassicClaimsTest, ExpHugeFloat1e300) {
  EXPECT_TRUE(Refused(VerifyWithClaim("exp", "1e300"), v1::CLAIM_INVALID));
}
// RFC 7519 §2: nbf 1e300.
TEST_F(ClassicClaimsTest, NbfHugeFloat1e300) {
  EXPECT_TRUE(Refused(VerifyWithClaim("nbf", "1e300"), v1::CLAIM_INVALID));
}
// RFC 7519 §2: exp 2^64 (does not fit any integer type).
TEST_F(ClassicClaimsTest, ExpAboveUint64) {
  EXPECT_TRUE(Refused(VerifyWithClaim("exp", "18446744073709551616"),
                      v1::CLAIM_INVALID));
}
// RFC 7519 §2: exp just past 9999-12-31 (int64 range, beyond the date range).
TEST_F(ClassicClaimsTest, ExpBeyondYear9999) {
  EXPECT_TRUE(
      Refused(VerifyWithClaim("exp", "253402300800"), v1::CLAIM_INVALID));
}
// RFC 8259 §6: NaN is not JSON; the payload is malformed.
TEST_F(ClassicClaimsTest, ExpNaNLiteral) {
  EXPECT_TRUE(Refused(VerifyWithClaim("exp", "NaN"), v1::MALFORMED));
}
// RFC 8259 §6: 1e400 overflows a double (Infinity); not accepted as a number.
TEST_F(ClassicClaimsTest, ExpOverflowingFloat1e400) {
  EXPECT_TRUE(Refused(VerifyWithClaim("exp", "1e400"), v1::MALFORMED));
}
// RFC 7519 §2: the string "NaN" is not a NumericDate.
TEST_F(ClassicClaimsTest, ExpNaNString) {
  EXPECT_TRUE(Refused(VerifyWithClaim("exp", R"("NaN")"), v1::CLAIM_INVALID));
}
// RFC 7519 §4.1.4: exp true (truthy in a lax comparison).
TEST_F(ClassicClaimsTest, ExpBoolean) {
  EXPECT_TRUE(Refused(VerifyWithClaim("exp", "true"), v1::CLAIM_INVALID));
}
// RFC 7519 §4.1.5: nbf false (0 in a lax comparison).
TEST_F(ClassicClaimsTest, NbfBoolean) {
  EXPECT_TRUE(Refused(VerifyWithClaim("nbf", "false"), v1::CLAIM_INVALID));
}
// RFC 7519 §4.1.6: iat true.
TEST_F(ClassicClaimsTest, IatBoolean) {
  EXPECT_TRUE(Refused(VerifyWithClaim("iat", "true"), v1::CLAIM_INVALID));
}
// RFC 7519 §4.1.4: exp null is not "absent" (absent + require_exp would be
// CLAIM_MISSING; null must not skip the check either way).
TEST_F(ClassicClaimsTest, ExpNull) {
  EXPECT_TRUE(Refused(VerifyWithClaim("exp", "null"), v1::CLAIM_INVALID));
}
// RFC 7519 §4.1.4: exp as an array holding a future time.
TEST_F(ClassicClaimsTest, ExpArray) {
  EXPECT_TRUE(Refused(
      VerifyWithClaim("exp", absl::StrCat("[", NowSeconds() + 600, "]")),
      v1::CLAIM_INVALID));
}
// RFC 7519 §4.1.4: exp as an object.
TEST_F(ClassicClaimsTest, ExpObject) {
  EXPECT_TRUE(Refused(VerifyWithClaim("exp", R"({"$numberLong":"9999999999"})"),
                      v1::CLAIM_INVALID));
}
// RFC 7519 §4.1.4 with require_exp (default true): exp absent.
TEST_F(ClassicClaimsTest, ExpMissing) {
  json c = GoodClaims();
  c.erase("exp");
  EXPECT_TRUE(Refused(VerifyPayload(c.dump()), v1::CLAIM_MISSING));
}

}  // namespace
}  // namespace jwtauth::testing::classic
