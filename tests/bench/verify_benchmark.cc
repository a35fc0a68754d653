// Verification cost per algorithm, four ways on the same key, signing input
// and signature, in one binary so the ratios are meaningful:
//   Raw/<alg>     the fastest bare OpenSSL operation we found for a
//                 single-threaded caller, everything prepared once and reused
//                 (see RawBest; ES* includes the R||S → DER conversion every
//                 JWS verifier must do);
//   RawNaive/<alg> the straightforward one: HMAC() + CRYPTO_memcmp, or
//                 EVP_DigestVerifyInit + EVP_DigestVerify on a per-call
//                 EVP_MD_CTX;
//   Crypto/<alg>  crypto::SignatureVerifier::Verify;
//   Jws/<alg>     TokenVerifier::Verify (the production path, provider
//                 named, no cache): ParsedJws::Parse (size, base64url, header
//                 JSON, header rules) + key selection by kid among 3 keys +
//                 verify + bounded claims parse + policy.
//   Parse/<alg>   ParsedJws::Parse alone (its header among those the thread
//                 accepted last, as for every token of one issuer;
//                 ParseUnseenHeader/<alg>: never), and Claims/<alg> the
//                 registered-claims scan of the decoded payload alone: the
//                 JWS layer's two largest parts (Jws - Crypto is the whole
//                 layer); ClaimsNotFlat/<case> and FlatScanGiveUp/<case>
//                 the same scan of payloads the flat fast path gives up on,
//                 and that vain attempt alone (see kNotFlatPayloads);
//   Paired/<alg>  Raw and Jws timed in alternating batches of 16 calls
//                 (order flipped every round); the counter jws_per_raw is
//                 the median of the rounds' ratios. The VM has slow phases
//                 of seconds that move every separate benchmark; a pair of
//                 batches half a millisecond apart shares its phase.
// A summary table with the ratios to Raw is printed at the end.
//
// This binary is a measuring tool, not product code: it is the one place
// outside core/crypto that includes <openssl/*>, to build the baseline. It
// builds on either crypto backend (raw_evp.h); the boringssl preset also
// builds verify_benchmark_openssl, the same program on OpenSSL 3, and
// tests/bench/compare_backends.sh runs the two in one session.
//
//   cmake --preset release -B build/release
//   cmake --build build/release --target verify_benchmark -j2
//   build/release/tests/bench/verify_benchmark

#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "benchmark/benchmark.h"
#include "core/algorithm.h"
#include "core/claims.h"
#include "core/crypto/key_material.h"
#include "core/crypto/signature_verifier.h"
#include "core/json_flat_scan.h"
#include "core/jws.h"
#include "core/key.h"
#include "core/key_store.h"
#include "core/verifier.h"
#include "nlohmann/json.hpp"
#include "tests/bench/raw_evp.h"
#include "tests/testutil/fake_clock.h"

namespace jwtauth {
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "verify_benchmark: %s\n", what.c_str());
  std::abort();
}

// Everything one algorithm's three benchmarks share.
struct Fixture {
  Algorithm alg;
  std::string secret;        // HS* only
  EVP_PKEY* pkey = nullptr;  // asymmetric only (public key); leaked on exit
  std::vector<Key> keys;     // 3 keys, the signer's is keys[1]
  std::string token;
  std::string signing_input;
  std::string signature;
  // The production verifier over `keys` (provider "bench").
  std::unique_ptr<KeyStore> store;
  std::unique_ptr<TokenVerifier> verifier;
};

// Time fixed inside the lifetime of Payload()'s claims.
constexpr int64_t kBenchNow = 1764000300;

std::string Payload() {
  // A typical access token body; padded so an HS256 token is ~300 bytes.
  nlohmann::json claims = {{"iss", "https://auth.example.com"},
                           {"sub", "user-1234567890"},
                           {"aud", "api://orders"},
                           {"iat", 1764000000},
                           {"exp", 1764000900},
                           {"jti", "3f1c2a9e-5b7d-4e21-9c0a-8d6f4b2e1a77"}};
  return claims.dump();
}

