#include "core/base64url.h"

#include <cstdint>
#include <random>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jwtauth {
namespace {

using ::testing::Eq;
using ::testing::Optional;

constexpr absl::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

struct Vector {
  std::string decoded;
  std::string encoded;
};

// RFC 4648 §10 vectors without padding, plus bytes that hit '-' and '_'.
const Vector kVectors[] = {
    {"", ""},
    {"f", "Zg"},
    {"fo", "Zm8"},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg"},
    {"fooba", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy"},
    {"\xfb\xff", "-_8"},
    {"\xfb\xef\xff", "--__"},
    {std::string("\0\0\0", 3), "AAAA"},
    {"\xff\xff\xff", "____"},
    // RFC 7515 §3.3 / Appendix A.1 protected header.
    {"{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}",
     "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"},
};

TEST(Base64UrlTest, EncodesKnownVectors) {
  for (const Vector& v : kVectors) {
    EXPECT_EQ(Base64UrlEncode(v.decoded), v.encoded);
    EXPECT_EQ(Base64UrlEncodedLength(v.decoded.size()), v.encoded.size());
  }
}

TEST(Base64UrlTest, DecodesKnownVectors) {
  for (const Vector& v : kVectors) {
    EXPECT_THAT(Base64UrlDecode(v.encoded), Optional(Eq(v.decoded)))
        << v.encoded;
  }
}

TEST(Base64UrlTest, EncodeToAndDecodeToAppend) {
  std::string out = "x.";
  Base64UrlEncodeTo("foobar", out);
  EXPECT_EQ(out, "x.Zm9vYmFy");
  std::string dec = "abc";
  ASSERT_TRUE(Base64UrlDecodeTo("Zm9vYmE", dec));
  EXPECT_EQ(dec, "abcfooba");
}

TEST(Base64UrlTest, RejectsNonStrictForms) {
  const char* const kBad[] = {
      "Zg==",       // padding
      "Zg=",        // partial padding
      "Zm9vYg==",   //
      "====",       //
      "Zm9v=",      // padding after a full quad
      "+_8",        // standard-alphabet '+'
      "-/8",        // standard-alphabet '/'
      "Zm9v YmFy",  // inner space
      " Zm9v",      // leading space
      "Zm9v\n",     // trailing newline
      "Zm9v\r\nYmFy",
      "Zm\t9v",
      "A",             // 4k+1
      "AAAAA",         // 4k+1
      "Zm9vYmFyZ",     // 4k+1
      "Zh",            // non-zero trailing bits (1 byte)
      "Zm9",           // non-zero trailing bits (2 bytes)
      "Zm9vYr",        //
      "Zm9.v",         // dot
      "Zm9v\xc3\xa9",  // non-ASCII
      "Zm9v!",         //
  };
  for (const char* bad : kBad) {
    EXPECT_EQ(Base64UrlDecode(bad), std::nullopt) << bad;
    std::string out;
    EXPECT_FALSE(Base64UrlDecodeTo(bad, out)) << bad;
  }
  EXPECT_EQ(Base64UrlDecode(absl::string_view("Zm\0v", 4)), std::nullopt);
}

// Every byte value in every position of a full quad: accepted iff it is in
// the alphabet.
TEST(Base64UrlTest, EveryByteInEveryQuadPosition) {
  for (int pos = 0; pos < 4; ++pos) {
    for (int b = 0; b < 256; ++b) {
      std::string enc = "QUJD";  // "ABC"
      enc[pos] = static_cast<char>(b);
      const bool in_alphabet =
          kAlphabet.find(static_cast<char>(b)) != absl::string_view::npos;
      EXPECT_EQ(Base64UrlDecode(enc).has_value(), in_alphabet)
          << "pos " << pos << " byte " << b;
      // Same for a quad followed by a 2-char tail and in the tail itself.
      std::string tail = "QUJDQQ";
      tail[4 + pos % 2] = static_cast<char>(b);
      if (pos % 2 == 0) {
        EXPECT_EQ(Base64UrlDecode(tail).has_value(), in_alphabet) << b;
      }
    }
  }
}

// The same in long inputs, which decode sixteen characters per step (SSSE3)
// while sixteen bytes of output room remain, then eight per step while eight
// remain, and by quads after: every byte value at every position of the
// full quads of each length from 8 to 88 characters.
TEST(Base64UrlTest, EveryByteInEveryPositionOfLongInputs) {
  std::mt19937_64 rng(20261207);
  for (size_t bytes = 6; bytes <= 66; ++bytes) {
    std::string data(bytes, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    const std::string enc = Base64UrlEncode(data);
    ASSERT_THAT(Base64UrlDecode(enc), Optional(Eq(data)));
    const size_t full = enc.size() - enc.size() % 4;
    for (size_t pos = 0; pos < full; ++pos) {
      for (int b = 0; b < 256; ++b) {
        std::string bad = enc;
        bad[pos] = static_cast<char>(b);
        const bool in_alphabet =
            kAlphabet.find(static_cast<char>(b)) != absl::string_view::npos;
        std::optional<std::string> dec = Base64UrlDecode(bad);
        ASSERT_EQ(dec.has_value(), in_alphabet)
            << bytes << " bytes, position " << pos << ", byte " << b;
        // A changed character changes exactly its own 6 bits.
        if (dec.has_value()) {
          ASSERT_EQ(Base64UrlEncode(*dec), bad);
        }
      }
    }
  }
}

// Exhaustive tails: of the 64^2 two-char tails exactly the 256 canonical
// ones decode (one per byte), and of the 64^3 three-char tails exactly the
// 65536 canonical ones; each decodes to the value that encodes back to it.
TEST(Base64UrlTest, ExactlyCanonicalTailsDecode) {
  int accepted2 = 0;
  for (char a : kAlphabet) {
    for (char b : kAlphabet) {
      const std::string enc = {a, b};
      std::optional<std::string> dec = Base64UrlDecode(enc);
      if (!dec) continue;
      ++accepted2;
      ASSERT_EQ(dec->size(), 1u);
      EXPECT_EQ(Base64UrlEncode(*dec), enc);
    }
  }
  EXPECT_EQ(accepted2, 256);
  int accepted3 = 0;
  for (char a : kAlphabet) {
    for (char b : kAlphabet) {
      for (char c : kAlphabet) {
        const std::string enc = {a, b, c};
        std::optional<std::string> dec = Base64UrlDecode(enc);
        if (!dec) continue;
        ++accepted3;
        ASSERT_EQ(dec->size(), 2u);
        ASSERT_EQ(Base64UrlEncode(*dec), enc);
      }
    }
  }
  EXPECT_EQ(accepted3, 65536);
}

TEST(Base64UrlTest, LengthRules) {
  for (size_t n = 0; n < 64; ++n) {
    const std::string enc(n, 'A');
    EXPECT_EQ(Base64UrlDecode(enc).has_value(), n % 4 != 1) << n;
    if (n % 4 != 1) {
      EXPECT_EQ(Base64UrlDecode(enc)->size(), n * 3 / 4) << n;
    }
  }
}

TEST(Base64UrlTest, RandomRoundTrips) {
  std::mt19937_64 rng(20261126);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<size_t> len(0, 400);
  for (int i = 0; i < 3000; ++i) {
    std::string data(len(rng), '\0');
    for (char& c : data) c = static_cast<char>(byte(rng));
    const std::string enc = Base64UrlEncode(data);
    ASSERT_EQ(enc.size(), Base64UrlEncodedLength(data.size()));
    ASSERT_EQ(enc.find_first_not_of(std::string(kAlphabet)), std::string::npos);
    ASSERT_THAT(Base64UrlDecode(enc), Optional(Eq(data)));
  }
}

// Random strings over the alphabet (plus a few foreign bytes): whatever is
// accepted re-encodes to exactly the input, i.e. decoding is canonical.
TEST(Base64UrlTest, RandomStringsDecodeCanonicallyOrNotAtAll) {
  std::mt19937_64 rng(7);
  const std::string chars = std::string(kAlphabet) + "=+/ \n.";
  std::uniform_int_distribution<size_t> pick(0, chars.size() - 1);
  std::uniform_int_distribution<size_t> len(0, 40);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string enc(len(rng), 'A');
    for (char& c : enc) c = chars[pick(rng)];
    std::optional<std::string> dec = Base64UrlDecode(enc);
    if (!dec) continue;
    ++accepted;
    ASSERT_EQ(Base64UrlEncode(*dec), enc);
  }
  EXPECT_GT(accepted, 0);
}

// Flipping any single bit of any character of an encoding never yields the
// same bytes: either the result is rejected or it decodes to other bytes.
TEST(Base64UrlTest, BitFlipsNeverDecodeToTheSameBytes) {
  const std::string data = "\x01\x02\x03 any payload bytes \xff";
  const std::string enc = Base64UrlEncode(data);
  for (size_t i = 0; i < enc.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string flipped = enc;
      flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
      std::optional<std::string> dec = Base64UrlDecode(flipped);
      if (dec) {
        EXPECT_NE(*dec, data) << "char " << i << " bit " << bit;
      }
    }
  }
}

TEST(Base64UrlTest, TruncationsDecodeOnlyAtValidLengths) {
  const std::string data = "truncate me, please";
  const std::string enc = Base64UrlEncode(data);
  for (size_t n = 0; n < enc.size(); ++n) {
    std::optional<std::string> dec = Base64UrlDecode(enc.substr(0, n));
    if (n % 4 == 1) {
      EXPECT_FALSE(dec.has_value()) << n;
    } else if (dec) {
      EXPECT_NE(*dec, data);
      EXPECT_EQ(*dec, data.substr(0, dec->size()));
    }
  }
}

}  // namespace
}  // namespace jwtauth
