// libFuzzer target for the full verify path: TokenVerifier (core/verifier.h)
// over a fixed key set of every algorithm family (tests/fuzz/fuzz_keys.h),
// fuzzing the token bytes and the request options.
//
// Input: byte 0 selects the options, the rest is the token:
//   bits 0-1  provider: "" / "main" / "alt" / "nope" (unknown)
//   bits 2-3  audience: "" / "api://fuzz" / "api://alt" / the bytes up to
//             the first '\n' of the rest (then the token follows it)
//   bits 4-5  clock: t0 / t0 + 1h / t0 - 1h / t0 + 10y (t0 = 1700000000)
//   bit  6    context {"u": "alice", "t": "acme"}
//   bit  7    also VerifyWithAnyOf({"alt", "main"})
// Providers: "main" (iss https://fuzz.test, aud api://fuzz, the 13 keys with
// kid, defaults) and "alt" (iss https://alt.fuzz, aud api://alt, the same
// keys without kid, require_typ, max_lifetime, sub prefix,
// claims namespace, claim rules with placeholders, metadata,
// allow_any_issuer_kid_lookup).
// Properties (any violation aborts):
//   - the verifier with a VerificationCache gives the same verdict (ok, or
//     the same reason) as the one without, on the first call and on the
//     second (cache hit) call;
//   - a failure has a reason of the closed list, never UNSPECIFIED;
//   - a success names the requested provider, the header's alg, and its
//     claims_json is the payload segment decoded; a token with a byte
//     outside the compact alphabet never verifies.
// Seeds: tests/fuzz/corpus/verify/ (tokens signed with the fuzz keys).

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/base64url.h"
#include "core/clock.h"
#include "core/failure.h"
#include "core/jws.h"
#include "core/key_store.h"
#include "core/policy.h"
#include "core/verification_cache.h"
#include "core/verifier.h"
#include "tests/fuzz/fuzz_keys.h"

namespace jwtauth::fuzz {
namespace {

class FixedClock final : public Clock {
 public:
  explicit FixedClock(absl::Time now) : now_(now) {}
  absl::Time Now() const override { return now_; }

