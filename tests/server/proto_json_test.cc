#include "server/proto_json.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/status_matchers.h"

namespace jwtauth::server {
namespace {

using ::jwtauth::testutil::StatusIs;

TEST(ProtoJsonTest, ObjectRoundTripsThroughStruct) {
  const nlohmann::json claims = nlohmann::json::parse(R"({
    "sub": "alice", "exp": 1700000000, "ratio": 0.5, "admin": true,
    "none": null, "roles": ["a", "b"], "org": {"id": "o1", "n": [1, 2]}
  })");
  absl::StatusOr<google::protobuf::Struct> s = JsonToStruct(claims);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->fields().at("sub").string_value(), "alice");
  EXPECT_EQ(s->fields().at("exp").number_value(), 1700000000.0);
  EXPECT_TRUE(s->fields().at("admin").bool_value());
  EXPECT_EQ(s->fields().at("none").kind_case(),
            google::protobuf::Value::kNullValue);
  EXPECT_EQ(s->fields().at("roles").list_value().values_size(), 2);
  EXPECT_EQ(StructToJson(*s), claims);  // integers come back as integers
}

TEST(ProtoJsonTest, NonObjectIsRejected) {
  EXPECT_THAT(JsonToStruct(nlohmann::json::array()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(JsonToStruct(nlohmann::json("x")),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ProtoJsonTest, NonFiniteNumberBecomesNull) {
  google::protobuf::Value v;
  v.set_number_value(std::numeric_limits<double>::infinity());
  EXPECT_TRUE(ValueToJson(v).is_null());
  v.set_number_value(1.5);
  EXPECT_EQ(ValueToJson(v), 1.5);
  EXPECT_TRUE(ValueToJson(google::protobuf::Value()).is_null());
}

TEST(ProtoJsonTest, TimestampsAndDurationsRoundTrip) {
  const absl::Time t = absl::FromUnixMillis(1700000000123);
  google::protobuf::Timestamp ts = ToProtoTimestamp(t);
  EXPECT_EQ(ts.seconds(), 1700000000);
  EXPECT_EQ(ts.nanos(), 123000000);
  EXPECT_EQ(FromProtoTimestamp(ts), t);

  const absl::Duration d = absl::Seconds(90) + absl::Milliseconds(5);
  google::protobuf::Duration pd = ToProtoDuration(d);
  EXPECT_EQ(pd.seconds(), 90);
  EXPECT_EQ(pd.nanos(), 5000000);
  EXPECT_EQ(FromProtoDuration(pd), d);
}

}  // namespace
}  // namespace jwtauth::server
