#include "tests/testutil/test_ca.h"

// Test-only exception to "only core/crypto includes OpenSSL": production
// never builds X.509 certificates, so this stays out of core/crypto.
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace jwtauth::testutil {
namespace {

struct Free {
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
template <typename T>
using Ptr = std::unique_ptr<T, Free>;

absl::Status OpenSslError(absl::string_view what) {
  const unsigned long code = ERR_get_error();
  char buf[256] = {0};
  if (code != 0) ERR_error_string_n(code, buf, sizeof(buf));
  ERR_clear_error();
  return absl::InternalError(absl::StrCat("test CA: ", what, ": ", buf));
}

absl::StatusOr<Ptr<EVP_PKEY>> NewEcKey() {
  Ptr<EVP_PKEY> key(EVP_EC_gen("P-256"));
  if (key == nullptr) return OpenSslError("EC key generation");
  return key;
}

template <typename WriteFn>
absl::StatusOr<std::string> ToPem(WriteFn write) {
  Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || write(bio.get()) != 1) return OpenSslError("PEM");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

absl::StatusOr<std::string> KeyPem(EVP_PKEY* key) {
  return ToPem([key](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr,
                                    nullptr);
  });
}

absl::StatusOr<std::string> CertPem(X509* cert) {
  return ToPem([cert](BIO* bio) { return PEM_write_bio_X509(bio, cert); });
}

// `value` in openssl.cnf syntax ("critical,CA:TRUE"); `issuer` supplies the
// authority key id (the cert itself when self-signed).
absl::Status AddExtension(X509* cert, X509* issuer, int nid,
                          const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  Ptr<X509_EXTENSION> ext(
      X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (ext == nullptr || X509_add_ext(cert, ext.get(), -1) != 1) {
    return OpenSslError(
        absl::StrCat("extension ", OBJ_nid2sn(nid), "=", value));
  }
  return absl::OkStatus();
}

// A certificate for `key` named `common_name`, valid from an hour ago for
// two days, with a random serial; not yet signed, no extensions.
absl::StatusOr<Ptr<X509>> NewCert(EVP_PKEY* key,
                                  absl::string_view common_name) {
  Ptr<X509> cert(X509_new());
  Ptr<BIGNUM> serial(BN_new());
  if (cert == nullptr || serial == nullptr ||
      X509_set_version(cert.get(), 2) != 1 ||
      BN_rand(serial.get(), 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) ==
          nullptr ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), 2 * 86400) == nullptr ||
      X509_set_pubkey(cert.get(), key) != 1) {
    return OpenSslError("certificate fields");
  }
  const std::string cn(common_name);
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(
          name, "CN", MBSTRING_UTF8,
          reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0) != 1) {
    return OpenSslError("subject name");
  }
  return cert;
}

std::string SanValue(const SubjectAltNames& san) {
  std::vector<std::string> parts;
  for (const std::string& d : san.dns) parts.push_back("DNS:" + d);
  for (const std::string& ip : san.ips) parts.push_back("IP:" + ip);
  for (const std::string& u : san.uris) parts.push_back("URI:" + u);
  return absl::StrJoin(parts, ",");
}

}  // namespace

struct TestCa::Keys {
  Ptr<EVP_PKEY> key;
  Ptr<X509> cert;
};

LeafOptions ServerCert(absl::string_view common_name, SubjectAltNames san) {
  return LeafOptions{std::string(common_name), std::move(san),
                     /*server_auth=*/true, /*client_auth=*/false};
}

LeafOptions ClientCert(absl::string_view common_name, SubjectAltNames san) {
  return LeafOptions{std::string(common_name), std::move(san),
                     /*server_auth=*/false, /*client_auth=*/true};
}

TlsFiles CertifiedKey::WriteTo(const TempDir& dir,
                               absl::string_view stem) const {
  return TlsFiles{dir.Write(absl::StrCat(stem, ".pem"), cert_pem),
                  dir.Write(absl::StrCat(stem, ".key"), key_pem)};
}

TestCa::TestCa() : keys_(std::make_unique<Keys>()) {}
TestCa::~TestCa() = default;

