#include "server/library_logs.h"

#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "google/protobuf/stubs/logging.h"
#include "grpc/grpc.h"
#include "grpc/support/log.h"
#include "gtest/gtest.h"
#include "jwtauth/v1/auth.pb.h"
#include "nlohmann/json.hpp"

namespace jwtauth::server {
namespace {

using ::testing::HasSubstr;

struct Captured {
  std::vector<nlohmann::json> Events() {
    absl::MutexLock lock(&mu);
    std::vector<nlohmann::json> out;
    for (const std::string& line : lines) {
      out.push_back(nlohmann::json::parse(line, nullptr, false));
    }
    return out;
  }
  absl::Mutex mu;
  std::vector<std::string> lines;
};

// A VerifyRequest whose token (field 1, a proto3 string) is not UTF-8:
// protobuf refuses it and logs why.
std::string VerifyRequestWithBadUtf8() {
  return std::string("\x0a\x02\xc3\x28", 4);
}

TEST(LibraryLogRouteTest, ProtobufAndGrpcMessagesBecomeJsonEvents) {
  Captured c;
  Logger logger(LogLevel::kDebug, [&c](absl::string_view line) {
    absl::MutexLock lock(&c.mu);
    c.lines.emplace_back(line);
  });
  grpc_init();  // gpr_log reads its verbosity from gRPC's initialisation
  {
    const LibraryLogRoute route(&logger);
    v1::VerifyRequest request;
    EXPECT_FALSE(request.ParseFromString(VerifyRequestWithBadUtf8()));
    gpr_log(GPR_ERROR, "test message %d", 42);
  }
  grpc_shutdown();
  std::vector<nlohmann::json> events = c.Events();
  ASSERT_EQ(events.size(), 2u) << (events.empty() ? "" : events[0].dump());
  for (const nlohmann::json& e : events) {
    ASSERT_FALSE(e.is_discarded());
    EXPECT_EQ(e["event"], "library_log");
  }
  EXPECT_EQ(events[0]["library"], "protobuf");
  EXPECT_EQ(events[0]["severity"], "error");
  EXPECT_EQ(events[0]["level"], "debug");  // a client's bad request
  EXPECT_THAT(events[0]["message"].get<std::string>(),
              HasSubstr("invalid UTF-8"));
  EXPECT_EQ(events[1]["library"], "grpc");
  EXPECT_EQ(events[1]["level"], "warn");
  EXPECT_EQ(events[1]["message"], "test message 42");
  EXPECT_THAT(events[1]["file"].get<std::string>(),
              HasSubstr("library_logs_test.cc"));
}

TEST(LibraryLogRouteTest,
     DefaultLevelDropsProtobufRefusalsAndEndingTheRouteStops) {
  Captured c;
  Logger logger(LogLevel::kInfo, [&c](absl::string_view line) {
    absl::MutexLock lock(&c.mu);
    c.lines.emplace_back(line);
  });
  {
    const LibraryLogRoute route(&logger);
    v1::VerifyRequest request;
    EXPECT_FALSE(request.ParseFromString(VerifyRequestWithBadUtf8()));
    EXPECT_TRUE(c.Events().empty());  // debug: below the default level
  }
  // Back to the libraries' own handlers: nothing reaches this Logger.
  google::protobuf::LogSilencer quiet;
  v1::VerifyRequest request;
  EXPECT_FALSE(request.ParseFromString(VerifyRequestWithBadUtf8()));
  EXPECT_TRUE(c.Events().empty());
}

}  // namespace
}  // namespace jwtauth::server
