#include "server/key_loader.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/jwk.h"
#include "core/status_macros.h"
#include "nlohmann/json.hpp"

namespace jwtauth::server {
namespace {

constexpr size_t kMaxKeyFileBytes = 1024 * 1024;

absl::StatusOr<std::string> ReadFile(const std::string& path,
                                     const Location& where,
                                     absl::string_view field) {
  Location l = where;
  l.path = absl::StrCat(where.path, ".", field);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(l.Error(
        absl::StrCat("cannot read ", path, ": ", std::strerror(errno))));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  if (s.size() > kMaxKeyFileBytes) {
    return absl::InvalidArgumentError(l.Error("file larger than 1 MiB"));
  }
  return s;
}

absl::Status KeyError(const KeySourceConfig& k, absl::string_view reason) {
  Location l = k.location;
  l.path = absl::StrCat(k.location.path, ".", KeySourceKindName(k.kind));
  return absl::InvalidArgumentError(l.Error(reason));
}

bool IsSecretKind(KeySourceKind k) {
  return k == KeySourceKind::kSecret || k == KeySourceKind::kSecretFile ||
         k == KeySourceKind::kSecretEnv;
}

bool IsFileKind(KeySourceKind k) {
  switch (k) {
    case KeySourceKind::kPrivateKeyFile:
    case KeySourceKind::kPublicKeyFile:
    case KeySourceKind::kCertificateFile:
    case KeySourceKind::kJwkFile:
    case KeySourceKind::kJwksFile:
      return true;
    default:
      return false;
  }
}

absl::StatusOr<std::string> SecretFromFile(const KeySourceConfig& k) {
  JWTAUTH_ASSIGN_OR_RETURN(std::string v,
                           ReadFile(k.value, k.location, "secret_file"));
  // Key material is judged on the file as written: trimming first would
  // hide a DER key whose last byte happens to be CR or LF.
  if (absl::Status key = CheckSecretIsNotKeyText(v); !key.ok()) {
    return KeyError(k, key.message());
  }
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
  if (v.empty()) return KeyError(k, "secret file is empty");
  return v;
}

absl::StatusOr<std::string> SecretFromEnv(const KeySourceConfig& k,
                                          const ConfigLoadOptions& load) {
  std::optional<std::string> v;
  if (load.getenv) {
    v = load.getenv(k.value);
  } else if (const char* e = std::getenv(k.value.c_str())) {
    v = std::string(e);
  }
  if (!v.has_value() || v->empty()) {
    return KeyError(k, absl::StrCat("environment variable ", k.value,
                                    " is not set or empty"));
  }
  return *v;
}

// The secret bytes of a secret/secret_file/secret_env entry. Never logged.
absl::StatusOr<std::string> SecretOf(const KeySourceConfig& k,
                                     const ConfigLoadOptions& load) {
  switch (k.kind) {
    case KeySourceKind::kSecret:
      return k.secret.reveal();
    case KeySourceKind::kSecretFile:
      return SecretFromFile(k);
    case KeySourceKind::kSecretEnv:
      return SecretFromEnv(k, load);
    default:
      return KeyError(k, "not a secret");
  }
}

// The key text of a file or inline entry.
absl::StatusOr<std::string> KeyTextOf(const KeySourceConfig& k) {
  if (!IsFileKind(k.kind)) return k.value;
  return ReadFile(k.value, k.location, KeySourceKindName(k.kind));
}

absl::StatusOr<nlohmann::json> JwkObjectOf(const KeySourceConfig& k,
                                           absl::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return KeyError(k, "not a JSON object");
  }
  return j;
}

absl::StatusOr<LoadedKeys> PemKeys(const KeySourceConfig& k,
                                   absl::string_view text, const KeyOptions& ko,
                                   const KeyLoadOptions& o) {
  absl::StatusOr<Key> key = ImportPem(text, ko, o.strength);
  if (!key.ok()) return KeyError(k, key.status().message());
  if (k.kind == KeySourceKind::kPrivateKeyFile) {
    // Keep only the public half for verification.
    auto pub = key->material().PublicOnly();
    if (pub.ok()) {
      auto pk = Key::Create(ko, *std::move(pub));
      if (pk.ok()) return LoadedKeys{{*std::move(pk)}, {}};
    }
  }
  return LoadedKeys{{*std::move(key)}, {}};
}

absl::StatusOr<LoadedKeys> JwkKeys(const KeySourceConfig& k,
                                   absl::string_view text, const KeyOptions& ko,
                                   const JwkImportOptions& jo) {
  JWTAUTH_ASSIGN_OR_RETURN(nlohmann::json j, JwkObjectOf(k, text));
  absl::StatusOr<Key> key = ImportJwk(j, jo);
  if (!key.ok()) return KeyError(k, key.status().message());
  if (!k.kid.empty() && key->kid() != k.kid) {
    return KeyError(
        k, absl::StrCat("kid \"", k.kid, "\" does not match the JWK's kid"));
  }
  if (ko.alg.has_value() && key->alg() != ko.alg) {
    return KeyError(k, "alg does not match the JWK's alg");
  }
  return LoadedKeys{{*std::move(key)}, {}};
}

absl::StatusOr<LoadedKeys> JwksKeys(const KeySourceConfig& k,
                                    absl::string_view text,
                                    const JwkImportOptions& jo) {
  absl::StatusOr<JwksImport> set = ImportJwks(text, jo);
  if (!set.ok()) return KeyError(k, set.status().message());
  if (set->keys.empty()) return KeyError(k, "no usable keys");
  LoadedKeys out;
  out.keys = std::move(set->keys);
  for (const std::string& s : set->skipped) {
    out.warnings.push_back(absl::StrCat(k.location.path, ": skipped ", s));
  }
  return out;
}

// A signing key's material from a jwk/jwk_file entry; fills in kid and alg
// from the JWK when the entry leaves them out. Errors name the entry, as do
// those of SigningMaterial.
absl::StatusOr<crypto::KeyMaterial> PrivateJwkMaterial(
    const KeySourceConfig& k, const KeyLoadOptions& o, std::string* kid,
    std::optional<Algorithm>* alg) {
  JWTAUTH_ASSIGN_OR_RETURN(std::string text, KeyTextOf(k));
  JWTAUTH_ASSIGN_OR_RETURN(nlohmann::json j, JwkObjectOf(k, text));
  JwkImportOptions jo;
  jo.source = k.SourceLabel();
  jo.strength = o.strength;
  absl::StatusOr<Key> key = ImportPrivateJwk(j, jo);
  if (!key.ok()) return KeyError(k, key.status().message());
  if (kid->empty()) *kid = key->kid();
  if (!alg->has_value()) *alg = key->alg();
  return key->material();
}

absl::StatusOr<crypto::KeyMaterial> SigningMaterial(
    const KeySourceConfig& k, const KeyLoadOptions& o, std::string* kid,
    std::optional<Algorithm>* alg) {
  if (IsSecretKind(k.kind)) {
    JWTAUTH_ASSIGN_OR_RETURN(std::string secret, SecretOf(k, o.load));
    if (absl::Status s = CheckSecretIsNotKeyText(secret); !s.ok()) {
      return KeyError(k, s.message());
    }
    absl::StatusOr<crypto::KeyMaterial> material =
        crypto::KeyMaterial::FromSecret(secret, o.strength);
    if (!material.ok()) return KeyError(k, material.status().message());
    return material;
  }
  if (k.kind == KeySourceKind::kPrivateKeyFile) {
    JWTAUTH_ASSIGN_OR_RETURN(std::string text, KeyTextOf(k));
    absl::StatusOr<crypto::KeyMaterial> material =
        crypto::KeyMaterial::FromPem(text, o.strength);
    if (!material.ok()) return KeyError(k, material.status().message());
    if (!material->has_private()) {
      return KeyError(k, "the PEM holds no private key");
    }
    return material;
  }
  if (k.kind == KeySourceKind::kJwk || k.kind == KeySourceKind::kJwkFile) {
    return PrivateJwkMaterial(k, o, kid, alg);
  }
  return KeyError(k, "not a signing key source");
}

}  // namespace