Key MakeKey(const std::string& kid, Algorithm alg,
            const crypto::KeyMaterial& m) {
  KeyOptions o;
  o.kid = kid;
  o.alg = alg;
  absl::StatusOr<Key> k = Key::Create(o, m);
  if (!k.ok()) Die(std::string(k.status().message()));
  return *std::move(k);
}

crypto::KeyMaterial PublicOf(Algorithm alg, const crypto::KeyMaterial& priv) {
  if (KeyTypeFor(alg) == KeyType::kOct) return priv;
  return *priv.PublicOnly();
}

Fixture MakeFixture(Algorithm alg) {
  Fixture f;
  f.alg = alg;
  crypto::KeyMaterial priv = [&] {
    if (KeyTypeFor(alg) == KeyType::kOct) {
      f.secret = crypto::RandomBytes(HashSize(HashFor(alg)));
      return *crypto::KeyMaterial::FromSecret(f.secret);
    }
    return *crypto::KeyMaterial::Generate(alg);
  }();
  if (KeyTypeFor(alg) != KeyType::kOct) {
    std::string pem = *priv.PublicPem();
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    f.pkey = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (f.pkey == nullptr) Die("PEM_read_bio_PUBKEY");
  }
  // Decoys: other keys of the same alg under other kids.
  f.keys.push_back(MakeKey("decoy-1", alg,
                           PublicOf(alg, *crypto::KeyMaterial::Generate(alg))));
  f.keys.push_back(MakeKey("kid-1", alg, PublicOf(alg, priv)));
  f.keys.push_back(MakeKey("decoy-2", alg,
                           PublicOf(alg, *crypto::KeyMaterial::Generate(alg))));

  nlohmann::json header = {{"alg", std::string(AlgorithmName(alg))},
                           {"typ", "JWT"},
                           {"kid", "kid-1"}};
  f.signing_input = MakeSigningInput(header.dump(), Payload());
  auto signer = crypto::NewSigner(alg, priv);
  if (!signer.ok()) Die("NewSigner");
  f.signature = *(*signer)->Sign(f.signing_input);
  f.token = CompleteCompactJws(f.signing_input, f.signature);
  f.store = std::make_unique<KeyStore>();
  f.store->SetSourceKeys("bench", "static", f.keys);
  ProviderOptions p;
  p.name = "bench";
  p.issuers = {"https://auth.example.com"};
  p.audiences = {"api://orders"};
  static const testutil::FakeClock clock(absl::FromUnixSeconds(kBenchNow));
  VerifierConfig config;
  config.providers = {p};
  config.key_store = f.store.get();
  config.clock = &clock;
  absl::StatusOr<std::unique_ptr<TokenVerifier>> v =
      TokenVerifier::Create(std::move(config));
  if (!v.ok()) Die(std::string(v.status().message()));
  f.verifier = *std::move(v);
  return f;
}

const Fixture& GetFixture(Algorithm alg) {
  static auto* cache = new std::map<Algorithm, Fixture>();
  auto it = cache->find(alg);
  if (it == cache->end()) it = cache->emplace(alg, MakeFixture(alg)).first;
  return it->second;
}

const EVP_MD* Md(Algorithm alg) {
  switch (HashFor(alg)) {
    case HashAlgorithm::kSha256:
      return EVP_sha256();
    case HashAlgorithm::kSha384:
      return EVP_sha384();
    case HashAlgorithm::kSha512:
      return EVP_sha512();
  }
  return nullptr;
}

// R||S → DER ECDSA-Sig-Value: the conversion every JWS ES* verifier does.
std::string EcdsaDer(const std::string& sig) {
  const size_t n = sig.size() / 2;
  const auto* rs = reinterpret_cast<const unsigned char*>(sig.data());
  ECDSA_SIG* es = ECDSA_SIG_new();
  ECDSA_SIG_set0(es, BN_bin2bn(rs, static_cast<int>(n), nullptr),
                 BN_bin2bn(rs + n, static_cast<int>(n), nullptr));
  unsigned char* out = nullptr;
  const int len = i2d_ECDSA_SIG(es, &out);
  std::string der(reinterpret_cast<char*>(out), static_cast<size_t>(len));
  OPENSSL_free(out);
  ECDSA_SIG_free(es);
  return der;
}

bool IsPss(Algorithm alg) {
  return alg == Algorithm::kPs256 || alg == Algorithm::kPs384 ||
         alg == Algorithm::kPs512;
}

