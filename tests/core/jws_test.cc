#include "core/jws.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/base64url.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jwtauth {
namespace {

using ::testing::AnyOf;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;

// RFC 7515 Appendix A.1 (HS256).
constexpr absl::string_view kRfcHeaderB64 =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9";
constexpr absl::string_view kRfcPayloadB64 =
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNv"
    "bS9pc19yb290Ijp0cnVlfQ";
constexpr absl::string_view kRfcSignatureB64 =
    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

// A token with the given header JSON, a small payload and a 32-byte
// signature (the parser never checks it).
std::string Token(absl::string_view header_json,
                  absl::string_view payload = R"({"sub":"x"})") {
  return CompleteCompactJws(MakeSigningInput(header_json, payload),
                            std::string(32, '\x5a'));
}

FailureReason ReasonOf(absl::string_view token, const JwsLimits& limits = {}) {
  FailureOr<ParsedJws> jws = ParsedJws::Parse(token, limits);
  if (!jws.ok()) {
    EXPECT_FALSE(jws.failure().detail.empty()) << token;
  }
  return jws.reason();
}

TEST(ParsedJwsTest, ParsesRfc7515AppendixA1) {
  const std::string token =
      absl::StrCat(kRfcHeaderB64, ".", kRfcPayloadB64, ".", kRfcSignatureB64);
  FailureOr<ParsedJws> jws = ParsedJws::Parse(token);
  ASSERT_TRUE(jws.ok()) << jws.failure().detail;
  EXPECT_EQ(jws->alg(), Algorithm::kHs256);
  EXPECT_THAT(jws->typ(), Optional(Eq("JWT")));
  EXPECT_EQ(jws->kid(), std::nullopt);
  EXPECT_EQ(jws->header()["typ"], "JWT");
  EXPECT_EQ(jws->signing_input(),
            absl::StrCat(kRfcHeaderB64, ".", kRfcPayloadB64));
  EXPECT_EQ(jws->payload(),
            "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n "
            "\"http://example.com/is_root\":true}");
  const unsigned char kSig[] = {116, 24,  223, 180, 151, 153, 224, 37,
                                79,  250, 96,  125, 216, 173, 187, 186,
                                22,  212, 37,  77,  105, 214, 191, 240,
                                91,  88,  5,   88,  83,  132, 141, 121};
  EXPECT_EQ(jws->signature(),
            std::string(reinterpret_cast<const char*>(kSig), sizeof(kSig)));
}

TEST(ParsedJwsTest, AcceptsEveryAlgorithmCaseSensitively) {
  for (Algorithm alg : kAllAlgorithms) {
    const std::string header =
        absl::StrCat(R"({"alg":")", AlgorithmName(alg), R"("})");
    FailureOr<ParsedJws> jws = ParsedJws::Parse(Token(header));
    ASSERT_TRUE(jws.ok()) << header;
    EXPECT_EQ(jws->alg(), alg);
  }
}

TEST(ParsedJwsTest, ReadsKidAndTypAndIgnoresKeyLocators) {
  FailureOr<ParsedJws> jws = ParsedJws::Parse(Token(
      R"({"alg":"ES256","kid":"k-1","typ":"at+jwt","cty":"JWT",)"
      R"("jku":"https://evil.example/jwks","x5u":"https://evil.example/c",)"
      R"("jwk":{"kty":"oct","k":"AAAA"},"x5c":["AAAA"],"b64":true,"zzz":[1]})"));
  ASSERT_TRUE(jws.ok()) << jws.failure().detail;
  EXPECT_THAT(jws->kid(), Optional(Eq("k-1")));
  EXPECT_THAT(jws->typ(), Optional(Eq("at+jwt")));
  EXPECT_EQ(jws->header()["zzz"][0], 1);
}

TEST(ParsedJwsTest, PayloadIsOpaqueAndMayBeEmpty) {
  FailureOr<ParsedJws> empty =
      ParsedJws::Parse(Token(R"({"alg":"HS256"})", ""));
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->payload(), "");
  const std::string binary("\x00\xff not json \x01", 13);
  FailureOr<ParsedJws> bin =
      ParsedJws::Parse(Token(R"({"alg":"HS256"})", binary));
  ASSERT_TRUE(bin.ok());
  EXPECT_EQ(bin->payload(), binary);
}

