#include "server/ext_authz_answer_memo.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/status_matchers.h"

namespace jwtauth::server {
namespace {

using ::jwtauth::testutil::StatusIs;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

// Builds numbered answers ("a1", "a2", ...) and counts the builds.
struct Builder {
  int builds = 0;
  absl::Duration lifetime = absl::InfiniteDuration();  // infinite = fixed
  absl::Time now = kT0;

  absl::StatusOr<CheckAnswer> operator()() {
    ++builds;
    CheckAnswer a;
    a.bytes = absl::StrCat("a", builds);
    a.upstream_token = absl::StrCat("t", builds);
    if (lifetime != absl::InfiniteDuration()) a.refresh_at = now + lifetime;
    return a;
  }
};

std::string Get(AllowedCheckMemo& memo, const void* route, Builder& b,
                const void* source = nullptr) {
  std::shared_ptr<const CheckAnswer> hold;
  absl::StatusOr<const CheckAnswer*> a = memo.Get(
      route, source, b.now, [&] { return b(); }, &hold);
  return a.ok() ? (*a)->bytes : a.status().ToString();
}

TEST(AllowedCheckMemoTest, FixedAnswerIsBuiltOncePerRouteAndSource) {
  AllowedCheckMemo memo;
  Builder b;
  int r1 = 0, r2 = 0, s1 = 0;
  EXPECT_EQ(Get(memo, &r1, b), "a1");
  b.now += absl::Hours(100);
  EXPECT_EQ(Get(memo, &r1, b), "a1");
  EXPECT_EQ(Get(memo, &r2, b), "a2");
  EXPECT_EQ(Get(memo, &r1, b, &s1), "a3");  // another source
  EXPECT_EQ(Get(memo, &r1, b, &s1), "a3");
  EXPECT_EQ(b.builds, 3);
}

TEST(AllowedCheckMemoTest, ExpiringAnswerIsNeverServedAtOrAfterItsRefresh) {
  AllowedCheckMemo memo;
  Builder b;
  b.lifetime = absl::Seconds(45);
  int route = 0;
  EXPECT_EQ(Get(memo, &route, b), "a1");
  b.now = kT0 + absl::Seconds(44);
  EXPECT_EQ(Get(memo, &route, b), "a1");  // one signature for a hot token
  b.now = kT0 + absl::Seconds(45);        // the refresh point itself
  EXPECT_EQ(Get(memo, &route, b), "a2");
  b.now += absl::Seconds(1);
  EXPECT_EQ(Get(memo, &route, b), "a2");
  EXPECT_EQ(b.builds, 2);
}

TEST(AllowedCheckMemoTest, HoldKeepsAReplacedAnswerAlive) {
  AllowedCheckMemo memo;
  Builder b;
  b.lifetime = absl::Seconds(10);
  int route = 0;
  std::shared_ptr<const CheckAnswer> first;
  absl::StatusOr<const CheckAnswer*> a = memo.Get(
      &route, nullptr, b.now, [&] { return b(); }, &first);
  ASSERT_TRUE(a.ok());
  b.now += absl::Seconds(10);
  EXPECT_EQ(Get(memo, &route, b), "a2");
  EXPECT_EQ((*a)->bytes, "a1");  // still readable through `first`
  EXPECT_EQ(first.get(), *a);
}

TEST(AllowedCheckMemoTest, BuildErrorIsReturnedAndNotStored) {
  AllowedCheckMemo memo;
  int route = 0;
  int calls = 0;
  std::shared_ptr<const CheckAnswer> hold;
  auto failing = [&]() -> absl::StatusOr<CheckAnswer> {
    ++calls;
    return absl::InternalError("signing failed");
  };
  EXPECT_THAT(memo.Get(&route, nullptr, kT0, failing, &hold),
              StatusIs(absl::StatusCode::kInternal));
  Builder b;
  EXPECT_EQ(Get(memo, &route, b), "a1");
  EXPECT_EQ(calls, 1);
}

TEST(AllowedCheckMemoTest, MoreKeysThanSlotsBuildEachTime) {
  AllowedCheckMemo memo;
  Builder b;
  int routes[AllowedCheckMemo::kSlots + 1] = {};
  for (int& r : routes) Get(memo, &r, b);
  const int before = b.builds;
  EXPECT_EQ(Get(memo, &routes[AllowedCheckMemo::kSlots], b),
            absl::StrCat("a", before + 1));
  EXPECT_EQ(Get(memo, &routes[0], b), "a1");
}

TEST(AllowedCheckMemoTest, ConcurrentRefreshSignsOnce) {
  AllowedCheckMemo memo;
  int route = 0;
  std::atomic<int> builds{0};
  auto build = [&]() -> absl::StatusOr<CheckAnswer> {
    const int n = ++builds;
    CheckAnswer a;
    a.bytes = absl::StrCat("a", n);
    a.refresh_at = kT0 + absl::Seconds(10) * n;
    return a;
  };
  std::shared_ptr<const CheckAnswer> hold;
  ASSERT_TRUE(memo.Get(&route, nullptr, kT0, build, &hold).ok());
  // Every thread arrives past the first refresh point: one rebuild.
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      std::shared_ptr<const CheckAnswer> h;
      absl::StatusOr<const CheckAnswer*> a =
          memo.Get(&route, nullptr, kT0 + absl::Seconds(15), build, &h);
      EXPECT_TRUE(a.ok() && (*a)->bytes == "a2");
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(builds.load(), 2);
}

}  // namespace
}  // namespace jwtauth::server
