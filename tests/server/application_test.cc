#include "server/application.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "core/crypto/key_material.h"
#include "core/issuer.h"
#include "core/key_set.h"
#include "core/key_store.h"
#include "core/verifier.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "server/dev_defaults.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"
#include "tests/testutil/wait.h"

namespace jwtauth::server {
namespace {

namespace fs = std::filesystem;
using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::kWaitTimeout;
using ::jwtauth::testutil::WaitUntil;
using ::testing::HasSubstr;
using ::testing::Not;

class ApplicationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path();
    logger_ = std::make_unique<Logger>(LogLevel::kDebug,
                                       [this](absl::string_view line) {
                                         absl::MutexLock lock(&mu_);
                                         log_ += std::string(line);
                                       });
  }
  void TearDown() override { app_.reset(); }

  void Write(const std::string& name, const std::string& content) {
    tmp_.Write(name, content);
  }
  std::string NewEcPem() {
    auto km = crypto::KeyMaterial::Generate(Algorithm::kEs256);
    EXPECT_TRUE(km.ok());
    return *km->PrivatePem();
  }
  std::string Config(absl::string_view signing_file, absl::string_view kid,
                     absl::string_view extra = "") {
    return absl::StrCat(R"(
server: {listen: "127.0.0.1:0", admin_listen: "", watch_interval: 2s}
signing:
  alg: ES256
  kid: )",
                        kid, R"(
  private_key_file: )",
                        signing_file, R"(
  issuer: https://issuer.test
providers:
  - name: default
    issuers: [https://issuer.test]
    audiences: [api]
    keys:
      - {kid: hs, alg: HS256, secret_file: hs.txt}
)",
                        extra);
  }
  absl::StatusOr<ServerConfig> Load() {
    return LoadServerConfigFile((dir_ / "config.yaml").string());
  }
  void CreateApp(ServerConfig config) {
    ApplicationOptions o;
    o.logger = logger_.get();
    o.metrics = &metrics_;
    auto app = Application::Create(std::move(config), o);
    ASSERT_TRUE(app.ok()) << app.status();
    app_ = *std::move(app);
  }
  std::string IssueWithCurrent() {
    auto state = app_->state()->Current();
    EXPECT_NE(state->issuer, nullptr);
    IssueRequest req;
    req.subject = "alice";
    req.audiences = {"api"};
    auto t = state->issuer->Issue(req);
    EXPECT_TRUE(t.ok()) << t.status();
    return t->token;
  }
  // True iff provider "default" currently holds a key with `kid`.
  bool HasProviderKey(const std::string& kid) {
    KeySetSnapshot snap = app_->context().key_store->Current();
    const ProviderKeys* keys = snap->provider("default");
    return keys != nullptr && !keys->FindByKid(kid).empty();
  }
  VerifyResult VerifyWithCurrent(const std::string& token) {
    return app_->state()->Current()->verifier->Verify(token);
  }
  std::string Log() {
    absl::MutexLock lock(&mu_);
    return log_;
  }

  testutil::TempDir tmp_{"app_test"};
  fs::path dir_;
  absl::Mutex mu_;
  std::string log_;
  std::unique_ptr<Logger> logger_;
  Metrics metrics_;
  std::unique_ptr<Application> app_;
};

TEST_F(ApplicationTest, BuildsAndIssuedTokensVerify) {
  Write("hs.txt", "0123456789abcdef0123456789abcdef\n");
  Write("signing.pem", NewEcPem());
  Write("config.yaml", Config("signing.pem", "k1"));
  auto config = Load();
  ASSERT_THAT(config, IsOk()) << config.status();
  CreateApp(*config);
  EXPECT_EQ(app_->generation(), 1u);
  EXPECT_TRUE(app_->Ready());
  std::string token = IssueWithCurrent();
  VerifyResult r = VerifyWithCurrent(token);
  ASSERT_TRUE(r.ok()) << r.failure().detail;
  EXPECT_EQ(r->provider(), "default");
  EXPECT_EQ(r->kid(), "k1");
  EXPECT_THAT(Log(), HasSubstr("\"event\":\"config_loaded\""));
}

