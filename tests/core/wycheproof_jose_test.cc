// Every case of Wycheproof's JOSE files through jwtauth's own layers:
//   json_web_signature_test.json  group JWK/JWKS → ImportJwks → KeyStore →
//                                 TokenVerifier (tests/testutil/
//                                 keys_verifier.h: the object the gRPC
//                                 service calls, one provider with the
//                                 group's keys)
//   json_web_key_test.json        the same; these cases probe the importer
//   json_web_crypto_test.json     mixed: JWS cases (tcId 1-49) as above, and
//                                 JWE cases (50-83). jwtauth does not
//                                 implement JWE: the "enc" keys are skipped
//                                 by the importer and the 5-part JWE compact
//                                 form is MALFORMED, so every JWE case is
//                                 rejected; the two valid JWE cases are in
//                                 the policy table below.
// A case is "accepted" when its signature verifies (read from the key-usage
// counters, not from failure text): the vectors sign arbitrary bytes, not
// JWT claims sets, so an accepted case then fails the claims step; a
// rejected one never reaches it.
// Rules: 0 invalid cases accepted; every valid case accepted unless it sits
// in kPolicyRejections with the reason we reject it (and then the test
// checks that we do reject it, with that FailureReason). "acceptable" cases
// may go either way and are only counted. Counts go to stdout.
//
// JSON-serialized cases ("jws" is an object) are passed as their JSON text:
// the compact parser must reject them. A null "jws" is the empty token.

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/jwk.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testutil/keys_verifier.h"

namespace jwtauth {
namespace {

using ::jwtauth::testutil::KeysVerifier;
using nlohmann::json;

struct PolicyRejection {
  FailureReason reason;
  const char* why;
};

// Valid-labelled cases jwtauth rejects on purpose, by file.
const std::map<int, PolicyRejection>& SignaturePolicy() {
  static const auto* m = new std::map<int, PolicyRejection>{
      {346,
       {FailureReason::kUnsupportedAlgorithm,
        "RFC 7520 4.2 PS384 token, but the group's JWK says alg PS256; a "
        "JWK \"alg\" binds the key to that one algorithm"}},
      {350,
       {FailureReason::kUnsupportedAlgorithm,
        "as 346 (key_ops variant): JWK bound to PS256, token is PS384"}},
      {347,
       {FailureReason::kKeyNotFound,
        "JWK alg \"ES521\" is not a JWS algorithm (ES512 is): the key is "
        "skipped at import, so no key has the token's kid"}},
      {351,
       {FailureReason::kKeyNotFound,
        "as 347 (key_ops variant): JWK alg \"ES521\" is unknown"}},
      {372,
       {FailureReason::kMalformed,
        "'?' inserted into the header segment: not base64url; the strict "
        "decoder (RFC 7515 §2) rejects it"}},
      {373,
       {FailureReason::kMalformed,
        "'?' inserted into the payload segment: not base64url"}},
  };
  return *m;
}

// Invalid-labelled cases whose token is byte-identical to a valid case of the
// same group in this copy of the data: no verifier can tell them apart, so
// they are accepted. The test checks the identity, and checks that the form
// the case is named after (base64 '=' padding) is rejected.
struct DataDefect {
  int same_as_tc;
  const char* why;
  // Reconstructed intended token from the valid one: segment index to pad.
  int padded_segment;
};
const std::map<int, DataDefect>& SignatureDataDefects() {
  static const auto* m = new std::map<int, DataDefect>{
      {367,
       {357,
        "invalidBase64Padding: this copy's token equals valid tcId "
        "357 (the '=' padding was lost); the padded signature is "
        "rejected below",
        2}},
      {370,
       {357,
        "invalidBase64PaddingInPayload: token equals valid tcId 357; "
        "the padded payload is rejected below",
        1}},
  };
  return *m;
}

std::string PadSegment(const std::string& token, int segment) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot = token.find('.'); dot != std::string::npos;
       start = dot + 1, dot = token.find('.', start)) {
    parts.push_back(token.substr(start, dot - start));
  }
  parts.push_back(token.substr(start));
  std::string& s = parts[segment];
  while (s.size() % 4 != 0) s += '=';
  if (s.find('=') == std::string::npos) s += "==";  // already a multiple of 4
  return parts[0] + "." + parts[1] + "." + parts[2];
}