TEST(ParsedJwsTest, SizeLimitIsExactAndFirst) {
  JwsLimits limits;
  const std::string token = Token(R"({"alg":"HS256"})");
  limits.max_token_bytes = token.size();
  EXPECT_EQ(ReasonOf(token, limits), FailureReason::kUnspecified);
  limits.max_token_bytes = token.size() - 1;
  EXPECT_EQ(ReasonOf(token, limits), FailureReason::kTokenTooLarge);
  EXPECT_EQ(ReasonOf(std::string(8193, '!')), FailureReason::kTokenTooLarge);
  EXPECT_EQ(ReasonOf(std::string(8192, '!')), FailureReason::kMalformed);
}

struct Case {
  const char* name;
  std::string token;
  FailureReason reason;
};

std::vector<Case> RuleTable() {
  const std::string h = Base64UrlEncode(R"({"alg":"HS256"})");
  const std::string p = Base64UrlEncode("{}");
  const std::string s = Base64UrlEncode("signature");
  using R = FailureReason;
  return {
      {"empty", "", R::kTokenMissing},
      {"one part", h, R::kMalformed},
      {"two parts", h + "." + p, R::kMalformed},
      {"four parts", h + "." + p + "." + s + "." + s, R::kMalformed},
      {"trailing dot", h + "." + p + "." + s + ".", R::kMalformed},
      {"only dots", "..", R::kMalformed},
      {"empty header", "." + p + "." + s, R::kMalformed},
      {"empty signature", h + "." + p + ".", R::kMalformed},
      {"header padded", h + "==." + p + "." + s, R::kMalformed},
      {"payload padded", h + "." + Base64UrlEncode("{}x") + "=." + s,
       R::kMalformed},
      {"signature padded", h + "." + p + "." + s + "=", R::kMalformed},
      {"header 4k+1", h + "A." + p + "." + s, R::kMalformed},
      {"payload 4k+1", h + ".AAAAA." + s, R::kMalformed},
      {"signature 4k+1", h + "." + p + ".AAAAA", R::kMalformed},
      {"plus in signature", h + "." + p + ".ab+d", R::kMalformed},
      {"slash in payload", h + ".ab/d." + s, R::kMalformed},
      {"space in header", " " + h + "." + p + "." + s, R::kMalformed},
      {"newline at end", h + "." + p + "." + s + "\n", R::kMalformed},
      {"trailing bits", h + "." + p + ".Zh", R::kMalformed},
      {"bearer prefix", "Bearer " + h + "." + p + "." + s, R::kMalformed},
      {"header not json", Token("not json"), R::kMalformed},
      {"header array", Token(R"(["alg","HS256"])"), R::kMalformed},
      {"header string", Token(R"("HS256")"), R::kMalformed},
      {"header duplicate alg", Token(R"({"alg":"HS256","alg":"HS256"})"),
       R::kMalformed},
      {"header duplicate alg none", Token(R"({"alg":"HS256","alg":"none"})"),
       R::kMalformed},
      {"header duplicate nested", Token(R"({"alg":"HS256","x":{"a":1,"a":2}})"),
       R::kMalformed},
      {"header too deep", Token(R"({"alg":"HS256","x":{"y":{"z":{"w":{}}}}})"),
       R::kMalformed},
      {"header too many members",
       Token(R"({"alg":"HS256","a0":0,"a1":0,"a2":0,"a3":0,"a4":0,"a5":0,)"
             R"("a6":0,"a7":0,"a8":0,"a9":0,"b0":0,"b1":0,"b2":0,"b3":0,)"
             R"("b4":0,"b5":0,"b6":0,"b7":0,"b8":0,"b9":0,"c0":0,"c1":0,)"
             R"("c2":0,"c3":0,"c4":0,"c5":0,"c6":0,"c7":0,"c8":0,"c9":0,)"
             R"("d0":0,"d1":0})"),
       R::kMalformed},
      {"header invalid utf8", Token("{\"alg\":\"HS256\",\"k\":\"\xc0\x80\"}"),
       R::kMalformed},
      {"header trailing bytes",
       Token(R"({"alg":"HS256"} )"
             "x"),
       R::kMalformed},
      {"header NUL then garbage",
       Token(std::string("{\"alg\":\"HS256\"}\0{\"alg\":\"none\"}", 30)),
       R::kMalformed},
      {"header bom", Token("\xef\xbb\xbf{\"alg\":\"HS256\"}"), R::kMalformed},
      {"alg missing", Token(R"({"typ":"JWT"})"), R::kMalformed},
      {"alg number", Token(R"({"alg":256})"), R::kMalformed},
      {"alg null", Token(R"({"alg":null})"), R::kMalformed},
      {"alg array", Token(R"({"alg":["HS256"]})"), R::kMalformed},
      {"bad signature b64 beats alg none",
       Base64UrlEncode(R"({"alg":"none"})") + "." + p + ".A", R::kMalformed},
      {"alg none", Token(R"({"alg":"none"})"), R::kUnsupportedAlgorithm},
      {"alg None", Token(R"({"alg":"None"})"), R::kUnsupportedAlgorithm},
      {"alg NONE", Token(R"({"alg":"NONE"})"), R::kUnsupportedAlgorithm},
      {"alg nOnE", Token(R"({"alg":"nOnE"})"), R::kUnsupportedAlgorithm},
      {"alg lower hs256", Token(R"({"alg":"hs256"})"),
       R::kUnsupportedAlgorithm},
      {"alg eddsa", Token(R"({"alg":"EDDSA"})"), R::kUnsupportedAlgorithm},
      {"alg Ed25519", Token(R"({"alg":"Ed25519"})"), R::kUnsupportedAlgorithm},
      {"alg trailing space", Token(R"({"alg":"HS256 "})"),
       R::kUnsupportedAlgorithm},
      {"alg with NUL", Token(R"({"alg":"HS256\u0000"})"),
       R::kUnsupportedAlgorithm},
      {"alg empty", Token(R"({"alg":""})"), R::kUnsupportedAlgorithm},
      {"alg ES256K", Token(R"({"alg":"ES256K"})"), R::kUnsupportedAlgorithm},
      {"alg RS1", Token(R"({"alg":"RS1"})"), R::kUnsupportedAlgorithm},
      {"alg HS1", Token(R"({"alg":"HS1"})"), R::kUnsupportedAlgorithm},
      {"alg JWE", Token(R"({"alg":"RSA-OAEP"})"), R::kUnsupportedAlgorithm},
      {"alg none with crit", Token(R"({"alg":"none","crit":"x"})"),
       R::kUnsupportedAlgorithm},
      {"crit naming a present param",
       Token(R"({"alg":"HS256","crit":["exp"],"exp":1})"), R::kHeaderRejected},
      {"crit b64 false", Token(R"({"alg":"HS256","crit":["b64"],"b64":false})"),
       R::kHeaderRejected},
      {"crit b64 true", Token(R"({"alg":"HS256","crit":["b64"],"b64":true})"),
       R::kHeaderRejected},
      {"crit empty array", Token(R"({"alg":"HS256","crit":[]})"),
       R::kHeaderRejected},
      {"crit string", Token(R"({"alg":"HS256","crit":"exp","exp":1})"),
       R::kHeaderRejected},
      {"crit null", Token(R"({"alg":"HS256","crit":null})"),
       R::kHeaderRejected},
      {"crit number entry", Token(R"({"alg":"HS256","crit":[1]})"),
       R::kHeaderRejected},
      {"crit absent param", Token(R"({"alg":"HS256","crit":["exp"]})"),
       R::kHeaderRejected},
      {"crit duplicate", Token(R"({"alg":"HS256","crit":["x","x"],"x":1})"),
       R::kHeaderRejected},
      {"b64 false", Token(R"({"alg":"HS256","b64":false})"),
       R::kHeaderRejected},
      {"b64 string", Token(R"({"alg":"HS256","b64":"false"})"),
       R::kHeaderRejected},
      {"b64 number", Token(R"({"alg":"HS256","b64":0})"), R::kHeaderRejected},
      {"kid number", Token(R"({"alg":"HS256","kid":1})"), R::kHeaderRejected},
      {"kid null", Token(R"({"alg":"HS256","kid":null})"), R::kHeaderRejected},
      {"kid object", Token(R"({"alg":"HS256","kid":{}})"), R::kHeaderRejected},
      {"typ array", Token(R"({"alg":"HS256","typ":["JWT"]})"),
       R::kHeaderRejected},
      {"typ bool", Token(R"({"alg":"HS256","typ":true})"), R::kHeaderRejected},
      {"cty number", Token(R"({"alg":"HS256","cty":7})"), R::kHeaderRejected},
  };
}

