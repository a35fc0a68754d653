// RFC 7515 Appendix A and RFC 7520 §4 examples through the production
// TokenVerifier (tests/testutil/keys_verifier.h: a KeyStore with the keys as
// published, imported through the JWK importer, and one provider). An
// example "verifies" when its signature does; the examples' payloads are no
// claims sets this provider accepts (A.1-A.3 expired and without aud, the
// others not JSON), so the claims step then fails, which is not checked.
//
// Vectors are facts copied from the RFCs (RFC 7520 figures as reproduced in
// Wycheproof's json_web_signature_test.json, tcIds 345-348); each was
// re-checked with an independent implementation before being pasted here.
//
// Applicability:
//  - RFC 7515 A.1 HS256 (64-byte key: above every HMAC floor), A.2 RS256
//    (2048-bit key), A.3 ES256, A.4 ES512: verified. A.5 (alg "none"):
//    rejected as UNSUPPORTED_ALGORITHM whatever keys are configured.
//  - RFC 7520 4.1 RS256, 4.2 PS384 (probabilistic: verify only), 4.3 ES512,
//    4.4 HS256: verified with the RFC's keys. The RSA key is imported without
//    "alg" so it serves RS* and PS* (Wycheproof binds it to PS256, see
//    wycheproof_jose_test.cc). 4.5 (detached content) and 4.6-4.8 (JSON
//    serialization only) do not apply to compact JWS; the compact parser
//    rejecting JSON serialization is covered by the Wycheproof tests.

#include <string>
#include <vector>

#include "core/jwk.h"
#include "core/jws.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testutil/keys_verifier.h"

