#include "core/jws.h"

#include <array>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "core/base64url.h"
#include "core/json_reader.h"

namespace jwtauth {
namespace {

using json = nlohmann::json;

Failure Malformed(absl::string_view detail) {
  return MakeFailure(FailureReason::kMalformed, detail);
}
Failure Rejected(absl::string_view detail) {
  return MakeFailure(FailureReason::kHeaderRejected, detail);
}

// RFC 7515 §4.1.11. We implement no extension, so every well-formed "crit"
// is still rejected; the two details tell an operator which case it was.
Failure CritFailure(const json::object_t& header, const json& crit) {
  const json::array_t* names = crit.get_ptr<const json::array_t*>();
  if (names == nullptr || names->empty()) return Rejected("crit is malformed");
  for (size_t i = 0; i < names->size(); ++i) {
    const std::string* name = (*names)[i].get_ptr<const std::string*>();
    if (name == nullptr || name->empty() ||
        header.find(*name) == header.end()) {
      return Rejected("crit is malformed");
    }
    for (size_t j = 0; j < i; ++j) {
      if ((*names)[j] == (*names)[i]) return Rejected("crit is malformed");
    }
  }
  return Rejected("unsupported critical header parameter");
}

// The header parameters the rules look at, whichever way they were read.
struct HeaderParams {
  enum class Kind : unsigned char { kAbsent, kString, kTrue, kFalse, kOther };
  struct Param {
    Kind kind = Kind::kAbsent;
    std::string text;  // when kind == kString
  };
  Param alg, kid, typ, cty, b64;
  std::optional<Failure> crit;  // set when "crit" is present
};

HeaderParams::Kind KindOf(const json& v) {
  using Kind = HeaderParams::Kind;
  if (v.is_string()) return Kind::kString;
  if (v.is_boolean()) return v.get<bool>() ? Kind::kTrue : Kind::kFalse;
  return Kind::kOther;
}

// The parameters of a header parsed into a JSON object.
HeaderParams ParamsOf(const json::object_t& header) {
  HeaderParams params;
  auto read = [&](const char* name, HeaderParams::Param& out) {
    auto it = header.find(name);
    if (it == header.end()) return;
    out.kind = KindOf(it->second);
    if (out.kind == HeaderParams::Kind::kString) {
      out.text = it->second.get_ref<const std::string&>();
    }
  };
  read("alg", params.alg);
  read("kid", params.kid);
  read("typ", params.typ);
  read("cty", params.cty);
  read("b64", params.b64);
  if (auto crit = header.find("crit"); crit != header.end()) {
    params.crit = CritFailure(header, crit->second);
  }
  return params;
}

// A single-pass scan of the common header: one flat object of scalars with
// a few members and no "crit". It enforces nothing itself: it gives up
// (returns false from a callback) on anything else, including every input
// that ParseJsonBounded would reject, and the caller then takes the full
// bounded parse, so both paths accept and report exactly the same.
class HeaderScan {
 public:
  using Kind = HeaderParams::Kind;

  explicit HeaderScan(const JsonLimits& limits) : limits_(limits) {}
  HeaderParams& params() { return params_; }

  bool null() { return Value(Kind::kOther, nullptr); }
  bool boolean(bool v) {
    return Value(v ? Kind::kTrue : Kind::kFalse, nullptr);
  }
  bool number_integer(json::number_integer_t) {
    return Value(Kind::kOther, nullptr);
  }
  bool number_unsigned(json::number_unsigned_t) {
    return Value(Kind::kOther, nullptr);
  }
  bool number_float(json::number_float_t, const json::string_t&) {
    return Value(Kind::kOther, nullptr);
  }
  bool string(json::string_t& v) { return Value(Kind::kString, &v); }
  bool binary(json::binary_t&) { return false; }
  bool start_object(std::size_t) {
    if (started_ || limits_.max_depth < 1) return false;
    started_ = true;
    return Count();
  }
  bool start_array(std::size_t) { return false; }
  bool end_object() { return true; }
  bool end_array() { return false; }

  bool key(json::string_t& name) {
    using json_internal::SameName;
    if (names_.size() == names_.capacity() ||
        names_.size() + 1 > limits_.max_object_members ||
        SameName(name, "crit")) {
      return false;
    }
    for (const std::string& n : names_) {
      if (SameName(n, name)) return false;  // the full parse reports it
    }
    names_.push_back(name);
    slot_ = SameName(name, "alg")   ? &params_.alg
            : SameName(name, "kid") ? &params_.kid
            : SameName(name, "typ") ? &params_.typ
            : SameName(name, "cty") ? &params_.cty
            : SameName(name, "b64") ? &params_.b64
                                    : nullptr;
    return true;
  }

 private:
  bool Count() { return ++values_ <= limits_.max_values; }

  bool Value(Kind kind, std::string* text) {
    if (!started_ || !Count()) return false;  // a top-level scalar
    if (slot_ != nullptr) {
      slot_->kind = kind;
      if (text != nullptr) slot_->text = std::move(*text);
    }
    slot_ = nullptr;
    return true;
  }

