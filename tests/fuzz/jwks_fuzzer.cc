// libFuzzer target for JWKS documents and their caching headers as the
// refresher receives them: JwksRefresher::RefreshOnce (core/jwks_refresher.h)
// over a fake JwksFetcher that answers with the fuzzed HTTP responses,
// after one good load of the fuzz keys' public JWKS.
//
// Input: up to three responses separated by a line "--next--"; each is
//   <status>\n<name>: <value>\n...\n\n<body>
// (a missing or non-numeric status line means 200). The fake clock moves one
// hour before each fuzzed fetch; the source has max_stale 150m and is bound
// to issuer https://fuzz.test.
// Properties (any violation aborts):
//   - a 200 whose body ImportJwks (same options) turns into keys replaces
//     the source's keys with exactly that many, each bound to the issuer;
//   - anything else (non-200, unparsable, no usable keys) keeps the last
//     good keys (stale-while-error) unless max_stale has passed, which
//     drops them all;
//   - the next refresh is scheduled within (now, now + refresh.max];
//   - RefreshDelayFromHeaders and ApplyJitter stay within [min, max] for
//     the response's headers.
// Seeds: tests/fuzz/corpus/jwks/.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/cache_control.h"
#include "core/clock.h"
#include "core/jwk.h"
#include "core/jwks_fetcher.h"
#include "core/jwks_refresher.h"
#include "core/jwks_source.h"
#include "core/key_store.h"
#include "tests/fuzz/fuzz_keys.h"

namespace jwtauth::fuzz {
namespace {

[[noreturn]] void Violated(const std::string& what) {
  std::fprintf(stderr, "jwks property violated: %s\n", what.c_str());
  std::abort();
}

class StepClock final : public Clock {
 public:
  absl::Time Now() const override { return now_; }
  void Advance(absl::Duration d) { now_ += d; }

 private:
  absl::Time now_ = absl::FromUnixSeconds(1'700'000'000);
};

class QueueFetcher final : public JwksFetcher {
 public:
  void Push(FetchResponse r) { queue_.push_back(std::move(r)); }
  absl::StatusOr<FetchResponse> Fetch(const FetchRequest&) override {
    if (next_ >= queue_.size()) return absl::UnavailableError("no response");
    return queue_[next_++];
  }

