#include "server/config.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace jwtauth::server {
namespace {

using ::jwtauth::testutil::IsOk;
using ::testing::HasSubstr;
using ::testing::Not;

ConfigLoadOptions Env(std::map<std::string, std::string> vars) {
  ConfigLoadOptions o;
  o.getenv = [vars](absl::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
  return o;
}

absl::StatusOr<ServerConfig> Parse(
    absl::string_view text, std::map<std::string, std::string> env = {}) {
  return ParseServerConfig(text, "/etc/jwtauth/config.yaml", "/etc/jwtauth",
                           Env(std::move(env)));
}

std::string ErrorOf(absl::string_view text,
                    std::map<std::string, std::string> env = {}) {
  auto c = Parse(text, std::move(env));
  if (c.ok()) return "OK";
  return std::string(c.status().message());
}

constexpr char kMinimal[] = R"(
providers:
  - name: default
    issuers: [https://auth.example.com]
    audiences: [api://orders]
    keys:
      - {kid: k1, alg: HS256, secret_file: hs256.txt}
)";

TEST(ConfigTest, ParsesTheDesignSketch) {
  constexpr char kSketch[] = R"(
server:
  listen: "127.0.0.1:50051"
  admin_listen: "127.0.0.1:9090"
  tls: {cert_file: tls/cert.pem, key_file: /abs/key.pem, client_ca_file: ca.pem, require_client_cert: false}
signing:
  alg: ES256
  kid: primary-2026-11
  private_key_file: /etc/jwtauth/signing.pem
  issuer: https://auth.example.com
  default_ttl: 15m
  max_ttl: 1h
providers:
  - name: default
    issuers: [https://auth.example.com]
    audiences: [api://orders]
    keys:
      - {kid: k1, alg: HS256, secret_file: /etc/jwtauth/hs256.txt}
      - {kid: k2, alg: RS256, public_key_file: /etc/jwtauth/rs256.pub.pem}
      - {jwks_file: /etc/jwtauth/extra-jwks.json}
    jwks_urls:
      - url: https://idp.example.com/.well-known/jwks.json
        refresh: {default: 10m, min: 30s, max: 24h}
        timeout: 5s
    discovery_url: https://idp.example.com/.well-known/openid-configuration
    clock_skew: 60s
    require_exp: true
    max_lifetime: 24h
    required_claims: [sub]
    claims_namespace: https://example.com/claims
    metadata: [{path: org.id, field: org_id, required: true}]
issue:
  direct:   {enabled: false, allowed_identities: [], required_scope: jwtauth.issue}
  exchange: {enabled: true, max_ttl: 30m, allowed_providers: [default],
             allowed_audiences: [api://orders]}
limits: {max_token_bytes: 8192}
cache: {max_entries: 100000}
log: {level: info, format: json}
)";
  auto c = Parse(kSketch);
  ASSERT_THAT(c, IsOk()) << c.status();
  EXPECT_EQ(c->server.listen, "127.0.0.1:50051");
  ASSERT_TRUE(c->server.tls.has_value());
  EXPECT_EQ(c->server.tls->cert_file, "/etc/jwtauth/tls/cert.pem");
  EXPECT_EQ(c->server.tls->key_file, "/abs/key.pem");
  ASSERT_EQ(c->signing.keys.size(), 1u);
  EXPECT_EQ(c->signing.keys[0].kid, "primary-2026-11");
  EXPECT_EQ(c->signing.keys[0].alg, "ES256");
  EXPECT_EQ(c->signing.keys[0].kind, KeySourceKind::kPrivateKeyFile);
  EXPECT_EQ(c->signing.keys[0].state, KeyState::kActive);
  EXPECT_EQ(c->signing.default_ttl, absl::Minutes(15));
  EXPECT_EQ(c->signing.max_ttl, absl::Hours(1));
  ASSERT_EQ(c->providers.size(), 1u);
  const ProviderConfig& p = c->providers[0];
  EXPECT_EQ(p.keys.size(), 3u);
  EXPECT_EQ(p.keys[2].kind, KeySourceKind::kJwksFile);
  ASSERT_EQ(p.jwks_urls.size(), 1u);
  EXPECT_EQ(p.jwks_urls[0].refresh.min_interval, absl::Seconds(30));
  EXPECT_EQ(p.jwks_urls[0].refresh.max_interval, absl::Hours(24));
  EXPECT_EQ(p.max_lifetime, absl::Hours(24));
  ASSERT_EQ(p.metadata.size(), 1u);
  EXPECT_EQ(p.metadata[0].field, "org_id");
  EXPECT_TRUE(p.metadata[0].required);
  EXPECT_FALSE(c->issue.direct_enabled);
  EXPECT_EQ(c->issue.required_scope, "jwtauth.issue");
  EXPECT_EQ(c->issue.exchange_max_ttl, absl::Minutes(30));
  EXPECT_TRUE(c->issue.exchange_enabled);
  EXPECT_EQ(c->issue.exchange_allowed_providers,
            std::vector<std::string>{"default"});
  EXPECT_EQ(c->issue.exchange_allowed_audiences,
            std::vector<std::string>{"api://orders"});
  EXPECT_FALSE(c->issue.exchange_require_caller);
  EXPECT_EQ(c->limits.max_token_bytes, 8192);
  EXPECT_FALSE(c->ext_authz.present());
}

TEST(ConfigTest, JsonIsAccepted) {
  auto c = Parse(
      R"({"providers": [{"name": "p", "issuers": ["https://i"], "audiences": ["a"],
     "keys": [{"kid": "k", "alg": "HS256", "secret": "0123456789abcdef0123456789abcdef"}]}],
     "log": {"level": "debug"}})");
  ASSERT_THAT(c, IsOk()) << c.status();
  EXPECT_EQ(c->log.level, "debug");
  EXPECT_EQ(c->providers[0].keys[0].secret.reveal(),
            "0123456789abcdef0123456789abcdef");
}

TEST(ConfigTest, RelativeFilesResolveAgainstConfigDir) {
  auto c = Parse(kMinimal);
  ASSERT_THAT(c, IsOk()) << c.status();
  EXPECT_EQ(c->providers[0].keys[0].value, "/etc/jwtauth/hs256.txt");
  EXPECT_THAT(c->WatchedFiles(),
              ::testing::ElementsAre("/etc/jwtauth/config.yaml",
                                     "/etc/jwtauth/hs256.txt"));
}

TEST(ConfigTest, UnknownKeyIsRejectedWithFileLineColumnAndPath) {
  std::string e = ErrorOf(R"(providers:
  - name: default
    issuers: [https://i]
    audiences: [a]
    audience: [x]
)");
  EXPECT_THAT(
      e,
      HasSubstr(
          "/etc/jwtauth/config.yaml:5:5: providers[0].audience: unknown key"));
}

TEST(ConfigTest, UnknownTopLevelKeyIsRejected) {
  EXPECT_THAT(ErrorOf("serverr: {}\n"),
              HasSubstr("config.yaml:1:1: serverr: unknown key"));
}

TEST(ConfigTest, BadDurationNamesFieldAndReason) {
  std::string e = ErrorOf(std::string(kMinimal) + "    clock_skew: 60\n");
  EXPECT_THAT(e, HasSubstr("providers[0].clock_skew: invalid duration"));
  EXPECT_THAT(e, HasSubstr(":8:17:"));
}

TEST(ConfigTest, EnvInterpolation) {
  auto c = Parse(R"(
providers:
  - name: default
    issuers: ["https://${HOST}/x", "lit-$${NOT}"]
    audiences: [a]
    keys: [{kid: k1, alg: HS256, secret_env: HS_SECRET}]
)",
                 {{"HOST", "auth.example.com"}});
  ASSERT_THAT(c, IsOk()) << c.status();
  EXPECT_EQ(c->providers[0].issuers[0], "https://auth.example.com/x");
  EXPECT_EQ(c->providers[0].issuers[1], "lit-${NOT}");
  EXPECT_EQ(c->providers[0].keys[0].kind, KeySourceKind::kSecretEnv);
  EXPECT_EQ(c->providers[0].keys[0].value, "HS_SECRET");
}

TEST(ConfigTest, MissingEnvVarIsAnErrorNamingIt) {
  std::string e = ErrorOf(R"(
providers:
  - name: default
    issuers: ["https://${AUTH_HOST}"]
    keys: [{kid: k1, alg: HS256, secret: x}]
)");
  EXPECT_THAT(e, HasSubstr("providers[0].issuers[0]: environment variable "
                           "AUTH_HOST is not set"));
  EXPECT_THAT(e, HasSubstr(":4:15:"));
}

TEST(ConfigTest, InlineSecretNeverAppearsInErrors) {
  const std::string secret = "super-secret-value-0123456789abcdef";
  std::string e = ErrorOf(
      "providers:\n  - name: p\n    issuers: [i]\n    audiences: [a]\n    "
      "keys: [{kid: k, alg: "
      "RS256, secret: " +
      secret + "}]\n");
  EXPECT_THAT(e, HasSubstr("alg"));
  EXPECT_THAT(e, Not(HasSubstr(secret)));
}

TEST(ConfigTest, KeyEntryNeedsExactlyOneSource) {
  EXPECT_THAT(ErrorOf("providers:\n  - name: p\n    issuers: [i]\n    "
                      "audiences: [a]\n    keys: "
                      "[{kid: k, alg: HS256}]\n"),
              HasSubstr("providers[0].keys[0]: no key material"));
  EXPECT_THAT(ErrorOf("providers:\n  - name: p\n    issuers: [i]\n    "
                      "audiences: [a]\n    keys: "
                      "[{kid: k, alg: HS256, secret: a, secret_file: b}]\n"),
              HasSubstr("more than one key material source"));
}

TEST(ConfigTest, HmacSecretCannotClaimAnRsaAlgorithm) {
  EXPECT_THAT(ErrorOf("providers:\n  - name: p\n    issuers: [i]\n    "
                      "audiences: [a]\n    keys: "
                      "[{kid: k, alg: RS256, secret_file: s}]\n"),
              HasSubstr("keys[0].alg: an HMAC secret can only serve HS"));
  EXPECT_THAT(ErrorOf("providers:\n  - name: p\n    issuers: [i]\n    "
                      "audiences: [a]\n    keys: "
                      "[{kid: k, alg: none, public_key_file: s}]\n"),
              HasSubstr("keys[0].alg: unsupported algorithm"));
}

TEST(ConfigTest, SigningKeyLifecycle) {
  auto c = Parse(std::string(kMinimal) + R"(
signing:
  issuer: https://auth.example.com
  keys:
    - {kid: new, alg: ES256, private_key_file: new.pem, state: next}
    - {kid: cur, alg: ES256, private_key_file: cur.pem, state: active}
    - {kid: old, alg: RS256, private_key_file: old.pem, state: retiring}
)");
  ASSERT_THAT(c, IsOk()) << c.status();
  ASSERT_EQ(c->signing.keys.size(), 3u);
  EXPECT_EQ(c->signing.keys[0].state, KeyState::kNext);
  EXPECT_EQ(c->signing.keys[1].state, KeyState::kActive);
  EXPECT_EQ(c->signing.keys[2].state, KeyState::kRetiring);
  EXPECT_EQ(c->signing.keys[2].value, "/etc/jwtauth/old.pem");

  EXPECT_THAT(
      ErrorOf(std::string(kMinimal) + R"(
signing:
  issuer: https://a
  keys:
    - {kid: a, alg: ES256, private_key_file: a.pem, state: active}
    - {kid: b, alg: ES256, private_key_file: b.pem, state: active}
)"),
      HasSubstr(
          "signing.keys: exactly one key must have state: active (found 2)"));
  EXPECT_THAT(
      ErrorOf(std::string(kMinimal) + R"(
signing:
  issuer: https://a
  keys: [{kid: a, alg: ES256, private_key_file: a.pem, state: soon}]
)"),
      HasSubstr("signing.keys[0].state: expected next, active or retiring"));
}

TEST(ConfigTest, SigningNeedsIssuerAndSaneTtls) {
  EXPECT_THAT(
      ErrorOf(std::string(kMinimal) +
              "signing: {alg: ES256, kid: a, private_key_file: a.pem}\n"),
      HasSubstr("signing.issuer: required"));
  EXPECT_THAT(ErrorOf(std::string(kMinimal) +
                      "signing: {alg: ES256, kid: a, private_key_file: a.pem, "
                      "issuer: i, default_ttl: 2h, max_ttl: 1h}\n"),
              HasSubstr("signing.default_ttl: must not exceed max_ttl"));
}

// Lifetime limits are refused even when no key signs yet, so adding a key
// later cannot turn an accepted file into a rejected one.
TEST(ConfigTest, TtlLimitsAreCheckedWithoutASigningKey) {
  EXPECT_THAT(ErrorOf(std::string(kMinimal) +
                      "signing: {default_ttl: 2h, max_ttl: 1h}\n"),
              HasSubstr("signing.default_ttl: must not exceed max_ttl"));
  EXPECT_THAT(
      ErrorOf(std::string(kMinimal) + "issue: {exchange: {max_ttl: 0s}}\n"),
      HasSubstr("issue.exchange.max_ttl: must be at least 1s"));
}

TEST(ConfigTest, PlainHttpJwksOnlyForLoopbackOrExplicitOptIn) {
  auto with_url = [](absl::string_view url_entry) {
    return absl::StrCat(
        "providers:\n  - name: p\n    issuers: [i]\n    audiences: [a]\n    "
        "jwks_urls:\n      - ",
        url_entry, "\n");
  };
  EXPECT_THAT(
      ErrorOf(with_url("http://idp.example.com/jwks")),
      HasSubstr("providers[0].jwks_urls[0].url: plain http is allowed only"));
  EXPECT_EQ(ErrorOf(with_url("http://127.0.0.1:8080/jwks")), "OK");
  EXPECT_EQ(ErrorOf(with_url("{url: http://idp/jwks, allow_insecure: true}")),
            "OK");
  EXPECT_THAT(ErrorOf(with_url("{url: https://idp/jwks, refresh: {min: 1h, "
                               "default: 10m}}")),
              HasSubstr("refresh: expected min <= default <= max"));
}

TEST(ConfigTest, WrongTypesAreRejected) {
  EXPECT_THAT(ErrorOf("providers: {name: p}\n"),
              HasSubstr("providers: expected a list of providers"));
  EXPECT_THAT(ErrorOf(std::string(kMinimal) + "    require_exp: yes-please\n"),
              HasSubstr("providers[0].require_exp: expected true or false"));
  EXPECT_THAT(
      ErrorOf(std::string(kMinimal) + "limits: {max_token_bytes: 10}\n"),
      HasSubstr("limits.max_token_bytes: must be between 256"));
  EXPECT_THAT(ErrorOf(std::string(kMinimal) + "log: {level: loud}\n"),
              HasSubstr("log.level: expected debug, info, warn or error"));
}

TEST(ConfigTest, SyntaxErrorHasLocation) {
  std::string e = ErrorOf("providers:\n  - name: [unclosed\n");
  EXPECT_THAT(e, HasSubstr("/etc/jwtauth/config.yaml:"));
  EXPECT_THAT(e, HasSubstr("(syntax)"));
}

TEST(ConfigTest, DuplicateProviderNames) {
  EXPECT_THAT(ErrorOf("providers:\n  - {name: p, issuers: [a], audiences: "
                      "[a]}\n  - {name: p, "
                      "issuers: [b], audiences: [a]}\n"),
              HasSubstr("providers[1].name: duplicate provider name"));
}

// Token exchange is a policy — off by default, and when enabled the
// allow-lists are required and must name existing providers.
TEST(ConfigTest, ExchangeIsOffByDefaultAndNeedsAllowLists) {
  auto c = Parse(kMinimal);
  ASSERT_THAT(c, IsOk()) << c.status();
  EXPECT_FALSE(c->issue.exchange_enabled);
  const std::string signing =
      "signing: {ephemeral: true, issuer: https://auth.example.com}\n";
  EXPECT_THAT(ErrorOf(std::string(kMinimal) + signing +
                      "issue: {exchange: {enabled: true}}\n"),
              HasSubstr("config.yaml:9:19: issue.exchange.allowed_providers: "
                        "required when exchange is enabled"));
  EXPECT_THAT(ErrorOf(std::string(kMinimal) + signing +
                      "issue: {exchange: {enabled: true, allowed_providers: "
                      "[default]}}\n"),
              HasSubstr("issue.exchange.allowed_audiences: required"));
  EXPECT_THAT(
      ErrorOf(std::string(kMinimal) + signing + R"(issue:
  exchange:
    enabled: true
    allowed_providers: [default, partner]
    allowed_audiences: [api://orders]
)"),
      HasSubstr("config.yaml:12:34: issue.exchange.allowed_providers[1]: "
                "unknown provider \"partner\""));
  // Enabled without a signing key: nothing could sign the new token.
  EXPECT_THAT(ErrorOf(std::string(kMinimal) +
                      "issue: {exchange: {enabled: true, allowed_providers: "
                      "[default], allowed_audiences: [api://orders]}}\n"),
              HasSubstr("issue.exchange.enabled: needs a signing key"));
  // Caller authentication fields.
  c = Parse(std::string(kMinimal) + signing + R"(issue:
  exchange:
    enabled: true
    allowed_providers: [default]
    allowed_audiences: [api://orders, api://billing]
    require_caller: true
    allowed_identities: [spiffe://gw]
    required_scope: gw.exchange
)");
  ASSERT_THAT(c, IsOk()) << c.status();
  EXPECT_TRUE(c->issue.exchange_require_caller);
  EXPECT_EQ(c->issue.exchange_allowed_identities,
            std::vector<std::string>{"spiffe://gw"});
  EXPECT_EQ(c->issue.exchange_required_scope, "gw.exchange");
  EXPECT_EQ(c->issue.exchange_allowed_audiences.size(), 2u);
  EXPECT_THAT(
      ErrorOf(std::string(kMinimal) + signing + R"(issue:
  exchange: {enabled: true, allowed_providers: [default],
             allowed_audiences: [a], require_caller: true, required_scope: ""}
)"),
      HasSubstr("issue.exchange.require_caller: needs allowed_identities, "
                "or caller_providers and required_scope"));
}

TEST(ConfigTest, ProvidersAreRequired) {
  EXPECT_THAT(ErrorOf("log: {level: info}\n"),
              HasSubstr("providers: at least one provider is required"));
  EXPECT_THAT(ErrorOf(""), HasSubstr("empty configuration"));
}

TEST(ConfigTest, AdminVerboseIsOffByDefaultAndMustBeABool) {
  auto c = Parse(kMinimal);
  ASSERT_THAT(c, IsOk()) << c.status();
  EXPECT_FALSE(c->server.admin_verbose);
  c = Parse(std::string("server: {admin_verbose: true}\n") + kMinimal);
  ASSERT_THAT(c, IsOk()) << c.status();
  EXPECT_TRUE(c->server.admin_verbose);
  EXPECT_THAT(
      ErrorOf(std::string("server: {admin_verbose: maybe}\n") + kMinimal),
      HasSubstr("server.admin_verbose"));
}

TEST(ConfigTest, ThreadingDefaultsToAsyncAndIsChecked) {
  auto c = Parse(kMinimal);
  ASSERT_THAT(c, IsOk()) << c.status();
  EXPECT_EQ(c->server.threading, ServerThreading::kAsync);
  EXPECT_EQ(c->server.async_queues, 0);
  c = Parse(std::string("server: {threading: callback, async_queues: 3, "
                        "async_threads_per_queue: 4}\n") +
            kMinimal);
  ASSERT_THAT(c, IsOk()) << c.status();
  EXPECT_EQ(c->server.threading, ServerThreading::kCallback);
  EXPECT_EQ(c->server.async_queues, 3);
  EXPECT_EQ(c->server.async_threads_per_queue, 4);
  const std::string bogus =
      ErrorOf(std::string("server: {threading: bogus}\n") + kMinimal);
  EXPECT_THAT(bogus, HasSubstr("config.yaml:1:"));
  EXPECT_THAT(bogus, HasSubstr("server.threading"));
  EXPECT_THAT(bogus, HasSubstr("expected async or callback"));
  EXPECT_THAT(ErrorOf(std::string("server: {async_queues: 65}\n") + kMinimal),
              HasSubstr("server.async_queues"));
  EXPECT_THAT(
      ErrorOf(std::string("server: {async_threads_per_queue: 0}\n") + kMinimal),
      HasSubstr("server.async_threads_per_queue"));
}

TEST(ConfigTest, EnvOverrides) {
  auto c = Parse(kMinimal, {{"JWTAUTH_SERVER_LISTEN", "0.0.0.0:6000"},
                            {"JWTAUTH_SERVER_ADMIN_LISTEN", ""},
                            {"JWTAUTH_LOG_LEVEL", "debug"}});
  ASSERT_THAT(c, IsOk()) << c.status();
  EXPECT_EQ(c->server.listen, "0.0.0.0:6000");
  EXPECT_EQ(c->server.admin_listen, "");
  EXPECT_EQ(c->log.level, "debug");
  EXPECT_THAT(ErrorOf(kMinimal, {{"JWTAUTH_LOG_LEVEL", "chatty"}}),
              HasSubstr("env JWTAUTH_LOG_LEVEL: expected"));
}

TEST(ConfigTest, ExtAuthzIsKeptRawWithLocations) {
  auto c = Parse(std::string(kMinimal) +
                 "ext_authz:\n  rules:\n    - {path_prefix: /x}\n");
  ASSERT_THAT(c, IsOk()) << c.status();
  ASSERT_TRUE(c->ext_authz.IsMap());
  EXPECT_EQ(c->ext_authz.yaml()["rules"][0]["path_prefix"].Scalar(), "/x");
  EXPECT_EQ(c->ext_authz["rules"].location().line, 10);
  EXPECT_EQ(c->ext_authz["rules"].path(), "ext_authz.rules");
}

TEST(ConfigTest, TlsRequiresCertAndKeyAndCaForClientCerts) {
  EXPECT_THAT(
      ErrorOf(std::string(kMinimal) + "server: {tls: {cert_file: c.pem}}\n"),
      HasSubstr("server.tls: cert_file and key_file are both required"));
  EXPECT_THAT(
      ErrorOf(std::string(kMinimal) +
              "server: {tls: {cert_file: c, key_file: k, "
              "require_client_cert: true}}\n"),
      HasSubstr("server.tls.require_client_cert: needs client_ca_file"));
}

TEST(ConfigTest, LoadFromFileReportsUnreadableFile) {
  auto c = LoadServerConfigFile("/nonexistent/jwtauth.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(),
              HasSubstr("/nonexistent/jwtauth.yaml: cannot read"));
}

TEST(ConfigTest, LoadFromFileResolvesAgainstItsDirectory) {
  testutil::TempDir tmp("config_test");
  const std::filesystem::path dir = tmp.path();
  auto c = LoadServerConfigFile(tmp.Write("c.yaml", kMinimal));
  ASSERT_THAT(c, IsOk()) << c.status();
  EXPECT_EQ(c->providers[0].keys[0].value, (dir / "hs256.txt").string());
  EXPECT_EQ(c->source_file, (dir / "c.yaml").string());
}

TEST(ConfigTest, LoopbackListenAddress) {
  EXPECT_TRUE(IsLoopbackListenAddress("127.0.0.1:50051"));
  EXPECT_TRUE(IsLoopbackListenAddress("[::1]:1"));
  EXPECT_TRUE(IsLoopbackListenAddress("localhost:1"));
  EXPECT_FALSE(IsLoopbackListenAddress("0.0.0.0:50051"));
  EXPECT_FALSE(IsLoopbackListenAddress("[::]:50051"));
  EXPECT_TRUE(IsLoopbackListenAddress("127.1.2.3:1"));
  EXPECT_FALSE(IsLoopbackListenAddress("127.example.com:50051"));
  EXPECT_FALSE(IsLoopbackListenAddress("127.0.0.1.nip.io:50051"));
}

// Keys bound to issuers: `issuer:` binds a key source to one of its provider's
// issuers; anything else is a config error with file/line/field.
TEST(ConfigTest, KeySourcesTakeAnIssuerOfTheirProvider) {
  auto c = Parse(R"(
providers:
  - name: p
    keys:
      - {kid: a, alg: HS256, secret_file: a.txt, issuer: https://a}
      - {kid: u, alg: HS256, secret_file: u.txt}
    jwks_urls:
      - {url: "https://b/jwks", issuer: https://b}
      - https://u/jwks
    issuers: [https://a, https://b]
    audiences: [api]
)");
  ASSERT_THAT(c, IsOk()) << c.status();
  const ProviderConfig& p = c->providers[0];
  EXPECT_EQ(p.keys[0].issuer, "https://a");
  EXPECT_EQ(p.keys[1].issuer, "");
  EXPECT_EQ(p.jwks_urls[0].issuer, "https://b");
  EXPECT_EQ(p.jwks_urls[1].issuer, "");

  EXPECT_EQ(ErrorOf(R"(
providers:
  - name: p
    issuers: [https://a]
    audiences: [api]
    keys:
      - {kid: a, alg: HS256, secret_file: a.txt, issuer: https://evil}
)"),
            "/etc/jwtauth/config.yaml:7:58: providers[0].keys[0].issuer: "
            "must be one of the provider's issuers");
  EXPECT_EQ(ErrorOf(R"(
providers:
  - name: p
    issuers: [https://a]
    audiences: [api]
    jwks_urls:
      - url: "https://b/jwks"
        issuer: https://b
)"),
            "/etc/jwtauth/config.yaml:8:17: providers[0].jwks_urls[0].issuer: "
            "must be one of the provider's issuers");
  EXPECT_THAT(ErrorOf(R"(
providers:
  - name: p
    issuers: [https://a]
    audiences: [api]
    keys: [{kid: a, alg: HS256, secret_file: a.txt, issuer: ""}]
)"),
              HasSubstr("providers[0].keys[0].issuer: must not be empty"));
  // Signing keys are bound to signing.issuer; they take no issuer of their own.
  EXPECT_THAT(ErrorOf(std::string(kMinimal) +
                      "signing:\n  issuer: https://auth.example.com\n"
                      "  keys: [{kid: s, alg: ES256, private_key_file: s.pem, "
                      "issuer: https://auth.example.com}]\n"),
              HasSubstr("signing.keys[0].issuer: unknown key"));
}

}  // namespace
}  // namespace jwtauth::server

namespace jwtauth::server {
namespace {

constexpr char kMinimalTyp[] = R"(
providers:
  - name: default
    issuers: [https://auth.example.com]
    audiences: [api://orders]
    keys:
      - {kid: k1, alg: HS256, secret_file: hs256.txt}
)";

TEST(ConfigTypTest, AllowedTypDefaultsAndParses) {
  auto d = ParseServerConfig(kMinimalTyp, "/etc/jwtauth/config.yaml",
                             "/etc/jwtauth");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->providers[0].allowed_typ,
            (std::vector<std::string>{"JWT", "at+jwt"}));
  EXPECT_FALSE(d->providers[0].require_typ);
  auto c =
      ParseServerConfig(std::string(kMinimalTyp) +
                            "    allowed_typ: [application/secevent+jwt]\n    "
                            "require_typ: true\n",
                        "/etc/jwtauth/config.yaml", "/etc/jwtauth");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->providers[0].allowed_typ,
            (std::vector<std::string>{"application/secevent+jwt"}));
  EXPECT_TRUE(c->providers[0].require_typ);
  auto bad = ParseServerConfig(
      std::string(kMinimalTyp) + "    allowed_typ: [JWT, \"\"]\n",
      "/etc/jwtauth/config.yaml", "/etc/jwtauth");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(
      std::string(bad.status().message()),
      ::testing::HasSubstr("config.yaml:8:24: providers[0].allowed_typ[1]"));
}

}  // namespace
}  // namespace jwtauth::server
