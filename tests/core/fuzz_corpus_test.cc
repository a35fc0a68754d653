// Replays every seed corpus file of the parse-layer fuzzers
// (tests/fuzz/corpus/{base64url,json_limits,jws}/) through the parsers, so
// the corpus and the fuzz properties run in every CI build, not only in the
// clang fuzz preset. A file named valid_* must be accepted and invalid_*
// rejected; any other name only has to satisfy the properties.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/fuzz/parse_properties.h"

namespace jwtauth {
namespace {

namespace fs = std::filesystem;

struct CorpusFile {
  std::string name;
  std::string bytes;
};

std::vector<CorpusFile> ReadCorpus(absl::string_view target) {
  const fs::path dir = fs::path(JWTAUTH_SOURCE_DIR) / "tests" / "fuzz" /
                       "corpus" / std::string(target);
  std::vector<CorpusFile> files;
  if (!fs::is_directory(dir)) return files;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::ostringstream data;
    data << in.rdbuf();
    files.push_back({e.path().filename().string(), data.str()});
  }
  return files;
}

template <typename Check>
void Replay(absl::string_view target, Check check, size_t min_files) {
  const std::vector<CorpusFile> files = ReadCorpus(target);
  ASSERT_GE(files.size(), min_files) << "corpus " << target;
  int valid = 0, invalid = 0;
  for (const CorpusFile& f : files) {
    testutil::PropertyResult r = check(f.bytes);
    EXPECT_EQ(r.violation, "") << target << "/" << f.name;
    if (absl::StartsWith(f.name, "valid_")) {
      ++valid;
      EXPECT_TRUE(r.accepted) << target << "/" << f.name;
    } else if (absl::StartsWith(f.name, "invalid_")) {
      ++invalid;
      EXPECT_FALSE(r.accepted) << target << "/" << f.name;
    }
  }
  EXPECT_GT(valid, 0) << target;
  EXPECT_GT(invalid, 0) << target;
}

TEST(FuzzCorpusTest, Base64Url) {
  Replay("base64url", testutil::CheckBase64UrlProperties, 10);
}

TEST(FuzzCorpusTest, JsonLimits) {
  Replay("json_limits", testutil::CheckJsonLimitsProperties, 10);
}

TEST(FuzzCorpusTest, Jws) { Replay("jws", testutil::CheckJwsProperties, 10); }

}  // namespace
}  // namespace jwtauth