absl::StatusOr<LoadedKeys> LoadVerificationKeys(const KeySourceConfig& k,
                                                const KeyLoadOptions& o) {
  KeyOptions ko;
  ko.kid = k.kid;
  if (!k.alg.empty()) ko.alg = AlgorithmFromName(k.alg);
  ko.source = k.SourceLabel();
  ko.loaded_at = o.now;
  if (IsSecretKind(k.kind)) {
    JWTAUTH_ASSIGN_OR_RETURN(std::string secret, SecretOf(k, o.load));
    absl::StatusOr<Key> key = ImportSecret(secret, ko, o.strength);
    if (!key.ok()) return KeyError(k, key.status().message());
    return LoadedKeys{{*std::move(key)}, {}};
  }
  JWTAUTH_ASSIGN_OR_RETURN(std::string text, KeyTextOf(k));
  JwkImportOptions jo;
  jo.source = ko.source;
  jo.loaded_at = o.now;
  jo.strength = o.strength;
  switch (k.kind) {
    case KeySourceKind::kPrivateKeyFile:
    case KeySourceKind::kPublicKeyFile:
    case KeySourceKind::kCertificateFile:
    case KeySourceKind::kPublicKey:
      return PemKeys(k, text, ko, o);
    case KeySourceKind::kJwk:
    case KeySourceKind::kJwkFile:
      return JwkKeys(k, text, ko, jo);
    case KeySourceKind::kJwks:
    case KeySourceKind::kJwksFile:
      return JwksKeys(k, text, jo);
    default:
      return KeyError(k, "unsupported key source");
  }
}

absl::StatusOr<SigningKey> LoadSigningKey(const KeySourceConfig& k,
                                          const KeyLoadOptions& o) {
  std::optional<Algorithm> alg;
  if (!k.alg.empty()) alg = AlgorithmFromName(k.alg);
  std::string kid = k.kid;
  JWTAUTH_ASSIGN_OR_RETURN(crypto::KeyMaterial material,
                           SigningMaterial(k, o, &kid, &alg));
  if (!alg.has_value()) return KeyError(k, "alg is required");
  if (kid.empty()) return KeyError(k, "kid is required for a signing key");
  absl::StatusOr<SigningKey> sk =
      SigningKey::Create(*alg, kid, std::move(material), k.state);
  if (!sk.ok()) return KeyError(k, sk.status().message());
  return sk;
}

}  // namespace jwtauth::server