namespace jwtauth {
namespace {

using ::jwtauth::testutil::KeysVerifier;
using nlohmann::json;

constexpr char kA1Key[] =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcg"
    "UuTwjAzZr1Z9CAow";
constexpr char kA1Jws[] =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiO"
    "jEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjf"
    "tJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr char kA2N[] =
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4"
    "qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2j"
    "Z47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7W"
    "TBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK"
    "-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
constexpr char kA2Jws[] =
    "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogI"
    "mh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.cC4hiUPoj9Eetdgtv3hF80EG"
    "rhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5ju"
    "jGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6x"
    "BArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOk"
    "HWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5A"
    "XLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
constexpr char kA3X[] = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
constexpr char kA3Y[] = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
constexpr char kA3Jws[] =
    "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogI"
    "mh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOy"
    "KAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
constexpr char kA4X[] =
    "AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSf"
    "S9tsz4qUxcWceqwQGk";
constexpr char kA4Y[] =
    "ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZM"
    "aZmh9ubmf63e3kyMj2";
constexpr char kA4Jws[] =
    "eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZA.AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_Ux"
    "Mi70cwnZOYaRI1bKPWROc-mZZqwqT2SI-KGDKB34XO0aw_7XdtAG8GaSwFKdCAPZgoXD2Y"
    "BJZCPEX3xKpRwcdOO8KpEHwJjyqOgzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn";
constexpr char kA5Jws[] =
    "eyJhbGciOiJub25lIn0.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogIm"
    "h0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.";
constexpr char kRfc7520RsaN[] =
    "n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT-O-XV2jRojdNhxJW"
    "TDvNd7nqQ0VEiZQHz_AJmSCpMaJMRBSFKrKb2wqVwGU_NsYOYL-QtiWN2lbzcEe6XC0dAp"
    "r5ydQLrHqkHHig3RBordaZ6Aj-oBHqFEHYpPe7Tpe-OfVfHd1E6cS6M1FZcD1NNLYD5lFH"
    "pPI9bTwJlsde3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vniUFAKwuCLq"
    "KnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5gHdrNP5zw";
constexpr char kRfc7520S41Jws[] =
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZS"
    "J9.SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXI"
    "gZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwI"
    "HlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN"
    "3ZXB0IG9mZiB0by4.MRjdkly7_-oTPTS3AXP41iQIGKa80A0ZmTuV5MEaHoxnW2e5CZ5Nl"
    "KtainoFmKZopdHM1O2U4mwzJdQx996ivp83xuglII7PNDi84wnB-BDkoBwA78185hX-Es4"
    "JIwmDLJK3lfWRa-XtL0RnltuYv746iYTh_qHRD68BNt1uSNCrUCTJDt5aAE6x8wW1Kt9eR"
    "o4QPocSadnHXFxnt8Is9UzpERV0ePPQdLuW3IS_de3xyIrDaLGdjluPxUAhb6L2aXic1U1"
    "2podGU0KLUQSE_oI-ZnmKJ3F4uOZDnd6QZWJushZ41Axf_fcIe8u9ipH84ogoree7vjbU5"
    "y18kDquDg";
constexpr char kRfc7520S42Jws[] =
    "eyJhbGciOiJQUzM4NCIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZS"
    "J9.SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXI"
    "gZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwI"
    "HlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN"
    "3ZXB0IG9mZiB0by4.cu22eBqkYDKgIlTpzDXGvaFfz6WGoz7fUDcfT0kkOy42miAh2qyBz"
    "k1xEsnk2IpN6-tPid6VrklHkqsGqDqHCdP6O8TTB5dDDItllVo6_1OLPpcbUrhiUSMxbbX"
    "UvdvWXzg-UD8biiReQFlfz28zGWVsdiNAUf8ZnyPEgVFn442ZdNqiVJRmBqrYRXe8P_ijQ"
    "7p8Vdz0TTrxUeT3lm8d9shnr2lfJT8ImUjvAA2Xez2Mlp8cBE5awDzT0qI0n6uiP1aCN_2"
    "_jLAeQTlqRHtfa64QQSUmFAAjVKPbByi7xho0uTOcbH510a6GYmJUAfmWjwZ6oD4ifKo8D"
    "YM-X72Eaw";
constexpr char kRfc7520EcX[] =
    "AHKZLLOsCOzz5cY97ewNUajB957y-C-U88c3v13nmGZx6sYl_oJXu9A5RkTKqjqvjyekWF"
    "-7ytDyRXYgCF5cj0Kt";
constexpr char kRfc7520EcY[] =
    "AdymlHvOiLxXkEhayXQnNCvDX4h9htZaCJN34kfmC6pV5OhQHiraVySsUdaQkAgDPrwQrJ"
    "mbnX9cwlGfP-HqHZR1";
constexpr char kRfc7520S43Jws[] =
    "eyJhbGciOiJFUzUxMiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZS"
    "J9.SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXI"
    "gZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwI"
    "HlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN"
    "3ZXB0IG9mZiB0by4.AE_R_YZCChjn4791jSQCrdPZCNYqHXCTZH0-JZGYNlaAjP2kqaluU"
    "IIUnC9qvbu9Plon7KRTzoNEuT4Va2cmL1eJAQy3mtPBu_u_sDDyYjnAMDxXPn7XrT0lw-k"
    "vAD890jl8e2puQens_IEKBpHABlsbEPX6sFY8OcGDqoRuBomu9xQ2";
constexpr char kRfc7520HmacK[] = "hJtXIZ2uSN5kbQfbtTNWbpdmhkV8FJG-Onbc6mxCcYg";
constexpr char kRfc7520S44Jws[] =
    "eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LWVlZjMxNG"
    "JjNzAzNyJ9.SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V"
    "0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24nd"
    "CBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h"
    "0IGJlIHN3ZXB0IG9mZiB0by4.s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0";

constexpr char kA1PayloadText[] =
    "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n "
    "\"http://example.com/is_root\":true}";
constexpr char kRfc7520Payload[] =
    "It\xe2\x80\x99s a dangerous business, Frodo, going out your door. You "
    "step onto the road, and if you don't keep your feet, there\xe2\x80\x99s "
    "no "
    "knowing where you might be swept off to.";
constexpr char kRfc7520Kid[] = "bilbo.baggins@hobbiton.example";

Key MustImport(const json& jwk) {
  absl::StatusOr<Key> key = ImportJwk(jwk, JwkImportOptions{});
  EXPECT_TRUE(key.ok()) << key.status();
  return *std::move(key);
}

void ExpectVerifies(const char* token, const Key& key, Algorithm alg,
                    const std::string& payload) {
  KeysVerifier verifier({key});
  KeysVerifier::Outcome r = verifier.Verify(token);
  EXPECT_TRUE(r.signature_verified)
      << (r.ok() ? ""
                 : std::string(FailureReasonName(r.reason())) + ": " +
                       r.result.failure().detail);
  FailureOr<ParsedJws> parsed = ParsedJws::Parse(token);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->alg(), alg);
  EXPECT_EQ(parsed->payload(), payload);
  // One flipped signature bit must fail (a middle character: the last one
  // may carry unused bits the strict decoder checks).
  std::string bad = token;
  char& c = bad[bad.size() - 5];
  c = c == 'A' ? 'B' : 'A';
  KeysVerifier::Outcome flipped = verifier.Verify(bad);
  EXPECT_FALSE(flipped.signature_verified);
  EXPECT_EQ(flipped.reason(), FailureReason::kSignatureInvalid);
}

TEST(Rfc7515Test, A1Hs256) {
  Key key = MustImport({{"kty", "oct"}, {"k", kA1Key}});
  ExpectVerifies(kA1Jws, key, Algorithm::kHs256, kA1PayloadText);
}

TEST(Rfc7515Test, A2Rs256) {
  Key key = MustImport({{"kty", "RSA"}, {"n", kA2N}, {"e", "AQAB"}});
  ExpectVerifies(kA2Jws, key, Algorithm::kRs256, kA1PayloadText);
}

TEST(Rfc7515Test, A3Es256) {
  Key key =
      MustImport({{"kty", "EC"}, {"crv", "P-256"}, {"x", kA3X}, {"y", kA3Y}});
  ExpectVerifies(kA3Jws, key, Algorithm::kEs256, kA1PayloadText);
}

TEST(Rfc7515Test, A4Es512) {
  Key key =
      MustImport({{"kty", "EC"}, {"crv", "P-521"}, {"x", kA4X}, {"y", kA4Y}});
  ExpectVerifies(kA4Jws, key, Algorithm::kEs512, "Payload");
}

TEST(Rfc7515Test, A5UnsecuredIsRejected) {
  std::vector<Key> keys = {
      MustImport({{"kty", "oct"}, {"k", kA1Key}}),
      MustImport({{"kty", "RSA"}, {"n", kA2N}, {"e", "AQAB"}}),
      MustImport({{"kty", "EC"}, {"crv", "P-256"}, {"x", kA3X}, {"y", kA3Y}})};
  // The empty signature segment is MALFORMED for the parse layer before alg
  // is looked at; with any signature bytes, "none" is UNSUPPORTED_ALGORITHM.
  KeysVerifier verifier(keys);
  KeysVerifier::Outcome r = verifier.Verify(kA5Jws);
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(r.signature_verified);
  EXPECT_THAT(r.reason(),
              ::testing::AnyOf(FailureReason::kMalformed,
                               FailureReason::kUnsupportedAlgorithm));
  EXPECT_EQ(verifier.Verify(std::string(kA5Jws) + "AAAA").reason(),
            FailureReason::kUnsupportedAlgorithm);
}

TEST(Rfc7515Test, KeysOfOneExampleDoNotVerifyAnother) {
  std::vector<Key> keys = {
      MustImport({{"kty", "oct"}, {"k", kA1Key}}),
      MustImport({{"kty", "RSA"}, {"n", kA2N}, {"e", "AQAB"}}),
      MustImport({{"kty", "EC"}, {"crv", "P-256"}, {"x", kA3X}, {"y", kA3Y}}),
      MustImport({{"kty", "EC"}, {"crv", "P-521"}, {"x", kA4X}, {"y", kA4Y}})};
  const char* tokens[] = {kA1Jws, kA2Jws, kA3Jws, kA4Jws};
  for (size_t t = 0; t < 4; ++t) {
    for (size_t k = 0; k < 4; ++k) {
      KeysVerifier one({keys[k]});
      EXPECT_EQ(one.Verify(tokens[t]).signature_verified, t == k)
          << "token A." << t + 1 << " key A." << k + 1;
    }
  }
}

Key Rfc7520Rsa() {
  return MustImport({{"kty", "RSA"},
                     {"kid", kRfc7520Kid},
                     {"use", "sig"},
                     {"n", kRfc7520RsaN},
                     {"e", "AQAB"}});
}

TEST(Rfc7520Test, S41Rs256) {
  ExpectVerifies(kRfc7520S41Jws, Rfc7520Rsa(), Algorithm::kRs256,
                 kRfc7520Payload);
}

TEST(Rfc7520Test, S42Ps384) {
  ExpectVerifies(kRfc7520S42Jws, Rfc7520Rsa(), Algorithm::kPs384,
                 kRfc7520Payload);
}

TEST(Rfc7520Test, S42Ps384FailsWhenKeyIsBoundToPs256) {
  Key key = MustImport({{"kty", "RSA"},
                        {"kid", kRfc7520Kid},
                        {"alg", "PS256"},
                        {"n", kRfc7520RsaN},
                        {"e", "AQAB"}});
  KeysVerifier::Outcome r = KeysVerifier({key}).Verify(kRfc7520S42Jws);
  EXPECT_FALSE(r.signature_verified);
  EXPECT_EQ(r.reason(), FailureReason::kUnsupportedAlgorithm);
}

TEST(Rfc7520Test, S43Es512) {
  Key key = MustImport({{"kty", "EC"},
                        {"kid", kRfc7520Kid},
                        {"use", "sig"},
                        {"crv", "P-521"},
                        {"x", kRfc7520EcX},
                        {"y", kRfc7520EcY}});
  ExpectVerifies(kRfc7520S43Jws, key, Algorithm::kEs512, kRfc7520Payload);
}

TEST(Rfc7520Test, S44Hs256) {
  Key key = MustImport({{"kty", "oct"},
                        {"kid", "018c0ae5-4d9b-471b-bfd6-eef314bc7037"},
                        {"use", "sig"},
                        {"alg", "HS256"},
                        {"k", kRfc7520HmacK}});
  ExpectVerifies(kRfc7520S44Jws, key, Algorithm::kHs256, kRfc7520Payload);
}

}  // namespace
}  // namespace jwtauth
