#include "tests/testutil/keys_verifier.h"

#include <cstdio>
#include <cstdlib>
#include <utility>

namespace jwtauth::testutil {

KeysVerifier::KeysVerifier(std::vector<Key> keys, KeysVerifierOptions o)
    : options_(std::move(o)), clock_(options_.now) {
  store_.SetSourceKeys(kProvider, "static", std::move(keys));
  ProviderOptions p;
  p.name = kProvider;
  p.issuers = {options_.issuer};
  p.audiences = {options_.audience};
  p.require_exp = false;
  p.max_keys_without_kid = options_.max_keys_without_kid;
  p.allowed_typ = options_.allowed_typ;
  p.payload_limits = options_.payload_limits;
  VerifierConfig config;
  config.providers = {std::move(p)};
  config.key_store = &store_;
  config.clock = &clock_;
  config.jws_limits = options_.jws_limits;
  absl::StatusOr<std::unique_ptr<TokenVerifier>> v =
      TokenVerifier::Create(std::move(config));
  if (!v.ok()) {
    // A broken harness, not a test outcome.
    std::fprintf(stderr, "KeysVerifier: %s\n", v.status().ToString().c_str());
    std::abort();
  }
  verifier_ = *std::move(v);
}

KeysVerifier::Outcome KeysVerifier::Verify(absl::string_view token) const {
  const uint64_t before = Verifications();
  VerifyOptions vo;
  vo.provider = kProvider;
  VerifyResult r = verifier_->Verify(token, vo);
  const bool verified = Verifications() > before;
  return Outcome{std::move(r), verified};
}

nlohmann::json KeysVerifier::Claims() const {
  return {{"iss", options_.issuer}, {"aud", options_.audience}};
}

uint64_t KeysVerifier::Verifications() const {
  uint64_t n = 0;
  KeySetSnapshot snap = store_.Current();
  for (const KeyEntry* e : snap->AllEntries()) n += e->verifications();
  return n;
}

}  // namespace jwtauth::testutil