  const JsonLimits& limits_;  // Not owned; outlives the scan.
  HeaderParams params_;
  absl::InlinedVector<std::string, 8> names_;  // gives up past its capacity
  HeaderParams::Param* slot_ = nullptr;
  size_t values_ = 0;
  bool started_ = false;
};

// The header's parameters: by the scan when it applies, else from the
// bounded parse (whose failure is the header's).
FailureOr<HeaderParams> ReadHeader(absl::string_view header_json,
                                   const JsonLimits& limits) {
  if (header_json.size() <= limits.max_bytes) {
    HeaderScan scan(limits);
    if (json_internal::StrictReader<HeaderScan>(header_json, scan).Read()) {
      return std::move(scan.params());
    }
  }
  absl::StatusOr<json> header = ParseJsonBounded(header_json, limits);
  if (!header.ok()) {
    return Malformed(absl::StrCat("header: ", header.status().message()));
  }
  const json::object_t* obj = header->get_ptr<const json::object_t*>();
  if (obj == nullptr) return Malformed("header: not a JSON object");
  return ParamsOf(*obj);
}

// The three base64url parts of a compact JWS.
struct CompactParts {
  absl::string_view header;
  absl::string_view payload;
  absl::string_view signature;
  size_t signing_input_size = 0;  // header + '.' + payload
};

// Size first, then exactly two dots and non-empty header and signature.
FailureOr<CompactParts> SplitCompact(absl::string_view compact,
                                     const JwsLimits& limits) {
  if (compact.size() > limits.max_token_bytes) {
    return MakeFailure(FailureReason::kTokenTooLarge,
                       "token exceeds size limit");
  }
  if (compact.empty()) {
    return MakeFailure(FailureReason::kTokenMissing, "empty token");
  }
  const size_t dot1 = compact.find('.');
  const size_t dot2 =
      dot1 == absl::string_view::npos ? dot1 : compact.find('.', dot1 + 1);
  if (dot2 == absl::string_view::npos ||
      compact.find('.', dot2 + 1) != absl::string_view::npos) {
    return Malformed("token is not three dot-separated parts");
  }
  CompactParts parts;
  parts.header = compact.substr(0, dot1);
  parts.payload = compact.substr(dot1 + 1, dot2 - dot1 - 1);
  parts.signature = compact.substr(dot2 + 1);
  parts.signing_input_size = dot2;
  if (parts.header.empty()) return Malformed("empty header");
  if (parts.signature.empty()) return Malformed("empty signature");
  return parts;
}

// alg: required, a string, one of ours (case-sensitive; "none" never).
FailureOr<Algorithm> ReadAlg(const HeaderParams& params) {
  using Kind = HeaderParams::Kind;
  if (params.alg.kind == Kind::kAbsent) return Malformed("header has no alg");
  if (params.alg.kind != Kind::kString) return Malformed("alg is not a string");
  const std::string& alg_name = params.alg.text;
  std::optional<Algorithm> alg = AlgorithmFromName(alg_name);
  if (!alg.has_value()) {
    return MakeFailure(
        FailureReason::kUnsupportedAlgorithm,
        alg_name == "none" ? "alg none is never accepted" : "unsupported alg");
  }
  return *alg;
}

// crit, b64, kid, typ and cty: the first rule broken, or nullopt.
std::optional<Failure> CheckOtherParams(const HeaderParams& params) {
  using Kind = HeaderParams::Kind;
  if (params.crit.has_value()) return params.crit;
  // RFC 7797: an unencoded payload changes what is signed; we do not support
  // it. "b64": true is the default meaning and harmless.
  if (params.b64.kind == Kind::kFalse) {
    return Rejected("b64=false is not supported");
  }
  if (params.b64.kind != Kind::kAbsent && params.b64.kind != Kind::kTrue) {
    return Rejected("b64 is not a boolean");
  }
  auto not_string = [](const HeaderParams::Param& p) {
    return p.kind != Kind::kAbsent && p.kind != Kind::kString;
  };
  if (not_string(params.kid)) return Rejected("kid is not a string");
  if (not_string(params.typ)) return Rejected("typ is not a string");
  if (not_string(params.cty)) return Rejected("cty is not a string");
  // jku, x5u, jwk, x5c: deliberately ignored (never used to find a key).
  return std::nullopt;
}

// A present string parameter, else nullopt.
std::optional<std::string> TakeString(HeaderParams::Param& p) {
  if (p.kind != HeaderParams::Kind::kString) return std::nullopt;
  return std::move(p.text);
}

// What the header rules made of one accepted header.
struct AcceptedHeader {
  std::string encoded;  // the header's base64url text
  JsonLimits limits;    // read under these
  Algorithm alg = Algorithm::kHs256;
  std::optional<std::string> kid;
  std::optional<std::string> typ;
};

// The last few headers this thread accepted. An issuer signs all its
// tokens under one header (alg, kid, typ), so on the uncached path the same
// few headers come back on every call, and the scan of one (a third of
// Parse) is repeated for nothing. An entry is only ever a result Parse
// computed itself for exactly that text under exactly those limits, so a
// hit answers what the scan would; failures are never kept. Per thread, so
// no lock; small and bounded (kEntries headers of at most kMaxEncoded).
class AcceptedHeaders {
 public:
  static constexpr size_t kMaxEncoded = 512;

