#include "tests/core/crypto/outcomes/wycheproof_outcomes.h"

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/algorithm.h"
#include "core/crypto/key_material.h"
#include "core/crypto/signature_verifier.h"
#include "core/failure.h"
#include "core/jwk.h"
#include "nlohmann/json.hpp"
#include "tests/core/crypto/outcomes/outcome_log.h"
#include "tests/testutil/keys_verifier.h"

namespace jwtauth::testutil {
namespace {

using crypto::KeyMaterial;
using nlohmann::json;

json Load(const std::string& dir, const std::string& file) {
  std::ifstream in(absl::StrCat(dir, "/wycheproof/", file, "_test.json"));
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
}

std::string Hex(const json& j) {
  return absl::HexStringToBytes(j.get<std::string>());
}

std::string FixedSize(std::string v, size_t size) {
  while (v.size() > size && v[0] == '\0') v.erase(0, 1);
  if (v.size() > size) return "";
  return std::string(size - v.size(), '\0') + v;
}

std::string DerToPem(const std::string& der) {
  std::string b64;
  absl::Base64Escape(der, &b64);
  std::string pem = "-----BEGIN PUBLIC KEY-----\n";
  for (size_t i = 0; i < b64.size(); i += 64) {
    absl::StrAppend(&pem, b64.substr(i, 64), "\n");
  }
  return pem + "-----END PUBLIC KEY-----\n";
}

// The group's DER key import as its own case, then every test of the group
// through a verifier for `alg` on `key`.
void EmitGroup(const std::string& file, int group_index, const json& group,
               Algorithm alg, const absl::StatusOr<KeyMaterial>& key) {
  if (group.contains("publicKeyDer")) {
    auto der = KeyMaterial::FromPem(DerToPem(Hex(group["publicKeyDer"])));
    EmitOutcome(
        absl::StrCat("wycheproof/", file, "/group", group_index, "/der_key"),
        der.ok(), der.ok() ? "" : der.status().message());
  }
  absl::StatusOr<std::unique_ptr<const crypto::SignatureVerifier>> verifier =
      key.ok()
          ? crypto::NewSignatureVerifier(alg, *key)
          : absl::StatusOr<std::unique_ptr<const crypto::SignatureVerifier>>(
                key.status());
  for (const json& t : group["tests"]) {
    const std::string id =
        absl::StrCat("wycheproof/", file, "/", t["tcId"].get<int>());
    if (!verifier.ok()) {
      EmitOutcome(id, false,
                  absl::StrCat("key: ", verifier.status().message()));
      continue;
    }
    const std::string sig = Hex(t.contains("sig") ? t["sig"] : t["tag"]);
    const bool ok = (*verifier)->Verify(Hex(t["msg"]), sig);
    EmitOutcome(id, ok, ok ? "" : "signature");
  }
}

Algorithm HmacAlg(const std::string& file) {
  if (file == "hmac_sha384") return Algorithm::kHs384;
  if (file == "hmac_sha512") return Algorithm::kHs512;
  return Algorithm::kHs256;
}

Algorithm RsaAlg(const std::string& sha, bool pss) {
  if (sha == "SHA-256") return pss ? Algorithm::kPs256 : Algorithm::kRs256;
  if (sha == "SHA-384") return pss ? Algorithm::kPs384 : Algorithm::kRs384;
  return pss ? Algorithm::kPs512 : Algorithm::kRs512;
}

void EmitHmac(const std::string& file, const json& j) {
  crypto::KeyStrengthPolicy policy;
  policy.min_hmac_bytes = kAbsoluteMinHmacBytes;
  int g = 0;
  for (const json& group : j["testGroups"]) {
    ++g;
    // A key per test: emit each test as a one-test group.
    for (const json& t : group["tests"]) {
      json one = group;
      one["tests"] = json::array({t});
      EmitGroup(file, g, one, HmacAlg(file),
                KeyMaterial::FromSecret(Hex(t["key"]), policy));
    }
  }
}

void EmitRsa(const std::string& file, const json& j) {
  const bool pss = file.rfind("rsa_pss", 0) == 0;
  int g = 0;
  for (const json& group : j["testGroups"]) {
    crypto::RsaComponents c;
    c.n = Hex(group["publicKey"]["modulus"]);
    c.e = Hex(group["publicKey"]["publicExponent"]);
    EmitGroup(file, ++g, group, RsaAlg(group["sha"].get<std::string>(), pss),
              KeyMaterial::FromRsa(c));
  }
}

void EmitEcdsa(const std::string& file, const json& j, Algorithm alg,
               Curve curve, size_t field) {
  int g = 0;
  for (const json& group : j["testGroups"]) {
    crypto::EcComponents c;
    c.curve = curve;
    c.x = FixedSize(Hex(group["publicKey"]["wx"]), field);
    c.y = FixedSize(Hex(group["publicKey"]["wy"]), field);
    EmitGroup(file, ++g, group, alg, KeyMaterial::FromEc(c));
  }
}

void EmitEd25519(const std::string& file, const json& j) {
  int g = 0;
  for (const json& group : j["testGroups"]) {
    crypto::OkpComponents c;
    c.curve = Curve::kEd25519;
    c.x = Hex(group["publicKey"]["pk"]);
    EmitGroup(file, ++g, group, Algorithm::kEdDsa, KeyMaterial::FromOkp(c));
  }
}

}  // namespace

bool EmitWycheproofSignatureOutcomes(const std::string& dir) {
  bool all_read = true;
  auto each = [&](const std::string& file, auto emit) {
    const json j = Load(dir, file);
    if (!j.is_object() || !j.contains("testGroups")) {
      all_read = false;
      return;
    }
    emit(file, j);
  };
  for (const char* f : {"hmac_sha256", "hmac_sha384", "hmac_sha512"}) {
    each(f, EmitHmac);
  }
  for (const char* f :
       {"rsa_signature_2048_sha256", "rsa_signature_2048_sha384",
        "rsa_signature_2048_sha512", "rsa_pss_2048_sha256_mgf1_32",
        "rsa_pss_2048_sha384_mgf1_48"}) {
    each(f, EmitRsa);
  }
  each("ecdsa_secp256r1_sha256_p1363", [](const std::string& f, const json& j) {
    EmitEcdsa(f, j, Algorithm::kEs256, Curve::kP256, 32);
  });
  each("ecdsa_secp384r1_sha384_p1363", [](const std::string& f, const json& j) {
    EmitEcdsa(f, j, Algorithm::kEs384, Curve::kP384, 48);
  });
  each("ecdsa_secp521r1_sha512_p1363", [](const std::string& f, const json& j) {
    EmitEcdsa(f, j, Algorithm::kEs512, Curve::kP521, 66);
  });
  each("ed25519", EmitEd25519);
  return all_read;
}

bool EmitWycheproofJoseOutcomes(const std::string& dir) {
  bool all_read = true;
  for (const char* file :
       {"json_web_signature", "json_web_key", "json_web_crypto"}) {
    const json doc = Load(dir, file);
    if (!doc.is_object() || !doc.contains("testGroups")) {
      all_read = false;
      continue;
    }
    int g = 0;
    for (const json& group : doc["testGroups"]) {
      const json& keyset =
          group.contains("public") && !group["public"].is_null()
              ? group["public"]
              : group["private"];
      JwkImportOptions opts;
      opts.source = "wycheproof";
      absl::StatusOr<JwksImport> imported = ImportJwks(keyset.dump(), opts);
      std::vector<Key> keys;
      if (imported.ok()) keys = imported->keys;
      EmitOutcome(absl::StrCat("wycheproof/", file, "/group", ++g, "/keys"),
                  imported.ok(),
                  imported.ok()
                      ? absl::StrCat("loaded=", imported->keys.size(),
                                     ",skipped=", imported->skipped.size())
                      : std::string(imported.status().message()));
      const KeysVerifier verifier(keys);
      for (const json& t : group["tests"]) {
        const json& jws = t.contains("jws") ? t["jws"] : t["jwe"];
        const std::string token = jws.is_string() ? jws.get<std::string>()
                                  : jws.is_null() ? std::string()
                                                  : jws.dump();
        const KeysVerifier::Outcome r = verifier.Verify(token);
        EmitOutcome(
            absl::StrCat("wycheproof/", file, "/", t["tcId"].get<int>()),
            r.signature_verified,
            r.ok() ? "ok" : FailureReasonName(r.reason()));
      }
    }
  }
  return all_read;
}

}  // namespace jwtauth::testutil
