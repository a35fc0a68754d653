// TestCa checked with OpenSSL's own chain verification (test-only OpenSSL
// use, like test_ca.cc): the certificates the TLS tests rely on are what a
// real client accepts, and nothing more.
#include "tests/testutil/test_ca.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

#include "core/algorithm.h"
#include "core/crypto/key_material.h"
#include "gtest/gtest.h"

namespace jwtauth::testutil {
namespace {

struct Free {
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
};

std::unique_ptr<X509, Free> Parse(const std::string& pem) {
  std::unique_ptr<BIO, Free> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return std::unique_ptr<X509, Free>(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

enum class Name { kNone, kHost, kIp };

// X509_V_OK when `leaf` chains to `ca` for `purpose` and matches the name.
int Verify(const std::string& ca, const std::string& leaf, int purpose,
           Name kind = Name::kNone, const char* name = "") {
  auto ca_cert = Parse(ca);
  auto leaf_cert = Parse(leaf);
  if (ca_cert == nullptr || leaf_cert == nullptr) return -1;
  std::unique_ptr<X509_STORE, Free> store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), ca_cert.get());
  std::unique_ptr<X509_STORE_CTX, Free> ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), leaf_cert.get(), nullptr);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT);
  X509_VERIFY_PARAM_set_purpose(param, purpose);
  if (kind == Name::kHost) X509_VERIFY_PARAM_set1_host(param, name, 0);
  if (kind == Name::kIp) X509_VERIFY_PARAM_set1_ip_asc(param, name);
  X509_verify_cert(ctx.get());
  return X509_STORE_CTX_get_error(ctx.get());
}

TEST(TestCaTest, ServerCertVerifiesForLocalhostAndLoopbackOnly) {
  auto ca = TestCa::Create();
  ASSERT_TRUE(ca.ok()) << ca.status();
  auto server = (*ca)->Issue(ServerCert());
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string& root = (*ca)->cert_pem();
  EXPECT_EQ(Verify(root, server->cert_pem, X509_PURPOSE_SSL_SERVER, Name::kHost,
                   "localhost"),
            X509_V_OK);
  EXPECT_EQ(Verify(root, server->cert_pem, X509_PURPOSE_SSL_SERVER, Name::kIp,
                   "127.0.0.1"),
            X509_V_OK);
  EXPECT_EQ(Verify(root, server->cert_pem, X509_PURPOSE_SSL_SERVER, Name::kHost,
                   "example.com"),
            X509_V_ERR_HOSTNAME_MISMATCH);
  // Not a client certificate.
  EXPECT_NE(Verify(root, server->cert_pem, X509_PURPOSE_SSL_CLIENT), X509_V_OK);
}

TEST(TestCaTest, ClientCertCarriesItsSansAndOnlyChainsToItsCa) {
  auto ca = TestCa::Create();
  auto other = TestCa::Create("other");
  ASSERT_TRUE(ca.ok() && other.ok());
  auto client = (*ca)->Issue(ClientCert(
      "caller", {.dns = {"caller.test"}, .uris = {"spiffe://t/caller"}}));
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ(Verify((*ca)->cert_pem(), client->cert_pem, X509_PURPOSE_SSL_CLIENT,
                   Name::kHost, "caller.test"),
            X509_V_OK);
  EXPECT_EQ(
      Verify((*other)->cert_pem(), client->cert_pem, X509_PURPOSE_SSL_CLIENT),
      X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  EXPECT_NE(client->cert_pem.find("BEGIN CERTIFICATE"), std::string::npos);
  auto cert = Parse(client->cert_pem);
  ASSERT_NE(cert, nullptr);
  auto* sans = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr));
  ASSERT_NE(sans, nullptr);
  std::string uri;
  for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(sans, i);
    if (n->type == GEN_URI) {
      uri.assign(reinterpret_cast<const char*>(
                     ASN1_STRING_get0_data(n->d.uniformResourceIdentifier)),
                 ASN1_STRING_length(n->d.uniformResourceIdentifier));
    }
  }
  GENERAL_NAMES_free(sans);
  EXPECT_EQ(uri, "spiffe://t/caller");
  // The key is a usable P-256 key for the library.
  auto key = crypto::KeyMaterial::FromPem(client->key_pem);
  EXPECT_TRUE(key.ok()) << key.status();
}

TEST(TestCaTest, TestPkiWritesTheFilesItNames) {
  auto pki = TestPki::Create();
  ASSERT_TRUE(pki.ok()) << pki.status();
  TempDir reader;
  EXPECT_EQ(reader.Read((*pki)->ca_file()), (*pki)->ca().cert_pem());
  EXPECT_EQ(reader.Read((*pki)->cert_file()), (*pki)->server().cert_pem);
  EXPECT_EQ(reader.Read((*pki)->key_file()), (*pki)->server().key_pem);
  EXPECT_EQ(Verify(reader.Read((*pki)->other_ca_file()),
                   (*pki)->server().cert_pem, X509_PURPOSE_SSL_SERVER),
            X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

TEST(GenerateRsaKeyPemTest, UsesTheRequestedExponent) {
  auto pem = GenerateRsaKeyPem(2048, 3);
  ASSERT_TRUE(pem.ok()) << pem.status();
  auto key = crypto::KeyMaterial::FromPem(*pem);
  ASSERT_TRUE(key.ok()) << key.status();
  auto pub = key->RsaPublic();
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_EQ(pub->e, std::string("\x03", 1));
  EXPECT_EQ(pub->n.size(), 256u);
}

}  // namespace
}  // namespace jwtauth::testutil
