// Readiness over a real KeyStore and ServingStateHolder (static sources;
// JWKS-gated readiness runs against a loopback IdP in application_test).

#include "server/readiness.h"

#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/fake_clock.h"
#include "tests/testutil/test_keys.h"

namespace jwtauth::server {
namespace {

using ::jwtauth::testutil::FakeClock;
using ::jwtauth::testutil::GenerateTestKey;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

class ReadinessTest : public ::testing::Test {
 protected:
  void Publish(uint64_t generation) {
    auto state = std::make_shared<ServingState>();
    state->generation = generation;
    holder_.Publish(std::move(state));
  }

  FakeClock clock_;
  KeyStore store_{&clock_};
  ServingStateHolder holder_;
  Readiness readiness_{&holder_, &store_, &clock_};
};

TEST_F(ReadinessTest, ReadyOncePublishedUntilShutdown) {
  EXPECT_FALSE(readiness_.Ready());
  Publish(1);
  EXPECT_TRUE(readiness_.Ready());  // no JWKS source to wait for
  readiness_.BeginShutdown();
  EXPECT_FALSE(readiness_.Ready());
  ReadinessReport r = readiness_.Report();
  EXPECT_FALSE(r.ready);
  EXPECT_TRUE(r.shutting_down);
  EXPECT_EQ(r.generation, 1u);
}

TEST_F(ReadinessTest, ReportListsProvidersWithPublicSourceIdsUnlessVerbose) {
  Key key = GenerateTestKey(Algorithm::kEs256, "k1").key;
  store_.SetSourceKeys("default", "file:/etc/jwtauth/keys/es.pem", {key});
  Publish(3);
  readiness_.SetGeneration(
      {.providers = {{"default", {"https://issuer.test"}}}, .verbose = false});
  ReadinessReport r = readiness_.Report();
  EXPECT_TRUE(r.ready);
  EXPECT_EQ(r.generation, 3u);
  ASSERT_EQ(r.providers.size(), 1u);
  EXPECT_EQ(r.providers[0].name, "default");
  EXPECT_THAT(r.providers[0].issuers,
              ::testing::ElementsAre("https://issuer.test"));
  ASSERT_EQ(r.providers[0].sources.size(), 1u);
  EXPECT_TRUE(r.providers[0].sources[0].loaded);
  EXPECT_EQ(r.providers[0].sources[0].key_count, 1u);
  EXPECT_THAT(r.ToJson(), Not(HasSubstr("/etc/jwtauth")));
  EXPECT_THAT(r.ToJson(), ContainsRegex("\"source\":\"file:#[0-9a-f]{8}\""));

  readiness_.SetGeneration(
      {.providers = {{"default", {"https://issuer.test"}}}, .verbose = true});
  EXPECT_THAT(readiness_.Report().ToJson(),
              HasSubstr("file:/etc/jwtauth/keys/es.pem"));
}

}  // namespace
}  // namespace jwtauth::server
