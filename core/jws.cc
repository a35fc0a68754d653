#include "core/jws.h"

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
    if (name == nullptr || name->empty() || header.find(*name) == header.end()) {
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

}  // namespace

FailureOr<ParsedJws> ParsedJws::Parse(absl::string_view compact,
                                      const JwsLimits& limits) {
  if (compact.size() > limits.max_token_bytes) {
    return MakeFailure(FailureReason::kTokenTooLarge, "token exceeds size limit");
  }
  if (compact.empty()) {
    return MakeFailure(FailureReason::kTokenMissing, "empty token");
  }

  // Split: exactly two dots.
  const size_t dot1 = compact.find('.');
  const size_t dot2 =
      dot1 == absl::string_view::npos ? dot1 : compact.find('.', dot1 + 1);
  if (dot2 == absl::string_view::npos ||
      compact.find('.', dot2 + 1) != absl::string_view::npos) {
    return Malformed("token is not three dot-separated parts");
  }
  const absl::string_view header_b64 = compact.substr(0, dot1);
  const absl::string_view payload_b64 = compact.substr(dot1 + 1, dot2 - dot1 - 1);
  const absl::string_view signature_b64 = compact.substr(dot2 + 1);
  if (header_b64.empty()) return Malformed("empty header");
  if (signature_b64.empty()) return Malformed("empty signature");

  ParsedJws jws;
  // Decode all three parts before looking at any header parameter, so the
  // order of rules is the documented one whatever the header says.
  std::string header_json;
  header_json.reserve(header_b64.size() / 4 * 3 + 2);
  if (!Base64UrlDecodeTo(header_b64, header_json)) {
    return Malformed("header is not base64url");
  }
  jws.payload_.reserve(payload_b64.size() / 4 * 3 + 2);
  if (!Base64UrlDecodeTo(payload_b64, jws.payload_)) {
    return Malformed("payload is not base64url");
  }
  jws.signature_.reserve(signature_b64.size() / 4 * 3 + 2);
  if (!Base64UrlDecodeTo(signature_b64, jws.signature_)) {
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

  // alg: required, a string, one of ours (case-sensitive; "none" never).
  auto alg_it = obj->find("alg");
  if (alg_it == obj->end()) return Malformed("header has no alg");
  const std::string* alg_name = alg_it->second.get_ptr<const std::string*>();
  if (alg_name == nullptr) return Malformed("alg is not a string");
  std::optional<Algorithm> alg = AlgorithmFromName(*alg_name);
  if (!alg.has_value()) {
    return MakeFailure(FailureReason::kUnsupportedAlgorithm,
                       *alg_name == "none" ? "alg none is never accepted"
                                           : "unsupported alg");
  }
  jws.alg_ = *alg;

  if (auto crit = obj->find("crit"); crit != obj->end()) {
    return CritFailure(*obj, crit->second);
  }
  // RFC 7797: an unencoded payload changes what is signed; we do not support
  // it. "b64": true is the default meaning and harmless.
  if (auto b64 = obj->find("b64"); b64 != obj->end()) {
    if (!b64->second.is_boolean()) return Rejected("b64 is not a boolean");
    if (!b64->second.get<bool>()) return Rejected("b64=false is not supported");
  }
  if (!ReadOptionalString(*obj, "kid", &jws.kid_)) {
    return Rejected("kid is not a string");
  }
  if (!ReadOptionalString(*obj, "typ", &jws.typ_)) {
    return Rejected("typ is not a string");
  }
  if (!ReadOptionalString(*obj, "cty", nullptr)) {
    return Rejected("cty is not a string");
  }
  // jku, x5u, jwk, x5c: deliberately ignored (never used to find a key).

  jws.signing_input_.assign(compact.data(), dot2);
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
