#include "core/jwk.h"

#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/base64url.h"
#include "core/crypto/der_probe.h"
#include "core/status_macros.h"

namespace jwtauth {
namespace {

using nlohmann::json;

enum class Want { kPublic, kPrivate };

// Optional string member: nullopt if absent; error if present but not a string.
absl::StatusOr<std::optional<std::string>> OptString(const json& jwk,
                                                     const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end()) return std::optional<std::string>();
  if (!it->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", name, "\" is not a string"));
  }
  return std::optional<std::string>(it->get<std::string>());
}

// Optional base64url member, strictly decoded. Empty optional when absent.
absl::StatusOr<std::optional<std::string>> OptBytes(const json& jwk,
                                                    const char* name) {
  absl::StatusOr<std::optional<std::string>> text = OptString(jwk, name);
  if (!text.ok() || !text->has_value()) return text;
  std::optional<std::string> bytes = Base64UrlDecode(**text);
  if (!bytes.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", name, "\" is not strict base64url"));
  }
  return bytes;
}

absl::StatusOr<std::string> ReqBytes(const json& jwk, const char* name) {
  JWTAUTH_ASSIGN_OR_RETURN(std::optional<std::string> b, OptBytes(jwk, name));
  if (!b.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat("\"", name, "\" missing"));
  }
  if (b->empty()) {
    return absl::InvalidArgumentError(absl::StrCat("\"", name, "\" is empty"));
  }
  return std::move(*b);
}

int FieldBytes(Curve curve) {
  switch (curve) {
    case Curve::kP256:
      return 32;
    case Curve::kP384:
      return 48;
    case Curve::kP521:
      return 66;
    case Curve::kEd25519:
      return 32;
    case Curve::kNone:
      return 0;
  }
  return 0;
}

