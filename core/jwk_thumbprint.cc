#include "core/jwk_thumbprint.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "core/base64url.h"
#include "core/crypto/signature_verifier.h"

namespace jwtauth {
namespace {

std::vector<const char*> RequiredMembers(const std::string& kty) {
  if (kty == "RSA") return {"e", "kty", "n"};
  if (kty == "EC") return {"crv", "kty", "x", "y"};
  if (kty == "OKP") return {"crv", "kty", "x"};
  if (kty == "oct") return {"k", "kty"};
  return {};
}

}  // namespace

absl::StatusOr<std::string> JwkThumbprint(const nlohmann::json& jwk) {
  if (!jwk.is_object()) {
    return absl::InvalidArgumentError("JWK is not a JSON object");
  }
  auto kty = jwk.find("kty");
  if (kty == jwk.end() || !kty->is_string()) {
    return absl::InvalidArgumentError("JWK has no kty");
  }
  const std::vector<const char*> members =
      RequiredMembers(kty->get<std::string>());
  if (members.empty()) {
    return absl::InvalidArgumentError("JWK kty is not RSA, EC, OKP or oct");
  }
  // nlohmann's object is a std::map: members come out sorted, and dump()
  // writes no whitespace and escapes only what JSON requires (RFC 7638 §3).
  nlohmann::json canonical = nlohmann::json::object();
  for (const char* name : members) {
    auto it = jwk.find(name);
    if (it == jwk.end() || !it->is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat("JWK member \"", name, "\" is missing or not a string"));
    }
    canonical[name] = *it;
  }
  return Base64UrlEncode(crypto::Sha256(canonical.dump()));
}

}  // namespace jwtauth