// /readyz is unauthenticated: public source ids unless server.admin_verbose
// (no information exposure).
TEST_F(ApplicationTest, ReadinessShowsPublicSourceIdsUnlessVerbose) {
  Write("hs.txt", "0123456789abcdef0123456789abcdef");
  Write("signing.pem", NewEcPem());
  Write("config.yaml", Config("signing.pem", "k1"));
  CreateApp(*Load());
  std::string json = app_->Readiness().ToJson();
  EXPECT_THAT(json, Not(HasSubstr("hs.txt")));
  EXPECT_THAT(json, Not(HasSubstr(dir_.string())));
  EXPECT_THAT(json,
              ::testing::ContainsRegex("\"source\":\"file:#[0-9a-f]{8}\""));

  std::string verbose = Config("signing.pem", "k1");
  absl::StrReplaceAll(
      {{"watch_interval: 2s", "watch_interval: 2s, admin_verbose: true"}},
      &verbose);
  Write("config.yaml", verbose);
  ASSERT_THAT(app_->ReloadFromFile(), IsOk());
  json = app_->Readiness().ToJson();
  EXPECT_THAT(json, HasSubstr((dir_ / "hs.txt").string()));
}

// Key usage in /metrics is read from the store's per-key counters at
// render time (cache hits included), not recorded per request.
TEST_F(ApplicationTest, KeyUsageMetricsComeFromTheKeyStore) {
  Write("hs.txt", "0123456789abcdef0123456789abcdef");
  Write("signing.pem", NewEcPem());
  Write("config.yaml", Config("signing.pem", "k1"));
  CreateApp(*Load());
  const std::string token = IssueWithCurrent();
  VerifyResult first = VerifyWithCurrent(token);  // miss
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(VerifyWithCurrent(token).ok());  // hit
  EXPECT_EQ(metrics_.KeyVerifications(first->provider(), first->kid()), 2u);
  EXPECT_THAT(metrics_.RenderPrometheus(),
              HasSubstr(absl::StrCat(
                  "jwtauth_key_verifications_total{provider=\"",
                  first->provider(), "\",kid=\"", first->kid(), "\"} 2\n")));
}

// jwtauth_cache_lookups_total comes from the verifier's VerificationCache
// and survives reloads (the old generation's counts are kept).
TEST_F(ApplicationTest, CacheLookupsAreRenderedAndSurviveReload) {
  Write("hs.txt", "0123456789abcdef0123456789abcdef");
  Write("signing.pem", NewEcPem());
  Write("config.yaml", Config("signing.pem", "k1"));
  CreateApp(*Load());
  auto lookups = [this](absl::string_view result) {
    const std::string text = metrics_.RenderPrometheus();
    const std::string prefix =
        absl::StrCat("\njwtauth_cache_lookups_total{result=\"", result, "\"} ");
    size_t at = text.find(prefix);
    if (at == std::string::npos ||
        text.find(prefix, at + 1) != std::string::npos) {
      ADD_FAILURE() << "expected exactly one " << prefix << " sample";
      return -1L;
    }
    return std::stol(text.substr(at + prefix.size()));
  };
  EXPECT_EQ(lookups("hit"), 0);
  EXPECT_EQ(lookups("miss"), 0);

  const std::string token = IssueWithCurrent();
  ASSERT_TRUE(VerifyWithCurrent(token).ok());  // miss, then cached
  ASSERT_TRUE(VerifyWithCurrent(token).ok());  // hit
  ASSERT_TRUE(VerifyWithCurrent(token).ok());  // hit
  EXPECT_EQ(lookups("hit"), 2);
  EXPECT_EQ(lookups("miss"), 1);
  EXPECT_EQ(metrics_.CacheHits(), 2u);

  // An RPC still holding generation 1 keeps using its cache after a reload;
  // those lookups count, before and after the generation is released.
  std::shared_ptr<const ServingState> old = app_->state()->Current();
  ASSERT_THAT(app_->ReloadFromFile(), IsOk());
  ASSERT_EQ(app_->generation(), 2u);
  ASSERT_TRUE(old->verifier->Verify(token).ok());  // hit in the old cache
  EXPECT_EQ(lookups("hit"), 3);
  ASSERT_TRUE(VerifyWithCurrent(token).ok());  // miss in the new cache
  EXPECT_EQ(lookups("miss"), 2);
  old.reset();  // generation 1's verifier and cache go away
  EXPECT_EQ(lookups("hit"), 3);
  EXPECT_EQ(lookups("miss"), 2);
  ASSERT_TRUE(VerifyWithCurrent(token).ok());  // hit in the new cache
  EXPECT_EQ(lookups("hit"), 4);
}

