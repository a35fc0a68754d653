// JwksRefresher: the import and transport rules it applies to every fetched
// set (key strength, no secrets, no SSRF): the configured strength floors, no
// oct keys, redirect_hosts passed to the fetcher, and skip reasons reported.
// Kept apart from jwks_refresher_test.cc (scheduling, rotation, faults) to keep
// both files small; real loopback HTTP server, real curl fetcher,
// RefreshOnce().

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/base64url.h"
#include "core/clock.h"
#include "core/jwk.h"
#include "core/jwks_refresher.h"
#include "core/key_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testutil/jwks_http_server.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/test_keys.h"

namespace jwtauth {
namespace {

using ::jwtauth::testutil::CachedTestKey;
using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::JwksHttpServer;
using ::jwtauth::testutil::StatusIs;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;
using json = nlohmann::json;

constexpr char kProvider[] = "idp";

json PublicJwk(Algorithm alg) {
  auto j = CachedTestKey(alg).key.ToPublicJwk();
  EXPECT_THAT(j, IsOk());
  return j.ok() ? *j : json::object();
}

json Oct(const std::string& kid) {
  return {{"kty", "oct"},
          {"kid", kid},
          {"alg", "HS256"},
          {"k", Base64UrlEncode(std::string(32, 's'))}};
}

std::string Jwks(const std::vector<json>& keys) {
  return json{{"keys", json(keys)}}.dump();
}

class RefresherRulesTest : public testing::Test {
 protected:
  void SetUp() override {
    server_ = JwksHttpServer::Start();
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override { refresher_.reset(); }

  JwksSourceConfig Source(const std::string& path) {
    JwksSourceConfig s;
    s.provider = kProvider;
    s.url = server_->Url(path);
    s.timeout = absl::Seconds(3);
    return s;
  }

  void Make(JwksSourceConfig source) {
    JwksRefresherOptions o;
    o.random = [] { return 0.5; };
    o.on_event = [this](const JwksEvent& e) { events_.push_back(e); };
    auto r = JwksRefresher::Create(std::move(o), {std::move(source)}, &store_,
                                   &fetcher_, &clock_);
    ASSERT_THAT(r, IsOk());
    refresher_ = std::move(*r);
  }

  // Kinds of the keys the store now holds for the provider.
  std::vector<KeyType> StoredKinds() {
    std::vector<KeyType> out;
    for (const KeyEntry* e : store_.Current()->AllEntries()) {
      out.push_back(e->key().kty());
    }
    return out;
  }

  JwksSourceStats Stats() { return refresher_->Stats().at(0); }

  std::unique_ptr<JwksHttpServer> server_;
  RealClock clock_;
  KeyStore store_{&clock_};
  CurlJwksFetcher fetcher_;
  std::vector<JwksEvent> events_;  // RefreshOnce runs on this thread
  std::unique_ptr<JwksRefresher> refresher_;
};

// JWKS key strength: limits.min_rsa_bits reaches fetched keys; the weak key is
// skipped and reported, the rest of the set loads.
TEST_F(RefresherRulesTest, StrengthFloorsApplyToFetchedKeys) {
  server_->SetReply("/jwks", {.body = Jwks({PublicJwk(Algorithm::kRs256),
                                            PublicJwk(Algorithm::kEs256)})});
  JwksSourceConfig s = Source("/jwks");
  s.strength.min_rsa_bits = 3072;  // the cached RSA test key has 2048 bits
  Make(s);
  refresher_->RefreshOnce();
  EXPECT_THAT(StoredKinds(), SizeIs(1));
  EXPECT_THAT(StoredKinds(), Contains(KeyType::kEc));
  ASSERT_THAT(events_, SizeIs(1));
  EXPECT_EQ(events_[0].type, JwksEvent::Type::kLoaded);
  EXPECT_EQ(events_[0].skipped, 1u);
  ASSERT_THAT(events_[0].skipped_reasons, SizeIs(1));
  EXPECT_THAT(events_[0].skipped_reasons[0],
              HasSubstr("RSA modulus too small"));
}

TEST_F(RefresherRulesTest, DefaultFloorsStillLoadA2048BitKey) {
  server_->SetReply("/jwks", {.body = Jwks({PublicJwk(Algorithm::kRs256)})});
  Make(Source("/jwks"));
  refresher_->RefreshOnce();
  EXPECT_THAT(StoredKinds(), Contains(KeyType::kRsa)) << Stats().last_error;
}

// No oct keys from a URL: an oct-only JWKS is a failed fetch (nothing usable)
// that keeps the last good keys; oct entries next to public keys are skipped.
TEST_F(RefresherRulesTest, OctKeysAreNeverLoadedFromAUrl) {
  server_->SetReply("/jwks",
                    {.body = Jwks({Oct("s"), PublicJwk(Algorithm::kEs256)})});
  Make(Source("/jwks"));
  refresher_->RefreshOnce();
  EXPECT_THAT(StoredKinds(), SizeIs(1));
  EXPECT_THAT(StoredKinds(), Not(Contains(KeyType::kOct)));
  ASSERT_THAT(events_, SizeIs(1));
  ASSERT_THAT(events_[0].skipped_reasons, SizeIs(1));
  EXPECT_THAT(events_[0].skipped_reasons[0], HasSubstr("symmetric (oct)"));

  server_->SetReply("/jwks", {.body = Jwks({Oct("s1"), Oct("s2")})});
  refresher_->RefreshOnce();
  ASSERT_THAT(events_, SizeIs(2));
  EXPECT_EQ(events_[1].type, JwksEvent::Type::kFetchFailed);
  EXPECT_THAT(events_[1].status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(events_[1].status.message()),
              HasSubstr("no usable keys (2 skipped)"));
  EXPECT_THAT(Stats().last_error, HasSubstr("no usable keys"));
  // The last good set stays.
  EXPECT_THAT(StoredKinds(), SizeIs(1));
  EXPECT_THAT(StoredKinds(), Contains(KeyType::kEc));
  EXPECT_TRUE(refresher_->IsReady());
}

TEST_F(RefresherRulesTest, OctOnlyFirstFetchLeavesTheSourceNotReady) {
  server_->SetReply("/jwks", {.body = Jwks({Oct("s")})});
  Make(Source("/jwks"));
  refresher_->RefreshOnce();
  EXPECT_THAT(StoredKinds(), SizeIs(0));
  EXPECT_FALSE(refresher_->IsReady());
}

// JWKS redirects (SSRF): the source's redirect_hosts reach the fetcher; without
// them a cross-origin redirect fails and names no target.
TEST_F(RefresherRulesTest, RedirectHostsComeFromTheSource) {
  auto cdn = JwksHttpServer::Start();
  ASSERT_NE(cdn, nullptr);
  cdn->SetReply("/keys", {.body = Jwks({PublicJwk(Algorithm::kEs256)})});
  server_->SetReply(
      "/jwks", {.status = 302, .headers = {{"Location", cdn->Url("/keys")}}});
  Make(Source("/jwks"));
  refresher_->RefreshOnce();
  EXPECT_FALSE(refresher_->IsReady());
  EXPECT_EQ(cdn->TotalRequests(), 0);
  EXPECT_THAT(Stats().last_error,
              HasSubstr("redirect to another host refused"));
  EXPECT_THAT(Stats().last_error, Not(HasSubstr(absl::StrCat(cdn->port()))));

  refresher_.reset();
  events_.clear();
  JwksSourceConfig s = Source("/jwks");
  s.redirect_hosts = {absl::StrCat("127.0.0.1:", cdn->port())};
  Make(s);
  refresher_->RefreshOnce();
  EXPECT_TRUE(refresher_->IsReady()) << Stats().last_error;
  EXPECT_EQ(cdn->RequestCount("/keys"), 1);
}

TEST(JwksSourceRulesTest, ValidationRefusesBadRedirectHostsAndMetadataUrls) {
  JwksSourceConfig s;
  s.provider = kProvider;
  s.url = "https://idp.example.com/jwks";
  EXPECT_THAT(ValidateJwksSourceConfig(s), IsOk());
  s.redirect_hosts = {"cdn.example.com", "keys.example.net:8443"};
  EXPECT_THAT(ValidateJwksSourceConfig(s), IsOk());
  for (const char* bad : {"https://cdn.example.com", "169.254.169.254",
                          "*.example.com", "cdn.example.com/jwks"}) {
    s.redirect_hosts = {bad};
    EXPECT_THAT(ValidateJwksSourceConfig(s),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
  s.redirect_hosts.clear();
  s.url = "http://169.254.169.254/latest/meta-data/";
  s.allow_insecure = true;
  EXPECT_THAT(ValidateJwksSourceConfig(s),
              StatusIs(absl::StatusCode::kInvalidArgument));
  s.url.clear();
  s.discovery_url =
      "https://metadata.google.internal/.well-known/openid-configuration";
  s.issuer = "https://idp.example.com";
  EXPECT_THAT(ValidateJwksSourceConfig(s),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace jwtauth
