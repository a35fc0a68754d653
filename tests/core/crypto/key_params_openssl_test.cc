// The OpenSSL 3 backend's part of key_params.h: MakeShareable stores every
// key provider-native (OpenSSL 3 converts a legacy key lazily on first use,
// which would be a write on a key shared by many verifying threads). Built
// on the OpenSSL backend only (key_params_boringssl_test.cc is its twin).

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <string>
#include <utility>
#include <vector>

#include "core/crypto/key_material.h"
#include "core/crypto/key_material_impl.h"
#include "core/crypto/key_params.h"
#include "core/crypto/pkey_import.h"
#include "core/crypto/ssl_ptr.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/crypto/crypto_test_util.h"
#include "tests/core/crypto/fixed_keys.h"
#include "tests/testutil/status_matchers.h"

namespace jwtauth::crypto::internal {
namespace {

using ::jwtauth::testutil::FixedEc;
using ::jwtauth::testutil::FixedRsaPrivate;
using ::jwtauth::testutil::GeneratedKey;
using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::PemToDer;
namespace fixed = ::jwtauth::testutil::fixed;

// Legacy (non-provider) EVP_PKEYs convert lazily on first use, which would be
// a write on a key shared by many verifying threads; every import path must
// therefore store a provider-native key.
TEST(KeyMaterialTest, EveryImportPathStoresAProviderNativeKey) {
  std::vector<absl::StatusOr<KeyMaterial>> keys;
  for (const char* pem :
       {fixed::kRsaPkcs1Private, fixed::kRsaPkcs1Public, fixed::kRsaSpki,
        fixed::kEcSec1Private, fixed::kEcSpki, fixed::kEcCertificate,
        fixed::kEd25519Pkcs8}) {
    keys.push_back(KeyMaterial::FromPem(pem));
  }
  keys.push_back(KeyMaterial::FromRsa(FixedRsaPrivate()));
  keys.push_back(KeyMaterial::FromEc(FixedEc()));
  keys.push_back(GeneratedKey(Algorithm::kRs256).PublicOnly());
  keys.push_back(GeneratedKey(Algorithm::kEs512));
  keys.push_back(GeneratedKey(Algorithm::kEdDsa));
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_THAT(keys[i], IsOk()) << "key " << i;
    EXPECT_NE(EVP_PKEY_get0_provider(keys[i]->impl().pkey_ptr()), nullptr)
        << "key " << i;
  }
}

// A PKCS#1 RSAPublicKey parses into a legacy EVP_PKEY; the stored key must be
// provider-native so concurrent verifies never convert it lazily.
TEST(PkeyImportTest, LegacyKeyIsStoredProviderNative) {
  const std::string der = PemToDer(fixed::kRsaPkcs1Public);
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  SslUniquePtr<EVP_PKEY> legacy(
      d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, static_cast<long>(der.size())));
  ASSERT_NE(legacy, nullptr);
  ASSERT_EQ(EVP_PKEY_get0_provider(legacy.get()), nullptr);
  auto km =
      ImportPkey(std::move(legacy), /*has_private=*/false, KeyStrengthPolicy{});
  ASSERT_THAT(km, IsOk());
  EXPECT_NE(EVP_PKEY_get0_provider(km->impl().pkey_ptr()), nullptr);
  EXPECT_EQ(km->type(), KeyType::kRsa);
  EXPECT_FALSE(km->has_private());
}

// OpenSSL 3 parses an id-RSASSA-PSS key; ImportPkey refuses it by name.
TEST(KeyParamsOpensslTest, RsaPssRestrictedKeyIsRefusedByName) {
  SslUniquePtr<EVP_PKEY_CTX> ctx(
      EVP_PKEY_CTX_new_id(EVP_PKEY_RSA_PSS, nullptr));
  EVP_PKEY* raw = nullptr;
  ASSERT_NE(ctx, nullptr);
  ASSERT_EQ(EVP_PKEY_keygen_init(ctx.get()), 1);
  ASSERT_EQ(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), 2048), 1);
  ASSERT_EQ(EVP_PKEY_keygen(ctx.get(), &raw), 1);
  auto km = ImportPkey(SslUniquePtr<EVP_PKEY>(raw), /*has_private=*/true,
                       KeyStrengthPolicy{});
  EXPECT_THAT(km, testutil::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(km.status().message(), testing::HasSubstr("RSA-PSS"));
  testutil::ExpectCleanFailure(km.status());
}

}  // namespace
}  // namespace jwtauth::crypto::internal
