// jwtauth keygen: a new signing key for a config (private PEM + public JWK,
// or a random HMAC secret). Offline; uses core's key generation.

#include <iostream>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "core/algorithm.h"
#include "core/base64url.h"
#include "core/crypto/key_material.h"
#include "core/crypto/signature_verifier.h"
#include "core/issuer.h"
#include "core/status_macros.h"
#include "nlohmann/json.hpp"

namespace jwtauth::cli {
namespace {

int PrintHmacSecret(Algorithm alg, absl::string_view alg_name) {
  const int bytes = MinHmacSecretBytes(alg);
  std::cout << Base64UrlEncode(crypto::RandomBytes(bytes)) << "\n";
  std::cerr << "# " << bytes << "-byte random secret (base64url) for "
            << alg_name
            << "; store it in a secret_file. HMAC keys have no public JWK.\n";
  return kExitOk;
}

// The private key PEM, then the public JWK.
absl::StatusOr<std::string> NewKeyPair(Algorithm alg, const std::string& kid) {
  JWTAUTH_ASSIGN_OR_RETURN(crypto::KeyMaterial material,
                           crypto::KeyMaterial::Generate(alg));
  JWTAUTH_ASSIGN_OR_RETURN(std::string pem, material.PrivatePem());
  JWTAUTH_ASSIGN_OR_RETURN(SigningKey key,
                           SigningKey::Create(alg, kid, material));
  JWTAUTH_ASSIGN_OR_RETURN(Key pub, key.VerificationKey());
  JWTAUTH_ASSIGN_OR_RETURN(nlohmann::json jwk, pub.ToPublicJwk());
  if (!absl::EndsWith(pem, "\n")) pem += "\n";
  return absl::StrCat(pem, jwk.dump(2), "\n");
}

}  // namespace

int RunKeygen(int argc, char** argv) {
  Args args;
  if (auto err = ParseArgs(argc, argv, 2, {"alg", "kid"}, {}, &args)) {
    return UsageError(*err);
  }
  if (!args.positional.empty()) {
    return UsageError("keygen takes no positional arguments");
  }
  std::optional<std::string> alg_name = args.Get("alg");
  if (!alg_name) return UsageError("keygen needs --alg (e.g. ES256)");
  std::optional<Algorithm> alg = AlgorithmFromName(*alg_name);
  if (!alg) {
    return UsageError(absl::StrCat("unknown algorithm \"", *alg_name, "\""));
  }
  if (KeyTypeFor(*alg) == KeyType::kOct) {
    return PrintHmacSecret(*alg, *alg_name);
  }
  const std::string kid = args.Get("kid").value_or(absl::StrCat(
      absl::AsciiStrToLower(*alg_name), "-",
      absl::FormatTime("%Y%m%d", absl::Now(), absl::UTCTimeZone())));
  absl::StatusOr<std::string> out = NewKeyPair(*alg, kid);
  if (!out.ok()) return ReportError("keygen", out.status());
  std::cout << *out;
  return kExitOk;
}

}  // namespace jwtauth::cli
