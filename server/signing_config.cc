#include "server/signing_config.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace jwtauth::server {
namespace {

// The short form: one active key given by these fields under `signing:`.
constexpr absl::string_view kShortFormFields[] = {
    "alg",        "kid", "private_key_file", "secret", "secret_file",
    "secret_env", "jwk", "jwk_file"};

bool HasShortForm(const ConfigNode& n) {
  for (absl::string_view f : kShortFormFields) {
    if (n.Has(f)) return true;
  }
  return false;
}

absl::Status ReadKeys(const ConfigNode& n, SigningConfig& s) {
  if (n.Has("keys")) {
    JWTAUTH_ASSIGN_OR_RETURN(std::vector<ConfigNode> items,
                             n["keys"].NonEmptyList());
    for (const ConfigNode& item : items) {
      JWTAUTH_ASSIGN_OR_RETURN(KeySourceConfig k,
                               ParseKeySourceConfig(item, KeyRole::kSigning));
      s.keys.push_back(std::move(k));
    }
  }
  if (!HasShortForm(n)) return absl::OkStatus();
  if (!s.keys.empty()) {
    return n.Error(
        "give either the key fields (alg, kid, private_key_file|secret*) or "
        "keys:, not both");
  }
  JWTAUTH_ASSIGN_OR_RETURN(KeySourceConfig k,
                           ReadKeySourceFields(n, KeyRole::kSigning));
  k.state = KeyState::kActive;
  s.keys.push_back(std::move(k));
  return absl::OkStatus();
}

absl::Status CheckKeys(const ConfigNode& n, const SigningConfig& s) {
  if (!s.keys.empty() && s.ephemeral) {
    return n["ephemeral"].Error(
        "cannot be combined with configured signing keys");
  }
  if (s.keys.empty()) return absl::OkStatus();
  int active = 0;
  std::set<std::string> kids;
  for (const KeySourceConfig& k : s.keys) {
    if (k.state == KeyState::kActive) ++active;
    if (!k.kid.empty() && !kids.insert(k.kid).second) {
      return absl::InvalidArgumentError(
          k.location.Error(absl::StrCat("duplicate kid \"", k.kid, "\"")));
    }
  }
  if (active != 1) {
    return n["keys"].Error(absl::StrCat(
        "exactly one key must have state: active (found ", active, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SigningConfig> ParseSigningConfig(const ConfigNode& n) {
  JWTAUTH_RETURN_IF_ERROR(n.ExpectMap(
      {"alg", "kid", "private_key_file", "secret", "secret_file", "secret_env",
       "jwk", "jwk_file", "issuer", "default_ttl", "max_ttl", "keys",
       "ephemeral", "ephemeral_alg", "ephemeral_kid"}));
  SigningConfig s;
  JWTAUTH_RETURN_IF_ERROR(n.ReadNonEmpty("issuer", &s.issuer));
  JWTAUTH_RETURN_IF_ERROR(n.Read("default_ttl", &s.default_ttl));
  JWTAUTH_RETURN_IF_ERROR(n.Read("max_ttl", &s.max_ttl));
  JWTAUTH_RETURN_IF_ERROR(n.Read("ephemeral", &s.ephemeral));
  JWTAUTH_RETURN_IF_ERROR(n.ReadNonEmpty("ephemeral_alg", &s.ephemeral_alg));
  JWTAUTH_RETURN_IF_ERROR(n.ReadNonEmpty("ephemeral_kid", &s.ephemeral_kid));
  JWTAUTH_RETURN_IF_ERROR(ReadKeys(n, s));
  JWTAUTH_RETURN_IF_ERROR(CheckKeys(n, s));
  if (s.configured() && s.issuer.empty()) {
    return n["issuer"].Error("required when a signing key is configured");
  }
  return s;
}

}  // namespace jwtauth::server