absl::Status CheckUse(const json& jwk, Want want) {
  JWTAUTH_ASSIGN_OR_RETURN(std::optional<std::string> use,
                           OptString(jwk, "use"));
  if (use.has_value() && *use != "sig") {
    return absl::InvalidArgumentError("use is not sig");
  }
  auto it = jwk.find("key_ops");
  if (it == jwk.end()) return absl::OkStatus();
  if (!it->is_array())
    return absl::InvalidArgumentError("key_ops is not an array");
  std::set<std::string> ops;
  for (const json& op : *it) {
    if (!op.is_string()) {
      return absl::InvalidArgumentError("key_ops entry is not a string");
    }
    if (!ops.insert(op.get<std::string>()).second) {
      return absl::InvalidArgumentError("key_ops has duplicate values");
    }
  }
  const char* needed = want == Want::kPrivate ? "sign" : "verify";
  if (ops.count(needed) == 0) {
    return absl::InvalidArgumentError(absl::StrCat("key_ops lacks ", needed));
  }
  if (use.has_value()) {
    for (const std::string& op : ops) {
      if (op != "sign" && op != "verify") {
        return absl::InvalidArgumentError("use and key_ops disagree");
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<crypto::KeyMaterial> ReadRsa(const json& jwk, bool priv,
                                            const JwkImportOptions& opts) {
  crypto::RsaComponents c;
  JWTAUTH_ASSIGN_OR_RETURN(c.n, ReqBytes(jwk, "n"));
  JWTAUTH_ASSIGN_OR_RETURN(c.e, ReqBytes(jwk, "e"));
  if (priv) {
    JWTAUTH_ASSIGN_OR_RETURN(c.d, ReqBytes(jwk, "d"));
    std::string* crt[] = {&c.p, &c.q, &c.dp, &c.dq, &c.qi};
    const char* names[] = {"p", "q", "dp", "dq", "qi"};
    int present = 0;
    for (int i = 0; i < 5; ++i) {
      JWTAUTH_ASSIGN_OR_RETURN(std::optional<std::string> v,
                               OptBytes(jwk, names[i]));
      if (v.has_value()) {
        *crt[i] = std::move(*v);
        ++present;
      }
    }
    // RFC 7518 §6.3.2: the CRT members come all together or not at all.
    if (present != 0 && present != 5) {
      return absl::InvalidArgumentError("incomplete RSA CRT parameters");
    }
  }
  return crypto::KeyMaterial::FromRsa(c, opts.strength);
}

// "crv" of an EC (P-256/384/521) or OKP (Ed25519) key.
absl::StatusOr<Curve> ReadCurve(const json& jwk, KeyType kty) {
  JWTAUTH_ASSIGN_OR_RETURN(std::optional<std::string> crv_name,
                           OptString(jwk, "crv"));
  if (!crv_name.has_value())
    return absl::InvalidArgumentError("\"crv\" missing");
  std::optional<Curve> crv = CurveFromName(*crv_name);
  const bool ok_curve =
      crv.has_value() &&
      (kty == KeyType::kEc ? (*crv == Curve::kP256 || *crv == Curve::kP384 ||
                              *crv == Curve::kP521)
                           : *crv == Curve::kEd25519);
  if (!ok_curve) return absl::InvalidArgumentError("unsupported crv");
  return *crv;
}

// A base64url member that must be exactly `size` bytes long.
absl::StatusOr<std::string> ReqFieldBytes(const json& jwk, const char* name,
                                          size_t size) {
  JWTAUTH_ASSIGN_OR_RETURN(std::string v, ReqBytes(jwk, name));
  if (v.size() != size) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", name, "\" has the wrong length for crv"));
  }
  return v;
}

absl::StatusOr<crypto::KeyMaterial> ReadCurveKey(const json& jwk, KeyType kty,
                                                 bool priv) {
  JWTAUTH_ASSIGN_OR_RETURN(const Curve crv, ReadCurve(jwk, kty));
  const size_t size = FieldBytes(crv);
  JWTAUTH_ASSIGN_OR_RETURN(std::string x, ReqFieldBytes(jwk, "x", size));
  std::string d;
  if (priv) {
    JWTAUTH_ASSIGN_OR_RETURN(d, ReqFieldBytes(jwk, "d", size));
  }
  if (kty == KeyType::kOkp) {
    crypto::OkpComponents c;
    c.curve = crv;
    c.x = std::move(x);
    c.d = std::move(d);
    return crypto::KeyMaterial::FromOkp(c);
  }
  crypto::EcComponents c;
  c.curve = crv;
  c.x = std::move(x);
  JWTAUTH_ASSIGN_OR_RETURN(c.y, ReqFieldBytes(jwk, "y", size));
  c.d = std::move(d);
  return crypto::KeyMaterial::FromEc(c);
}

absl::StatusOr<crypto::KeyMaterial> ReadMaterial(const json& jwk, KeyType kty,
                                                 Want want,
                                                 const JwkImportOptions& opts) {
  const bool priv = want == Want::kPrivate;
  switch (kty) {
    case KeyType::kOct: {
      JWTAUTH_ASSIGN_OR_RETURN(std::string k, ReqBytes(jwk, "k"));
      return crypto::KeyMaterial::FromSecret(k, opts.strength);
    }
    case KeyType::kRsa:
      return ReadRsa(jwk, priv, opts);
    case KeyType::kEc:
    case KeyType::kOkp:
      return ReadCurveKey(jwk, kty, priv);
  }
  return absl::InvalidArgumentError("unsupported kty");
}

absl::StatusOr<Key> Import(const json& jwk, const JwkImportOptions& opts,
                           Want want) {
  if (!jwk.is_object())
    return absl::InvalidArgumentError("JWK is not an object");
  JWTAUTH_ASSIGN_OR_RETURN(std::optional<std::string> kty_name,
                           OptString(jwk, "kty"));
  if (!kty_name.has_value())
    return absl::InvalidArgumentError("\"kty\" missing");
  std::optional<KeyType> kty = KeyTypeFromName(*kty_name);
  if (!kty.has_value()) return absl::InvalidArgumentError("unsupported kty");
  if (*kty == KeyType::kOct && !opts.allow_symmetric) {
    return absl::InvalidArgumentError(
        "symmetric (oct) key refused: a JWKS URL publishes public keys only");
  }

  JWTAUTH_RETURN_IF_ERROR(CheckUse(jwk, want));

  JWTAUTH_ASSIGN_OR_RETURN(std::optional<std::string> kid,
                           OptString(jwk, "kid"));
  JWTAUTH_ASSIGN_OR_RETURN(std::optional<std::string> alg_name,
                           OptString(jwk, "alg"));
  std::optional<Algorithm> alg;
  if (alg_name.has_value()) {
    alg = AlgorithmFromName(*alg_name);
    if (!alg.has_value()) return absl::InvalidArgumentError("unsupported alg");
    if (KeyTypeFor(*alg) != *kty) {
      return absl::InvalidArgumentError("alg does not fit kty");
    }
  }

  JWTAUTH_ASSIGN_OR_RETURN(crypto::KeyMaterial material,
                           ReadMaterial(jwk, *kty, want, opts));
  if (want == Want::kPrivate && !material.has_private()) {
    return absl::InvalidArgumentError("no private key material");
  }

  KeyOptions key_options;
  key_options.kid = kid.value_or("");
  key_options.alg = alg;
  key_options.source = opts.source;
  key_options.loaded_at = opts.loaded_at;
  key_options.min_hmac_bytes = opts.strength.min_hmac_bytes;
  return Key::Create(std::move(key_options), std::move(material));
}

std::string Describe(size_t index, const json& entry) {
  std::string out = absl::StrCat("key ", index);
  if (entry.is_object()) {
    auto it = entry.find("kid");
    if (it != entry.end() && it->is_string()) {
      std::string kid = it->get<std::string>();
      if (kid.size() > 64) kid = kid.substr(0, 64) + "...";
      absl::StrAppend(&out, " (kid \"", kid, "\")");
    }
  }
  return out;
}

// An entry meant for signatures that carries a kid: "use" absent or "sig",
// "key_ops" absent or containing "verify". Used for duplicate-kid detection.
bool IsSignatureEntry(const json& e) {
  if (!e.is_object()) return false;
  auto kid = e.find("kid");
  if (kid == e.end() || !kid->is_string() || kid->get<std::string>().empty()) {
    return false;
  }
  auto use = e.find("use");
  if (use != e.end() && *use != "sig") return false;
  auto ops = e.find("key_ops");
  if (ops != e.end()) {
    if (!ops->is_array()) return false;
    bool verify = false;
    for (const json& op : *ops) verify = verify || op == "verify";
    if (!verify) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<Key> ImportJwk(const nlohmann::json& jwk,
                              const JwkImportOptions& options) {
  return Import(jwk, options, Want::kPublic);
}

absl::StatusOr<Key> ImportPrivateJwk(const nlohmann::json& jwk,
                                     const JwkImportOptions& options) {
  return Import(jwk, options, Want::kPrivate);
}

namespace {

// The entries of a JWKS ({"keys": [...]}) or of a single JWK.
absl::StatusOr<std::vector<const json*>> JwksEntries(const json& doc) {
  std::vector<const json*> entries;
  if (doc.is_object() && doc.contains("keys")) {
    const json& keys = doc["keys"];
    if (!keys.is_array()) {
      return absl::InvalidArgumentError("\"keys\" is not an array");
    }
    for (const json& k : keys) entries.push_back(&k);
  } else if (doc.is_object() && doc.contains("kty")) {
    entries.push_back(&doc);
  } else {
    return absl::InvalidArgumentError("not a JWK or JWKS");
  }
  return entries;
}

// Ambiguous kids: two signature entries claim one kid and we cannot show
// they hold the same key (different material, or a copy failed to import).
std::set<std::string> AmbiguousKids(
    const std::vector<const json*>& entries,
    const std::vector<std::pair<size_t, Key>>& loaded, size_t max_keys) {
  std::map<std::string, int> sig_entries_by_kid;
  for (size_t i = 0; i < entries.size() && i < max_keys; ++i) {
    if (IsSignatureEntry(*entries[i])) {
      ++sig_entries_by_kid[(*entries[i])["kid"].get<std::string>()];
    }
  }
  std::map<std::string, std::set<std::string>> prints_by_kid;
  std::map<std::string, int> loaded_by_kid;
  for (const auto& [i, key] : loaded) {
    if (!key.kid().empty()) {
      prints_by_kid[key.kid()].insert(key.material().Fingerprint());
      ++loaded_by_kid[key.kid()];
    }
  }
  std::set<std::string> ambiguous;
  for (const auto& [kid, prints] : prints_by_kid) {
    if (prints.size() > 1 || sig_entries_by_kid[kid] > loaded_by_kid[kid]) {
      ambiguous.insert(kid);
    }
  }
  return ambiguous;
}

}  // namespace

absl::StatusOr<JwksImport> ImportJwks(absl::string_view text,
                                      const JwkImportOptions& options) {
  JWTAUTH_ASSIGN_OR_RETURN(const json doc,
                           ParseJsonBounded(text, options.json_limits));
  JWTAUTH_ASSIGN_OR_RETURN(const std::vector<const json*> entries,
                           JwksEntries(doc));
  JwksImport out;
  std::vector<std::pair<size_t, Key>> loaded;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i >= options.max_keys) {
      out.skipped.push_back(absl::StrCat("keys ", i, "..", entries.size() - 1,
                                         ": more than max_keys (",
                                         options.max_keys, ")"));
      break;
    }
    absl::StatusOr<Key> key = ImportJwk(*entries[i], options);
    if (!key.ok()) {
      out.skipped.push_back(
          absl::StrCat(Describe(i, *entries[i]), ": ", key.status().message()));
      continue;
    }
    loaded.emplace_back(i, *std::move(key));
  }

  const std::set<std::string> ambiguous =
      AmbiguousKids(entries, loaded, options.max_keys);
  bool has_asymmetric = false;
  bool has_symmetric = false;
  for (const auto& [i, key] : loaded) {
    (key.kty() == KeyType::kOct ? has_symmetric : has_asymmetric) = true;
  }
  const bool drop_oct =
      has_symmetric && has_asymmetric && !options.allow_mixed_symmetric;

  for (auto& [i, key] : loaded) {
    if (ambiguous.contains(key.kid())) {
      out.skipped.push_back(
          absl::StrCat(Describe(i, *entries[i]),
                       ": duplicate kid (another entry with it holds a "
                       "different or invalid key)"));
      continue;
    }
    if (drop_oct && key.kty() == KeyType::kOct) {
      out.skipped.push_back(
          absl::StrCat(Describe(i, *entries[i]),
                       ": symmetric key in a set with public keys"));
      continue;
    }
    out.keys.push_back(std::move(key));
  }
  return out;
}

absl::StatusOr<Key> ImportPem(absl::string_view pem, KeyOptions options,
                              const crypto::KeyStrengthPolicy& strength) {
  JWTAUTH_ASSIGN_OR_RETURN(crypto::KeyMaterial m,
                           crypto::KeyMaterial::FromPem(pem, strength));
  return Key::Create(std::move(options), std::move(m));
}

namespace {

// JSON text that is a JWK ({"kty":...}) or a JWKS ({"keys":[...]}).
bool IsJwkText(absl::string_view t) {
  if (!absl::StartsWith(t, "{")) return false;
  nlohmann::json j = nlohmann::json::parse(t.begin(), t.end(), nullptr,
                                           /*allow_exceptions=*/false);
  return j.is_object() && (j.contains("kty") || j.contains("keys"));
}

}  // namespace

absl::Status CheckSecretIsNotKeyText(absl::string_view secret) {
  // Alg confusion by configuration (cf. CVE-2022-29217): a public key or
  // certificate configured as an HMAC secret lets anyone who has the public
  // key forge tokens. Refuse anything that is clearly key material: PEM, SSH
  // public key lines, JWK / JWKS JSON, and DER public keys / certificates.
  const absl::string_view t = absl::StripAsciiWhitespace(secret);
  static constexpr absl::string_view kSshPrefixes[] = {
      "ssh-rsa ",    "ssh-ed25519 ", "ssh-dss ",
      "ecdsa-sha2-", "sk-ssh-",      "sk-ecdsa-sha2-"};
  bool ssh = false;
  for (absl::string_view p : kSshPrefixes) ssh |= absl::StartsWith(t, p);
  if (absl::StrContains(secret, "-----BEGIN ") || ssh) {
    return absl::InvalidArgumentError(
        "HMAC secret looks like a PEM or SSH key; configure it as a key file");
  }
  if (IsJwkText(t)) {
    return absl::InvalidArgumentError(
        "HMAC secret looks like a JWK or JWKS; configure it as jwk/jwks");
  }
  if (crypto::IsDerKeyEncoding(secret)) {
    return absl::InvalidArgumentError(
        "HMAC secret is a DER key or certificate; configure it as a key file");
  }
  return absl::OkStatus();
}

absl::StatusOr<Key> ImportSecret(absl::string_view secret, KeyOptions options,
                                 const crypto::KeyStrengthPolicy& strength) {
  JWTAUTH_RETURN_IF_ERROR(CheckSecretIsNotKeyText(secret));
  JWTAUTH_ASSIGN_OR_RETURN(crypto::KeyMaterial m,
                           crypto::KeyMaterial::FromSecret(secret, strength));
  options.min_hmac_bytes = strength.min_hmac_bytes;
  return Key::Create(std::move(options), std::move(m));
}

nlohmann::json ExportPublicJwks(absl::Span<const Key* const> keys) {
  json arr = json::array();
  absl::flat_hash_set<std::string> seen;
  for (const Key* key : keys) {
    if (key->kty() == KeyType::kOct) continue;  // secrets are never exported
    absl::StatusOr<json> jwk = key->ToPublicJwk();
    if (!jwk.ok()) continue;
    if (!seen.insert(jwk->dump(-1, ' ', false, json::error_handler_t::replace))
             .second) {
      continue;
    }
    arr.push_back(*std::move(jwk));
  }
  return json{{"keys", std::move(arr)}};
}

nlohmann::json ExportPublicJwks(const std::vector<Key>& keys) {
  std::vector<const Key*> pointers;
  pointers.reserve(keys.size());
  for (const Key& key : keys) pointers.push_back(&key);
  return ExportPublicJwks(pointers);
}

std::string ExportPublicJwksText(absl::Span<const Key* const> keys) {
  return ExportPublicJwks(keys).dump(-1, ' ', false,
                                     json::error_handler_t::replace);
}

}  // namespace jwtauth