bool SetPss(EVP_PKEY_CTX* pctx, const EVP_MD* md) {
  return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, /*digest length=*/-1) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) == 1;
}

// The bare OpenSSL verification, written the straightforward way: one-shot
// HMAC(), or a fresh EVP_MD_CTX + EVP_DigestVerifyInit per call.
bool RawNaiveVerify(const Fixture& f) {
  const std::string& in = f.signing_input;
  const auto* data = reinterpret_cast<const unsigned char*>(in.data());
  if (KeyTypeFor(f.alg) == KeyType::kOct) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (HMAC(Md(f.alg), f.secret.data(), static_cast<int>(f.secret.size()),
             data, in.size(), mac, &len) == nullptr) {
      return false;
    }
    return len == f.signature.size() &&
           CRYPTO_memcmp(mac, f.signature.data(), len) == 0;
  }
  std::string der;
  const std::string* sig = &f.signature;
  if (KeyTypeFor(f.alg) == KeyType::kEc) {
    der = EcdsaDer(f.signature);
    sig = &der;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  const EVP_MD* md = KeyTypeFor(f.alg) == KeyType::kOkp ? nullptr : Md(f.alg);
  const bool ok =
      EVP_DigestVerifyInit(ctx, &pctx, md, nullptr, f.pkey) == 1 &&
      (!IsPss(f.alg) || SetPss(pctx, md)) &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig->data()),
                       sig->size(), data, in.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

// The fastest single-threaded caller we found, everything prepared once and
// reused (no locking, so unlike core/crypto not shareable across threads):
//   HS*      HMAC from precomputed inner/outer pad states copied into one
//            reused EVP_MD_CTX (beats a reused EVP_MAC_CTX re-inited with a
//            null key);
//   RS/PS/ES digest with a pre-fetched EVP_MD into a reused EVP_MD_CTX, then
//            EVP_PKEY_verify on one EVP_PKEY_CTX initialised once (ES*: plus
//            the R||S → DER conversion);
//   EdDSA    EVP_DigestVerify on one EVP_MD_CTX initialised once.
struct RawBest {
  const EVP_MD* md = nullptr;  // fetched once (bench::FetchMd)
  EVP_MD_CTX* md_ctx = nullptr;
  EVP_MD_CTX* inner = nullptr;  // HS*: H(K ^ ipad) state
  EVP_MD_CTX* outer = nullptr;  // HS*: H(K ^ opad) state
  EVP_PKEY_CTX* pkey_ctx = nullptr;
};

void InitHmacPads(const Fixture& f, RawBest& b) {
  const size_t block = static_cast<size_t>(EVP_MD_block_size(b.md));
  std::string k = f.secret;
  if (k.size() > block) Die("HMAC secret longer than a block");
  k.resize(block, '\0');
  std::string ipad(block, '\0'), opad(block, '\0');
  for (size_t i = 0; i < block; ++i) {
    ipad[i] = static_cast<char>(k[i] ^ 0x36);
    opad[i] = static_cast<char>(k[i] ^ 0x5c);
  }
  b.inner = EVP_MD_CTX_new();
  b.outer = EVP_MD_CTX_new();
  if (EVP_DigestInit_ex(b.inner, b.md, nullptr) != 1 ||
      EVP_DigestUpdate(b.inner, ipad.data(), block) != 1 ||
      EVP_DigestInit_ex(b.outer, b.md, nullptr) != 1 ||
      EVP_DigestUpdate(b.outer, opad.data(), block) != 1) {
    Die("HMAC pad setup");
  }
}

RawBest MakeRawBest(const Fixture& f) {
  RawBest b;
  b.md_ctx = EVP_MD_CTX_new();
  if (KeyTypeFor(f.alg) == KeyType::kOkp) {
    if (EVP_DigestVerifyInit(b.md_ctx, nullptr, nullptr, nullptr, f.pkey) != 1)
      Die("EVP_DigestVerifyInit");
    return b;
  }
  b.md = bench::FetchMd(Md(f.alg));
  if (b.md == nullptr) Die("EVP_MD_fetch");
  if (KeyTypeFor(f.alg) == KeyType::kOct) {
    InitHmacPads(f, b);
    return b;
  }
  b.pkey_ctx = bench::NewPkeyCtx(f.pkey);
  if (b.pkey_ctx == nullptr || EVP_PKEY_verify_init(b.pkey_ctx) != 1 ||
      EVP_PKEY_CTX_set_signature_md(b.pkey_ctx, b.md) != 1 ||
      (IsPss(f.alg) && !SetPss(b.pkey_ctx, b.md))) {
    Die("EVP_PKEY_verify_init");
  }
  return b;
}

