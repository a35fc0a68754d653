#include "server/status_mapping.h"

#include <set>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"

namespace jwtauth::server {
namespace {

TEST(StatusMappingTest,
     EveryCoreReasonMapsToTheProtoValueWithTheSameNameAndNumber) {
  for (int i = 0; i <= kMaxFailureReason; ++i) {
    const auto core = static_cast<FailureReason>(i);
    const v1::FailureReason proto = ToProtoReason(core);
    EXPECT_EQ(static_cast<int>(proto), i);
    if (core == FailureReason::kUnspecified) {
      EXPECT_EQ(v1::FailureReason_Name(proto), "FAILURE_REASON_UNSPECIFIED");
    } else {
      EXPECT_EQ(v1::FailureReason_Name(proto), FailureReasonName(core));
    }
    EXPECT_EQ(FromProtoReason(proto), core);
  }
}

TEST(StatusMappingTest, EveryProtoReasonHasACoreCounterpart) {
  const google::protobuf::EnumDescriptor* d = v1::FailureReason_descriptor();
  ASSERT_EQ(d->value_count(), kMaxFailureReason + 1)
      << "proto and core/failure.h disagree on the number of reasons";
  std::set<int> seen;
  for (int i = 0; i < d->value_count(); ++i) {
    const auto proto = static_cast<v1::FailureReason>(d->value(i)->number());
    const FailureReason core = FromProtoReason(proto);
    EXPECT_EQ(ToProtoReason(core), proto) << d->value(i)->name();
    seen.insert(static_cast<int>(core));
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(d->value_count()));
}

TEST(StatusMappingTest, OutOfRangeProtoReasonIsUnspecified) {
  EXPECT_EQ(FromProtoReason(static_cast<v1::FailureReason>(999)),
            FailureReason::kUnspecified);
}

TEST(StatusMappingTest, KeyStatesRoundTrip) {
  for (KeyState s : {KeyState::kNext, KeyState::kActive, KeyState::kRetiring}) {
    const v1::KeyState p = ToProtoKeyState(s);
    EXPECT_NE(p, v1::KEY_STATE_UNSPECIFIED);
    EXPECT_EQ(FromProtoKeyState(p), s);
  }
  const google::protobuf::EnumDescriptor* d = v1::KeyState_descriptor();
  for (int i = 0; i < d->value_count(); ++i) {
    const auto p = static_cast<v1::KeyState>(d->value(i)->number());
    if (p == v1::KEY_STATE_UNSPECIFIED) {
      EXPECT_EQ(FromProtoKeyState(p), std::nullopt);
    } else {
      ASSERT_TRUE(FromProtoKeyState(p).has_value()) << d->value(i)->name();
      EXPECT_EQ(ToProtoKeyState(*FromProtoKeyState(p)), p);
    }
  }
}

TEST(StatusMappingTest, EveryCanonicalCodeRoundTripsWithMessage) {
  for (int i = 0; i <= 16; ++i) {
    const auto code = static_cast<absl::StatusCode>(i);
    const absl::Status s(code, i == 0 ? "" : "msg " + std::to_string(i));
    const grpc::Status g = ToGrpcStatus(s);
    EXPECT_EQ(static_cast<int>(g.error_code()), i);
    EXPECT_EQ(g.error_message(), std::string(s.message()));
    EXPECT_EQ(FromGrpcCode(ToGrpcCode(code)), code);
    EXPECT_EQ(GrpcCodeName(g.error_code()), absl::StatusCodeToString(code));
  }
}

TEST(StatusMappingTest, CodeNamesAreDistinctAndCanonical) {
  std::set<std::string> names;
  for (int i = 0; i <= 16; ++i) {
    names.insert(std::string(GrpcCodeName(static_cast<grpc::StatusCode>(i))));
  }
  EXPECT_EQ(names.size(), 17u);
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::PERMISSION_DENIED),
            "PERMISSION_DENIED");
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::OK), "OK");
}

TEST(StatusMappingTest, UnknownCodesBecomeUnknown) {
  EXPECT_EQ(ToGrpcCode(static_cast<absl::StatusCode>(42)),
            grpc::StatusCode::UNKNOWN);
  EXPECT_EQ(FromGrpcCode(static_cast<grpc::StatusCode>(42)),
            absl::StatusCode::kUnknown);
  EXPECT_EQ(GrpcCodeName(static_cast<grpc::StatusCode>(42)), "UNKNOWN");
}

TEST(StatusMappingTest, ResultLabelIsOkOrTheReasonName) {
  EXPECT_EQ(ResultLabel(FailureReason::kUnspecified), "OK");
  EXPECT_EQ(ResultLabel(FailureReason::kSignatureInvalid), "SIGNATURE_INVALID");
}

}  // namespace
}  // namespace jwtauth::server
