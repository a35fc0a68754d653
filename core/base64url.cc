#include "core/base64url.h"

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define JWTAUTH_BASE64URL_SSSE3 1
#endif

namespace jwtauth {
namespace {

constexpr char kAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Every byte outside the alphabet maps to 0x80, so one OR over a quad's
// lookups detects any invalid character without a branch per character.
constexpr uint8_t kInvalid = 0x80;

constexpr std::array<uint8_t, 256> MakeDecodeTable() {
  std::array<uint8_t, 256> table{};
  for (auto& v : table) v = kInvalid;
  for (uint8_t i = 0; i < 64; ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = i;
  }
  return table;
}

constexpr std::array<uint8_t, 256> kDecode = MakeDecodeTable();

inline uint32_t Lookup(const char* p, size_t i) {
  return kDecode[static_cast<unsigned char>(p[i])];
}

#if defined(JWTAUTH_BASE64URL_SSSE3)
// Sixteen characters per step into twelve bytes, stored as sixteen (the
// next step overwrites the extra four), so only while sixteen bytes of room
// remain. Returns the characters consumed; `bad` is set if any of them is
// outside the alphabet.
//
// Per character, with h and l its high and low nibbles: it is in the
// alphabet iff invalid_for[l] and class_of[h] share no bit (each high
// nibble is a class, and invalid_for[l] holds the classes for which l is
// not a character of the alphabet: bytes >= 0x80 and below 0x20 are
// class 0x40, which every entry holds). Its 6-bit value is the character
// plus offset_of[h] ('A'-'Z' and '_' share h = 4/5, so '_' gets 33 more).
// pmaddubsw and pmaddwd then join pairs and pairs of pairs into 24-bit
// groups, and pshufb writes each group's three bytes high first.
__attribute__((target("ssse3"))) size_t DecodeBlocksSsse3(
    const char* p, size_t chars, unsigned char* o, size_t room, bool& bad) {
  const __m128i class_of =
      _mm_setr_epi8(0x40, 0x40, 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x40,
                    0x40, 0x40, 0x40, 0x40, 0x40, 0x40);
  const __m128i invalid_for =
      _mm_setr_epi8(0x55, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
                    0x43, 0x6B, 0x6B, 0x6A, 0x6B, 0x63);
  const __m128i offset_of =
      _mm_setr_epi8(0, 0, 17, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m128i nibble = _mm_set1_epi8(0x0f);
  const __m128i underscore = _mm_set1_epi8('_');
  const __m128i underscore_extra = _mm_set1_epi8(33);
  const __m128i join_pairs = _mm_set1_epi32(0x01400140);  // a*64 + b
  const __m128i join_quads = _mm_set1_epi32(0x00011000);  // ab*4096 + cd
  const __m128i order =
      _mm_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
  __m128i invalid = _mm_setzero_si128();
  size_t i = 0;
  for (; i + 16 <= chars && i / 16 * 12 + 16 <= room; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const __m128i hi = _mm_and_si128(_mm_srli_epi32(v, 4), nibble);
    const __m128i lo = _mm_and_si128(v, nibble);
    invalid =
        _mm_or_si128(invalid, _mm_and_si128(_mm_shuffle_epi8(class_of, hi),
                                            _mm_shuffle_epi8(invalid_for, lo)));
    const __m128i offset = _mm_add_epi8(
        _mm_shuffle_epi8(offset_of, hi),
        _mm_and_si128(_mm_cmpeq_epi8(v, underscore), underscore_extra));
    const __m128i sextets = _mm_add_epi8(v, offset);
    const __m128i groups =
        _mm_madd_epi16(_mm_maddubs_epi16(sextets, join_pairs), join_quads);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o + i / 16 * 12),
                     _mm_shuffle_epi8(groups, order));
  }
  bad =
      _mm_movemask_epi8(_mm_cmpeq_epi8(invalid, _mm_setzero_si128())) != 0xffff;
  return i;
}

// Asked once; __builtin_cpu_init first, in case the first decode runs in
// a static initializer ahead of the one that fills in the CPU model.
bool HasSsse3() {
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("ssse3") != 0;
  }();
  return has;
}
#endif

}  // namespace

