// jwtauth jwks: a public JWKS from key files (PEM, JWK or JWKS), offline.
// Keys are read only through core (ImportPem / ImportJwks, which keep
// private members out of the key); each key without a kid gets its RFC 7638
// thumbprint. HMAC secrets are never published: an oct key is skipped.

#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "core/jwk.h"
#include "core/jwk_thumbprint.h"
#include "core/status_macros.h"
#include "nlohmann/json.hpp"

namespace jwtauth::cli {
namespace {

struct JwksFlags {
  std::vector<std::string> files;
  bool json = false;
};

// The keys of one file; skipped entries are reported on stderr.
absl::StatusOr<std::vector<Key>> KeysOfFile(const std::string& path) {
  JWTAUTH_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  if (absl::StrContains(text, "-----BEGIN ")) {
    KeyOptions options;
    options.source = absl::StrCat("file:", path);
    absl::StatusOr<Key> key = ImportPem(text, options);
    if (!key.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": ", key.status().message()));
    }
    return std::vector<Key>{*std::move(key)};
  }
  JwkImportOptions options;
  options.source = absl::StrCat("file:", path);
  options.allow_mixed_symmetric = true;  // its oct keys are skipped below
  absl::StatusOr<JwksImport> set = ImportJwks(text, options);
  if (!set.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": not a PEM key, JWK or JWKS (", set.status().message(), ")"));
  }
  for (const std::string& s : set->skipped) {
    std::cerr << "jwtauth jwks: " << path << ": skipped " << s << "\n";
  }
  return std::move(set->keys);
}

// The public JWK of `key` with a kid (its thumbprint when it has none), or
// nullopt for an HMAC secret.
absl::StatusOr<std::optional<nlohmann::json>> PublicJwk(const Key& key) {
  if (key.kty() == KeyType::kOct) return std::nullopt;
  JWTAUTH_ASSIGN_OR_RETURN(nlohmann::json jwk, key.ToPublicJwk());
  if (!jwk.contains("kid")) {
    JWTAUTH_ASSIGN_OR_RETURN(std::string kid, JwkThumbprint(jwk));
    jwk["kid"] = kid;
  }
  return jwk;
}

// The JWKS; the same key twice is published once, two keys under one kid
// are an error (importers drop an ambiguous kid).
absl::StatusOr<nlohmann::json> BuildJwks(
    const std::vector<std::string>& files) {
  nlohmann::json keys = nlohmann::json::array();
  std::map<std::string, std::string> thumbprint_of_kid;
  for (const std::string& path : files) {
    JWTAUTH_ASSIGN_OR_RETURN(std::vector<Key> file_keys, KeysOfFile(path));
    for (const Key& key : file_keys) {
      JWTAUTH_ASSIGN_OR_RETURN(std::optional<nlohmann::json> jwk,
                               PublicJwk(key));
      if (!jwk.has_value()) {
        std::cerr << "jwtauth jwks: " << path
                  << ": skipped an HMAC secret (never published)\n";
        continue;
      }
      JWTAUTH_ASSIGN_OR_RETURN(std::string thumbprint, JwkThumbprint(*jwk));
      const std::string kid = (*jwk)["kid"].get<std::string>();
      auto [it, inserted] = thumbprint_of_kid.emplace(kid, thumbprint);
      if (!inserted && it->second != thumbprint) {
        return absl::InvalidArgumentError(
            absl::StrCat("two different keys have kid \"", kid, "\""));
      }
      if (std::find(keys.begin(), keys.end(), *jwk) == keys.end()) {
        keys.push_back(*std::move(jwk));
      }
    }
  }
  if (keys.empty()) return absl::InvalidArgumentError("no public key found");
  return nlohmann::json{{"keys", std::move(keys)}};
}

int RunJwks(const JwksFlags& f) {
  absl::StatusOr<nlohmann::json> jwks = BuildJwks(f.files);
  if (!jwks.ok()) return ReportError("jwks", jwks.status());
  std::cout << jwks->dump(2, ' ', false,
                          nlohmann::json::error_handler_t::replace)
            << "\n";
  return kExitOk;
}

}  // namespace

Command AddJwksCommand(CLI::App& root) {
  auto f = std::make_shared<JwksFlags>();
  CLI::App* app = root.add_subcommand(
      "jwks",
      "Build a public JWKS from key files: PEM (private, public or "
      "certificate), JWK or JWKS. Private members are dropped, HMAC secrets "
      "skipped; a key without a kid gets its RFC 7638 thumbprint.");
  app->add_option("files", f->files, "PEM / JWK / JWKS files")->required();
  AddJsonFlag(app, &f->json);  // the output is JSON either way
  return {app, [f] { return RunJwks(*f); }};
}

}  // namespace jwtauth::cli
