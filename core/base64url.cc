#include "core/base64url.h"

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

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
