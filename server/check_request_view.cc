#include "server/check_request_view.h"

#include <cstdint>

#include "absl/strings/match.h"
#include "google/protobuf/stubs/common.h"

namespace jwtauth::server {

namespace authv3 = ::envoy::service::auth::v3;

// Reads the protobuf wire format of the fields CheckRequestView keeps.
// Every Read* returns false where FromWire declines.
class CheckRequestWireReader {
 public:
  explicit CheckRequestWireReader(CheckRequestView& view) : view_(view) {}

  // CheckRequest { AttributeContext attributes = 1; }
  bool ReadCheckRequest(absl::string_view bytes) {
    return ReadFields(bytes, [this](uint32_t field, absl::string_view v) {
      return field == 1 ? ReadAttributes(v) : true;
    });
  }

 private:
  enum WireType : uint32_t {
    kVarint = 0,
    kFixed64 = 1,
    kLen = 2,
    kFixed32 = 5
  };
  static constexpr int kMaxTagBytes = 5;
  static constexpr int kMaxVarintBytes = 10;

  // AttributeContext { Request request = 4;
  //                    map<string, string> context_extensions = 10; }
  bool ReadAttributes(absl::string_view bytes) {
    return ReadFields(bytes, [this](uint32_t field, absl::string_view v) {
      if (field == 4) return ReadRequest(v);
      if (field == 10) return ReadMapEntry(v, view_.context_extensions_);
      return true;
    });
  }

  // AttributeContext.Request { HttpRequest http = 2; }
  bool ReadRequest(absl::string_view bytes) {
    return ReadFields(bytes, [this](uint32_t field, absl::string_view v) {
      return field == 2 ? ReadHttp(v) : true;
    });
  }

  // HttpRequest { string id = 1; string method = 2;
  //   map<string, string> headers = 3; string path = 4; string host = 5;
  //   string query = 7; HeaderMap header_map = 13; }
  bool ReadHttp(absl::string_view bytes) {
    return ReadFields(bytes, [this](uint32_t field, absl::string_view v) {
      switch (field) {
        case 1:
          return Text(v, view_.id_);
        case 2:
          return Text(v, view_.method_);
        case 3:
          return ReadMapEntry(v, view_.headers_);
        case 4:
          return Text(v, view_.target_);
        case 5:
          return Text(v, view_.host_);
        case 7:
          return Text(v, view_.query_field_);
        case 13:
          return ReadHeaderMap(v);
        default:
          return true;
      }
    });
  }

  // HeaderMap { repeated HeaderValue headers = 1; }
  bool ReadHeaderMap(absl::string_view bytes) {
    return ReadFields(bytes, [this](uint32_t field, absl::string_view v) {
      return field == 1 ? ReadHeaderValue(v) : true;
    });
  }

  // HeaderValue { string key = 1; string value = 2; bytes raw_value = 3; }
  bool ReadHeaderValue(absl::string_view bytes) {
    absl::string_view key, value, raw;
    const bool ok = ReadFields(bytes, [&](uint32_t field, absl::string_view v) {
      if (field == 1) return Text(v, key);
      if (field == 2) return Text(v, value);
      if (field == 3) raw = v;  // bytes: no UTF-8 rule
      return true;
    });
    if (ok) view_.raw_headers_.emplace_back(key, value.empty() ? raw : value);
    return ok;
  }

  // A map<string, string> entry { key = 1; value = 2; }, both optional.
  template <typename Entries>
  bool ReadMapEntry(absl::string_view bytes, Entries& entries) {
    absl::string_view key, value;
    const bool ok = ReadFields(bytes, [&](uint32_t field, absl::string_view v) {
      if (field == 1) return Text(v, key);
      if (field == 2) return Text(v, value);
      return true;
    });
    if (ok) entries.emplace_back(key, value);
    return ok;
  }

  // A proto3 string field: valid UTF-8, the last occurrence wins.
  static bool Text(absl::string_view v, absl::string_view& out) {
    if (!google::protobuf::internal::IsStructurallyValidUTF8(
            v.data(), static_cast<int>(v.size()))) {
      return false;
    }
    out = v;
    return true;
  }

