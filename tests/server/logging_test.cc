#include "server/logging.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace jwtauth::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

struct Captured {
  absl::Mutex mu;
  std::vector<std::string> lines;
};

Logger MakeLogger(Captured& c, LogLevel level) {
  return Logger(level, [&c](absl::string_view line) {
    absl::MutexLock lock(&c.mu);
    c.lines.emplace_back(line);
  });
}

TEST(LoggingTest, WritesOneJsonObjectPerLine) {
  Captured c;
  Logger logger(LogLevel::kInfo,
                [&c](absl::string_view line) { c.lines.emplace_back(line); });
  logger.Log(LogLevel::kInfo, "config_loaded",
             {{"file", "/etc/a \"b\".yaml"}, {"providers", "2"}});
  ASSERT_EQ(c.lines.size(), 1u);
  const std::string& line = c.lines[0];
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  auto j = nlohmann::json::parse(line, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << line;
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["event"], "config_loaded");
  EXPECT_EQ(j["file"], "/etc/a \"b\".yaml");
  EXPECT_EQ(j["providers"], "2");
  EXPECT_THAT(j["ts"].get<std::string>(), StartsWith("20"));
}

TEST(LoggingTest, LevelFiltersAndCanChangeAtRuntime) {
  Captured c;
  Logger logger(LogLevel::kWarn,
                [&c](absl::string_view line) { c.lines.emplace_back(line); });
  logger.Log(LogLevel::kInfo, "dropped");
  logger.Log(LogLevel::kError, "kept");
  EXPECT_EQ(c.lines.size(), 1u);
  logger.SetLevel(LogLevel::kDebug);
  EXPECT_TRUE(logger.Enabled(LogLevel::kDebug));
  logger.Log(LogLevel::kDebug, "now_kept");
  ASSERT_EQ(c.lines.size(), 2u);
  EXPECT_THAT(c.lines[1], HasSubstr("\"level\":\"debug\""));
}

TEST(LoggingTest, ControlCharactersAreEscaped) {
  std::string line = Logger::FormatLine(absl::UnixEpoch(), LogLevel::kWarn, "e",
                                        {{"x", "a\nb\x01\tc\\"}});
  EXPECT_EQ(line,
            "{\"ts\":\"1970-01-01T00:00:00.000Z\",\"level\":\"warn\","
            "\"event\":\"e\",\"x\":\"a\\nb\\u0001\\tc\\\\\"}\n");
}

TEST(LoggingTest, ReservedKeysCannotBeOverwritten) {
  std::string line = Logger::FormatLine(absl::UnixEpoch(), LogLevel::kInfo, "e",
                                        {{"level", "error"}});
  auto j = nlohmann::json::parse(line, nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["level"], "info");
}

TEST(LoggingTest, ConcurrentLinesNeverInterleave) {
  Captured c;
  Logger logger = MakeLogger(c, LogLevel::kInfo);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&logger, t] {
      for (int i = 0; i < 500; ++i) {
        logger.Log(LogLevel::kInfo, "tick",
                   {{"thread", std::to_string(t)}, {"i", std::to_string(i)}});
      }
    });
  }
  for (auto& th : threads) th.join();
  absl::MutexLock lock(&c.mu);
  ASSERT_EQ(c.lines.size(), 2000u);
  for (const auto& l : c.lines) {
    ASSERT_FALSE(nlohmann::json::parse(l, nullptr, false).is_discarded()) << l;
  }
}

TEST(LoggingTest, TokenFingerprintIsShortStableAndHidesTheToken) {
  const std::string token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";
  std::string fp = TokenFingerprint(token);
  EXPECT_THAT(fp, StartsWith("sha256:"));
  EXPECT_EQ(fp.size(), 7u + 8u);
  EXPECT_EQ(fp, TokenFingerprint(token));
  EXPECT_NE(fp, TokenFingerprint(token + "x"));
  EXPECT_THAT(fp, Not(HasSubstr("eyJ")));
  // SHA-256("abc") = ba7816bf...
  EXPECT_EQ(TokenFingerprint("abc"), "sha256:ba7816bf");
  EXPECT_EQ(TokenFingerprint(""), "sha256:none");
}

TEST(LoggingTest, LevelNames) {
  EXPECT_EQ(LogLevelFromName("WARNING"), LogLevel::kWarn);
  EXPECT_EQ(LogLevelFromName("debug"), LogLevel::kDebug);
  EXPECT_EQ(LogLevelFromName("verbose"), std::nullopt);
  EXPECT_EQ(LogLevelName(LogLevel::kError), "error");
}

}  // namespace
}  // namespace jwtauth::server