bool RawBestVerify(const Fixture& f, const RawBest& b) {
  const std::string& in = f.signing_input;
  const auto* data = reinterpret_cast<const unsigned char*>(in.data());
  const std::string& sig = f.signature;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  switch (KeyTypeFor(f.alg)) {
    case KeyType::kOct: {
      unsigned char mac[EVP_MAX_MD_SIZE];
      unsigned int len = 0;
      const bool ok = EVP_MD_CTX_copy_ex(b.md_ctx, b.inner) == 1 &&
                      EVP_DigestUpdate(b.md_ctx, data, in.size()) == 1 &&
                      EVP_DigestFinal_ex(b.md_ctx, md, &md_len) == 1 &&
                      EVP_MD_CTX_copy_ex(b.md_ctx, b.outer) == 1 &&
                      EVP_DigestUpdate(b.md_ctx, md, md_len) == 1 &&
                      EVP_DigestFinal_ex(b.md_ctx, mac, &len) == 1;
      return ok && len == sig.size() &&
             CRYPTO_memcmp(mac, sig.data(), len) == 0;
    }
    case KeyType::kOkp:
      return EVP_DigestVerify(
                 b.md_ctx, reinterpret_cast<const unsigned char*>(sig.data()),
                 sig.size(), data, in.size()) == 1;
    case KeyType::kRsa:
    case KeyType::kEc: {
      std::string der;
      const std::string* s = &sig;
      if (KeyTypeFor(f.alg) == KeyType::kEc) {
        der = EcdsaDer(sig);
        s = &der;
      }
      return EVP_DigestInit_ex(b.md_ctx, b.md, nullptr) == 1 &&
             EVP_DigestUpdate(b.md_ctx, data, in.size()) == 1 &&
             EVP_DigestFinal_ex(b.md_ctx, md, &md_len) == 1 &&
             EVP_PKEY_verify(b.pkey_ctx,
                             reinterpret_cast<const unsigned char*>(s->data()),
                             s->size(), md, md_len) == 1;
    }
  }
  return false;
}

void FreeRawBest(RawBest& b) {
  EVP_PKEY_CTX_free(b.pkey_ctx);
  EVP_MD_CTX_free(b.outer);
  EVP_MD_CTX_free(b.inner);
  EVP_MD_CTX_free(b.md_ctx);
  bench::FreeMd(b.md);
}

void BM_Raw(benchmark::State& state, Algorithm alg) {
  const Fixture& f = GetFixture(alg);
  RawBest b = MakeRawBest(f);
  if (!RawBestVerify(f, b)) state.SkipWithError("raw verify failed");
  for (auto _ : state) benchmark::DoNotOptimize(RawBestVerify(f, b));
  FreeRawBest(b);
}

void BM_RawNaive(benchmark::State& state, Algorithm alg) {
  const Fixture& f = GetFixture(alg);
  if (!RawNaiveVerify(f)) state.SkipWithError("raw verify failed");
  for (auto _ : state) benchmark::DoNotOptimize(RawNaiveVerify(f));
}

void BM_Crypto(benchmark::State& state, Algorithm alg) {
  const Fixture& f = GetFixture(alg);
  const crypto::SignatureVerifier* v = f.keys[1].VerifierFor(alg);
  if (!v->Verify(f.signing_input, f.signature))
    state.SkipWithError("verify failed");
  for (auto _ : state)
    benchmark::DoNotOptimize(v->Verify(f.signing_input, f.signature));
}

