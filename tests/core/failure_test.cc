#include "core/failure.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace jwtauth {
namespace {

TEST(FailureReasonTest, EveryReasonHasADistinctProtoName) {
  std::set<std::string> names;
  for (int i = 0; i <= kMaxFailureReason; ++i) {
    std::string name(FailureReasonName(static_cast<FailureReason>(i)));
    EXPECT_FALSE(name.empty()) << i;
    EXPECT_TRUE(names.insert(name).second) << "duplicate name " << name;
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(kMaxFailureReason + 1));
}

TEST(FailureReasonTest, NamesMatchTheProtoSpelling) {
  EXPECT_EQ(FailureReasonName(FailureReason::kSignatureInvalid),
            "SIGNATURE_INVALID");
  EXPECT_EQ(FailureReasonName(FailureReason::kKeysUnavailable),
            "KEYS_UNAVAILABLE");
  EXPECT_EQ(FailureReasonName(FailureReason::kUnspecified),
            "FAILURE_REASON_UNSPECIFIED");
}

TEST(FailureOrTest, HoldsValueOrFailure) {
  FailureOr<int> ok = 7;
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 7);
  EXPECT_EQ(ok.reason(), FailureReason::kUnspecified);
  FailureOr<int> bad = MakeFailure(FailureReason::kExpired, "exp in the past");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.reason(), FailureReason::kExpired);
  EXPECT_EQ(bad.failure().detail, "exp in the past");
}

}  // namespace
}  // namespace jwtauth
