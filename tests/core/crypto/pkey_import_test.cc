#include "core/crypto/pkey_import.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "core/crypto/key_material_impl.h"
#include "core/crypto/ssl_ptr.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/crypto/crypto_test_util.h"
#include "tests/core/crypto/fixed_keys.h"
#include "tests/testutil/status_matchers.h"

namespace jwtauth::crypto::internal {
namespace {

using ::jwtauth::testutil::ExpectCleanFailure;
using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::PemToDer;
using ::jwtauth::testutil::StatusIs;
namespace fixed = ::jwtauth::testutil::fixed;

SslUniquePtr<EVP_PKEY> Generate(int id, int rsa_bits) {
  SslUniquePtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_id(id, nullptr));
  EVP_PKEY* raw = nullptr;
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      (rsa_bits > 0 &&
       EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), rsa_bits) != 1) ||
      EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
    return nullptr;
  }
  return SslUniquePtr<EVP_PKEY>(raw);
}

TEST(PkeyImportTest, NullKeyIsRefused) {
  auto km = ImportPkey(nullptr, /*has_private=*/false, KeyStrengthPolicy{});
  EXPECT_THAT(km, StatusIs(absl::StatusCode::kInvalidArgument));
  ExpectCleanFailure(km.status());
}

// RSA-PSS restricted keys: key_params_openssl_test.cc (BoringSSL cannot
// hold one: its parser refuses the SPKI, see pem_import_test.cc).
TEST(PkeyImportTest, UnsupportedKeyTypesAreRefusedByName) {
  SslUniquePtr<EVP_PKEY> x25519 = Generate(EVP_PKEY_X25519, 0);
  ASSERT_NE(x25519, nullptr);
  auto km =
      ImportPkey(std::move(x25519), /*has_private=*/true, KeyStrengthPolicy{});
  EXPECT_THAT(km, StatusIs(absl::StatusCode::kInvalidArgument));
  ExpectCleanFailure(km.status());
}

TEST(PkeyImportTest, StrengthFloorAppliesToEveryRsaKey) {
  const std::string der = PemToDer(fixed::kRsa1024Spki);
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  SslUniquePtr<EVP_PKEY> weak(
      d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  ASSERT_NE(weak, nullptr);
  ASSERT_EQ(EVP_PKEY_up_ref(weak.get()), 1);
  SslUniquePtr<EVP_PKEY> again(weak.get());
  auto refused = ImportPkey(std::move(weak), false, KeyStrengthPolicy{});
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument));
  ExpectCleanFailure(refused.status());
  KeyStrengthPolicy lowered;
  lowered.min_rsa_bits = 1024;
  auto accepted = ImportPkey(std::move(again), false, lowered);
  ASSERT_THAT(accepted, IsOk());
  EXPECT_EQ(accepted->bits(), 1024);
}

}  // namespace
}  // namespace jwtauth::crypto::internal
