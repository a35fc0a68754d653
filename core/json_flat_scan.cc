#include "core/json_flat_scan.h"

#include <array>
#include <charconv>
#include <cstddef>
#include <string>
#include <system_error>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/json_reader.h"

namespace jwtauth::json_internal {
namespace {

using json = nlohmann::json;

// The reader behind ScanFlatObject: validates the whole document and
// records its members (views into the text) before any target is written.
class FlatObjectScan {
 public:
  explicit FlatObjectScan(absl::string_view text)
      : p_(text.data()), end_(text.data() + text.size()) {}

  // True when the document was read (members_ then holds it), false to
  // give up.
  bool Read(const JsonLimits& limits) {
    SkipWhitespace();
    if (limits.max_depth < 1 || !Take('{')) return false;
    SkipWhitespace();
    if (p_ != end_ && *p_ == '}') {
      ++p_;
    } else if (!ReadMembers()) {
      return false;
    }
    SkipWhitespace();
    return p_ == end_ && size_ <= limits.max_object_members &&
           size_ + 1 <= limits.max_values;
  }

  // Hands every member to `target_for`, as the full scan would.
  void Deliver(absl::FunctionRef<ScanTarget(absl::string_view)> target_for) {
    for (size_t i = 0; i < size_; ++i) {
      const Member& m = members_[i];
      const ScanTarget target = target_for(m.Name());
      if (target.value == nullptr) continue;
      switch (m.kind) {
        case Kind::kString:
          if (target.text != nullptr && target.is_text != nullptr) {
            target.text->assign(m.text, m.text_size);
            *target.is_text = true;
          } else {
            *target.value = json(std::string(m.text, m.text_size));
          }
          break;
        case Kind::kUnsigned:
          *target.value = json(m.number);
          break;
        case Kind::kTrue:
        case Kind::kFalse:
          *target.value = json(m.kind == Kind::kTrue);
          break;
        case Kind::kNull:
          *target.value = json(nullptr);
          break;
      }
    }
  }

 private:
  enum class Kind : unsigned char { kString, kUnsigned, kTrue, kFalse, kNull };
  // Written by Read before Deliver reads it, and left uninitialised until
  // then on purpose: zeroing all kMaxMembers of them cost a tenth of the
  // scan of a typical payload.
  struct Member {
    const char* name;
    size_t name_size;
    const char* text;  // kString
    size_t text_size;
    json::number_unsigned_t number;  // kUnsigned
    Kind kind;

    absl::string_view Name() const { return {name, name_size}; }
  };
  static constexpr size_t kMaxMembers = 16;  // more: the full scan

  bool ReadMembers() {
    for (;;) {
      if (size_ == kMaxMembers) return false;
      Member& m = members_[size_];
      SkipWhitespace();
      if (!ReadPlainString(m.name, m.name_size)) return false;
      for (size_t i = 0; i < size_; ++i) {
        if (SameName(members_[i].Name(), m.Name())) return false;
      }
      SkipWhitespace();
      if (!Take(':')) return false;
      SkipWhitespace();
      if (!ReadValue(m)) return false;
      ++size_;
      SkipWhitespace();
      if (Take('}')) return true;
      if (!Take(',')) return false;
    }
  }

  bool ReadValue(Member& m) {
    if (p_ == end_) return false;
    switch (*p_) {
      case '"':
        m.kind = Kind::kString;
        return ReadPlainString(m.text, m.text_size);
      case 't':
        m.kind = Kind::kTrue;
        return Literal("true");
      case 'f':
        m.kind = Kind::kFalse;
        return Literal("false");
      case 'n':
        m.kind = Kind::kNull;
        return Literal("null");
      default:
        m.kind = Kind::kUnsigned;
        return ReadUnsigned(m.number);
    }
  }

  // At the opening quote: a run of printable ASCII other than '"' and '\'
  // up to the closing quote.
  bool ReadPlainString(const char*& data, size_t& size) {
    if (!Take('"')) return false;
    const char* start = p_;
#if defined(__SSE2__)
    // Sixteen bytes at a time to the first that ends the plain run: a
    // quote, a backslash, DEL, or (as a signed byte below 0x20) a control
    // character or any byte >= 0x80.
    while (end_ - p_ >= 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p_));
      const __m128i stop =
          _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                       _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                                    _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f))));
      const int mask = _mm_movemask_epi8(stop);
      if (mask != 0) {
        p_ += __builtin_ctz(static_cast<unsigned>(mask));
        break;
      }
      p_ += 16;
    }
#endif
    while (p_ != end_) {
      const auto u = static_cast<unsigned char>(*p_);
      if (u == '"') {
        data = start;
        size = static_cast<size_t>(p_ - start);
        ++p_;
        return true;
      }
      if (u < 0x20 || u >= 0x7f || u == '\\') return false;
      ++p_;
    }
    return false;
  }

  // "0" or [1-9][0-9]* that fits 64 bits and is not followed by a fraction
  // or an exponent.
  bool ReadUnsigned(json::number_unsigned_t& out) {
    const char* start = p_;
    while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    const size_t digits = static_cast<size_t>(p_ - start);
    if (digits == 0 || (digits > 1 && *start == '0')) return false;
    if (p_ != end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E')) return false;
    auto [ptr, ec] = std::from_chars(start, p_, out);
    return ec == std::errc() && ptr == p_;
  }

  bool Literal(absl::string_view word) { return TakeLiteral(p_, end_, word); }

  bool Take(char c) {
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }

  void SkipWhitespace() { SkipJsonWhitespace(p_, end_); }

  const char* p_;
  const char* const end_;
  std::array<Member, kMaxMembers> members_;
  size_t size_ = 0;
};

}  // namespace

bool ScanFlatObject(
    absl::string_view text, const JsonLimits& limits,
    absl::FunctionRef<ScanTarget(absl::string_view)> target_for) {
  FlatObjectScan scan(text);
  if (!scan.Read(limits)) return false;
  scan.Deliver(target_for);
  return true;
}

}  // namespace jwtauth::json_internal
