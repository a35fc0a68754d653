#include "core/option_error.h"

#include "gtest/gtest.h"

namespace jwtauth {
namespace {

TEST(OptionErrorTest, CarriesFieldAndReasonBesidesTheMessage) {
  absl::Status s = InvalidOptionError("clock_skew", "must be at most 10m",
                                      "provider \"p\": ");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "provider \"p\": clock_skew: must be at most 10m");
  std::optional<OptionError> e = GetOptionError(s);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->field, "clock_skew");
  EXPECT_EQ(e->reason, "must be at most 10m");
}

TEST(OptionErrorTest, OtherStatusesHaveNoField) {
  EXPECT_FALSE(GetOptionError(absl::OkStatus()).has_value());
  // The same text without the payload is not an option error: the field is
  // never recovered from the message.
  EXPECT_FALSE(
      GetOptionError(absl::InvalidArgumentError("clock_skew: too large"))
          .has_value());
}

}  // namespace
}  // namespace jwtauth
