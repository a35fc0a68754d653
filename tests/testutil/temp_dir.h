#ifndef JWTAUTH_TESTS_TESTUTIL_TEMP_DIR_H_
#define JWTAUTH_TESTS_TESTUTIL_TEMP_DIR_H_

// TempDir: a fresh, uniquely named directory for one test's files, removed
// with everything in it (std::filesystem::remove_all) by the destructor. It
// lives under $TEST_TMPDIR when set (ctest/bazel sandboxes), else under
// std::filesystem::temp_directory_path() ($TMPDIR, else /tmp).
//
//   TempDir dir("app_test");
//   std::string config = dir.Write("config.yaml", "providers: ...");
//   std::string keys = dir.Path("keys");  // "<dir>/keys", not created
//
// Failing to create the directory or write a file aborts the test binary
// with a message: it is a broken machine, not a test outcome.
// Not copyable or movable (tests hold it by value or in a unique_ptr).

#include <string>

#include "absl/strings/string_view.h"

namespace jwtauth::testutil {

class TempDir final {
 public:
  // `prefix` only makes the name readable ("jwtauth_<prefix>_XXXXXX").
  explicit TempDir(absl::string_view prefix = "test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name (no file is created).
  std::string Path(absl::string_view name) const;
  // Writes `content` to path()/name (creating parent directories, replacing
  // the file) and returns its full path.
  std::string Write(absl::string_view name, absl::string_view content) const;
  // The content of path()/name (a relative name) or of an absolute path;
  // empty when it cannot be read.
  std::string Read(absl::string_view name) const;

 private:
  std::string path_;
};

}  // namespace jwtauth::testutil

#endif  // JWTAUTH_TESTS_TESTUTIL_TEMP_DIR_H_
