#ifndef JWTAUTH_TESTS_TESTUTIL_TEST_CA_H_
#define JWTAUTH_TESTS_TESTUTIL_TEST_CA_H_

// TestCa: a throw-away certificate authority built in memory (P-256 keys,
// 2-day certificates), for TLS and mTLS tests: HTTPS JWKS fetches, gRPC
// servers with client certificates, x5c attacks. No `openssl` command line
// and no shell; PEM text in memory, written to a TempDir when a component
// wants file paths.
//
//   auto ca = TestCa::Create("jwtauth-test-ca");
//   absl::StatusOr<CertifiedKey> server = (*ca)->Issue(ServerCert());
//   absl::StatusOr<CertifiedKey> client = (*ca)->Issue(
//       ClientCert("caller", {.uris = {"spiffe://jwtauth.test/issuer"}}));
//   TempDir dir("tls");
//   TlsFiles files = server->WriteTo(dir, "server");  // server.pem/.key
//
// TestPki is the usual set on disk: a CA, an unrelated second CA and a
// server certificate for localhost / 127.0.0.1.
//
// Test-only: like core/crypto, this file includes OpenSSL (for X.509
// building, which production never does); nothing outside tests links it.
// Thread-compatible; TestCa is immutable after Create().

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tests/testutil/temp_dir.h"

namespace jwtauth::testutil {

struct SubjectAltNames {
  std::vector<std::string> dns{};
  std::vector<std::string> ips{};  // dotted IPv4 / IPv6 text
  std::vector<std::string> uris{};
};

struct LeafOptions {
  std::string common_name{};
  SubjectAltNames san{};
  bool server_auth = false;  // extendedKeyUsage serverAuth
  bool client_auth = false;  // extendedKeyUsage clientAuth
};

// A server certificate (default: CN localhost, SAN DNS:localhost and
// IP:127.0.0.1) and a client certificate with the given SANs.
LeafOptions ServerCert(absl::string_view common_name = "localhost",
                       SubjectAltNames san = {
                           {"localhost"}, {"127.0.0.1"}, {}});
LeafOptions ClientCert(absl::string_view common_name, SubjectAltNames san);

struct TlsFiles {
  std::string cert_file{};
  std::string key_file{};
};

struct CertifiedKey {
  std::string cert_pem{};
  std::string key_pem{};  // PKCS#8, unencrypted
  // Writes <stem>.pem and <stem>.key into `dir`.
  TlsFiles WriteTo(const TempDir& dir, absl::string_view stem) const;
};

class TestCa final {
 public:
  static absl::StatusOr<std::unique_ptr<TestCa>> Create(
      absl::string_view common_name = "jwtauth-test-ca");
  ~TestCa();
  TestCa(const TestCa&) = delete;
  TestCa& operator=(const TestCa&) = delete;

  const std::string& cert_pem() const { return ca_.cert_pem; }
  // A new key and a certificate for it, signed by this CA.
  absl::StatusOr<CertifiedKey> Issue(const LeafOptions& options) const;

 private:
  struct Keys;
  TestCa();
  CertifiedKey ca_;
  std::unique_ptr<Keys> keys_;
};

class TestPki final {
 public:
  // ca.pem, other_ca.pem (an unrelated CA), server.pem + server.key signed
  // by ca.pem for localhost / 127.0.0.1, in a fresh TempDir.
  static absl::StatusOr<std::unique_ptr<TestPki>> Create();

  const std::string& dir() const { return dir_.path(); }
  std::string ca_file() const { return dir_.Path("ca.pem"); }
  std::string other_ca_file() const { return dir_.Path("other_ca.pem"); }
  std::string cert_file() const { return dir_.Path("server.pem"); }
  std::string key_file() const { return dir_.Path("server.key"); }
  const TestCa& ca() const { return *ca_; }
  const CertifiedKey& server() const { return server_; }

 private:
  TestPki() : dir_("pki") {}
  TempDir dir_;
  std::unique_ptr<TestCa> ca_;
  CertifiedKey server_;
};

// An RSA private key (PKCS#8 PEM) with a chosen public exponent, for the
// attack tests that need what KeyMaterial::Generate never makes (e = 3).
absl::StatusOr<std::string> GenerateRsaKeyPem(int bits, unsigned long exponent);

}  // namespace jwtauth::testutil

#endif  // JWTAUTH_TESTS_TESTUTIL_TEST_CA_H_
