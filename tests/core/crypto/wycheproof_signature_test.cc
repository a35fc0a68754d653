// Every raw-signature Wycheproof vector (HMAC, RSA PKCS#1 v1.5, RSA-PSS,
// ECDSA P1363, Ed25519) through KeyMaterial + NewSignatureVerifier.
//
// Rules: no "invalid" vector may verify; every "valid" vector must verify
// unless a policy below names it; "acceptable" may go either way and is
// counted. Per-file counts are printed to stdout; failing tcIds are listed in
// the assertion message.
//
// Policies that reject vectors Wycheproof labels "valid":
//  * Truncated HMAC tags (groups with tagSize < digest size): a JWS HS* tag
//    is the full digest (RFC 7518 §3.2), so a truncated tag is rejected.
//  * HMAC keys below 32 bytes: the production floor refuses them; this test
//    imports every HMAC key with the absolute floor of 16 bytes instead
//    (kAbsoluteMinHmacBytes, core/algorithm.h), so no vector is lost to it.

#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/algorithm.h"
#include "core/crypto/key_material.h"
#include "core/crypto/signature_verifier.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/core/crypto/crypto_test_util.h"

namespace jwtauth::crypto {
namespace {

using json = nlohmann::json;

std::string Hex(const json& j) {
  return absl::HexStringToBytes(j.get<std::string>());
}

std::string B64Url(const json& j) {
  std::string out;
  if (!absl::WebSafeBase64Unescape(j.get<std::string>(), &out)) return "";
  return out;
}

// Big-endian integer bytes (possibly with an ASN.1 sign byte) to exactly
// `size` bytes; empty if it does not fit.
std::string FixedSize(std::string v, size_t size) {
  while (v.size() > size && v[0] == '\0') v.erase(0, 1);
  if (v.size() > size) return "";
  return std::string(size - v.size(), '\0') + v;
}

json Load(const std::string& name) {
  const std::string path =
      absl::StrCat(JWTAUTH_TESTDATA_DIR, "/wycheproof/", name, "_test.json");
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << "cannot read " << path;
  return j;
}

struct Counts {
  int valid_ok = 0;
  int valid_rejected_by_policy = 0;
  int invalid_rejected = 0;
  int invalid_accepted = 0;
  int acceptable_accepted = 0;
  int acceptable_rejected = 0;
  std::vector<std::string> failures;  // "tcId N: ..." entries
};

// Outcome bookkeeping for one test case. `policy_reject` names the policy
// when this implementation deliberately rejects a "valid" vector.
void Record(Counts& counts, const json& t, bool accepted,
            const std::string& policy_reject = "") {
  const std::string result = t["result"].get<std::string>();
  const int tc = t["tcId"].get<int>();
  if (result == "valid") {
    if (!policy_reject.empty()) {
      if (accepted) {
        counts.failures.push_back(
            absl::StrCat("tcId ", tc, ": valid but policy '", policy_reject,
                         "' should reject it"));
      } else {
        ++counts.valid_rejected_by_policy;
      }
    } else if (accepted) {
      ++counts.valid_ok;
    } else {
      counts.failures.push_back(
          absl::StrCat("tcId ", tc, ": valid vector rejected (",
                       t["comment"].get<std::string>(), ")"));
    }
  } else if (result == "invalid") {
    if (accepted) {
      ++counts.invalid_accepted;
      counts.failures.push_back(
          absl::StrCat("tcId ", tc, ": INVALID vector accepted (",
                       t["comment"].get<std::string>(), ")"));
    } else {
      ++counts.invalid_rejected;
    }
  } else {
    accepted ? ++counts.acceptable_accepted : ++counts.acceptable_rejected;
  }
}

void Report(const std::string& file, const Counts& c, int expected_total) {
  std::printf(
      "wycheproof %s: %d valid ok, %d valid rejected by named policy, %d "
      "invalid rejected, "
      "%d invalid accepted, %d acceptable accepted, %d acceptable rejected, "
      "%zu failures\n",
      file.c_str(), c.valid_ok, c.valid_rejected_by_policy, c.invalid_rejected,
      c.invalid_accepted, c.acceptable_accepted, c.acceptable_rejected,
      c.failures.size());
  std::fflush(stdout);
  EXPECT_TRUE(c.failures.empty())
      << file << ":\n  " << absl::StrJoin(c.failures, "\n  ");
  const int total = c.valid_ok + c.valid_rejected_by_policy +
                    c.invalid_rejected + c.acceptable_accepted +
                    c.acceptable_rejected + static_cast<int>(c.failures.size());
  EXPECT_EQ(total, expected_total) << file << ": not every tcId was run";
}

// Runs every test of `group` through a verifier for `alg` on `key`. If the
// key could not be imported, every vector counts as rejected.
void RunGroup(Counts& counts, const json& group, Algorithm alg,
              const absl::StatusOr<KeyMaterial>& key,
              const std::function<std::string(const json&)>& policy = nullptr) {
  absl::StatusOr<std::unique_ptr<const SignatureVerifier>> verifier =
      key.ok() ? NewSignatureVerifier(alg, *key)
               : absl::StatusOr<std::unique_ptr<const SignatureVerifier>>(
                     key.status());
  for (const json& t : group["tests"]) {
    const bool accepted =
        verifier.ok() && (*verifier)->Verify(Hex(t["msg"]), Hex(t["sig"]));
    Record(counts, t, accepted, policy ? policy(t) : "");
  }
  if (!verifier.ok()) {
    counts.failures.push_back(
        absl::StrCat("group with tcId ", group["tests"][0]["tcId"].get<int>(),
                     ": no verifier: ", verifier.status().ToString()));
  }
}

// --- HMAC
// ----------------------------------------------------------------------------------

class WycheproofHmacTest
    : public testing::TestWithParam<std::pair<std::string, Algorithm>> {};

TEST_P(WycheproofHmacTest, AllVectors) {
  const auto& [file, alg] = GetParam();
  const json j = Load(file);
  ASSERT_TRUE(j.is_object());
  KeyStrengthPolicy policy;
  policy.min_hmac_bytes = kAbsoluteMinHmacBytes;
  const int full_bits = 8 * HashSize(HashFor(alg));
  Counts counts;
  for (const json& group : j["testGroups"]) {
    const bool truncated = group["tagSize"].get<int>() < full_bits;
    for (const json& t : group["tests"]) {
      auto key = KeyMaterial::FromSecret(Hex(t["key"]), policy);
      bool accepted = false;
      if (key.ok()) {
        auto verifier = NewSignatureVerifier(alg, *key);
        accepted =
            verifier.ok() && (*verifier)->Verify(Hex(t["msg"]), Hex(t["tag"]));
      } else {
        counts.failures.push_back(
            absl::StrCat("tcId ", t["tcId"].get<int>(),
                         ": key refused: ", key.status().ToString()));
      }
      Record(counts, t, accepted,
             truncated ? "truncated MAC: HS* needs a full-length tag" : "");
    }
  }
  Report(file, counts, j["numberOfTests"].get<int>());
}

INSTANTIATE_TEST_SUITE_P(
    Files, WycheproofHmacTest,
    testing::Values(
        std::make_pair(std::string("hmac_sha256"), Algorithm::kHs256),
        std::make_pair(std::string("hmac_sha384"), Algorithm::kHs384),
        std::make_pair(std::string("hmac_sha512"), Algorithm::kHs512)),
    [](const auto& info) { return info.param.first; });

// --- RSA PKCS#1 v1.5 and PSS
// -------------------------------------------------------------

// The group's key from its DER SPKI, checked against the same key imported
// from raw components and (when present) the JWK n/e.
absl::StatusOr<KeyMaterial> RsaGroupKey(const json& group,
                                        std::vector<std::string>& failures) {
  auto from_der =
      KeyMaterial::FromPem(testutil::DerToPem(Hex(group["publicKeyDer"])));
  RsaComponents c;
  c.n = Hex(group["publicKey"]["modulus"]);
  c.e = Hex(group["publicKey"]["publicExponent"]);
  auto from_components = KeyMaterial::FromRsa(c);
  if (from_der.ok() != from_components.ok() ||
      (from_der.ok() &&
       from_der->Fingerprint() != from_components->Fingerprint())) {
    failures.push_back("RSA key: DER and component imports disagree");
  }
  const char* jwk_field =
      group.contains("publicKeyJwk") ? "publicKeyJwk" : "keyJwk";
  if (group.contains(jwk_field) && from_der.ok()) {
    RsaComponents jc;
    jc.n = B64Url(group[jwk_field]["n"]);
    jc.e = B64Url(group[jwk_field]["e"]);
    auto from_jwk = KeyMaterial::FromRsa(jc);
    if (!from_jwk.ok() || from_jwk->Fingerprint() != from_der->Fingerprint()) {
      failures.push_back("RSA key: JWK and DER imports disagree");
    }
  }
  return from_der;
}

Algorithm RsaAlg(const std::string& sha, bool pss) {
  if (sha == "SHA-256") return pss ? Algorithm::kPs256 : Algorithm::kRs256;
  if (sha == "SHA-384") return pss ? Algorithm::kPs384 : Algorithm::kRs384;
  return pss ? Algorithm::kPs512 : Algorithm::kRs512;
}

class WycheproofRsaTest : public testing::TestWithParam<std::string> {};

TEST_P(WycheproofRsaTest, AllVectors) {
  const std::string& file = GetParam();
  const bool pss = file.rfind("rsa_pss", 0) == 0;
  const json j = Load(file);
  ASSERT_TRUE(j.is_object());
  Counts counts;
  for (const json& group : j["testGroups"]) {
    const Algorithm alg = RsaAlg(group["sha"].get<std::string>(), pss);
    if (pss) {
      // Our PS* is fixed: MGF1 with the same digest, salt = digest length.
      ASSERT_EQ(group["mgfSha"], group["sha"]) << file;
      ASSERT_EQ(group["sLen"].get<int>(), HashSize(HashFor(alg))) << file;
    }
    RunGroup(counts, group, alg, RsaGroupKey(group, counts.failures));
  }
  Report(file, counts, j["numberOfTests"].get<int>());
}

INSTANTIATE_TEST_SUITE_P(Files, WycheproofRsaTest,
                         testing::Values("rsa_signature_2048_sha256",
                                         "rsa_signature_2048_sha384",
                                         "rsa_signature_2048_sha512",
                                         "rsa_pss_2048_sha256_mgf1_32",
                                         "rsa_pss_2048_sha384_mgf1_48"),
                         [](const auto& info) { return info.param; });

// --- ECDSA P1363
// --------------------------------------------------------------------------

class WycheproofEcdsaTest
    : public testing::TestWithParam<
          std::tuple<std::string, Algorithm, Curve, size_t>> {};

TEST_P(WycheproofEcdsaTest, AllVectors) {
  const auto& [file, alg, curve, field] = GetParam();
  const json j = Load(file);
  ASSERT_TRUE(j.is_object());
  Counts counts;
  for (const json& group : j["testGroups"]) {
    EcComponents c;
    c.curve = curve;
    if (group.contains("publicKeyJwk")) {
      c.x = B64Url(group["publicKeyJwk"]["x"]);
      c.y = B64Url(group["publicKeyJwk"]["y"]);
    } else {
      c.x = FixedSize(Hex(group["publicKey"]["wx"]), field);
      c.y = FixedSize(Hex(group["publicKey"]["wy"]), field);
    }
    auto key = KeyMaterial::FromEc(c);
    auto from_der =
        KeyMaterial::FromPem(testutil::DerToPem(Hex(group["publicKeyDer"])));
    if (key.ok() != from_der.ok() ||
        (key.ok() && key->Fingerprint() != from_der->Fingerprint())) {
      counts.failures.push_back(
          absl::StrCat("group with tcId ", group["tests"][0]["tcId"].get<int>(),
                       ": JWK/components and DER imports disagree"));
    }
    RunGroup(counts, group, alg, key);
  }
  Report(file, counts, j["numberOfTests"].get<int>());
}

INSTANTIATE_TEST_SUITE_P(
    Files, WycheproofEcdsaTest,
    testing::Values(
        std::make_tuple(std::string("ecdsa_secp256r1_sha256_p1363"),
                        Algorithm::kEs256, Curve::kP256, size_t{32}),
        std::make_tuple(std::string("ecdsa_secp384r1_sha384_p1363"),
                        Algorithm::kEs384, Curve::kP384, size_t{48}),
        std::make_tuple(std::string("ecdsa_secp521r1_sha512_p1363"),
                        Algorithm::kEs512, Curve::kP521, size_t{66})),
    [](const auto& info) { return std::get<0>(info.param); });

// --- Ed25519
// ------------------------------------------------------------------------------

TEST(WycheproofEddsaTest, Ed25519AllVectors) {
  const std::string file = "ed25519";
  const json j = Load(file);
  ASSERT_TRUE(j.is_object());
  Counts counts;
  for (const json& group : j["testGroups"]) {
    OkpComponents c;
    c.curve = Curve::kEd25519;
    c.x = Hex(group["publicKey"]["pk"]);
    auto key = KeyMaterial::FromOkp(c);
    auto from_der =
        KeyMaterial::FromPem(testutil::DerToPem(Hex(group["publicKeyDer"])));
    OkpComponents jc;
    jc.curve = Curve::kEd25519;
    jc.x = B64Url(group["publicKeyJwk"]["x"]);
    auto from_jwk = KeyMaterial::FromOkp(jc);
    if (!key.ok() || !from_der.ok() || !from_jwk.ok() ||
        key->Fingerprint() != from_der->Fingerprint() ||
        key->Fingerprint() != from_jwk->Fingerprint()) {
      counts.failures.push_back(
          absl::StrCat("group with tcId ", group["tests"][0]["tcId"].get<int>(),
                       ": raw, JWK and DER imports disagree"));
    }
    RunGroup(counts, group, Algorithm::kEdDsa, key);
  }
  Report(file, counts, j["numberOfTests"].get<int>());
}

}  // namespace
}  // namespace jwtauth::crypto