void BM_Jws(benchmark::State& state, Algorithm alg) {
  const Fixture& f = GetFixture(alg);
  VerifyOptions options;
  options.provider = "bench";
  if (!f.verifier->Verify(f.token, options).ok()) {
    state.SkipWithError("TokenVerifier::Verify failed");
  }
  for (auto _ : state) {
    VerifyResult r = f.verifier->Verify(f.token, options);
    benchmark::DoNotOptimize(r);
  }
  state.counters["token_bytes"] = static_cast<double>(f.token.size());
}

// The JWS layer's two largest parts on their own (what Jws adds to Crypto):
// the compact parse (split, base64url of all three parts, header scan and
// rules) and the registered-claims scan of the decoded payload.
void BM_Parse(benchmark::State& state, Algorithm alg) {
  const Fixture& f = GetFixture(alg);
  const JwsLimits limits;
  if (!ParsedJws::Parse(f.token, limits).ok()) state.SkipWithError("parse");
  for (auto _ : state) {
    FailureOr<ParsedJws> jws = ParsedJws::Parse(f.token, limits);
    benchmark::DoNotOptimize(jws);
  }
}

// Parse when the header is not among the last few this thread accepted
// (core/jws.cc, AcceptedHeaders): five headers in turn, one more than it
// keeps, so every call scans its header and replaces the oldest entry.
void BM_ParseUnseenHeader(benchmark::State& state, Algorithm alg) {
  const Fixture& f = GetFixture(alg);
  std::vector<std::string> tokens;
  for (int i = 0; i < 5; ++i) {
    nlohmann::json header = {{"alg", std::string(AlgorithmName(alg))},
                             {"typ", "JWT"},
                             {"kid", absl::StrCat("kid-", i)}};
    tokens.push_back(CompleteCompactJws(
        MakeSigningInput(header.dump(), Payload()), f.signature));
  }
  const JwsLimits limits;
  size_t next = 0;
  for (auto _ : state) {
    FailureOr<ParsedJws> jws = ParsedJws::Parse(tokens[next], limits);
    benchmark::DoNotOptimize(jws);
    next = next == tokens.size() - 1 ? 0 : next + 1;
  }
}

// The registered-claims scan of `payload`, which must pass it.
void TimeClaimsScan(benchmark::State& state, absl::string_view payload) {
  const JsonLimits limits;
  RegisteredClaimValues values;
  if (!RegisteredClaimValues::Scan(payload, limits, values).ok()) Die("scan");
  for (auto _ : state) {
    absl::Status s = RegisteredClaimValues::Scan(payload, limits, values);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(values);
  }
}

void BM_Claims(benchmark::State& state, Algorithm alg) {
  const Fixture& f = GetFixture(alg);
  FailureOr<ParsedJws> jws = ParsedJws::Parse(f.token, JwsLimits());
  if (!jws.ok()) Die("parse");
  TimeClaimsScan(state, jws->payload());
}

// Claims sets the flat fast path (core/json_flat_scan.h) does not take. It
// reads up to the first value it cannot (here the last member, the most it
// can read in vain), gives up, and the full scan reads the document again.
// ClaimsNotFlat/<case> is the registered-claims scan of such a payload,
// FlatScanGiveUp/<case> the fast path's attempt alone: what a token of an
// issuer whose claims are never flat pays for the fast path.
struct NotFlatPayload {
  const char* name;
  const char* json;
};
constexpr NotFlatPayload kNotFlatPayloads[] = {
    {"aud_array",
     R"({"iss":"https://auth.example.com","sub":"user-1234567890",)"
     R"("iat":1764000000,"exp":1764000900,)"
     R"("jti":"3f1c2a9e-5b7d-4e21-9c0a-8d6f4b2e1a77",)"
     R"("aud":["api://orders","api://billing"]})"},
    {"nested_object",
     R"({"iss":"https://auth.example.com","sub":"user-1234567890",)"
     R"("aud":"api://orders","iat":1764000000,"exp":1764000900,)"
     R"("jti":"3f1c2a9e-5b7d-4e21-9c0a-8d6f4b2e1a77",)"
     R"("cnf":{"jkt":"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}})"},
    {"escaped_string",
     R"({"iss":"https://auth.example.com","sub":"user-1234567890",)"
     R"("aud":"api://orders","iat":1764000000,"exp":1764000900,)"
     R"("jti":"3f1c2a9e-5b7d-4e21-9c0a-8d6f4b2e1a77",)"
     R"("name":"Jos\u00e9"})"},
};