  const AcceptedHeader* Find(absl::string_view encoded,
                             const JsonLimits& limits) const {
    for (size_t i = 0; i < used_; ++i) {
      const AcceptedHeader& h = entries_[i];
      if (h.encoded == encoded && h.limits == limits) return &h;
    }
    return nullptr;
  }
  void Add(AcceptedHeader h) {
    if (h.encoded.size() > kMaxEncoded) return;
    entries_[next_] = std::move(h);
    next_ = (next_ + 1) % kEntries;
    if (used_ < kEntries) ++used_;
  }

 private:
  static constexpr size_t kEntries = 4;
  std::array<AcceptedHeader, kEntries> entries_;
  size_t used_ = 0;
  size_t next_ = 0;  // replaced next (oldest first)
};

thread_local AcceptedHeaders accepted_headers;

// The header rules on the decoded header: alg, kid and typ, or the first
// rule broken.
FailureOr<AcceptedHeader> ApplyHeaderRules(absl::string_view header_json,
                                           const JsonLimits& limits) {
  FailureOr<HeaderParams> params = ReadHeader(header_json, limits);
  if (!params.ok()) return params.failure();
  FailureOr<Algorithm> alg = ReadAlg(*params);
  if (!alg.ok()) return alg.failure();
  if (std::optional<Failure> f = CheckOtherParams(*params)) {
    return *std::move(f);
  }
  AcceptedHeader accepted;
  accepted.limits = limits;
  accepted.alg = *alg;
  accepted.kid = TakeString(params->kid);
  accepted.typ = TakeString(params->typ);
  return accepted;
}

}  // namespace

FailureOr<ParsedJws> ParsedJws::Parse(absl::string_view compact,
                                      const JwsLimits& limits) {
  FailureOr<CompactParts> parts = SplitCompact(compact, limits);
  if (!parts.ok()) return parts.failure();

  ParsedJws jws;
  jws.header_limits_ = limits.header_limits;
  // Decode all three parts before looking at any header parameter, so the
  // order of rules is the documented one whatever the header says.
  std::string& bytes = jws.bytes_;
  bytes.reserve(parts->signing_input_size + compact.size() / 4 * 3 + 6);
  bytes.assign(compact.data(), parts->signing_input_size);
  jws.header_at_ = bytes.size();
  if (!Base64UrlDecodeTo(parts->header, bytes)) {
    return Malformed("header is not base64url");
  }
  jws.payload_at_ = bytes.size();
  if (!Base64UrlDecodeTo(parts->payload, bytes)) {
    return Malformed("payload is not base64url");
  }
  jws.signature_at_ = bytes.size();
  if (!Base64UrlDecodeTo(parts->signature, bytes)) {
    return Malformed("signature is not base64url");
  }

  if (const AcceptedHeader* known =
          accepted_headers.Find(parts->header, limits.header_limits)) {
    jws.alg_ = known->alg;
    jws.kid_ = known->kid;
    jws.typ_ = known->typ;
    return jws;
  }
  FailureOr<AcceptedHeader> accepted =
      ApplyHeaderRules(jws.header_json(), limits.header_limits);
  if (!accepted.ok()) return accepted.failure();
  jws.alg_ = accepted->alg;
  jws.kid_ = accepted->kid;
  jws.typ_ = accepted->typ;
  accepted->encoded.assign(parts->header.data(), parts->header.size());
  accepted_headers.Add(*std::move(accepted));
  return jws;
}

nlohmann::json ParsedJws::header() const {
  // Parse accepted these bytes under these limits, so this cannot fail.
  absl::StatusOr<json> header = ParseJsonBounded(header_json(), header_limits_);
  return header.ok() ? *std::move(header) : json::object();
}

std::string MakeSigningInput(absl::string_view header_json,
                             absl::string_view payload) {
  std::string out;
  out.reserve(Base64UrlEncodedLength(header_json.size()) + 1 +
              Base64UrlEncodedLength(payload.size()));
  Base64UrlEncodeTo(header_json, out);
  out.push_back('.');
  Base64UrlEncodeTo(payload, out);
  return out;
}

std::string CompleteCompactJws(absl::string_view signing_input,
                               absl::string_view signature) {
  std::string out;
  out.reserve(signing_input.size() + 1 +
              Base64UrlEncodedLength(signature.size()));
  out.append(signing_input.data(), signing_input.size());
  out.push_back('.');
  Base64UrlEncodeTo(signature, out);
  return out;
}

}  // namespace jwtauth