const std::map<int, DataDefect>& NoDefects() {
  static const auto* m = new std::map<int, DataDefect>{};
  return *m;
}

const std::map<int, PolicyRejection>& KeyPolicy() {
  static const auto* m = new std::map<int, PolicyRejection>{};
  return *m;
}

const std::map<int, PolicyRejection>& CryptoPolicy() {
  static const auto* m = new std::map<int, PolicyRejection>{
      {50,
       {FailureReason::kMalformed,
        "JWE (A256KW + A256CBC-HS512): jwtauth verifies JWS only"}},
      {67,
       {FailureReason::kMalformed,
        "JWE (ECDH-ES+A128KW): jwtauth verifies JWS only"}},
  };
  return *m;
}

json LoadJson(const std::string& name) {
  std::string path = std::string(JWTAUTH_TESTDATA_DIR) + "/wycheproof/" + name;
  std::ifstream in(path);
  std::stringstream buf;
  buf << in.rdbuf();
  json doc = json::parse(buf.str(), nullptr, /*allow_exceptions=*/false);
  return doc;
}

struct Counts {
  int valid = 0, valid_accepted = 0, valid_policy = 0;
  int invalid = 0, invalid_accepted = 0, invalid_defect_accepted = 0;
  int acceptable = 0, acceptable_accepted = 0;
  int keys_loaded = 0, keys_skipped = 0;
};

