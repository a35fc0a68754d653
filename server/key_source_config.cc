#include "server/key_source_config.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/algorithm.h"
#include "core/status_macros.h"

namespace jwtauth::server {
namespace {

bool IsFileKind(KeySourceKind k) {
  return k == KeySourceKind::kSecretFile ||
         k == KeySourceKind::kPrivateKeyFile ||
         k == KeySourceKind::kPublicKeyFile ||
         k == KeySourceKind::kCertificateFile || k == KeySourceKind::kJwkFile ||
         k == KeySourceKind::kJwksFile;
}

bool IsSecretKind(KeySourceKind k) {
  return k == KeySourceKind::kSecret || k == KeySourceKind::kSecretFile ||
         k == KeySourceKind::kSecretEnv;
}

bool IsJwkKind(KeySourceKind k) {
  return k == KeySourceKind::kJwk || k == KeySourceKind::kJwkFile ||
         k == KeySourceKind::kJwks || k == KeySourceKind::kJwksFile;
}

constexpr KeySourceKind kAllKinds[] = {
    KeySourceKind::kSecret,        KeySourceKind::kSecretFile,
    KeySourceKind::kSecretEnv,     KeySourceKind::kPrivateKeyFile,
    KeySourceKind::kPublicKeyFile, KeySourceKind::kCertificateFile,
    KeySourceKind::kPublicKey,     KeySourceKind::kJwk,
    KeySourceKind::kJwkFile,       KeySourceKind::kJwks,
    KeySourceKind::kJwksFile};

bool SigningMayUse(KeySourceKind k) {
  return k == KeySourceKind::kSecret || k == KeySourceKind::kSecretFile ||
         k == KeySourceKind::kSecretEnv ||
         k == KeySourceKind::kPrivateKeyFile || k == KeySourceKind::kJwk ||
         k == KeySourceKind::kJwkFile;
}

// The one material field of the entry (exactly one must be given).
absl::Status ReadMaterial(const ConfigNode& n, KeyRole role,
                          KeySourceConfig& k) {
  int sources = 0;
  for (KeySourceKind kind : kAllKinds) {
    if (role == KeyRole::kSigning && !SigningMayUse(kind)) continue;
    const ConfigNode v = n[KeySourceKindName(kind)];
    if (!v.present()) continue;
    ++sources;
    k.kind = kind;
    if (IsFileKind(kind)) {
      JWTAUTH_ASSIGN_OR_RETURN(k.value, v.FilePath());
    } else if (kind == KeySourceKind::kSecret) {
      JWTAUTH_ASSIGN_OR_RETURN(std::string secret, v.NonEmptyString());
      k.secret = Secret(std::move(secret));
    } else if (kind == KeySourceKind::kJwk || kind == KeySourceKind::kJwks) {
      JWTAUTH_ASSIGN_OR_RETURN(k.value, v.InlineJson());
    } else {
      JWTAUTH_ASSIGN_OR_RETURN(k.value, v.NonEmptyString());
    }
  }
  if (sources == 0) {
    return n.Error(
        "no key material (give one of secret, secret_file, secret_env, "
        "*_key_file, certificate_file, jwk, jwk_file, jwks, jwks_file)");
  }
  if (sources > 1) return n.Error("more than one key material source");
  return absl::OkStatus();
}

// alg against the material: names parsed by AlgorithmFromName; an HMAC
// secret serves only HS*, and HS* needs a secret (or a JWK of kty oct).
absl::Status CheckAlgorithm(const ConfigNode& n, KeyRole role,
                            const KeySourceConfig& k) {
  const ConfigNode alg_node = n["alg"];
  const bool secret = IsSecretKind(k.kind);
  if (k.alg.empty()) {
    if (secret) {
      return alg_node.Error("required for an HMAC secret (HS256/384/512)");
    }
    if (role == KeyRole::kSigning && k.kind != KeySourceKind::kJwk &&
        k.kind != KeySourceKind::kJwkFile) {
      return alg_node.Error("required for a signing key");
    }
    return absl::OkStatus();
  }
  std::optional<Algorithm> alg = AlgorithmFromName(k.alg);
  if (!alg.has_value()) {
    return alg_node.Error(
        "unsupported algorithm (HS/RS/PS/ES 256/384/512 or EdDSA)");
  }
  const bool hmac = KeyTypeFor(*alg) == KeyType::kOct;
  if (secret && !hmac) {
    return alg_node.Error("an HMAC secret can only serve HS256/384/512");
  }
  if (!secret && hmac && !IsJwkKind(k.kind)) {
    return alg_node.Error("HS* needs secret, secret_file or secret_env");
  }
  return absl::OkStatus();
}

absl::StatusOr<KeyState> ReadState(const ConfigNode& v) {
  JWTAUTH_ASSIGN_OR_RETURN(std::string s, v.String());
  if (s == "next") return KeyState::kNext;
  if (s == "active") return KeyState::kActive;
  if (s == "retiring") return KeyState::kRetiring;
  return v.Error("expected next, active or retiring");
}

}  // namespace

absl::string_view KeySourceKindName(KeySourceKind kind) {
  switch (kind) {
    case KeySourceKind::kSecret:
      return "secret";
    case KeySourceKind::kSecretFile:
      return "secret_file";
    case KeySourceKind::kSecretEnv:
      return "secret_env";
    case KeySourceKind::kPrivateKeyFile:
      return "private_key_file";
    case KeySourceKind::kPublicKeyFile:
      return "public_key_file";
    case KeySourceKind::kCertificateFile:
      return "certificate_file";
    case KeySourceKind::kPublicKey:
      return "public_key";
    case KeySourceKind::kJwk:
      return "jwk";
    case KeySourceKind::kJwkFile:
      return "jwk_file";
    case KeySourceKind::kJwks:
      return "jwks";
    case KeySourceKind::kJwksFile:
      return "jwks_file";
  }
  return "?";
}

std::string KeySourceConfig::SourceLabel() const {
  if (IsFileKind(kind)) return absl::StrCat("file:", value);
  if (kind == KeySourceKind::kSecretEnv) return absl::StrCat("env:", value);
  return absl::StrCat("inline:", location.path);
}

std::vector<std::string> KeySourceConfig::Files() const {
  if (IsFileKind(kind)) return {value};
  return {};
}

absl::StatusOr<KeySourceConfig> ReadKeySourceFields(const ConfigNode& n,
                                                    KeyRole role) {
  KeySourceConfig k;
  k.location = n.location();
  JWTAUTH_RETURN_IF_ERROR(n.ReadNonEmpty("kid", &k.kid));
  JWTAUTH_RETURN_IF_ERROR(n.ReadNonEmpty("alg", &k.alg));
  if (role == KeyRole::kVerification && n.Has("issuer")) {
    JWTAUTH_RETURN_IF_ERROR(n.ReadNonEmpty("issuer", &k.issuer));
    k.issuer_location = n["issuer"].location();
  }
  if (role == KeyRole::kSigning && n.Has("state")) {
    JWTAUTH_ASSIGN_OR_RETURN(k.state, ReadState(n["state"]));
  }
  JWTAUTH_RETURN_IF_ERROR(ReadMaterial(n, role, k));
  JWTAUTH_RETURN_IF_ERROR(CheckAlgorithm(n, role, k));
  return k;
}

absl::StatusOr<KeySourceConfig> ParseKeySourceConfig(const ConfigNode& n,
                                                     KeyRole role) {
  if (role == KeyRole::kSigning) {
    JWTAUTH_RETURN_IF_ERROR(
        n.ExpectMap({"kid", "alg", "private_key_file", "secret", "secret_file",
                     "secret_env", "jwk", "jwk_file", "state"}));
  } else {
    JWTAUTH_RETURN_IF_ERROR(n.ExpectMap(
        {"kid", "alg", "secret", "secret_file", "secret_env",
         "private_key_file", "public_key_file", "certificate_file",
         "public_key", "jwk", "jwk_file", "jwks", "jwks_file", "issuer"}));
  }
  return ReadKeySourceFields(n, role);
}

}  // namespace jwtauth::server