TEST_F(ApplicationTest, JwksPublishesPublicKeysOnlyNeverSecrets) {
  Write("hs.txt", "0123456789abcdef0123456789abcdef");
  Write("signing.pem", NewEcPem());
  Write("config.yaml", Config("signing.pem", "k1"));
  CreateApp(*Load());
  auto j = nlohmann::json::parse(app_->PublicJwksJson(), nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  ASSERT_EQ(j["keys"].size(), 1u);
  EXPECT_EQ(j["keys"][0]["kid"], "k1");
  EXPECT_EQ(j["keys"][0]["kty"], "EC");
  EXPECT_FALSE(j["keys"][0].contains("d"));
  EXPECT_THAT(app_->PublicJwksJson(), Not(HasSubstr("0123456789abcdef")));
}

// Token exchange policy: the exchange allow-lists reach the issuer that
// enforces them, and a reload with an unknown allowed provider is rejected.
TEST_F(ApplicationTest, ExchangePolicyReachesTheIssuer) {
  Write("hs.txt", "0123456789abcdef0123456789abcdef");
  Write("signing.pem", NewEcPem());
  const std::string policy = R"(issue:
  exchange: {enabled: true, allowed_providers: [default],
             allowed_audiences: [api://orders]}
)";
  Write("config.yaml", Config("signing.pem", "k1", policy));
  auto config = Load();
  ASSERT_THAT(config, IsOk()) << config.status();
  CreateApp(*config);
  auto state = app_->state()->Current();
  EXPECT_TRUE(state->issue_policy.exchange_enabled);
  ASSERT_NE(state->issuer, nullptr);
  EXPECT_EQ(state->issuer->options().exchange.allowed_providers,
            std::vector<std::string>{"default"});
  EXPECT_EQ(state->issuer->options().exchange.allowed_audiences,
            std::vector<std::string>{"api://orders"});
  Write("config.yaml",
        Config("signing.pem", "k1",
               "issue: {exchange: {enabled: true, allowed_providers: [idp], "
               "allowed_audiences: [api://orders]}}\n"));
  EXPECT_THAT(
      app_->ReloadFromFile().message(),
      HasSubstr("issue.exchange.allowed_providers[0]: unknown provider"));
  EXPECT_EQ(app_->state()->Current(), state);  // old generation kept
}

TEST_F(ApplicationTest, InvalidReloadKeepsServingOldGeneration) {
  Write("hs.txt", "0123456789abcdef0123456789abcdef");
  Write("signing.pem", NewEcPem());
  Write("config.yaml", Config("signing.pem", "k1"));
  CreateApp(*Load());
  std::string token = IssueWithCurrent();
  // The startup load counts as a successful reload.
  EXPECT_THAT(metrics_.RenderPrometheus(),
              HasSubstr("\njwtauth_config_last_reload_successful 1\n"));

  // A config that parses but references an unreadable key file.
  Write("config.yaml", Config("missing.pem", "k2"));
  absl::Status s = app_->ReloadFromFile();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("config.yaml:"));
  EXPECT_THAT(s.message(), HasSubstr("signing.private_key_file: cannot read"));
  EXPECT_EQ(app_->generation(), 1u);
  EXPECT_TRUE(VerifyWithCurrent(token).ok());

  // A config with a syntax error.
  Write("config.yaml", "providers: [\n");
  EXPECT_FALSE(app_->ReloadFromFile().ok());
  EXPECT_EQ(app_->generation(), 1u);
  EXPECT_TRUE(VerifyWithCurrent(token).ok());
  EXPECT_THAT(Log(), HasSubstr("\"event\":\"config_rejected\""));
  const std::string text = metrics_.RenderPrometheus();
  EXPECT_THAT(text,
              HasSubstr("jwtauth_config_reloads_total{result=\"rejected\"} 2"));
  EXPECT_THAT(text, HasSubstr("\njwtauth_config_last_reload_successful 0\n"));
  EXPECT_THAT(text, HasSubstr("\njwtauth_config_generation 1\n"));
}

// The whole new generation, verifier included, is built before the KeyStore
// changes: a reload whose last step fails (here the verifier's cross-check
// of provider names, after every key file was read) leaves the old keys and
// the old verifier serving, the store not even republished.
TEST_F(ApplicationTest, ReloadFailingLateLeavesKeysAndVerifierUntouched) {
  Write("hs.txt", "0123456789abcdef0123456789abcdef");
  Write("hs2.txt", "fedcba9876543210fedcba9876543210");
  Write("signing.pem", NewEcPem());
  Write("config.yaml", Config("signing.pem", "k1"));
  CreateApp(*Load());
  const std::string token = IssueWithCurrent();
  const KeySetSnapshot keys_before = app_->context().key_store->Current();
  const std::shared_ptr<const ServingState> state_before =
      app_->state()->Current();

  std::string next = Config("signing.pem", "k1");
  absl::StrReplaceAll({{"{kid: hs, alg: HS256, secret_file: hs.txt}",
                        "{kid: hs2, alg: HS256, secret_file: hs2.txt}"}},
                      &next);
  Write("config.yaml", next);
  auto config = Load();
  ASSERT_THAT(config, IsOk()) << config.status();
  config->providers.push_back(config->providers[0]);  // duplicate name
  absl::Status s = app_->Reload(*std::move(config));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("providers: "));

  EXPECT_EQ(app_->context().key_store->Current(), keys_before);
  EXPECT_EQ(app_->state()->Current(), state_before);
  EXPECT_TRUE(HasProviderKey("hs"));
  EXPECT_FALSE(HasProviderKey("hs2"));
  EXPECT_TRUE(VerifyWithCurrent(token).ok());
}