void BM_ClaimsNotFlat(benchmark::State& state, const char* json) {
  TimeClaimsScan(state, json);
}

void BM_FlatScanGiveUp(benchmark::State& state, const char* json) {
  const JsonLimits limits;
  const auto no_target = [](absl::string_view) { return ScanTarget{}; };
  if (json_internal::ScanFlatObject(json, limits, no_target)) {
    Die("the not-flat payload was taken by the flat scan");
  }
  for (auto _ : state) {
    bool taken = json_internal::ScanFlatObject(json, limits, no_target);
    benchmark::DoNotOptimize(taken);
  }
}

// Seconds that 16 calls of `call` take on the steady clock: one batch of
// BM_Paired.
template <typename Call>
double TimeBatch(Call call) {
  constexpr int kBatch = 16;
  using Clock = std::chrono::steady_clock;
  const Clock::time_point t0 = Clock::now();
  for (int i = 0; i < kBatch; ++i) call();
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void BM_Paired(benchmark::State& state, Algorithm alg) {
  const Fixture& f = GetFixture(alg);
  RawBest b = MakeRawBest(f);
  VerifyOptions options;
  options.provider = "bench";
  if (!RawBestVerify(f, b) || !f.verifier->Verify(f.token, options).ok()) {
    state.SkipWithError("verify failed");
  }
  auto raw_batch = [&] {
    return TimeBatch([&] { benchmark::DoNotOptimize(RawBestVerify(f, b)); });
  };
  auto jws_batch = [&] {
    return TimeBatch([&] {
      VerifyResult r = f.verifier->Verify(f.token, options);
      benchmark::DoNotOptimize(r);
    });
  };
  std::vector<double> ratios;
  bool jws_first = false;
  for (auto _ : state) {
    double raw = 0;
    double jws = 0;
    if (jws_first) {
      jws = jws_batch();
      raw = raw_batch();
    } else {
      raw = raw_batch();
      jws = jws_batch();
    }
    jws_first = !jws_first;
    ratios.push_back(jws / raw);
  }
  FreeRawBest(b);
  if (ratios.empty()) return;
  std::nth_element(ratios.begin(), ratios.begin() + ratios.size() / 2,
                   ratios.end());
  state.counters["jws_per_raw"] = ratios[ratios.size() / 2];
  state.counters["rounds"] = static_cast<double>(ratios.size());
}

// Records per-benchmark time (ns/op) so main() can print the ratios.
class RecordingReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.error_occurred) continue;
      // With --benchmark_repetitions, the median aggregate wins.
      const bool median =
          run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      if (run.run_type != Run::RT_Iteration && !median) continue;
      // CPU time: the machine is shared, so wall time picks up other load.
      double ns = run.GetAdjustedCPUTime();
      switch (run.time_unit) {
        case benchmark::kMicrosecond:
          ns *= 1e3;
          break;
        case benchmark::kMillisecond:
          ns *= 1e6;
          break;
        case benchmark::kSecond:
          ns *= 1e9;
          break;
        default:
          break;
      }
      std::string name = run.run_name.function_name;
      if (auto it = run.counters.find("jws_per_raw");
          it != run.counters.end()) {
        paired_[name] = it->second.value;
      }
      if (median || ns_.count(name) == 0 || !has_median_.count(name))
        ns_[name] = ns;
      if (median) has_median_.insert(name);
    }
    ConsoleReporter::ReportRuns(runs);
  }
  double Get(const std::string& name) const {
    auto it = ns_.find(name);
    return it == ns_.end() ? 0 : it->second;
  }
  // Paired/<alg>'s jws_per_raw (median of rounds), 0 if not run.
  double Paired(const std::string& name) const {
    auto it = paired_.find(name);
    return it == paired_.end() ? 0 : it->second;
  }

 private:
  std::map<std::string, double> ns_;
  std::map<std::string, double> paired_;
  std::set<std::string> has_median_;
};