  // Calls on_field(number, payload) for every length-delimited field of
  // `bytes` and skips the others. Nesting is fixed (five levels), so no
  // depth limit is needed.
  template <typename OnField>
  static bool ReadFields(absl::string_view bytes, OnField on_field) {
    const char* p = bytes.data();
    const char* const end = p + bytes.size();
    while (p < end) {
      uint64_t tag = 0;
      if (!ReadVarint(p, end, kMaxTagBytes, tag) || tag > UINT32_MAX ||
          (tag >> 3) == 0) {
        return false;
      }
      const auto field = static_cast<uint32_t>(tag >> 3);
      switch (static_cast<uint32_t>(tag & 7)) {
        case kVarint: {
          uint64_t ignored = 0;
          if (!ReadVarint(p, end, kMaxVarintBytes, ignored)) return false;
          break;
        }
        case kFixed64:
          if (end - p < 8) return false;
          p += 8;
          break;
        case kFixed32:
          if (end - p < 4) return false;
          p += 4;
          break;
        case kLen: {
          uint64_t size = 0;
          if (!ReadVarint(p, end, kMaxTagBytes, size) ||
              size > static_cast<uint64_t>(end - p)) {
            return false;
          }
          const absl::string_view payload(p, static_cast<size_t>(size));
          p += size;
          if (!on_field(field, payload)) return false;
          break;
        }
        default:  // groups (3, 4) and invalid wire types: protobuf decides
          return false;
      }
    }
    return true;
  }

  // A varint of at most `max_bytes` bytes. Tags and lengths are 32-bit
  // values: a longer (non-canonical) encoding is left to protobuf.
  static bool ReadVarint(const char*& p, const char* end, int max_bytes,
                         uint64_t& out) {
    out = 0;
    for (int i = 0; i < max_bytes && p < end; ++i) {
      const auto byte = static_cast<uint8_t>(*p++);
      out |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
      if ((byte & 0x80) == 0) return true;
    }
    return false;  // truncated, or too long
  }

  CheckRequestView& view_;
};

std::optional<CheckRequestView> CheckRequestView::FromWire(
    absl::string_view bytes) {
  CheckRequestView view;
  if (!CheckRequestWireReader(view).ReadCheckRequest(bytes)) {
    return std::nullopt;
  }
  view.SplitTarget();
  return view;
}

CheckRequestView CheckRequestView::FromMessage(
    const authv3::CheckRequest& request) {
  const authv3::AttributeContext& attrs = request.attributes();
  const authv3::AttributeContext::HttpRequest& http = attrs.request().http();
  CheckRequestView view;
  view.id_ = http.id();
  view.method_ = http.method();
  view.host_ = http.host();
  view.target_ = http.path();
  view.query_field_ = http.query();
  for (const auto& [k, v] : http.headers()) view.headers_.emplace_back(k, v);
  for (const auto& h : http.header_map().headers()) {
    view.raw_headers_.emplace_back(
        h.key(), h.value().empty() ? h.raw_value() : h.value());
  }
  for (const auto& [k, v] : attrs.context_extensions()) {
    view.context_extensions_.emplace_back(k, v);
  }
  view.SplitTarget();
  return view;
}

void CheckRequestView::SplitTarget() {
  absl::string_view target = target_.substr(0, target_.find('#'));
  const size_t q = target.find('?');
  if (q == absl::string_view::npos) {
    path_ = target;
    query_ = query_field_;
  } else {
    path_ = target.substr(0, q);
    query_ = target.substr(q + 1);
  }
}

std::optional<absl::string_view> CheckRequestView::Header(
    absl::string_view name) const {
  if (!headers_.empty()) {
    std::optional<absl::string_view> exact;
    for (const Pair& h : headers_) {
      if (h.first == name) exact = h.second;  // a later duplicate wins
    }
    if (exact.has_value()) return exact;
    // Any case (Envoy lower-cases names; other clients may not). Of two
    // spellings the smaller key in byte order wins, whatever order they
    // came in: a protobuf map has none, so both readers agree.
    const Pair* best = nullptr;
    for (const Pair& h : headers_) {
      if (!absl::EqualsIgnoreCase(h.first, name)) continue;
      if (best == nullptr || h.first <= best->first) best = &h;
    }
    if (best == nullptr) return std::nullopt;
    return best->second;
  }
  for (const Pair& h : raw_headers_) {
    if (absl::EqualsIgnoreCase(h.first, name)) return h.second;
  }
  return std::nullopt;
}

std::optional<absl::string_view> CheckRequestView::ContextExtension(
    absl::string_view key) const {
  for (auto it = context_extensions_.rbegin(); it != context_extensions_.rend();
       ++it) {
    if (it->first == key) return it->second;
  }
  return std::nullopt;
}

}  // namespace jwtauth::server
