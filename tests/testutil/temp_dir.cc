#include "tests/testutil/temp_dir.h"

#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace jwtauth::testutil {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void Die(absl::string_view what, absl::string_view path) {
  std::fprintf(stderr, "TempDir: %.*s: %.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(path.size()), path.data());
  std::abort();
}

fs::path Base() {
  const char* test_tmpdir = std::getenv("TEST_TMPDIR");
  if (test_tmpdir != nullptr && *test_tmpdir != '\0') return test_tmpdir;
  std::error_code ec;
  fs::path base = fs::temp_directory_path(ec);
  return ec ? fs::path("/tmp") : base;
}

}  // namespace

TempDir::TempDir(absl::string_view prefix) {
  // mkdtemp picks the unique name and creates the directory atomically, so
  // parallel test processes never share one.
  std::string tmpl =
      (Base() / absl::StrCat("jwtauth_", prefix, "_XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr) Die("cannot create", tmpl);
  path_ = std::move(tmpl);
}

TempDir::~TempDir() {
  std::error_code ec;  // best effort: a leftover dir must not fail a test
  fs::remove_all(path_, ec);
}

std::string TempDir::Path(absl::string_view name) const {
  return (fs::path(path_) / std::string(name)).string();
}

std::string TempDir::Write(absl::string_view name,
                           absl::string_view content) const {
  const fs::path p = fs::path(path_) / std::string(name);
  std::error_code ec;
  fs::create_directories(p.parent_path(), ec);
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) Die("cannot write", p.string());
  return p.string();
}

std::string TempDir::Read(absl::string_view name) const {
  std::ifstream in(fs::path(path_) / std::string(name), std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace jwtauth::testutil
