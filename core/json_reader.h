#ifndef JWTAUTH_CORE_JSON_READER_H_
#define JWTAUTH_CORE_JSON_READER_H_

// The strict JSON reader under ParseJsonBounded (core/json_limits.h), shared
// with the JWS header scan (core/jws.cc). Internal: use ParseJsonBounded.

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <system_error>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace jwtauth::json_internal {

// Equality of two member names. Names are short (a JOSE header's are three
// letters) and compared several times per member, where a library memcmp
// call costs more than the comparison itself.
inline bool SameName(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// Advances `p` past JSON whitespace (RFC 8259 §2: space, tab, LF, CR).
inline void SkipJsonWhitespace(const char*& p, const char* end) {
  while (p != end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) {
    ++p;
  }
}

// Advances `p` past `word` (true, false, null) if the text at `p` starts
// with it.
inline bool TakeLiteral(const char*& p, const char* end,
                        absl::string_view word) {
  if (static_cast<size_t>(end - p) < word.size() ||
      absl::string_view(p, word.size()) != word) {
    return false;
  }
  p += word.size();
  return true;
}

// A strict RFC 8259 reader driving a SAX-style `Sink` (the callbacks of
// nlohmann::json_sax, returning false to stop). Written here instead of
// using nlohmann's lexer because the token header is parsed on every Verify
// and nlohmann's lexer alone costs about as much as the rest of the parse
// (it copies every token into a buffer and tracks positions for messages).
// It accepts exactly what nlohmann::json::parse accepts, minus a byte-order
// mark and a raw NUL (which nlohmann takes as end of input), and produces
// equal values; the json_limits fuzzer checks that differentially.
// Iterative, so nesting costs heap (bounded by max_depth), not stack.
template <typename Sink>
class StrictReader {
 public:
  StrictReader(absl::string_view text, Sink& sink)
      : p_(text.data()), end_(text.data() + text.size()), sink_(sink) {}

  bool Read() {
    enum class Expect {
      kValue,
      kValueOrEndArray,
      kKey,
      kKeyOrEndObject,
      kCommaOrEnd
    };
    Expect expect = Expect::kValue;
    std::string scratch;
    for (;;) {
      SkipWhitespace();
      if (p_ == end_) return false;
      const char c = *p_;
      switch (expect) {
        case Expect::kValueOrEndArray:
          if (c == ']') {
            ++p_;
            if (!Close()) return false;
            break;
          }
          [[fallthrough]];
        case Expect::kValue:
          if (c == '{') {
            ++p_;
            if (!sink_.start_object(0)) return false;
            open_.push_back('{');
            expect = Expect::kKeyOrEndObject;
            continue;
          }
          if (c == '[') {
            ++p_;
            if (!sink_.start_array(0)) return false;
            open_.push_back('[');
            expect = Expect::kValueOrEndArray;
            continue;
          }
          if (!ReadScalar(scratch)) return false;
          break;
        case Expect::kKeyOrEndObject:
          if (c == '}') {
            ++p_;
            if (!Close()) return false;
            break;
          }
          [[fallthrough]];
        case Expect::kKey:
          if (c != '"' || !ReadString(scratch) || !sink_.key(scratch)) {
            return false;
          }
          SkipWhitespace();
          if (p_ == end_ || *p_ != ':') return false;
          ++p_;
          expect = Expect::kValue;
          continue;
        case Expect::kCommaOrEnd:
          ++p_;
          if (c == ',') {
            expect = open_.back() == '{' ? Expect::kKey : Expect::kValue;
            continue;
          }
          if (c != (open_.back() == '{' ? '}' : ']') || !Close()) return false;
          break;
      }
      // A value just ended.
      if (open_.empty()) {
        SkipWhitespace();
        return p_ == end_;
      }
      expect = Expect::kCommaOrEnd;
    }
  }

 private:
  bool Close() {
    const bool object = open_.back() == '{';
    open_.pop_back();
    return object ? sink_.end_object() : sink_.end_array();
  }

  void SkipWhitespace() { SkipJsonWhitespace(p_, end_); }

  bool Literal(absl::string_view word) { return TakeLiteral(p_, end_, word); }

  bool ReadScalar(std::string& scratch) {
    switch (*p_) {
      case '"':
        return ReadString(scratch) && sink_.string(scratch);
      case 't':
        return Literal("true") && sink_.boolean(true);
      case 'f':
        return Literal("false") && sink_.boolean(false);
      case 'n':
        return Literal("null") && sink_.null();
      default:
        return ReadNumber();
    }
  }

  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }

  bool ReadNumber() {
    const char* start = p_;
    bool integral = true;
    if (p_ != end_ && *p_ == '-') ++p_;
    if (p_ == end_ || !IsDigit(*p_)) return false;
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ != end_ && IsDigit(*p_)) ++p_;
    }
    if (p_ != end_ && *p_ == '.') {
      integral = false;
      ++p_;
      if (p_ == end_ || !IsDigit(*p_)) return false;
      while (p_ != end_ && IsDigit(*p_)) ++p_;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      integral = false;
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || !IsDigit(*p_)) return false;
      while (p_ != end_ && IsDigit(*p_)) ++p_;
    }
    // Same typing as nlohmann: integers that fit are int64 (negative) or
    // uint64, everything else is a finite double.
    if (integral) {
      if (*start == '-') {
        nlohmann::json::number_integer_t v = 0;
        auto [ptr, ec] = std::from_chars(start, p_, v);
        if (ec == std::errc() && ptr == p_) return sink_.number_integer(v);
      } else {
        nlohmann::json::number_unsigned_t v = 0;
        auto [ptr, ec] = std::from_chars(start, p_, v);
        if (ec == std::errc() && ptr == p_) return sink_.number_unsigned(v);
      }
    }
    double v = 0;
    auto [ptr, ec] = std::from_chars(start, p_, v);
    if (ec == std::errc::result_out_of_range) {
      // Overflow is an error (as in nlohmann); underflow rounds like strtod.
      std::string copy(start, p_);
      v = std::strtod(copy.c_str(), nullptr);
    } else if (ec != std::errc() || ptr != p_) {
      return false;
    }
    if (!std::isfinite(v)) return false;
    return sink_.number_float(v, kEmpty);
  }

  static int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // Reads the 4 hex digits after "\u"; -1 on error.
  int ReadHex4() {
    if (end_ - p_ < 4) return -1;
    int v = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = HexValue(p_[i]);
      if (h < 0) return -1;
      v = v << 4 | h;
    }
    p_ += 4;
    return v;
  }

  static void AppendUtf8(uint32_t cp, std::string& out) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  static bool InRange(const unsigned char* q, unsigned lo, unsigned hi) {
    return *q >= lo && *q <= hi;
  }

  // Length of the well-formed UTF-8 sequence at p_ (RFC 3629 §4), 0 if
  // ill-formed: no overlongs, no surrogates, nothing above U+10FFFF.
  size_t Utf8SequenceLength() const {
    const auto* q = reinterpret_cast<const unsigned char*>(p_);
    const size_t avail = static_cast<size_t>(end_ - p_);
    const unsigned b = q[0];
    auto cont = [&](size_t i) { return InRange(q + i, 0x80, 0xBF); };
    if (b >= 0xC2 && b <= 0xDF) return avail >= 2 && cont(1) ? 2 : 0;
    if (b >= 0xE0 && b <= 0xEF) {
      if (avail < 3) return 0;
      const bool second = b == 0xE0   ? InRange(q + 1, 0xA0, 0xBF)
                          : b == 0xED ? InRange(q + 1, 0x80, 0x9F)
                                      : cont(1);
      return second && cont(2) ? 3 : 0;
    }
    if (b >= 0xF0 && b <= 0xF4) {
      if (avail < 4) return 0;
      const bool second = b == 0xF0   ? InRange(q + 1, 0x90, 0xBF)
                          : b == 0xF4 ? InRange(q + 1, 0x80, 0x8F)
                                      : cont(1);
      return second && cont(2) && cont(3) ? 4 : 0;
    }
    return 0;
  }

  // p_ is at the opening quote. Decodes into `out` (cleared first).
  bool ReadString(std::string& out) {
    out.clear();
    ++p_;
    for (;;) {
      // Fast path: a run of plain printable ASCII.
      const char* run = p_;
      while (p_ != end_) {
        const auto u = static_cast<unsigned char>(*p_);
        if (u < 0x20 || u >= 0x80 || u == '"' || u == '\\') break;
        ++p_;
      }
      out.append(run, p_);
      if (p_ == end_) return false;
      const auto u = static_cast<unsigned char>(*p_);
      if (u == '"') {
        ++p_;
        return true;
      }
      if (u < 0x20) return false;  // raw control characters (and NUL)
      if (u >= 0x80) {
        const size_t n = Utf8SequenceLength();
        if (n == 0) return false;
        out.append(p_, n);
        p_ += n;
        continue;
      }
      // Backslash escape.
      ++p_;
      if (p_ == end_) return false;
      const char e = *p_++;
      switch (e) {
        case '"':
          out.push_back('"');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case '/':
          out.push_back('/');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          int cp = ReadHex4();
          if (cp < 0 || (cp >= 0xDC00 && cp <= 0xDFFF)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            // A high surrogate must be followed by an escaped low one.
            if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
            p_ += 2;
            const int low = ReadHex4();
            if (low < 0xDC00 || low > 0xDFFF) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          AppendUtf8(static_cast<uint32_t>(cp), out);
          break;
        }
        default:
          return false;
      }
    }
  }

  static inline const nlohmann::json::string_t kEmpty;
  const char* p_;
  const char* const end_;
  Sink& sink_;        // Not owned; outlives the reader.
  std::string open_;  // '{' / '[' per open container, innermost last
};

}  // namespace jwtauth::json_internal

#endif  // JWTAUTH_CORE_JSON_READER_H_
