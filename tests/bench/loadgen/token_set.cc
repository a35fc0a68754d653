#include "tests/bench/loadgen/token_set.h"

#include <cmath>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/base64url.h"
#include "core/crypto/key_material.h"
#include "core/crypto/signature_verifier.h"
#include "core/status_macros.h"
#include "nlohmann/json.hpp"

namespace jwtauth::loadgen {
namespace {

absl::StatusOr<std::unique_ptr<const crypto::Signer>> MakeSigner(
    const TokenSetOptions& o) {
  absl::StatusOr<crypto::KeyMaterial> km =
      KeyTypeFor(o.alg) == KeyType::kOct
          ? crypto::KeyMaterial::FromSecret(o.key_text)
          : crypto::KeyMaterial::FromPem(o.key_text);
  if (!km.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("signing key: ", km.status().message()));
  }
  if (!km->has_private() || !km->Fits(o.alg)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "signing key: not a private key for ", AlgorithmName(o.alg)));
  }
  return crypto::NewSigner(o.alg, *km);
}

// header.payload for token `i`; sub and jti differ per token (and jti per
// run), so every token is its own cache entry.
std::string SigningInput(const TokenSetOptions& o, absl::string_view header,
                         absl::string_view run_id, int64_t now, size_t i) {
  nlohmann::json payload = {{"iss", o.issuer},
                            {"aud", o.audience},
                            {"sub", absl::StrCat("bench-", i)},
                            {"jti", absl::StrCat(run_id, "-", i)},
                            {"scope", o.scope},
                            {"iat", now},
                            {"exp", now + 3600}};
  return absl::StrCat(header, ".", Base64UrlEncode(payload.dump()));
}

// The last signature byte with its low bit flipped: same length, same
// encoding rules, so only the signature check can reject it.
std::string CorruptSignature(absl::string_view sig) {
  std::string bad(sig);
  bad.back() = static_cast<char>(bad.back() ^ 0x01);
  return bad;
}

// `n` random base64url characters with dots at a third and two thirds.
std::string Garbage(size_t n) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const std::string random = crypto::RandomBytes(n);
  std::string out(n, 'A');
  for (size_t i = 0; i < n; ++i) {
    out[i] = kAlphabet[static_cast<unsigned char>(random[i]) % 64];
  }
  if (n >= 3) out[n / 3] = out[2 * n / 3] = '.';
  return out;
}

}  // namespace

bool IsInvalidIndex(size_t i, double fraction) {
  const double d = static_cast<double>(i);
  return std::floor((d + 1) * fraction) > std::floor(d * fraction);
}

absl::StatusOr<TokenSet> TokenSet::Create(const TokenSetOptions& o) {
  if (o.count < 1 || o.count > kMaxTokens) {
    return absl::InvalidArgumentError(
        absl::StrCat("tokens: expected 1..", kMaxTokens));
  }
  if (!(o.invalid_fraction >= 0 && o.invalid_fraction <= 1)) {
    return absl::InvalidArgumentError("invalid fraction: expected 0..1");
  }
  JWTAUTH_ASSIGN_OR_RETURN(std::unique_ptr<const crypto::Signer> signer,
                           MakeSigner(o));
  nlohmann::json header = {{"alg", std::string(AlgorithmName(o.alg))},
                           {"typ", "JWT"}};
  if (!o.kid.empty()) header["kid"] = o.kid;
  const std::string header_b64 = Base64UrlEncode(header.dump());
  const std::string run_id = absl::BytesToHexString(crypto::RandomBytes(6));
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  TokenSet set;
  set.garbage_ = o.garbage_bytes > 0;
  set.tokens_.reserve(o.count);
  set.valid_.reserve(o.count);
  for (size_t i = 0; i < o.count; ++i) {
    std::string input = SigningInput(o, header_b64, run_id, now, i);
    JWTAUTH_ASSIGN_OR_RETURN(std::string sig, signer->Sign(input));
    const bool invalid = IsInvalidIndex(i, o.invalid_fraction);
    if (invalid && o.garbage_bytes > 0) {
      set.tokens_.push_back(Garbage(o.garbage_bytes));
      set.valid_.push_back(0);
      continue;
    }
    if (invalid) sig = CorruptSignature(sig);
    set.tokens_.push_back(absl::StrCat(input, ".", Base64UrlEncode(sig)));
    set.valid_.push_back(invalid ? 0 : 1);
  }
  return set;
}

size_t TokenSet::invalid_count() const {
  size_t n = 0;
  for (char v : valid_) n += v == 0 ? 1 : 0;
  return n;
}

}  // namespace jwtauth::loadgen
