#include "tests/bench/loadgen/load_flags.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testutil/status_matchers.h"

namespace jwtauth::loadgen {
namespace {

using ::jwtauth::testutil::StatusIs;

absl::StatusOr<LoadFlags> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "load_generator");
  std::vector<char*> argv;
  argv.reserve(args.size());
  for (auto& a : args) argv.push_back(a.data());
  return ParseLoadFlags(static_cast<int>(argv.size()), argv.data());
}

TEST(LoadFlagsTest, ParsesBothFlagForms) {
  absl::StatusOr<LoadFlags> f =
      Parse({"--target=127.0.0.1:9", "--method", "check", "--rate=2500",
             "--secret-file", "s.txt", "--tokens", "10000",
             "--invalid-fraction", "0.1"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->target, "127.0.0.1:9");
  EXPECT_EQ(f->method, Method::kCheck);
  EXPECT_TRUE(f->open_loop());
  EXPECT_EQ(f->rate, 2500);
  EXPECT_EQ(f->tokens, 10000);
  EXPECT_DOUBLE_EQ(f->invalid_fraction, 0.1);
}

TEST(LoadFlagsTest, DefaultIsClosedLoopVerify) {
  absl::StatusOr<LoadFlags> f = Parse({"--secret-file", "s.txt"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->method, Method::kVerify);
  EXPECT_FALSE(f->open_loop());
  EXPECT_EQ(f->alg, Algorithm::kHs256);
}

TEST(LoadFlagsTest, RefusesNonLoopbackTargets) {
  for (const char* target :
       {"10.0.0.1:50051", "example.com:443", "127.evil.example:80",
        "localhost.example.com:1", "127.0.0.1", "[::2]:5", "0.0.0.0:1"}) {
    EXPECT_THAT(Parse({"--target", target, "--method", "health"}),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << target;
  }
  for (const char* target :
       {"127.0.0.1:1", "127.1.2.3:65535", "localhost:50051", "[::1]:8080"}) {
    EXPECT_TRUE(Parse({"--target", target, "--method", "health"}).ok())
        << target;
  }
}

TEST(LoadFlagsTest, BoundsEveryNumber) {
  const std::vector<std::vector<std::string>> bad = {
      {"--tokens", "0"},           {"--tokens", "1000001"},
      {"--invalid-fraction", "2"}, {"--rate", "0"},
      {"--seconds", "601"},        {"--requests", "0"},
      {"--inflight", "x"},         {"--channels", "65"},
      {"--deadline-ms", "0"},      {"--garbage-bytes", "-1"}};
  for (auto args : bad) {
    args.push_back("--method");
    args.push_back("health");
    EXPECT_THAT(Parse(args), StatusIs(absl::StatusCode::kInvalidArgument))
        << args[0] << " " << args[1];
  }
}

TEST(LoadFlagsTest, TokensNeedAKey) {
  EXPECT_THAT(Parse({}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Parse({"--alg", "RS256", "--secret-file", "s.txt"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(Parse({"--alg", "ES256", "--key-file", "k.pem"}).ok());
  EXPECT_THAT(Parse({"--alg", "HS512", "--secret-file", "s.txt"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(LoadFlagsTest, TokenOrder) {
  absl::StatusOr<LoadFlags> f =
      Parse({"--secret-file", "s", "--token-order", "zigzag"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE(f->zigzag);
  f = Parse({"--secret-file", "s", "--token-order", "cycle"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_FALSE(f->zigzag);
  EXPECT_THAT(Parse({"--secret-file", "s", "--token-order", "random"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(LoadFlagsTest, UnknownFlagsAndMethodsAreErrors) {
  EXPECT_THAT(Parse({"--bogus", "1"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Parse({"--method", "issue"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Parse({"--method"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace jwtauth::loadgen
