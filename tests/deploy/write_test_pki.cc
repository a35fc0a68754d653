// write_test_pki DIR: writes ca.pem, server.pem and server.key (a server
// certificate for the jwtauth Services, signed by ca.pem) into DIR, for the
// deploy config check: the files a cert-manager Secret would mount.
// Certificates come from testutil's TestCa (no test shells out to openssl).

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "tests/testutil/test_ca.h"

namespace {

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

int Run(const std::string& dir) {
  using jwtauth::testutil::ServerCert;
  auto ca = jwtauth::testutil::TestCa::Create();
  if (!ca.ok()) return 1;
  auto server = (*ca)->Issue(ServerCert(
      "jwtauth", {{"jwtauth", "jwtauth-headless.jwtauth.svc"}, {}, {}}));
  if (!server.ok()) return 1;
  const bool ok = WriteFile(dir + "/ca.pem", (*ca)->cert_pem()) &&
                  WriteFile(dir + "/server.pem", server->cert_pem) &&
                  WriteFile(dir + "/server.key", server->key_pem);
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fputs("usage: write_test_pki DIR\n", stderr);
    return 2;
  }
  const int rc = Run(argv[1]);
  if (rc != 0) std::fputs("write_test_pki: failed\n", stderr);
  return rc;
}
