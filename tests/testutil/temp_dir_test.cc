#include "tests/testutil/temp_dir.h"

#include <filesystem>
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jwtauth::testutil {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

TEST(TempDirTest, EachInstanceIsAFreshEmptyDirectory) {
  TempDir a("same");
  TempDir b("same");
  EXPECT_NE(a.path(), b.path());
  EXPECT_THAT(a.path(), HasSubstr("jwtauth_same_"));
  ASSERT_TRUE(fs::is_directory(a.path()));
  EXPECT_TRUE(fs::is_empty(a.path()));
}

TEST(TempDirTest, WriteCreatesParentsAndReadReturnsTheBytes) {
  TempDir dir;
  const std::string content("line\r\n\0binary", 14);
  const std::string path = dir.Write("a/b/c.txt", content);
  EXPECT_EQ(path, dir.Path("a/b/c.txt"));
  EXPECT_EQ(dir.Read("a/b/c.txt"), content);
  EXPECT_EQ(dir.Read(path), content);  // absolute paths too
  dir.Write("a/b/c.txt", "x");         // replaces
  EXPECT_EQ(dir.Read("a/b/c.txt"), "x");
  EXPECT_EQ(dir.Read("missing"), "");
}

TEST(TempDirTest, DestructorRemovesEverythingRecursively) {
  std::string path;
  {
    auto dir = std::make_unique<TempDir>("gone");
    path = dir->path();
    dir->Write("deep/er/file", "data");
    fs::create_directory_symlink(dir->Path("deep"), dir->Path("link"));
  }
  EXPECT_FALSE(fs::exists(path));
}

}  // namespace
}  // namespace jwtauth::testutil