// A successful reload publishes the new keys and the verifier built for
// them in one step: right after Reload returns, the published verifier
// reads the same store, which holds exactly the new config's sources.
TEST_F(ApplicationTest, ReloadSwapsKeysAndVerifierTogether) {
  Write("hs.txt", "0123456789abcdef0123456789abcdef");
  Write("hs2.txt", "fedcba9876543210fedcba9876543210");
  Write("signing.pem", NewEcPem());
  Write("config.yaml", Config("signing.pem", "k1"));
  CreateApp(*Load());

  std::string next = Config("signing.pem", "k1");
  absl::StrReplaceAll({{"{kid: hs, alg: HS256, secret_file: hs.txt}",
                        "{kid: hs2, alg: HS256, secret_file: hs2.txt}"},
                       {"audiences: [api]", "audiences: [api, api2]"}},
                      &next);
  Write("config.yaml", next);
  ASSERT_THAT(app_->ReloadFromFile(), IsOk());
  auto state = app_->state()->Current();
  EXPECT_EQ(state->generation, 2u);
  EXPECT_EQ(state->verifier->key_store(), app_->context().key_store);
  EXPECT_EQ(state->verifier->FindPolicy("default")->options().audiences,
            (std::vector<std::string>{"api", "api2"}));
  EXPECT_TRUE(HasProviderKey("hs2"));
  EXPECT_FALSE(HasProviderKey("hs"));
}

TEST_F(ApplicationTest, ReloadRotatesSigningKeyAndKeepsRetiringOneValid) {
  Write("hs.txt", "0123456789abcdef0123456789abcdef");
  Write("old.pem", NewEcPem());
  Write("new.pem", NewEcPem());
  Write("config.yaml", Config("old.pem", "old"));
  CreateApp(*Load());
  std::string old_token = IssueWithCurrent();

  Write("config.yaml", R"(
server: {listen: "127.0.0.1:0", admin_listen: ""}
signing:
  issuer: https://issuer.test
  keys:
    - {kid: new, alg: ES256, private_key_file: new.pem, state: active}
    - {kid: old, alg: ES256, private_key_file: old.pem, state: retiring}
providers:
  - name: default
    issuers: [https://issuer.test]
    audiences: [api]
)");
  ASSERT_THAT(app_->ReloadFromFile(), IsOk());
  EXPECT_EQ(app_->generation(), 2u);
  std::string new_token = IssueWithCurrent();
  auto r = VerifyWithCurrent(new_token);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kid(), "new");
  auto old = VerifyWithCurrent(old_token);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->kid(), "old");
}