void Base64UrlEncodeTo(absl::string_view data, std::string& out) {
  const size_t n = data.size();
  const size_t base = out.size();
  out.resize(base + Base64UrlEncodedLength(n));
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  char* o = out.data() + base;
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8) |
                       uint32_t{in[i + 2]};
    *o++ = kAlphabet[(v >> 18) & 63];
    *o++ = kAlphabet[(v >> 12) & 63];
    *o++ = kAlphabet[(v >> 6) & 63];
    *o++ = kAlphabet[v & 63];
  }
  if (n - i == 1) {
    const uint32_t v = uint32_t{in[i]} << 16;
    *o++ = kAlphabet[(v >> 18) & 63];
    *o++ = kAlphabet[(v >> 12) & 63];
  } else if (n - i == 2) {
    const uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8);
    *o++ = kAlphabet[(v >> 18) & 63];
    *o++ = kAlphabet[(v >> 12) & 63];
    *o++ = kAlphabet[(v >> 6) & 63];
  }
}

std::string Base64UrlEncode(absl::string_view data) {
  std::string out;
  Base64UrlEncodeTo(data, out);
  return out;
}

bool Base64UrlDecodeTo(absl::string_view encoded, std::string& out) {
  const size_t n = encoded.size();
  const size_t rem = n % 4;
  if (rem == 1) return false;  // 6 bits cannot encode a whole byte
  const size_t out_len = n / 4 * 3 + (rem == 0 ? 0 : rem - 1);
  const size_t base = out.size();
  out.resize(base + out_len);
  auto* const first = reinterpret_cast<unsigned char*>(out.data() + base);
  auto* o = first;
  const char* p = encoded.data();
  const size_t full = n - rem;
  uint32_t bad = 0;
  size_t i = 0;
#if defined(JWTAUTH_BASE64URL_SSSE3)
  if (full >= 16 && HasSsse3()) {
    bool invalid = false;
    i = DecodeBlocksSsse3(p, full, o, out_len, invalid);
    if (invalid) return false;
    o += i / 4 * 3;
  }
#endif
  // Eight characters (48 bits) per step, written as one 8-byte store whose
  // last two bytes the next store overwrites; only while 8 bytes of room
  // remain, the rest by quads. An invalid character's 0x80 spills into its
  // neighbours' bits, which does not matter: `bad` rejects the whole input.
  for (; i + 8 <= full && static_cast<size_t>(o - first) + 8 <= out_len;
       i += 8) {
    const uint64_t a = Lookup(p, i), b = Lookup(p, i + 1), c = Lookup(p, i + 2),
                   d = Lookup(p, i + 3), e = Lookup(p, i + 4),
                   f = Lookup(p, i + 5), g = Lookup(p, i + 6),
                   h = Lookup(p, i + 7);
    bad |= static_cast<uint32_t>(a | b | c | d | e | f | g | h);
    const uint64_t v = (a << 58) | (b << 52) | (c << 46) | (d << 40) |
                       (e << 34) | (f << 28) | (g << 22) | (h << 16);
    // v's top six bytes in order, plus two the next store overwrites.
    uint64_t in_order = v;
    if constexpr (std::endian::native == std::endian::little) {
      in_order = __builtin_bswap64(v);
    }
    std::memcpy(o, &in_order, sizeof(in_order));
    o += 6;
  }
  for (; i < full; i += 4) {
    const uint32_t a = Lookup(p, i), b = Lookup(p, i + 1), c = Lookup(p, i + 2),
                   d = Lookup(p, i + 3);
    bad |= a | b | c | d;
    const uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
    *o++ = static_cast<unsigned char>(v >> 16);
    *o++ = static_cast<unsigned char>(v >> 8);
    *o++ = static_cast<unsigned char>(v);
  }
  if (bad & kInvalid) return false;
  if (rem == 2) {
    const uint32_t a = Lookup(p, full), b = Lookup(p, full + 1);
    // The low 4 bits of the last character are padding and must be zero:
    // otherwise two spellings would decode to the same bytes.
    if ((a | b) & kInvalid || (b & 0x0f) != 0) return false;
    *o = static_cast<unsigned char>((a << 2) | (b >> 4));
  } else if (rem == 3) {
    const uint32_t a = Lookup(p, full), b = Lookup(p, full + 1),
                   c = Lookup(p, full + 2);
    if ((a | b | c) & kInvalid || (c & 0x03) != 0) return false;
    const uint32_t v = (a << 10) | (b << 4) | (c >> 2);
    *o++ = static_cast<unsigned char>(v >> 8);
    *o = static_cast<unsigned char>(v);
  }
  return true;
}

std::optional<std::string> Base64UrlDecode(absl::string_view encoded) {
  std::string out;
  if (!Base64UrlDecodeTo(encoded, out)) return std::nullopt;
  return out;
}

}  // namespace jwtauth
