// bench_keys: key files for the benchmark scripts, made with core/crypto (no
// openssl CLI, no Python crypto package needed).
//
//   bench_keys pem --alg RS256|ES256 --private OUT.pem --public OUT.pub.pem
//       a fresh key pair (PKCS#8 private, SPKI public)
//   bench_keys jwks --alg ES256 --count N --kid-prefix P --out FILE
//       [--add-pem PRIVATE.pem --add-kid KID]
//       a JWKS of N fresh public keys (kids P0..P<N-1>), plus optionally the
//       public half of an existing key (the one the load generator signs
//       with), first in the set

#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/algorithm.h"
#include "core/crypto/key_material.h"
#include "core/key.h"
#include "core/status_macros.h"
#include "nlohmann/json.hpp"

namespace {

using jwtauth::Algorithm;
using jwtauth::Key;
using jwtauth::crypto::KeyMaterial;

constexpr int kMaxKeys = 100000;

absl::Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.good()) return absl::InternalError(absl::StrCat("write ", path));
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::StatusOr<nlohmann::json> PublicJwk(Algorithm alg, const KeyMaterial& km,
                                         const std::string& kid) {
  jwtauth::KeyOptions options;
  options.kid = kid;
  options.alg = alg;
  JWTAUTH_ASSIGN_OR_RETURN(Key key, Key::Create(std::move(options), km));
  return key.ToPublicJwk();
}

absl::StatusOr<Algorithm> AsymmetricAlg(const std::string& name) {
  std::optional<Algorithm> alg = jwtauth::AlgorithmFromName(name);
  if (!alg.has_value() || jwtauth::KeyTypeFor(*alg) == jwtauth::KeyType::kOct) {
    return absl::InvalidArgumentError(
        "--alg: an asymmetric alg (RS256, ES256)");
  }
  return *alg;
}

absl::Status RunPem(std::map<std::string, std::string>& a) {
  JWTAUTH_ASSIGN_OR_RETURN(Algorithm alg, AsymmetricAlg(a["alg"]));
  JWTAUTH_ASSIGN_OR_RETURN(KeyMaterial km, KeyMaterial::Generate(alg));
  JWTAUTH_ASSIGN_OR_RETURN(std::string priv, km.PrivatePem());
  JWTAUTH_ASSIGN_OR_RETURN(std::string pub, km.PublicPem());
  JWTAUTH_RETURN_IF_ERROR(WriteFile(a["private"], priv));
  return WriteFile(a["public"], pub);
}

absl::Status RunJwks(std::map<std::string, std::string>& a) {
  JWTAUTH_ASSIGN_OR_RETURN(Algorithm alg, AsymmetricAlg(a["alg"]));
  int count = 0;
  if (!absl::SimpleAtoi(a["count"], &count) || count < 0 || count > kMaxKeys) {
    return absl::InvalidArgumentError(
        absl::StrCat("--count: expected 0..", kMaxKeys));
  }
  nlohmann::json keys = nlohmann::json::array();
  if (!a["add-pem"].empty()) {
    JWTAUTH_ASSIGN_OR_RETURN(std::string pem, ReadFile(a["add-pem"]));
    JWTAUTH_ASSIGN_OR_RETURN(KeyMaterial km, KeyMaterial::FromPem(pem));
    JWTAUTH_ASSIGN_OR_RETURN(nlohmann::json jwk,
                             PublicJwk(alg, km, a["add-kid"]));
    keys.push_back(std::move(jwk));
  }
  for (int i = 0; i < count; ++i) {
    JWTAUTH_ASSIGN_OR_RETURN(KeyMaterial km, KeyMaterial::Generate(alg));
    JWTAUTH_ASSIGN_OR_RETURN(
        nlohmann::json jwk,
        PublicJwk(alg, km, absl::StrCat(a["kid-prefix"], i)));
    keys.push_back(std::move(jwk));
  }
  nlohmann::json doc = {{"keys", std::move(keys)}};
  return WriteFile(a["out"], doc.dump());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_keys pem|jwks --flag value ...\n");
    return 2;
  }
  const std::string command = argv[1];
  std::map<std::string, std::string> args;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag.rfind("--", 0) != 0) {
      std::fprintf(stderr, "bench_keys: unexpected %s\n", argv[i]);
      return 2;
    }
    args[flag.substr(2)] = argv[i + 1];
  }
  absl::Status status;
  if (command == "pem") {
    status = RunPem(args);
  } else if (command == "jwks") {
    status = RunJwks(args);
  } else {
    status = absl::InvalidArgumentError("command: pem or jwks");
  }
  if (!status.ok()) {
    std::fprintf(stderr, "bench_keys: %s\n",
                 std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