TEST_F(ApplicationTest, SigningSecretThatIsAPublicKeyIsRefused) {
  // The own HS signing secret goes through the same alg-confusion check as
  // provider secrets: a public key as HMAC secret makes tokens forgeable.
  auto km = crypto::KeyMaterial::Generate(Algorithm::kEs256);
  ASSERT_TRUE(km.ok());
  std::string public_pem = *km->PublicPem();
  public_pem.append(64, 'x');  // long enough for any HS* length floor
  Write("signing-secret.txt", public_pem);
  Write("hs.txt", "0123456789abcdef0123456789abcdef");
  Write("config.yaml", R"(
server: {listen: "127.0.0.1:0", admin_listen: ""}
signing:
  alg: HS256
  kid: own-hs
  secret_file: signing-secret.txt
  issuer: https://issuer.test
providers:
  - name: default
    issuers: [https://issuer.test]
    audiences: [api]
    keys:
      - {kid: hs, alg: HS256, secret_file: hs.txt}
)");
  auto config = Load();
  ASSERT_THAT(config, IsOk());
  ApplicationOptions o;
  o.logger = logger_.get();
  o.metrics = &metrics_;
  auto app = Application::Create(*config, o);
  ASSERT_FALSE(app.ok());
  EXPECT_THAT(app.status().message(), HasSubstr("looks like a PEM or SSH key"));
  EXPECT_THAT(app.status().message(), Not(HasSubstr("BEGIN")));
}

TEST_F(ApplicationTest, UnreadableSecretIsRejectedWithLocation) {
  Write("signing.pem", NewEcPem());
  Write("config.yaml", Config("signing.pem", "k1"));  // hs.txt missing
  auto config = Load();
  ASSERT_THAT(config, IsOk());
  ApplicationOptions o;
  o.logger = logger_.get();
  o.metrics = &metrics_;
  auto app = Application::Create(*config, o);
  ASSERT_FALSE(app.ok());
  EXPECT_THAT(app.status().message(),
              HasSubstr("providers[0].keys[0].secret_file: cannot read"));
  EXPECT_THAT(app.status().message(), HasSubstr(":13:9:"));
}

TEST_F(ApplicationTest, WatcherReloadsOnKubernetesStyleSymlinkSwap) {
  // Kubernetes layout: key.txt -> ..data/key.txt, ..data -> ..2026_v1
  Write("..v1/hs.txt", "0123456789abcdef0123456789abcdef");
  Write("..v2/hs.txt", "fedcba9876543210fedcba9876543210");
  fs::create_directory_symlink("..v1", dir_ / "..data");
  fs::create_symlink("..data/hs.txt", dir_ / "hs.txt");
  Write("signing.pem", NewEcPem());
  Write("config.yaml", Config("signing.pem", "k1"));
  CreateApp(*Load());
  EXPECT_FALSE(app_->CheckFilesOnce());  // nothing changed

  // Atomic swap of ..data, as the kubelet does (rename over the symlink).
  fs::create_directory_symlink("..v2", dir_ / "..data_tmp");
  fs::rename(dir_ / "..data_tmp", dir_ / "..data");
  EXPECT_TRUE(app_->CheckFilesOnce());
  EXPECT_EQ(app_->generation(), 2u);
  EXPECT_FALSE(app_->CheckFilesOnce());
  EXPECT_THAT(Log(), HasSubstr("config_file_changed"));
}

TEST_F(ApplicationTest, WatcherReloadsOnInPlaceEdit) {
  Write("hs.txt", "0123456789abcdef0123456789abcdef");
  Write("signing.pem", NewEcPem());
  Write("config.yaml", Config("signing.pem", "k1"));
  CreateApp(*Load());
  Write("config.yaml", Config("signing.pem", "k1", "log: {level: warn}\n"));
  EXPECT_TRUE(app_->CheckFilesOnce());
  EXPECT_EQ(app_->generation(), 2u);
  EXPECT_EQ(logger_->level(), LogLevel::kWarn);
}

TEST_F(ApplicationTest, ReadinessWaitsForRequiredJwksUrl) {
  // A loopback JWKS server that serves the public half of a fresh key.
  auto km = crypto::KeyMaterial::Generate(Algorithm::kEs256);
  ASSERT_TRUE(km.ok());
  KeyOptions ko;
  ko.kid = "remote";
  ko.alg = Algorithm::kEs256;
  auto key = Key::Create(ko, *km);
  ASSERT_TRUE(key.ok());
  nlohmann::json jwk = *key->ToPublicJwk();
  std::string jwks = nlohmann::json{{"keys", {jwk}}}.dump();
  httplib::Server http;
  std::atomic<bool> serve{false};
  http.Get("/jwks", [&](const httplib::Request&, httplib::Response& res) {
    if (!serve) {
      res.status = 503;
      return;
    }
    res.set_content(jwks, "application/json");
  });
  int port = http.bind_to_any_port("127.0.0.1");
  std::thread t([&] { http.listen_after_bind(); });
  if (!WaitUntil([&] { return http.is_running(); })) {
    http.stop();
    t.join();
    FAIL() << "JWKS HTTP server did not start within " << kWaitTimeout;
  }

  Write("hs.txt", "0123456789abcdef0123456789abcdef");
  Write("signing.pem", NewEcPem());
  Write("config.yaml",
        Config("signing.pem", "k1",
               absl::StrCat("    jwks_urls: [\"http://127.0.0.1:", port,
                            "/jwks\"]\n")));
  auto config = Load();
  ASSERT_THAT(config, IsOk()) << config.status();
  ApplicationOptions o;
  o.logger = logger_.get();
  o.metrics = &metrics_;
  o.start_refresher = false;
  auto app = Application::Create(*config, o);
  ASSERT_THAT(app, IsOk()) << app.status();
  app_ = *std::move(app);

  EXPECT_FALSE(app_->Ready());
  // A configured source has freshness gauges before its first fetch: never
  // succeeded, and no max_stale (keys kept forever).
  const std::string url =
      absl::StrCat("{url=\"http://127.0.0.1:", port, "/jwks\"} ");
  std::string text = metrics_.RenderPrometheus();
  EXPECT_THAT(text,
              HasSubstr(absl::StrCat(
                  "jwtauth_jwks_last_success_timestamp_seconds", url, "0\n")));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("jwtauth_jwks_max_stale_seconds",
                                           url, "+Inf\n")));
  app_->RefreshJwksOnce();  // 503: still not ready
  EXPECT_FALSE(app_->Ready());
  ReadinessReport r = app_->Readiness();
  EXPECT_FALSE(r.ready);
  EXPECT_THAT(r.ToJson(), HasSubstr("jwks:http://127.0.0.1"));

  serve = true;
  app_->RefreshJwksOnce();
  EXPECT_TRUE(app_->Ready());
  EXPECT_TRUE(HasProviderKey("remote"));
  // A provider key is trusted, never published as the service's own.
  EXPECT_THAT(app_->PublicJwksJson(), Not(HasSubstr("\"remote\"")));
  text = metrics_.RenderPrometheus();
  EXPECT_THAT(text,
              HasSubstr("jwtauth_jwks_fetch_total{url=\"http://127.0.0.1:"));
  EXPECT_THAT(text,
              Not(HasSubstr(absl::StrCat(
                  "jwtauth_jwks_last_success_timestamp_seconds", url, "0\n"))));
  EXPECT_THAT(text, HasSubstr(absl::StrCat(
                        "jwtauth_jwks_last_success_age_seconds", url)));
  app_->BeginShutdown();
  EXPECT_FALSE(app_->Ready());
  http.stop();
  t.join();
}