// The ratio table: every ratio is against the best raw row; crypto/naive
// shows what the straightforward per-call EVP code would cost instead.
void PrintSummary(const RecordingReporter& reporter) {
  std::printf("\n%-6s %10s %10s %10s %10s %11s %8s %12s %6s  %s\n", "alg",
              "raw ns", "naive ns", "crypto ns", "jws ns", "crypto/raw",
              "jws/raw", "crypto/naive", "bytes", "target");
  for (Algorithm alg : kAllAlgorithms) {
    const std::string name(AlgorithmName(alg));
    const double raw = reporter.Get("Raw/" + name);
    const double naive = reporter.Get("RawNaive/" + name);
    const double cr = reporter.Get("Crypto/" + name);
    const double jws = reporter.Get("Jws/" + name);
    if (raw == 0 || naive == 0 || cr == 0 || jws == 0) continue;
    const bool hs = KeyTypeFor(alg) == KeyType::kOct;
    const char* target = alg == Algorithm::kHs256 ? "jws <= 1500 ns:"
                         : hs                     ? ""
                                                  : "jws/raw <= 1.10:";
    const bool met = hs ? jws <= 1500 : jws / raw <= 1.10;
    std::printf(
        "%-6s %10.0f %10.0f %10.0f %10.0f %11.3f %8.3f %12.3f %6zu  %s %s\n",
        name.c_str(), raw, naive, cr, jws, cr / raw, jws / raw, cr / naive,
        GetFixture(alg).token.size(), target,
        *target == '\0' ? "(no target)"
        : met           ? "met"
                        : "MISSED");
  }
  bool header = false;
  for (Algorithm alg : kAllAlgorithms) {
    const std::string name(AlgorithmName(alg));
    const double paired = reporter.Paired("Paired/" + name);
    if (paired == 0) continue;
    if (!header) {
      std::printf("\n%-6s %14s  %s\n", "alg", "paired jws/raw", "target");
      header = true;
    }
    const bool hs = KeyTypeFor(alg) == KeyType::kOct;
    std::printf("%-6s %14.3f  %s\n", name.c_str(), paired,
                hs               ? "(no target)"
                : paired <= 1.10 ? "jws/raw <= 1.10: met"
                                 : "jws/raw <= 1.10: MISSED");
  }
}

}  // namespace
}  // namespace jwtauth

int main(int argc, char** argv) {
  using jwtauth::Algorithm;
  // As in the server's main: Debian's Abseil records every lock in a
  // deadlock graph, which the test clock's mutex would pay on each Verify.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  for (Algorithm alg : jwtauth::kAllAlgorithms) {
    const std::string name(jwtauth::AlgorithmName(alg));
    benchmark::RegisterBenchmark(("Raw/" + name).c_str(), jwtauth::BM_Raw, alg);
    benchmark::RegisterBenchmark(("RawNaive/" + name).c_str(),
                                 jwtauth::BM_RawNaive, alg);
    benchmark::RegisterBenchmark(("Crypto/" + name).c_str(), jwtauth::BM_Crypto,
                                 alg);
    benchmark::RegisterBenchmark(("Jws/" + name).c_str(), jwtauth::BM_Jws, alg);
    benchmark::RegisterBenchmark(("Parse/" + name).c_str(), jwtauth::BM_Parse,
                                 alg);
    benchmark::RegisterBenchmark(("ParseUnseenHeader/" + name).c_str(),
                                 jwtauth::BM_ParseUnseenHeader, alg);
    benchmark::RegisterBenchmark(("Claims/" + name).c_str(), jwtauth::BM_Claims,
                                 alg);
  }
  for (const jwtauth::NotFlatPayload& p : jwtauth::kNotFlatPayloads) {
    benchmark::RegisterBenchmark(
        (std::string("ClaimsNotFlat/") + p.name).c_str(),
        jwtauth::BM_ClaimsNotFlat, p.json);
    benchmark::RegisterBenchmark(
        (std::string("FlatScanGiveUp/") + p.name).c_str(),
        jwtauth::BM_FlatScanGiveUp, p.json);
  }
  for (Algorithm alg : jwtauth::kAllAlgorithms) {
    const std::string name(jwtauth::AlgorithmName(alg));
    benchmark::RegisterBenchmark(("Paired/" + name).c_str(), jwtauth::BM_Paired,
                                 alg);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  jwtauth::RecordingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  jwtauth::PrintSummary(reporter);
  return 0;
}