TEST(ParsedJwsTest, EachRuleProducesItsReason) {
  for (const Case& c : RuleTable()) {
    EXPECT_EQ(FailureReasonName(ReasonOf(c.token)), FailureReasonName(c.reason))
        << c.name;
  }
}

TEST(ParsedJwsTest, DetailsNeverQuoteTheToken) {
  for (const Case& c : RuleTable()) {
    FailureOr<ParsedJws> jws = ParsedJws::Parse(c.token);
    ASSERT_FALSE(jws.ok()) << c.name;
    const std::string& d = jws.failure().detail;
    EXPECT_LT(d.size(), 64u) << c.name;
    EXPECT_THAT(d, Not(AnyOf(HasSubstr("HS256"), HasSubstr("hs256"),
                             HasSubstr("eyJ"), HasSubstr("RSA-OAEP"))))
        << c.name;
  }
}

TEST(ParsedJwsTest, DefaultHeaderLimitsAllowRealisticHeaders) {
  EXPECT_EQ(ReasonOf(Token(
                R"({"alg":"RS256","typ":"JWT","kid":"2026-11-a","x5t":"abc",)"
                R"("x5t#S256":"def","jku":"https://x","x5c":["a","b","c"]})")),
            FailureReason::kUnspecified);
  EXPECT_EQ(ReasonOf(Token(R"({"alg":"HS256","x":{"y":{"z":1}}})")),
            FailureReason::kUnspecified);  // depth 3 of 4
}

// Flipping any bit of any character of a valid token either is rejected
// with a parse reason or, if accepted, re-encodes to the flipped token
// (base64url is canonical, so the flip changed the decoded bytes).
TEST(ParsedJwsTest, BitFlipSweep) {
  const std::string token =
      Token(R"({"alg":"ES256","kid":"k1","typ":"JWT"})", R"({"sub":"a"})");
  int rejected = 0;
  for (size_t i = 0; i < token.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string flipped = token;
      flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
      FailureOr<ParsedJws> jws = ParsedJws::Parse(flipped);
      if (jws.ok()) {
        EXPECT_EQ(CompleteCompactJws(jws->signing_input(), jws->signature()),
                  flipped);
        EXPECT_NE(CompleteCompactJws(jws->signing_input(), jws->signature()),
                  token);
      } else {
        ++rejected;
        EXPECT_THAT(jws.reason(), AnyOf(FailureReason::kMalformed,
                                        FailureReason::kUnsupportedAlgorithm,
                                        FailureReason::kHeaderRejected))
            << "char " << i << " bit " << bit;
      }
    }
  }
  EXPECT_GT(rejected, static_cast<int>(token.size()));
}

TEST(ParsedJwsTest, TruncationSweep) {
  const std::string token = Token(R"({"alg":"HS512","kid":"k"})");
  const size_t sig_start = token.rfind('.') + 1;
  for (size_t n = 0; n < token.size(); ++n) {
    FailureOr<ParsedJws> jws = ParsedJws::Parse(token.substr(0, n));
    if (n == 0) {
      EXPECT_EQ(jws.reason(), FailureReason::kTokenMissing);
    } else if (n <= sig_start) {
      EXPECT_EQ(jws.reason(), FailureReason::kMalformed) << n;
    } else if (jws.ok()) {
      // A shortened signature may still be valid base64url; the signature
      // check (not the parser) rejects it.
      EXPECT_LT(jws->signature().size(), 32u);
    } else {
      EXPECT_EQ(jws.reason(), FailureReason::kMalformed) << n;
    }
  }
}

// Parse remembers the last few headers each thread accepted; a
// remembered header must answer exactly what its scan would, under the
// limits of the call, whatever was parsed before.
TEST(ParsedJwsTest, RememberedHeadersAnswerAsTheScanWould) {
  const std::string header = R"({"alg":"ES256","kid":"k-1","typ":"JWT"})";
  const std::string token = Token(header);
  FailureOr<ParsedJws> first = ParsedJws::Parse(token);
  ASSERT_TRUE(first.ok());
  FailureOr<ParsedJws> again = ParsedJws::Parse(token);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->alg(), Algorithm::kEs256);
  EXPECT_THAT(again->kid(), Optional(Eq("k-1")));
  EXPECT_THAT(again->typ(), Optional(Eq("JWT")));
  EXPECT_EQ(again->header(), first->header());
  EXPECT_EQ(again->payload(), first->payload());

  // The same header under limits it breaks: refused, as on first sight.
  JwsLimits small;
  small.header_limits.max_bytes = header.size() - 1;
  EXPECT_EQ(ReasonOf(token, small), FailureReason::kMalformed);
  JwsLimits few;
  few.header_limits.max_object_members = 2;
  EXPECT_EQ(ReasonOf(token, few), FailureReason::kMalformed);
  EXPECT_EQ(ReasonOf(token), FailureReason::kUnspecified);  // accepted

  // A remembered header does not excuse a bad payload or signature part.
  const std::string signing_input = std::string(token, 0, token.rfind('.'));
  EXPECT_EQ(ReasonOf(signing_input + ".*"), FailureReason::kMalformed);
  const size_t dot = token.find('.');
  EXPECT_EQ(ReasonOf(absl::StrCat(token.substr(0, dot), ".a",
                                  token.substr(token.rfind('.')))),
            FailureReason::kMalformed);

  // A refused header is never remembered: refused every time.
  const std::string none = Token(R"({"alg":"none","kid":"k-1"})");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(ReasonOf(none), FailureReason::kUnsupportedAlgorithm);
  }

  // More headers in turn than it keeps: each still reads as its own.
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 7; ++i) {
      const std::string kid = absl::StrCat("kid-", i);
      FailureOr<ParsedJws> jws = ParsedJws::Parse(
          Token(absl::StrCat(R"({"alg":"RS256","kid":")", kid, "\"}")));
      ASSERT_TRUE(jws.ok());
      EXPECT_THAT(jws->kid(), Optional(Eq(kid)));
      EXPECT_EQ(jws->typ(), std::nullopt);
    }
  }
}