TEST_F(ApplicationTest, ReloadKeepsJwksReadinessWhileIdpIsDown) {
  // A reload (SIGHUP, secret rotation) must not make a pod unready or drop
  // the last good JWKS just because the IdP is down at that moment.
  auto km = crypto::KeyMaterial::Generate(Algorithm::kEs256);
  ASSERT_TRUE(km.ok());
  KeyOptions ko;
  ko.kid = "remote";
  ko.alg = Algorithm::kEs256;
  auto key = Key::Create(ko, *km);
  ASSERT_TRUE(key.ok());
  std::string jwks = nlohmann::json{{"keys", {*key->ToPublicJwk()}}}.dump();
  httplib::Server http;
  std::atomic<bool> serve{true};
  http.Get("/jwks", [&](const httplib::Request&, httplib::Response& res) {
    if (!serve) {
      res.status = 503;
      return;
    }
    res.set_content(jwks, "application/json");
  });
  int port = http.bind_to_any_port("127.0.0.1");
  std::thread t([&] { http.listen_after_bind(); });
  if (!WaitUntil([&] { return http.is_running(); })) {
    http.stop();
    t.join();
    FAIL() << "JWKS HTTP server did not start within " << kWaitTimeout;
  }

  Write("hs.txt", "0123456789abcdef0123456789abcdef");
  Write("signing.pem", NewEcPem());
  Write("config.yaml",
        Config("signing.pem", "k1",
               absl::StrCat("    jwks_urls: [\"http://127.0.0.1:", port,
                            "/jwks\"]\n")));
  auto config = Load();
  ASSERT_THAT(config, IsOk()) << config.status();
  ApplicationOptions o;
  o.logger = logger_.get();
  o.metrics = &metrics_;
  o.start_refresher = false;
  auto app = Application::Create(*config, o);
  ASSERT_THAT(app, IsOk()) << app.status();
  app_ = *std::move(app);
  app_->RefreshJwksOnce();
  ASSERT_TRUE(app_->Ready());

  serve = false;
  Write("hs.txt", "fedcba9876543210fedcba9876543210");  // a secret rotation
  ASSERT_THAT(app_->ReloadFromFile(), IsOk());
  EXPECT_TRUE(app_->Ready()) << app_->Readiness().ToJson();
  app_->RefreshJwksOnce();  // 503: the last good set is kept
  EXPECT_TRUE(app_->Ready()) << app_->Readiness().ToJson();
  EXPECT_TRUE(HasProviderKey("remote"));
  // A provider key is trusted, never published as the service's own.
  EXPECT_THAT(app_->PublicJwksJson(), Not(HasSubstr("\"remote\"")));
  http.stop();
  t.join();
}

