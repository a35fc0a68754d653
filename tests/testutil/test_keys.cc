#include "tests/testutil/test_keys.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/jws.h"

namespace jwtauth::testutil {
namespace {

[[noreturn]] void Die(absl::string_view what, Algorithm alg,
                      absl::string_view why) {
  std::fprintf(
      stderr, "test_keys: %s for %s failed: %s\n", std::string(what).c_str(),
      std::string(AlgorithmName(alg)).c_str(), std::string(why).c_str());
  std::abort();
}

}  // namespace

TestKey GenerateTestKey(Algorithm alg, absl::string_view kid) {
  absl::StatusOr<crypto::KeyMaterial> priv = crypto::KeyMaterial::Generate(alg);
  if (!priv.ok()) Die("Generate", alg, priv.status().message());
  absl::StatusOr<crypto::KeyMaterial> pub =
      KeyTypeFor(alg) == KeyType::kOct ? priv : priv->PublicOnly();
  if (!pub.ok()) Die("PublicOnly", alg, pub.status().message());
  absl::StatusOr<Key> key = Key::Create({.kid = std::string(kid),
                                         .alg = alg,
                                         .source = "test",
                                         .loaded_at = absl::InfinitePast(),
                                         .state = KeyState::kActive,
                                         .min_hmac_bytes = 32},
                                        *pub);
  if (!key.ok()) Die("Key::Create", alg, key.status().message());
  auto signer = crypto::NewSigner(alg, *priv);
  if (!signer.ok()) Die("NewSigner", alg, signer.status().message());
  return TestKey{alg, std::string(kid), *std::move(priv), *std::move(key),
                 std::shared_ptr<const crypto::Signer>(std::move(*signer))};
}

const TestKey& CachedTestKey(Algorithm alg) {
  static std::mutex mu;
  static std::array<std::optional<TestKey>, 13> cache;
  std::lock_guard<std::mutex> lock(mu);
  std::optional<TestKey>& slot = cache[static_cast<size_t>(alg)];
  if (!slot.has_value()) {
    slot = GenerateTestKey(
        alg, absl::StrCat("test-", absl::AsciiStrToLower(AlgorithmName(alg))));
  }
  return *slot;
}

std::vector<Algorithm> ServedAlgorithms(const Key& key) {
  std::vector<Algorithm> out;
  for (Algorithm alg : kAllAlgorithms) {
    if (key.Serves(alg)) out.push_back(alg);
  }
  return out;
}

std::string SignJwsWithHeader(const crypto::Signer& signer,
                              absl::string_view header_json,
                              absl::string_view payload) {
  std::string input = MakeSigningInput(header_json, payload);
  absl::StatusOr<std::string> sig = signer.Sign(input);
  if (!sig.ok()) Die("Sign", signer.algorithm(), sig.status().message());
  return CompleteCompactJws(input, *sig);
}

std::string SignJws(const TestKey& key, absl::string_view payload,
                    const nlohmann::json& extra_header) {
  nlohmann::json header = {{"alg", std::string(AlgorithmName(key.alg))}};
  if (!key.kid.empty()) header["kid"] = key.kid;
  for (auto it = extra_header.begin(); it != extra_header.end(); ++it) {
    header[it.key()] = it.value();
  }
  return SignJwsWithHeader(*key.signer, header.dump(), payload);
}

}  // namespace jwtauth::testutil