Counts RunFile(const std::string& file, const std::string& label,
               const std::map<int, PolicyRejection>& policy,
               const std::map<int, DataDefect>& defects = NoDefects()) {
  Counts c;
  json doc = LoadJson(file);
  EXPECT_TRUE(doc.is_object() && doc.contains("testGroups"))
      << "cannot read " << file << " under " << JWTAUTH_TESTDATA_DIR;
  if (!doc.is_object() || !doc.contains("testGroups")) return c;
  int seen = 0;
  std::map<int, std::string> tokens;  // by tcId, for the data-defect check
  std::map<int, std::vector<Key>> keys_by_tc;
  std::set<int> policy_hit;
  for (const json& group : doc["testGroups"]) {
    const json& keyset = group.contains("public") && !group["public"].is_null()
                             ? group["public"]
                             : group["private"];
    std::vector<Key> keys;
    JwkImportOptions opts;
    opts.source = "wycheproof";
    absl::StatusOr<JwksImport> imported = ImportJwks(keyset.dump(), opts);
    if (imported.ok()) {
      keys = imported->keys;
      c.keys_loaded += static_cast<int>(imported->keys.size());
      c.keys_skipped += static_cast<int>(imported->skipped.size());
    }
    const KeysVerifier verifier(keys);
    for (const json& t : group["tests"]) {
      ++seen;
      const int tc = t["tcId"].get<int>();
      const std::string result = t["result"].get<std::string>();
      const json& jws = t.contains("jws") ? t["jws"] : t["jwe"];
      std::string token = jws.is_string() ? jws.get<std::string>()
                          : jws.is_null() ? std::string()
                                          : jws.dump();
      tokens[tc] = token;
      if (defects.count(tc) != 0) keys_by_tc[tc] = keys;
      const KeysVerifier::Outcome r = verifier.Verify(token);
      const bool accepted = r.signature_verified;
      const std::string where = label + " tcId " + std::to_string(tc) + " (" +
                                t["comment"].get<std::string>() + ")";
      if (result == "valid") {
        ++c.valid;
        auto it = policy.find(tc);
        if (it != policy.end()) {
          ++c.valid_policy;
          policy_hit.insert(tc);
          EXPECT_FALSE(accepted) << where << ": listed as a policy rejection ("
                                 << it->second.why << ") but was accepted";
          if (!accepted) {
            EXPECT_EQ(r.reason(), it->second.reason)
                << where << ": " << FailureReasonName(r.reason()) << " / "
                << r.result.failure().detail;
          }
        } else {
          EXPECT_TRUE(accepted) << where << ": valid case rejected with "
                                << FailureReasonName(r.reason()) << " / "
                                << r.result.failure().detail;
          if (accepted) ++c.valid_accepted;
        }
      } else if (result == "invalid") {
        ++c.invalid;
        if (defects.count(tc) != 0) {
          if (accepted) ++c.invalid_defect_accepted;
          continue;  // checked after the loop
        }
        EXPECT_FALSE(accepted) << where << ": INVALID CASE ACCEPTED";
        if (accepted) ++c.invalid_accepted;
      } else {
        ++c.acceptable;
        if (accepted) ++c.acceptable_accepted;
      }
    }
  }
  if (doc.contains("numberOfTests")) {
    EXPECT_EQ(seen, doc["numberOfTests"].get<int>()) << file;
  }
  for (const auto& [tc, d] : defects) {
    EXPECT_EQ(tokens.count(tc), 1u)
        << "data-defect table names unknown tcId " << tc;
    if (tokens.count(tc) == 0) continue;
    EXPECT_EQ(tokens[tc], tokens[d.same_as_tc])
        << label << " tcId " << tc << " is no longer identical to tcId "
        << d.same_as_tc << ": remove it from the data-defect table";
    std::string padded = PadSegment(tokens[tc], d.padded_segment);
    const KeysVerifier::Outcome r = KeysVerifier(keys_by_tc[tc]).Verify(padded);
    EXPECT_FALSE(r.signature_verified) << label << " tcId " << tc;
    EXPECT_EQ(r.reason(), FailureReason::kMalformed)
        << label << " tcId " << tc << ": padded form " << padded;
  }
  for (const auto& [tc, p] : policy) {
    EXPECT_EQ(policy_hit.count(tc), 1u)
        << "policy table names tcId " << tc << " which is not a valid case";
  }
  std::printf(
      "wycheproof %s: %d valid: %d accepted, %d rejected by named policy; "
      "%d invalid: %d accepted (+%d byte-identical to a valid case, named "
      "below); %d acceptable: %d accepted "
      "(group keys: %d loaded, %d skipped by the importer)\n",
      label.c_str(), c.valid, c.valid_accepted, c.valid_policy, c.invalid,
      c.invalid_accepted, c.invalid_defect_accepted, c.acceptable,
      c.acceptable_accepted, c.keys_loaded, c.keys_skipped);
  for (const auto& [tc, d] : defects) {
    std::printf("  data defect: tcId %d: %s\n", tc, d.why);
  }
  for (const auto& [tc, p] : policy) {
    std::printf("  policy: tcId %d -> %s: %s\n", tc,
                std::string(FailureReasonName(p.reason)).c_str(), p.why);
  }
  std::fflush(stdout);
  return c;
}

TEST(WycheproofJoseTest, JsonWebSignature) {
  Counts c = RunFile("json_web_signature_test.json", "json_web_signature",
                     SignaturePolicy(), SignatureDataDefects());
  EXPECT_EQ(c.invalid_accepted, 0);
  EXPECT_EQ(c.valid, 46);
  EXPECT_EQ(c.invalid, 355);
  EXPECT_EQ(c.valid_accepted + c.valid_policy, c.valid);
}

TEST(WycheproofJoseTest, JsonWebKey) {
  Counts c = RunFile("json_web_key_test.json", "json_web_key", KeyPolicy());
  EXPECT_EQ(c.invalid_accepted, 0);
  EXPECT_EQ(c.valid_accepted + c.valid_policy, c.valid);
  EXPECT_GT(c.valid, 0);
}

TEST(WycheproofJoseTest, JsonWebCrypto) {
  Counts c =
      RunFile("json_web_crypto_test.json", "json_web_crypto", CryptoPolicy());
  EXPECT_EQ(c.invalid_accepted, 0);
  EXPECT_EQ(c.valid_accepted + c.valid_policy, c.valid);
}

}  // namespace
}  // namespace jwtauth
