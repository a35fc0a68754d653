// The BoringSSL backend's part of key_params.h. Built on the BoringSSL
// backend only (key_params_openssl_test.cc is its twin).

#include <openssl/evp.h>

#include <string>
#include <utility>

#include "core/crypto/key_material.h"
#include "core/crypto/key_material_impl.h"
#include "core/crypto/key_params.h"
#include "core/crypto/signature_verifier.h"
#include "core/crypto/ssl_ptr.h"
#include "core/crypto/ssl_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/crypto/crypto_test_util.h"
#include "tests/core/crypto/fixed_keys.h"
#include "tests/testutil/status_matchers.h"

namespace jwtauth::crypto::internal {
namespace {

using ::jwtauth::testutil::IsOk;

// BoringSSL keys need no conversion before they are shared: the very same
// EVP_PKEY is stored.
TEST(KeyParamsBoringsslTest, MakeShareableKeepsTheKey) {
  auto generated = KeyMaterial::Generate(Algorithm::kEs256);
  ASSERT_THAT(generated, IsOk());
  auto der = PublicDer(generated->impl().pkey_ptr());
  ASSERT_THAT(der, IsOk());
  SslUniquePtr<EVP_PKEY> pkey = ParsePublicDer(*der);
  ASSERT_NE(pkey, nullptr);
  EVP_PKEY* const raw = pkey.get();
  auto shared = MakeShareable(std::move(pkey), /*has_private=*/false);
  ASSERT_THAT(shared, IsOk());
  EXPECT_EQ(shared->get(), raw);
}

}  // namespace
}  // namespace jwtauth::crypto::internal