absl::StatusOr<std::unique_ptr<TestCa>> TestCa::Create(
    absl::string_view common_name) {
  std::unique_ptr<TestCa> ca(new TestCa());
  absl::StatusOr<Ptr<EVP_PKEY>> key = NewEcKey();
  if (!key.ok()) return key.status();
  absl::StatusOr<Ptr<X509>> cert = NewCert(key->get(), common_name);
  if (!cert.ok()) return cert.status();
  X509* c = cert->get();
  if (X509_set_issuer_name(c, X509_get_subject_name(c)) != 1) {
    return OpenSslError("issuer name");
  }
  for (const auto& [nid, value] :
       {std::pair{NID_basic_constraints, "critical,CA:TRUE"},
        std::pair{NID_key_usage, "critical,keyCertSign,cRLSign"},
        std::pair{NID_subject_key_identifier, "hash"}}) {
    absl::Status s = AddExtension(c, c, nid, value);
    if (!s.ok()) return s;
  }
  if (X509_sign(c, key->get(), EVP_sha256()) == 0) {
    return OpenSslError("signing the CA certificate");
  }
  absl::StatusOr<std::string> cert_pem = CertPem(c);
  if (!cert_pem.ok()) return cert_pem.status();
  absl::StatusOr<std::string> key_pem = KeyPem(key->get());
  if (!key_pem.ok()) return key_pem.status();
  ca->ca_ = CertifiedKey{*std::move(cert_pem), *std::move(key_pem)};
  ca->keys_->key = *std::move(key);
  ca->keys_->cert = *std::move(cert);
  return ca;
}

absl::StatusOr<CertifiedKey> TestCa::Issue(const LeafOptions& options) const {
  absl::StatusOr<Ptr<EVP_PKEY>> key = NewEcKey();
  if (!key.ok()) return key.status();
  absl::StatusOr<Ptr<X509>> cert = NewCert(key->get(), options.common_name);
  if (!cert.ok()) return cert.status();
  X509* c = cert->get();
  X509* issuer = keys_->cert.get();
  if (X509_set_issuer_name(c, X509_get_subject_name(issuer)) != 1) {
    return OpenSslError("issuer name");
  }
  std::vector<std::pair<int, std::string>> extensions = {
      {NID_basic_constraints, "critical,CA:FALSE"},
      {NID_key_usage, "critical,digitalSignature"},
      {NID_subject_key_identifier, "hash"},
      {NID_authority_key_identifier, "keyid:always"}};
  std::vector<std::string> usages;
  if (options.server_auth) usages.push_back("serverAuth");
  if (options.client_auth) usages.push_back("clientAuth");
  if (!usages.empty()) {
    extensions.push_back({NID_ext_key_usage, absl::StrJoin(usages, ",")});
  }
  const std::string san = SanValue(options.san);
  if (!san.empty()) extensions.push_back({NID_subject_alt_name, san});
  for (const auto& [nid, value] : extensions) {
    absl::Status s = AddExtension(c, issuer, nid, value);
    if (!s.ok()) return s;
  }
  if (X509_sign(c, keys_->key.get(), EVP_sha256()) == 0) {
    return OpenSslError("signing a leaf certificate");
  }
  absl::StatusOr<std::string> cert_pem = CertPem(c);
  if (!cert_pem.ok()) return cert_pem.status();
  absl::StatusOr<std::string> key_pem = KeyPem(key->get());
  if (!key_pem.ok()) return key_pem.status();
  return CertifiedKey{*std::move(cert_pem), *std::move(key_pem)};
}

absl::StatusOr<std::unique_ptr<TestPki>> TestPki::Create() {
  std::unique_ptr<TestPki> pki(new TestPki());
  absl::StatusOr<std::unique_ptr<TestCa>> ca = TestCa::Create();
  if (!ca.ok()) return ca.status();
  absl::StatusOr<std::unique_ptr<TestCa>> other =
      TestCa::Create("jwtauth-other-ca");
  if (!other.ok()) return other.status();
  absl::StatusOr<CertifiedKey> server = (*ca)->Issue(ServerCert());
  if (!server.ok()) return server.status();
  pki->dir_.Write("ca.pem", (*ca)->cert_pem());
  pki->dir_.Write("other_ca.pem", (*other)->cert_pem());
  server->WriteTo(pki->dir_, "server");
  pki->ca_ = *std::move(ca);
  pki->server_ = *std::move(server);
  return pki;
}

absl::StatusOr<std::string> GenerateRsaKeyPem(int bits,
                                              unsigned long exponent) {
  Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  Ptr<BIGNUM> e(BN_new());
  EVP_PKEY* raw = nullptr;
  if (ctx == nullptr || e == nullptr || BN_set_word(e.get(), exponent) != 1 ||
      EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), bits) != 1 ||
      EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx.get(), e.get()) != 1 ||
      EVP_PKEY_generate(ctx.get(), &raw) != 1) {
    return OpenSslError("RSA key generation");
  }
  Ptr<EVP_PKEY> key(raw);
  return KeyPem(key.get());
}

}  // namespace jwtauth::testutil
