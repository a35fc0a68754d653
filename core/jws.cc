#include "core/jws.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base64url.h"

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

// Optional string-valued header parameter; false when present but not a
// string.
bool ReadOptionalString(const json::object_t& header, const char* name,
                        std::optional<std::string>* out) {
  auto it = header.find(name);
  if (it == header.end()) return true;
  const std::string* s = it->second.get_ptr<const std::string*>();
  if (s == nullptr) return false;
  if (out != nullptr) *out = *s;
  return true;
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
FailureOr<Algorithm> ReadAlg(const json::object_t& header) {
  auto alg_it = header.find("alg");
  if (alg_it == header.end()) return Malformed("header has no alg");
  const std::string* alg_name = alg_it->second.get_ptr<const std::string*>();
  if (alg_name == nullptr) return Malformed("alg is not a string");
  std::optional<Algorithm> alg = AlgorithmFromName(*alg_name);
  if (!alg.has_value()) {
    return MakeFailure(
        FailureReason::kUnsupportedAlgorithm,
        *alg_name == "none" ? "alg none is never accepted" : "unsupported alg");
  }
  return *alg;
}

// crit, b64, kid, typ and cty; fills `kid` and `typ`. The first rule broken,
// or nullopt.
std::optional<Failure> ReadOtherParams(const json::object_t& header,
                                       std::optional<std::string>* kid,
                                       std::optional<std::string>* typ) {
  if (auto crit = header.find("crit"); crit != header.end()) {
    return CritFailure(header, crit->second);
  }
  // RFC 7797: an unencoded payload changes what is signed; we do not support
  // it. "b64": true is the default meaning and harmless.
  if (auto b64 = header.find("b64"); b64 != header.end()) {
    if (!b64->second.is_boolean()) return Rejected("b64 is not a boolean");
    if (!b64->second.get<bool>()) return Rejected("b64=false is not supported");
  }
  if (!ReadOptionalString(header, "kid", kid)) {
    return Rejected("kid is not a string");
  }
  if (!ReadOptionalString(header, "typ", typ)) {
    return Rejected("typ is not a string");
  }
  if (!ReadOptionalString(header, "cty", nullptr)) {
    return Rejected("cty is not a string");
  }
  // jku, x5u, jwk, x5c: deliberately ignored (never used to find a key).
  return std::nullopt;
}

}  // namespace

FailureOr<ParsedJws> ParsedJws::Parse(absl::string_view compact,
                                      const JwsLimits& limits) {
  FailureOr<CompactParts> parts = SplitCompact(compact, limits);
  if (!parts.ok()) return parts.failure();

  ParsedJws jws;
  // Decode all three parts before looking at any header parameter, so the
  // order of rules is the documented one whatever the header says.
  std::string header_json;
  header_json.reserve(parts->header.size() / 4 * 3 + 2);
  if (!Base64UrlDecodeTo(parts->header, header_json)) {
    return Malformed("header is not base64url");
  }
  jws.payload_.reserve(parts->payload.size() / 4 * 3 + 2);
  if (!Base64UrlDecodeTo(parts->payload, jws.payload_)) {
    return Malformed("payload is not base64url");
  }
  jws.signature_.reserve(parts->signature.size() / 4 * 3 + 2);
  if (!Base64UrlDecodeTo(parts->signature, jws.signature_)) {
    return Malformed("signature is not base64url");
  }

  absl::StatusOr<json> header =
      ParseJsonBounded(header_json, limits.header_limits);
  if (!header.ok()) {
    return Malformed(absl::StrCat("header: ", header.status().message()));
  }
  jws.header_ = *std::move(header);
  const json::object_t* obj = jws.header_.get_ptr<const json::object_t*>();
  if (obj == nullptr) return Malformed("header: not a JSON object");

  FailureOr<Algorithm> alg = ReadAlg(*obj);
  if (!alg.ok()) return alg.failure();
  jws.alg_ = *alg;
  if (std::optional<Failure> f = ReadOtherParams(*obj, &jws.kid_, &jws.typ_)) {
    return *std::move(f);
  }
  jws.signing_input_.assign(compact.data(), parts->signing_input_size);
  return jws;
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
