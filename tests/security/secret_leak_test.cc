// Attack suite: secrets never leak. info_exposure_test.cc covers where
// secrets live (paths, env var names, URL credentials); this test covers the
// secret values themselves. It loads known secrets — HMAC secrets inline, in
// a file and in the environment, PEM private keys (signing and provider),
// a private signing JWK, a provider JWKS file whose entries carry private
// members, the mTLS server key — then drives every RPC (valid and failing),
// every admin endpoint, a reload and a series of config errors that sit
// next to or on a secret, and scans everything a caller or operator sees
// (logs, metrics, error messages and details, ListKeys, the JWKS endpoints,
// /readyz) for each secret in raw, base64, base64url and hex form.

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "core/base64url.h"
#include "core/crypto/key_material.h"
#include "core/crypto/signature_verifier.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "server/config.h"
#include "server/grpc_server.h"
#include "tests/security/security_server.h"
#include "tests/testutil/test_ca.h"

namespace jwtauth::testing {
namespace {

constexpr char kEnvName[] = "JWTAUTH_SECRET_LEAK_TEST_SECRET";
constexpr char kIssuer[] = "https://iss.test";

// A named secret and the strings that must never appear anywhere.
struct Secret {
  std::string name;
  std::string bytes;
};

// Every form a careless log line or dump could take: raw, base64,
// base64url, hex (either case). For the encodings the secret may start at
// any byte offset of a larger encoded blob, so each of the three alignments
// is searched, minus the characters at the edges that depend on neighbours.
std::vector<std::pair<std::string, std::string>> Forms(const Secret& s) {
  std::vector<std::pair<std::string, std::string>> out;
  out.push_back({"raw", s.bytes});
  out.push_back({"hex", absl::BytesToHexString(s.bytes)});
  out.push_back(
      {"HEX", absl::AsciiStrToUpper(absl::BytesToHexString(s.bytes))});
  for (int pad = 0; pad < 3; ++pad) {
    const std::string shifted = std::string(pad, '\0') + s.bytes;
    std::string b64 = absl::Base64Escape(shifted);
    std::string b64url = Base64UrlEncode(shifted);
    // Drop the leading group (holds the pad bytes) and the last 4 chars.
    const size_t skip = pad == 0 ? 0 : 4;
    auto middle = [&](const std::string& e) {
      return e.substr(skip, e.size() - skip - 4);
    };
    out.push_back({"base64", middle(b64)});
    out.push_back({"base64url", middle(b64url)});
  }
  return out;
}

// Bytes of an OpenSSL BIGNUM parameter of `pkey` ("priv", "d", ...).
std::string BnParam(EVP_PKEY* pkey, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) return "";
  std::string out(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

// The secret parts of a PEM private key: its DER and its private numbers.
std::vector<Secret> PemSecrets(
    const std::string& name, const std::string& pem,
    std::vector<std::pair<std::string, std::string>>* params = nullptr) {
  std::vector<Secret> out;
  std::string body;
  for (absl::string_view line : absl::StrSplit(pem, '\n')) {
    if (!line.empty() && line[0] != '-') absl::StrAppend(&body, line);
  }
  std::string der;
  EXPECT_TRUE(absl::Base64Unescape(body, &der));
  out.push_back({name + " DER", der});
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  EXPECT_NE(pkey, nullptr) << name;
  for (const char* p :
       {OSSL_PKEY_PARAM_PRIV_KEY, OSSL_PKEY_PARAM_RSA_D,
        OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
        OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
        OSSL_PKEY_PARAM_RSA_COEFFICIENT1}) {
    std::string v = BnParam(pkey, p);
    if (v.empty()) continue;
    out.push_back({absl::StrCat(name, " ", p), v});
    if (params != nullptr) params->push_back({p, v});
  }
  EVP_PKEY_free(pkey);
  return out;
}

std::string NewPem(Algorithm alg) {
  auto km = crypto::KeyMaterial::Generate(alg);
  EXPECT_TRUE(km.ok());
  return *km->PrivatePem();
}

// A private JWK (all members) for a PEM key, through its OpenSSL numbers.
nlohmann::json PrivateJwk(const std::string& pem, const std::string& kid,
                          std::vector<Secret>* secrets) {
  std::vector<std::pair<std::string, std::string>> p;
  for (Secret& s : PemSecrets(kid, pem, &p)) secrets->push_back(std::move(s));
  auto km = crypto::KeyMaterial::FromPem(pem);
  EXPECT_TRUE(km.ok());
  nlohmann::json j = {{"kid", kid}, {"use", "sig"}};
  auto get = [&](const char* n) {
    for (const auto& [k, v] : p) {
      if (k == n) return Base64UrlEncode(v);
    }
    return std::string();
  };
  if (km->type() == KeyType::kRsa) {
    auto pub = km->RsaPublic();
    j.update({{"kty", "RSA"},
              {"alg", "RS256"},
              {"n", Base64UrlEncode(pub->n)},
              {"e", Base64UrlEncode(pub->e)},
              {"d", get("d")},
              {"p", get("rsa-factor1")},
              {"q", get("rsa-factor2")},
              {"dp", get("rsa-exponent1")},
              {"dq", get("rsa-exponent2")},
              {"qi", get("rsa-coefficient1")}});
  } else {
    auto pub = km->EcPublic();
    // "d" must be exactly the field size (32 bytes for P-256).
    std::string d;
    for (const auto& [k, v] : p) {
      if (k == "priv") d = std::string(32 - v.size(), '\0') + v;
    }
    j.update({{"kty", "EC"},
              {"crv", "P-256"},
              {"alg", "ES256"},
              {"x", Base64UrlEncode(pub->x)},
              {"y", Base64UrlEncode(pub->y)},
              {"d", Base64UrlEncode(d)}});
  }
  return j;
}

// header.payload.signature signed with `key_text` (a secret for HS*, else
// a private key PEM).
std::string Sign(Algorithm alg, const std::string& key_text,
                 const std::string& kid, const nlohmann::json& claims) {
  auto km = alg == Algorithm::kHs256 || alg == Algorithm::kHs384 ||
                    alg == Algorithm::kHs512
                ? crypto::KeyMaterial::FromSecret(key_text)
                : crypto::KeyMaterial::FromPem(key_text);
  EXPECT_TRUE(km.ok()) << km.status();
  auto signer = crypto::NewSigner(alg, *km);
  EXPECT_TRUE(signer.ok()) << signer.status();
  const std::string input =
      absl::StrCat(Base64UrlEncode(nlohmann::json{
                       {"alg", std::string(AlgorithmName(alg))},
                       {"kid", kid},
                       {"typ", "JWT"}}.dump()),
                   ".", Base64UrlEncode(claims.dump()));
  auto sig = (*signer)->Sign(input);
  EXPECT_TRUE(sig.ok());
  return absl::StrCat(input, ".", Base64UrlEncode(*sig));
}

nlohmann::json Claims(absl::string_view aud = "api", int64_t exp_in = 600) {
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  return {{"iss", kIssuer}, {"aud", std::string(aud)},
          {"sub", "alice"}, {"scope", "jwtauth.issue"},
          {"iat", now},     {"exp", now + exp_in}};
}

class SecretLeakAttack : public ::testing::Test {
 protected:
  void SetUp() override {
    hs_inline_ = "inline-hmac-secret-Q7v2pX9kLm4RtY8wZ3bN6cF1hJ5dG0sA";
    hs_file_ = "file-hmac-secret-Mn8bV4cX2zL6kJ9hG3fD7sA1pO5iU0yT-extra-bytes";
    hs_env_ =
        "env-hmac-secret-Wq3eR7tY1uI5oP9aS2dF6gH0jK4lZ8xC-more-bytes-for-512";
    ::setenv(kEnvName, hs_env_.c_str(), 1);
    secrets_ = {{"inline HMAC secret", hs_inline_},
                {"file HMAC secret", hs_file_},
                {"env HMAC secret", hs_env_}};
    signing_pem_ = NewPem(Algorithm::kEs256);
    for (Secret& s : PemSecrets("signing PEM", signing_pem_)) Add(s);
    provider_pem_ = NewPem(Algorithm::kRs256);
    jwks_es_pem_ = NewPem(Algorithm::kEs256);
    for (Secret& s : PemSecrets("provider PEM", provider_pem_)) Add(s);
    signing_jwk_ = PrivateJwk(NewPem(Algorithm::kRs256), "sig-rs", &secrets_);
    private_jwks_ = {
        {"keys",
         {PrivateJwk(jwks_es_pem_, "jwks-es", &secrets_),
          PrivateJwk(NewPem(Algorithm::kRs256), "jwks-rs", &secrets_)}}};
    auto pki = testutil::TestPki::Create();
    ASSERT_TRUE(pki.ok()) << pki.status();
    pki_ = *std::move(pki);
    for (Secret& s : PemSecrets("mTLS server key", pki_->server().key_pem)) {
      Add(s);
    }
  }
  void TearDown() override { ::unsetenv(kEnvName); }
  void Add(Secret s) { secrets_.push_back(std::move(s)); }

  std::string Config() const {
    return absl::StrCat(R"(
server:
  listen: "127.0.0.1:0"
  admin_listen: "127.0.0.1:0"
  tls: {cert_file: ")",
                        pki_->cert_file(), R"(", key_file: ")",
                        pki_->key_file(), R"(", client_ca_file: ")",
                        pki_->ca_file(), R"("}
signing:
  issuer: https://self.test
  keys:
    - {kid: sig-es, alg: ES256, private_key_file: "{dir}/signing.pem", state: active}
    - {kid: sig-rs, alg: RS256, jwk_file: "{dir}/signing.jwk", state: next}
providers:
  - name: secrets
    issuers: [)",
                        kIssuer, R"(]
    audiences: [api]
    keys:
      - {kid: hs-inline, alg: HS256, secret: ")",
                        hs_inline_, R"("}
      - {kid: hs-file, alg: HS384, secret_file: "{dir}/hs.txt"}
      - {kid: hs-env, alg: HS512, secret_env: )",
                        kEnvName, R"(}
      - {kid: rs-priv, alg: RS256, private_key_file: "{dir}/provider.pem"}
      - {jwks_file: "{dir}/private.jwks"}
issue:
  direct: {enabled: true, caller_providers: [secrets]}
)");
  }
  std::map<std::string, std::string> Files() const {
    return {{"signing.pem", signing_pem_},
            {"signing.jwk", signing_jwk_.dump()},
            {"hs.txt", hs_file_},
            {"provider.pem", provider_pem_},
            {"private.jwks", private_jwks_.dump()}};
  }

  // Every RPC, valid and failing; what a caller sees goes into seen_.
  void DriveRpcs() {
    const std::vector<std::pair<std::string, std::string>> tokens = {
        {"hs-inline",
         Sign(Algorithm::kHs256, hs_inline_, "hs-inline", Claims())},
        {"hs-file", Sign(Algorithm::kHs384, hs_file_, "hs-file", Claims())},
        {"hs-env", Sign(Algorithm::kHs512, hs_env_, "hs-env", Claims())},
        {"rs-priv",
         Sign(Algorithm::kRs256, provider_pem_, "rs-priv", Claims())},
        {"jwks-es",
         Sign(Algorithm::kEs256, jwks_es_pem_, "jwks-es", Claims())}};
    for (const auto& [kid, token] : tokens) {
      v1::VerifyResponse r = server_->Verify(token);
      EXPECT_TRUE(r.valid()) << kid << ": " << r.detail();
      Seen("Verify " + kid, r.DebugString());
      // Failing variants: bad signature, wrong audience, expired, unknown
      // provider (a gRPC error), each with its detail text.
      Seen("Verify bad sig " + kid,
           server_->Verify(token.substr(0, token.size() - 3) + "AAA")
               .DebugString());
      Seen("Verify wrong aud " + kid,
           server_->Verify(token, "other").DebugString());
      Seen("Verify no provider " + kid,
           server_->Verify(token, "", "nope").DebugString());
    }
    Seen("Verify expired", server_
                               ->Verify(Sign(Algorithm::kHs256, hs_inline_,
                                             "hs-inline", Claims("api", -3600)))
                               .DebugString());
    Seen("Verify unknown kid",
         server_->Verify(Sign(Algorithm::kHs256, hs_inline_, "nope", Claims()))
             .DebugString());
    Seen("Verify malformed", server_->Verify("a.b.c").DebugString());
    Seen("Verify none",
         server_
             ->Verify(absl::StrCat(
                 Base64UrlEncode(R"({"alg":"none","kid":"hs-inline"})"), ".",
                 Base64UrlEncode(Claims().dump()), "."))
             .DebugString());
    DriveIssueAndListKeys(tokens[0].second);
    DriveCheck(tokens[1].second);
  }

  void DriveIssueAndListKeys(const std::string& caller) {
    v1::IssueTokenRequest req;
    req.set_subject("bob");
    req.add_audiences("api");
    v1::IssueTokenResponse resp;
    grpc::Status st = server_->IssueToken(req, &resp);  // no caller: refused
    EXPECT_FALSE(st.ok());
    Seen("IssueToken anonymous", st.error_message() + st.error_details());
    st = server_->IssueToken(req, &resp, {{"authorization", "Bearer bad"}});
    Seen("IssueToken bad caller", st.error_message() + st.error_details());
    st = server_->IssueToken(req, &resp,
                             {{"authorization", "Bearer " + caller}});
    EXPECT_TRUE(st.ok()) << st.error_message();
    Seen("IssueToken", resp.DebugString());
    req.mutable_ttl()->set_seconds(-1);
    st = server_->IssueToken(req, &resp,
                             {{"authorization", "Bearer " + caller}});
    Seen("IssueToken bad ttl", st.error_message() + st.error_details());
    for (const char* provider : {"", "secrets", "nope"}) {
      v1::ListKeysRequest lr;
      lr.set_provider(provider);
      v1::ListKeysResponse lk;
      st = server_->ListKeys(lr, &lk);
      Seen(absl::StrCat("ListKeys ", provider),
           lk.DebugString() + st.error_message());
    }
  }

  void DriveCheck(const std::string& token) {
    for (const std::string& auth :
         {"Bearer " + token, std::string("Bearer x.y.z"), std::string()}) {
      envoy::service::auth::v3::CheckRequest req;
      auto* http = req.mutable_attributes()->mutable_request()->mutable_http();
      http->set_method("GET");
      http->set_path("/orders");
      http->set_host("api.test");
      if (!auth.empty()) (*http->mutable_headers())["authorization"] = auth;
      envoy::service::auth::v3::CheckResponse resp;
      grpc::Status st = server_->Check(req, &resp);
      Seen("Check " + auth.substr(0, 12),
           resp.DebugString() + st.error_message());
    }
  }

  void DriveAdmin(const std::string& when) {
    for (const char* path : {"/healthz", "/readyz", "/metrics",
                             "/.well-known/jwks.json", "/nope"}) {
      Seen(absl::StrCat(when, " GET ", path), Get(path));
    }
    Seen(when + " public JWKS", server_->app().PublicJwksJson());
    Seen(when + " metrics", server_->metrics().RenderPrometheus());
  }

  // Reload with config texts that fail on or next to a secret; each error
  // message is scanned (the logs too, at the end).
  void DriveConfigErrors() {
    const std::string good =
        absl::StrReplaceAll(Config(), {{"{dir}", server_->dir()}});
    const std::string inline_line =
        absl::StrCat("secret: \"", hs_inline_, "\"}");
    const std::vector<std::pair<std::string, std::string>> broken = {
        {"unknown field next to a secret",
         absl::StrReplaceAll(
             good,
             {{inline_line, inline_line.substr(0, inline_line.size() - 1) +
                                ", bogus: 1}"}})},
        {"unterminated flow map after a secret",
         absl::StrReplaceAll(
             good,
             {{inline_line, inline_line.substr(0, inline_line.size() - 1)}})},
        {"unterminated string holding a secret",
         absl::StrReplaceAll(
             good,
             {{inline_line, absl::StrCat("secret: \"", hs_inline_, "}")}})},
        {"secret under the wrong alg",
         absl::StrReplaceAll(good, {{"kid: hs-inline, alg: HS256",
                                     "kid: hs-inline, alg: RS256"}})},
        {"secret as a mapping key",
         absl::StrReplaceAll(
             good, {{inline_line, absl::StrCat("\"", hs_inline_, "\": 1}")}})},
        {"secret in an env reference",
         absl::StrReplaceAll(
             good, {{inline_line, absl::StrCat("secret: \"${", kEnvName,
                                               "}\", alg: HS999}")}})},
        {"secret typed into the alg field",
         absl::StrReplaceAll(
             good, {{"kid: hs-inline, alg: HS256",
                     "kid: hs-inline, alg: \"" + hs_inline_ + "\""}})},
        {"secret typed without a space after the colon",
         absl::StrReplaceAll(
             good, {{inline_line, absl::StrCat("secret:", hs_inline_, "}")}})},
        {"env secret under an alg it cannot serve",
         absl::StrReplaceAll(
             good, {{"kid: hs-env, alg: HS512", "kid: hs-env, alg: ES256"}})},
        {"PEM file as an HMAC secret",
         absl::StrReplaceAll(
             good, {{"secret_file: \"" + server_->dir() + "/hs.txt\"",
                     "secret_file: \"" + server_->dir() + "/signing.pem\""}})},
        {"secret file as a private key",
         absl::StrReplaceAll(good, {{"/provider.pem", "/hs.txt"}})},
        {"private JWKS as a private key",
         absl::StrReplaceAll(good, {{"/provider.pem", "/private.jwks"}})},
        {"private key as a JWKS file",
         absl::StrReplaceAll(good, {{"/private.jwks", "/provider.pem"}})},
        {"private key as the signing JWK",
         absl::StrReplaceAll(good, {{"/signing.jwk", "/signing.pem"}})},
        {"secret file as the signing JWK",
         absl::StrReplaceAll(good, {{"/signing.jwk", "/hs.txt"}})},
        {"signing key under the wrong alg",
         absl::StrReplaceAll(
             good, {{"kid: sig-es, alg: ES256", "kid: sig-es, alg: ES384"}})},
    };
    for (const auto& [what, text] : broken) {
      WriteConfig(text);
      absl::Status st = server_->app().ReloadFromFile();
      EXPECT_FALSE(st.ok()) << what;
      Seen("config error: " + what, std::string(st.message()));
      auto parsed =
          server::ParseServerConfig(text, "config.yaml", server_->dir());
      if (!parsed.ok()) {
        Seen("parse error: " + what, std::string(parsed.status().message()));
      }
    }
    WriteConfig(good);
    EXPECT_TRUE(server_->app().ReloadFromFile().ok());
  }

  void WriteConfig(const std::string& text) {
    std::ofstream out(server_->dir() + "/config.yaml", std::ios::trunc);
    out << text;
  }

  // Every secret in every form against everything seen.
  void ScanAll() {
    int scanned = 0, forms = 0;
    for (const Secret& secret : secrets_) {
      ASSERT_GE(secret.bytes.size(), 16u) << secret.name;
      for (const auto& [form, needle] : Forms(secret)) {
        ++forms;
        for (const auto& [where, text] : seen_) {
          ++scanned;
          EXPECT_EQ(text.find(needle), std::string::npos)
              << secret.name << " (" << form << ") leaked in " << where << ":\n"
              << text;
        }
      }
    }
    std::printf(
        "secret leak scan: %zu secrets, %d forms, %zu outputs, %d "
        "searches, 0 leaks expected\n",
        secrets_.size(), forms, seen_.size(), scanned);
  }

  // Appends `text` to what is scanned at the end, under `where`.
  void Seen(const std::string& where, const std::string& text) {
    seen_.push_back({where, text});
  }
  std::string Get(const std::string& path) {
    httplib::Client c("127.0.0.1", server_->admin_port());
    c.set_read_timeout(5, 0);
    auto res = c.Get(path);
    EXPECT_TRUE(res) << path;
    return res ? absl::StrCat(res->status, "\n", res->body) : "";
  }

  std::string hs_inline_, hs_file_, hs_env_, signing_pem_, provider_pem_,
      jwks_es_pem_;
  nlohmann::json signing_jwk_, private_jwks_;
  std::unique_ptr<testutil::TestPki> pki_;
  std::vector<Secret> secrets_;
  std::unique_ptr<SecurityServer> server_;
  std::vector<std::pair<std::string, std::string>> seen_;
};

// CWE-532/CWE-209: no known secret (HMAC secrets, PEM private keys, private
// JWK/JWKS members, the mTLS key) appears raw, base64, base64url or hex in
// RPC answers, error details, ListKeys, admin endpoints, metrics or logs,
// across a reload and config errors next to the secrets.
TEST_F(SecretLeakAttack, NoSecretInAnyOutputInAnyEncoding) {
  auto s = SecurityServer::Start(Config(), Files());
  ASSERT_TRUE(s.ok()) << s.status();
  server_ = *std::move(s);
  // The mTLS key enters the process as main() loads it.
  auto config = server::LoadServerConfigFile(server_->dir() + "/config.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_TRUE(server::GrpcServer::Credentials(config->server).ok());
  DriveRpcs();
  DriveAdmin("before reload");
  ASSERT_TRUE(server_->app().ReloadFromFile().ok());
  DriveConfigErrors();
  DriveRpcs();
  DriveAdmin("after reloads");
  Seen("logs", server_->logs());
  ASSERT_GT(secrets_.size(), 20u);
  ScanAll();
}

// The scan finds what it looks for: each form of a secret planted in an
// output is reported (so a clean scan above means something).
TEST_F(SecretLeakAttack, ScanFindsEveryForm) {
  for (const Secret& secret : secrets_) {
    for (const auto& [form, needle] : Forms(secret)) {
      ASSERT_FALSE(needle.empty()) << secret.name << " " << form;
    }
  }
  const Secret& hs = secrets_[0];
  const std::vector<std::string> planted = {
      "x" + hs.bytes + "y",
      "log " + absl::Base64Escape(hs.bytes),
      "k=" + Base64UrlEncode("ab" + hs.bytes + "cd"),
      absl::Base64Escape("z" + hs.bytes),
      "0x" + absl::BytesToHexString(hs.bytes),
      absl::AsciiStrToUpper(absl::BytesToHexString(hs.bytes))};
  for (const std::string& text : planted) {
    bool found = false;
    for (const auto& [form, needle] : Forms(hs)) {
      found = found || text.find(needle) != std::string::npos;
    }
    EXPECT_TRUE(found) << text;
  }
}

}  // namespace
}  // namespace jwtauth::testing
