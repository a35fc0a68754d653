// HandleVerify on a real ServingState (KeyStore, TokenVerifier, generated
// keys, FakeClock), without a transport; plus the bearer-token parsing it
// and the IssueToken caller check share.

#include "server/verify_handler.h"

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "core/key_store.h"
#include "core/verification_cache.h"
#include "core/verifier.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testutil/fake_clock.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/test_keys.h"

namespace jwtauth::server {
namespace {

using ::jwtauth::testutil::FakeClock;
using ::jwtauth::testutil::GenerateTestKey;
using ::jwtauth::testutil::SignJws;
using ::jwtauth::testutil::StatusIs;
using ::jwtauth::testutil::TestKey;

constexpr char kIssuer[] = "https://issuer.test";

class HandleVerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_.SetSourceKeys("default", "inline", {key_.key});
    ProviderOptions p;
    p.name = "default";
    p.issuers = {kIssuer};
    p.audiences = {"api", "other"};
    p.metadata.push_back({"tenant", "tenant", false});
    VerifierConfig config;
    config.providers = {p};
    config.key_store = &store_;
    config.clock = &clock_;
    config.cache = cache_.get();
    auto verifier = TokenVerifier::Create(std::move(config));
    ASSERT_TRUE(verifier.ok()) << verifier.status();
    state_.generation = 1;
    state_.verifier = *std::move(verifier);
  }

  std::string Token(const nlohmann::json& overrides = {}) {
    const int64_t now = absl::ToUnixSeconds(clock_.Now());
    nlohmann::json claims = {{"iss", kIssuer},   {"sub", "alice"},
                             {"aud", "api"},     {"iat", now},
                             {"exp", now + 600}, {"tenant", "acme"}};
    for (const auto& [k, v] : overrides.items()) claims[k] = v;
    return SignJws(key_, claims.dump());
  }

  static v1::VerifyRequest Request(const std::string& token) {
    v1::VerifyRequest r;
    r.set_token(token);
    return r;
  }

  FakeClock clock_;
  KeyStore store_{&clock_};
  TestKey key_ = GenerateTestKey(Algorithm::kEs256, "es-1");
  std::unique_ptr<VerificationCache> cache_ =
      *VerificationCache::Create(VerificationCache::Options{});
  ServingState state_;
};

TEST_F(HandleVerifyTest, ValidTokenFillsEveryResponseField) {
  absl::StatusOr<v1::VerifyResponse> r =
      HandleVerify(&state_, Request("Bearer " + Token()));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->valid());
  EXPECT_EQ(r->reason(), v1::FAILURE_REASON_UNSPECIFIED);
  EXPECT_EQ(r->provider(), "default");
  EXPECT_EQ(r->kid(), "es-1");
  EXPECT_EQ(r->alg(), "ES256");
  EXPECT_EQ(r->claims().fields().at("sub").string_value(), "alice");
  EXPECT_EQ(nlohmann::json::parse(r->claims_json())["sub"], "alice");
  EXPECT_EQ(r->expires_at().seconds(), absl::ToUnixSeconds(clock_.Now()) + 600);
  EXPECT_EQ(r->metadata().at("tenant"), "acme");
}

TEST_F(HandleVerifyTest, TokenProblemsAreAnswersNotErrors) {
  absl::StatusOr<v1::VerifyResponse> r = HandleVerify(
      &state_,
      Request(Token({{"exp", absl::ToUnixSeconds(clock_.Now()) - 3600}})));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->valid());
  EXPECT_EQ(r->reason(), v1::EXPIRED);
  EXPECT_FALSE(r->detail().empty());

  r = HandleVerify(&state_, Request("Bearer "));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->valid());
  EXPECT_EQ(r->reason(), v1::TOKEN_MISSING);
}

TEST_F(HandleVerifyTest, AudienceAndProviderNarrowTheCheck) {
  v1::VerifyRequest req = Request(Token());
  req.set_audience("other");
  absl::StatusOr<v1::VerifyResponse> r = HandleVerify(&state_, req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->reason(), v1::AUDIENCE_MISMATCH);

  req.set_audience("");
  req.set_provider("default");
  r = HandleVerify(&state_, req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->valid());
}

TEST_F(HandleVerifyTest, UnknownProviderIsInvalidArgument) {
  v1::VerifyRequest req = Request(Token());
  req.set_provider("nope");
  EXPECT_THAT(HandleVerify(&state_, req),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(HandleVerifyTest, NoPublishedStateIsUnavailable) {
  EXPECT_THAT(HandleVerify(nullptr, Request(Token())),
              StatusIs(absl::StatusCode::kUnavailable));
  ServingState empty;
  EXPECT_THAT(HandleVerify(&empty, Request(Token())),
              StatusIs(absl::StatusCode::kUnavailable));
}

// The wire form answers exactly like HandleVerify, and a cache hit reuses
// the bytes serialized for the first answer (no per-call conversion).
TEST_F(HandleVerifyTest, SerializedAnswerEqualsProtoAndIsMemoised) {
  const v1::VerifyRequest req = Request(Token());
  absl::StatusOr<SerializedVerifyResponse> first =
      HandleVerifySerialized(&state_, req);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->valid());
  EXPECT_EQ(first->reason(), FailureReason::kUnspecified);
  v1::VerifyResponse parsed;
  ASSERT_TRUE(parsed.ParseFromString(std::string(first->bytes())));
  absl::StatusOr<v1::VerifyResponse> proto = HandleVerify(&state_, req);
  ASSERT_TRUE(proto.ok());
  EXPECT_TRUE(
      google::protobuf::util::MessageDifferencer::Equals(parsed, *proto))
      << parsed.DebugString() << "\nvs\n"
      << proto->DebugString();

  absl::StatusOr<SerializedVerifyResponse> hit =
      HandleVerifySerialized(&state_, req);
  ASSERT_TRUE(hit.ok());
  EXPECT_EQ(hit->bytes().data(), first->bytes().data());  // same memo

  absl::StatusOr<SerializedVerifyResponse> rejected = HandleVerifySerialized(
      &state_,
      Request(Token({{"exp", absl::ToUnixSeconds(clock_.Now()) - 3600}})));
  ASSERT_TRUE(rejected.ok());
  EXPECT_FALSE(rejected->valid());
  EXPECT_EQ(rejected->reason(), FailureReason::kExpired);
  ASSERT_TRUE(parsed.ParseFromString(std::string(rejected->bytes())));
  EXPECT_FALSE(parsed.valid());
  EXPECT_EQ(parsed.reason(), v1::EXPIRED);
  EXPECT_FALSE(parsed.detail().empty());

  EXPECT_THAT(HandleVerifySerialized(nullptr, req),
              StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace jwtauth::server