TEST(JwsBuildTest, MakeSigningInputAndCompleteRoundTrip) {
  const std::string header = R"({"alg":"EdDSA","kid":"ed"})";
  const std::string payload = "\x01\x02payload\xff";
  const std::string sig(64, '\x07');
  const std::string input = MakeSigningInput(header, payload);
  EXPECT_EQ(input, Base64UrlEncode(header) + "." + Base64UrlEncode(payload));
  const std::string token = CompleteCompactJws(input, sig);
  EXPECT_EQ(token, input + "." + Base64UrlEncode(sig));
  FailureOr<ParsedJws> jws = ParsedJws::Parse(token);
  ASSERT_TRUE(jws.ok());
  EXPECT_EQ(jws->signing_input(), input);
  EXPECT_EQ(jws->payload(), payload);
  EXPECT_EQ(jws->signature(), sig);
  EXPECT_EQ(jws->alg(), Algorithm::kEdDsa);
  EXPECT_THAT(jws->kid(), Optional(Eq("ed")));
}

TEST(ParsedJwsTest, IsCopyableAndMovable) {
  FailureOr<ParsedJws> jws =
      ParsedJws::Parse(Token(R"({"alg":"PS384","kid":"a"})"));
  ASSERT_TRUE(jws.ok());
  ParsedJws copy = *jws;
  ParsedJws moved = std::move(copy);
  EXPECT_EQ(moved.alg(), Algorithm::kPs384);
  EXPECT_EQ(moved.signing_input(), jws->signing_input());
  EXPECT_THAT(moved.kid(), Optional(Eq("a")));
}

}  // namespace
}  // namespace jwtauth