TEST_F(ApplicationTest, DevDefaultIssuesAndVerifiesWithEphemeralKey) {
  auto config = DevDefaultConfig(ConfigLoadOptions{
      .getenv = [](absl::string_view) -> std::optional<std::string> {
        return std::nullopt;
      }});
  ASSERT_THAT(config, IsOk()) << config.status();
  EXPECT_TRUE(config->dev_mode);
  EXPECT_EQ(config->server.listen, "127.0.0.1:50051");
  EXPECT_TRUE(config->issue.direct_loopback_callers);  // dev_defaults_test
  EXPECT_FALSE(config->issue.exchange_enabled);        // exchange is opt-in
  CreateApp(*config);
  auto state = app_->state()->Current();
  IssueRequest req;
  req.subject = "dev-user";
  req.audiences = {kDevAudience};
  auto t = state->issuer->Issue(req);
  ASSERT_TRUE(t.ok()) << t.status();
  auto r = state->verifier->Verify(t->token);
  ASSERT_TRUE(r.ok()) << r.failure().detail;
  EXPECT_EQ(r->provider(), "dev");
  EXPECT_EQ(app_->ReloadFromFile().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(DevDefaultsTest, RefusesNonLoopbackOverride) {
  auto config = DevDefaultConfig(ConfigLoadOptions{
      .getenv = [](absl::string_view name) -> std::optional<std::string> {
        if (name == "JWTAUTH_SERVER_LISTEN")
          return std::string("0.0.0.0:50051");
        return std::nullopt;
      }});
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("loopback only"));
}

}  // namespace
}  // namespace jwtauth::server
