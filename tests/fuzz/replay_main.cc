// Replays one fuzz target's seed corpus (JWTAUTH_FUZZ_CORPUS_DIR) through
// the target's own LLVMFuzzerTestOneInput in a normal (g++) test build, so
// the seeds — every past crash input among them — and the target's
// properties run in every CI build, not only in the clang fuzz preset.
// A property violation aborts the test binary (a failure).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
// Optional in a target (weak: null when the target has none).
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv)
    __attribute__((weak));

namespace {

namespace fs = std::filesystem;

TEST(FuzzCorpusReplayTest, EverySeedSatisfiesTheTargetProperties) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(nullptr, nullptr);
  const fs::path dir(JWTAUTH_FUZZ_CORPUS_DIR);
  ASSERT_TRUE(fs::is_directory(dir)) << dir;
  std::vector<fs::path> files;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  ASSERT_GE(files.size(), 5u) << "too few seeds in " << dir;
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.filename().string());
    std::ifstream in(file, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    const std::string data = bytes.str();
    EXPECT_EQ(LLVMFuzzerTestOneInput(
                  reinterpret_cast<const uint8_t*>(data.data()), data.size()),
              0);
  }
}

}  // namespace