 private:
  std::vector<FetchResponse> queue_;
  size_t next_ = 0;
};

constexpr char kUrl[] = "http://127.0.0.1:1/jwks.json";
constexpr char kIssuer[] = "https://fuzz.test";

JwksSourceConfig Source() {
  JwksSourceConfig s;
  s.provider = "main";
  s.url = kUrl;
  s.issuer = kIssuer;
  s.max_keys = 8;
  s.max_stale = absl::Minutes(150);
  return s;
}

// The last good set: the EC and OKP keys (cheap to import, so the fuzzer
// spends its time on the fuzzed responses, not on RSA key checks).
std::string GoodJwks() {
  nlohmann::json keys = nlohmann::json::array();
  for (nlohmann::json jwk : FuzzJwks()) {
    const std::string kty = jwk.value("kty", "");
    if (kty != "EC" && kty != "OKP") continue;
    for (const char* m : {"d", "p", "q", "dp", "dq", "qi"}) jwk.erase(m);
    keys.push_back(jwk);
  }
  return nlohmann::json{{"keys", keys}}.dump();
}

FetchResponse ParseResponse(absl::string_view text) {
  FetchResponse r;
  r.status = 200;
  const size_t blank = text.find("\n\n");
  absl::string_view head = text.substr(0, blank);
  r.body = blank == text.npos ? "" : std::string(text.substr(blank + 2));
  bool first = true;
  for (absl::string_view line : absl::StrSplit(head, '\n')) {
    int status = 0;
    if (first && absl::SimpleAtoi(line, &status)) {
      r.status = status;
      first = false;
      continue;
    }
    first = false;
    const size_t colon = line.find(':');
    if (colon == line.npos) continue;
    std::string name = absl::AsciiStrToLower(line.substr(0, colon));
    std::string value(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    auto [it, inserted] = r.headers.emplace(name, value);
    if (!inserted) absl::StrAppend(&it->second, ", ", value);
  }
  return r;
}

// Keys of the source in the store's current snapshot.
std::vector<const KeyEntry*> HeldKeys(const KeyStore& store) {
  std::vector<const KeyEntry*> out;
  for (const KeyEntry* e : store.Current()->AllEntries()) {
    if (e->provider() == "main") out.push_back(e);
  }
  return out;
}

void CheckDelays(const FetchResponse& r, absl::Time now) {
  const RefreshBounds bounds;
  const CacheHeaders headers{.cache_control = r.Header("cache-control"),
                             .expires = r.Header("expires"),
                             .date = r.Header("date"),
                             .age = r.Header("age")};
  const absl::Duration d = RefreshDelayFromHeaders(headers, bounds, now);
  if (d < bounds.min || d > bounds.max) Violated("refresh delay out of bounds");
  for (double u : {0.0, 0.5, 0.999999}) {
    const absl::Duration j = ApplyJitter(d, 0.1, u, bounds);
    if (j < bounds.min || j > bounds.max) Violated("jitter out of bounds");
  }
}

size_t ExpectedKeys(const FetchResponse& r) {
  if (r.status != 200) return 0;
  JwkImportOptions o;
  o.max_keys = Source().max_keys;
  o.allow_symmetric = false;
  absl::StatusOr<JwksImport> imported = ImportJwks(r.body, o);
  return imported.ok() ? imported->keys.size() : 0;
}

}  // namespace
}  // namespace jwtauth::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace jwtauth;
  using namespace jwtauth::fuzz;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<absl::string_view> parts = absl::StrSplit(input, "\n--next--\n");
  if (parts.size() > 3) parts.resize(3);
  StepClock clock;
  KeyStore store(&clock);
  QueueFetcher fetcher;
  FetchResponse good{.status = 200, .body = GoodJwks()};
  fetcher.Push(good);
  std::vector<FetchResponse> responses;
  for (absl::string_view part : parts) {
    responses.push_back(ParseResponse(part));
    fetcher.Push(responses.back());
  }
  JwksRefresherOptions options;
  options.random = [] { return 0.5; };
  auto refresher =
      JwksRefresher::Create(options, {Source()}, &store, &fetcher, &clock);
  if (!refresher.ok()) HarnessBroken(refresher.status().ToString());
  (*refresher)->RefreshOnce();
  size_t held = HeldKeys(store).size();
  absl::Time last_good = clock.Now();
  if (held == 0) HarnessBroken("the good JWKS did not load");
  for (const FetchResponse& r : responses) {
    clock.Advance(absl::Hours(1));
    CheckDelays(r, clock.Now());
    (*refresher)->RefreshOnce();
    const std::vector<const KeyEntry*> now_held = HeldKeys(store);
    const size_t expected = ExpectedKeys(r);
    if (expected > 0) {
      if (now_held.size() != expected) Violated("loaded key count differs");
      held = expected;
      last_good = clock.Now();
    } else if (r.status == 304 && held > 0) {
      // Confirms the last good set (keeps it; not a new load).
      if (now_held.size() != held) Violated("304 changed the keys");
      last_good = clock.Now();
    } else if (clock.Now() - last_good > Source().max_stale) {
      if (!now_held.empty()) Violated("stale keys kept past max_stale");
      held = 0;
    } else if (now_held.size() != held) {
      Violated("a bad response replaced the last good keys");
    }
    for (const KeyEntry* e : now_held) {
      if (e->key().issuer() != kIssuer) Violated("key not bound to issuer");
    }
    const JwksSourceStats st = (*refresher)->Stats().at(0);
    if (st.next_refresh <= clock.Now() ||
        st.next_refresh > clock.Now() + Source().refresh.max) {
      Violated("next refresh out of (now, now + max]");
    }
  }
  return 0;
}
