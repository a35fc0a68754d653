// jwtauth keygen: a new signing key for a config (private PEM + public JWK,
// or a random HMAC secret). Offline; uses core's key generation.

#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "core/algorithm.h"
#include "core/base64url.h"
#include "core/crypto/key_material.h"
#include "core/crypto/signature_verifier.h"
#include "core/issuer.h"
#include "core/status_macros.h"
#include "nlohmann/json.hpp"

namespace jwtauth::cli {
namespace {

struct KeygenFlags {
  std::string alg;
  std::optional<std::string> kid;
  bool json = false;
};

int PrintHmacSecret(Algorithm alg, absl::string_view alg_name, bool json) {
  const int bytes = MinHmacSecretBytes(alg);
  const std::string secret = Base64UrlEncode(crypto::RandomBytes(bytes));
  if (json) {
    std::cout << nlohmann::json({{"alg", alg_name}, {"secret", secret}}).dump(2)
              << "\n";
  } else {
    std::cout << secret << "\n";
  }
  std::cerr << "# " << bytes << "-byte random secret (base64url) for "
            << alg_name
            << "; store it in a secret_file. HMAC keys have no public JWK.\n";
  return kExitOk;
}

// The implicit default constructor is flagged only because nlohmann::json's
// is not declared noexcept; a null json value never allocates or throws.
struct KeyPair {  // NOLINT(bugprone-exception-escape)
  std::string private_pem;
  nlohmann::json public_jwk;
};

absl::StatusOr<KeyPair> NewKeyPair(Algorithm alg, const std::string& kid) {
  JWTAUTH_ASSIGN_OR_RETURN(crypto::KeyMaterial material,
                           crypto::KeyMaterial::Generate(alg));
  KeyPair out;
  JWTAUTH_ASSIGN_OR_RETURN(out.private_pem, material.PrivatePem());
  JWTAUTH_ASSIGN_OR_RETURN(SigningKey key,
                           SigningKey::Create(alg, kid, material));
  JWTAUTH_ASSIGN_OR_RETURN(Key pub, key.VerificationKey());
  JWTAUTH_ASSIGN_OR_RETURN(out.public_jwk, pub.ToPublicJwk());
  if (!absl::EndsWith(out.private_pem, "\n")) out.private_pem += "\n";
  return out;
}

int RunKeygen(const KeygenFlags& f) {
  std::optional<Algorithm> alg = AlgorithmFromName(f.alg);
  if (!alg) {
    return UsageError("keygen",
                      "unknown algorithm (e.g. ES256, RS256, EdDSA, "
                      "HS256)");
  }
  if (KeyTypeFor(*alg) == KeyType::kOct) {
    return PrintHmacSecret(*alg, f.alg, f.json);
  }
  const std::string kid = f.kid.value_or(absl::StrCat(
      absl::AsciiStrToLower(f.alg), "-",
      absl::FormatTime("%Y%m%d", absl::Now(), absl::UTCTimeZone())));
  absl::StatusOr<KeyPair> pair = NewKeyPair(*alg, kid);
  if (!pair.ok()) return ReportError("keygen", pair.status());
  if (f.json) {
    nlohmann::json out = {{"alg", f.alg},
                          {"kid", kid},
                          {"private_key_pem", pair->private_pem},
                          {"public_jwk", pair->public_jwk}};
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << pair->private_pem << pair->public_jwk.dump(2) << "\n";
  }
  return kExitOk;
}

}  // namespace

Command AddKeygenCommand(CLI::App& root) {
  auto f = std::make_shared<KeygenFlags>();
  CLI::App* app = root.add_subcommand(
      "keygen",
      "Generate a signing key: prints the private key PEM, then the public "
      "JWK (HS256/384/512: a random base64url secret for secret_file).");
  app->add_option("--alg", f->alg, "Algorithm, e.g. ES256")->required();
  app->add_option("--kid", f->kid, "Key id (default: <alg>-<YYYYMMDD>)");
  AddJsonFlag(app, &f->json);
  return {app, [f] { return RunKeygen(*f); }};
}

}  // namespace jwtauth::cli