 private:
  absl::Time now_;
};

[[noreturn]] void Violated(const char* what) {
  std::fprintf(stderr, "verify property violated: %s\n", what);
  std::abort();
}

ProviderOptions MainProvider() {
  ProviderOptions p;
  p.name = "main";
  p.issuers = {"https://fuzz.test"};
  p.audiences = {"api://fuzz"};
  return p;
}

ProviderOptions AltProvider() {
  ProviderOptions p;
  p.name = "alt";
  p.issuers = {"https://alt.fuzz", "https://fuzz.test/alt"};
  p.audiences = {"api://alt"};
  p.subject = {SubjectRule::Kind::kPrefix, {"user-"}};
  p.max_lifetime = absl::Hours(1);
  p.clock_skew = absl::Seconds(5);
  p.required_claims = {"tenant"};
  p.claim_rules = {{"scope", ClaimRule::Op::kContains, {"read"}},
                   {"tenant", ClaimRule::Op::kOneOf, {"%{t}", "shared"}},
                   {"owner", ClaimRule::Op::kEquals, {"%u"}}};
  p.claims_namespace = "https://ns.fuzz/claims";
  p.metadata = {{"tenant", "", true}, {"roles.0", "role", false}};
  p.max_keys_without_kid = 3;
  p.allow_any_issuer_kid_lookup = true;
  p.allowed_typ = {"JWT", "at+jwt"};
  p.require_typ = true;
  return p;
}

// One clock with a plain and a cached verifier over the shared key store
// (a cache per clock: cached results are only compared at one time).
struct Bench {
  std::unique_ptr<FixedClock> clock;
  std::unique_ptr<VerificationCache> cache;
  std::unique_ptr<TokenVerifier> plain;
  std::unique_ptr<TokenVerifier> cached;
};

struct World {
  KeyStore store;
  std::array<Bench, 4> benches;
};

std::unique_ptr<TokenVerifier> MakeVerifier(KeyStore* store, const Clock* c,
                                            VerificationCache* cache) {
  VerifierConfig config;
  config.providers = {MainProvider(), AltProvider()};
  config.key_store = store;
  config.clock = c;
  config.cache = cache;
  absl::StatusOr<std::unique_ptr<TokenVerifier>> v =
      TokenVerifier::Create(std::move(config));
  if (!v.ok()) HarnessBroken(v.status().ToString());
  return *std::move(v);
}

World& GetWorld() {
  static World* world = [] {
    auto* w = new World();
    w->store.SetSourceKeys("main", "static", FuzzVerificationKeys());
    w->store.SetSourceKeys("alt", "static", FuzzVerificationKeys(true));
    const absl::Time t0 = absl::FromUnixSeconds(1'700'000'000);
    const absl::Duration offsets[] = {absl::ZeroDuration(), absl::Hours(1),
                                      -absl::Hours(1), absl::Hours(24 * 3650)};
    for (size_t i = 0; i < w->benches.size(); ++i) {
      Bench& b = w->benches[i];
      b.clock = std::make_unique<FixedClock>(t0 + offsets[i]);
      VerificationCache::Options cache_options;
      cache_options.max_entries = 256;
      cache_options.max_bytes = 1 << 20;
      cache_options.shards = 2;
      auto cache = VerificationCache::Create(cache_options);
      if (!cache.ok()) HarnessBroken(cache.status().ToString());
      b.cache = *std::move(cache);
      b.plain = MakeVerifier(&w->store, b.clock.get(), nullptr);
      b.cached = MakeVerifier(&w->store, b.clock.get(), b.cache.get());
    }
    return w;
  }();
  return *world;
}

void ExpectSame(const VerifyResult& a, const VerifyResult& b) {
  if (a.ok() != b.ok()) Violated("cached and uncached verdicts differ");
  if (!a.ok() && a.failure().reason != b.failure().reason) {
    Violated("cached and uncached failure reasons differ");
  }
}

void CheckResult(const VerifyResult& r, absl::string_view token,
                 const VerifyOptions& o) {
  if (!r.ok()) {
    const int reason = static_cast<int>(r.failure().reason);
    if (reason <= 0 || reason > kMaxFailureReason) {
      Violated("failure reason outside the closed list");
    }
    return;
  }
  if (token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrs"
                              "tuvwxyz0123456789-_.") != token.npos) {
    Violated("a token with a byte outside the alphabet verified");
  }
  if (!o.provider.empty() && r->provider() != o.provider) {
    Violated("verified by another provider than requested");
  }
  FailureOr<ParsedJws> jws = ParsedJws::Parse(token);
  if (!jws.ok()) Violated("verified token does not parse as a JWS");
  if (jws->alg() != r->alg()) Violated("result alg differs from header alg");
  const size_t first = token.find('.');
  const size_t second = token.find('.', first + 1);
  std::optional<std::string> payload =
      Base64UrlDecode(token.substr(first + 1, second - first - 1));
  if (!payload || *payload != r->claims_json()) {
    Violated("claims_json is not the signed payload");
  }
  if (!r->claims().is_object()) Violated("claims are not an object");
}

VerifyOptions Options(uint8_t sel, absl::string_view& rest) {
  static const char* const kProviders[] = {"", "main", "alt", "nope"};
  static const char* const kAudiences[] = {"", "api://fuzz", "api://alt"};
  VerifyOptions o;
  o.provider = kProviders[sel & 3];
  const int aud = (sel >> 2) & 3;
  if (aud < 3) {
    o.audience = kAudiences[aud];
  } else {
    const size_t nl = rest.find('\n');
    o.audience = std::string(rest.substr(0, nl));
    rest = nl == rest.npos ? absl::string_view() : rest.substr(nl + 1);
  }
  if (sel & 0x40) o.context = {{"u", "alice"}, {"t", "acme"}};
  return o;
}

}  // namespace
}  // namespace jwtauth::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  jwtauth::fuzz::GetWorld();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace jwtauth;
  using namespace jwtauth::fuzz;
  if (size == 0) return 0;
  absl::string_view token(reinterpret_cast<const char*>(data) + 1, size - 1);
  const VerifyOptions o = Options(data[0], token);
  Bench& b = GetWorld().benches[(data[0] >> 4) & 3];
  const VerifyResult plain = b.plain->Verify(token, o);
  CheckResult(plain, token, o);
  ExpectSame(plain, b.cached->Verify(token, o));
  ExpectSame(plain, b.cached->Verify(token, o));  // a hit when cached
  if (data[0] & 0x80) {
    const VerifyResult any =
        b.plain->VerifyWithAnyOf(token, {"alt", "main"}, o);
    CheckResult(any, token, VerifyOptions{});
  }
  return 0;
}
