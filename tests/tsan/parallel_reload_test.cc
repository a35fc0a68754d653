// Concurrency of the serving path without gRPC: threads call the
// transport-free Verify handler (HandleVerify / HandleVerifySerialized, what
// AuthService runs) on the Application's current generation while the
// config is reloaded (Reload() and the file watcher, racing each other),
// the JWKS refresher re-fetches a rotating key set every few milliseconds
// and /metrics, /readyz and the public JWKS are rendered. Built in every
// preset; its purpose is the `tsan` preset (docs/testing.md), where any
// data race in the reload, key store swap, cache or refresher fails it.
// Tokens under keys present in every generation must never fail.
//
// JWTAUTH_TSAN_SECONDS (default 2) sets how long the test runs.

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/crypto/key_material.h"
#include "core/crypto/signature_verifier.h"
#include "core/jwk.h"
#include "gtest/gtest.h"
#include "jwtauth/v1/auth.pb.h"
#include "nlohmann/json.hpp"
#include "server/application.h"
#include "server/config.h"
#include "server/verify_handler.h"
#include "tests/testutil/jwks_http_server.h"
#include "tests/testutil/temp_dir.h"
#include "tests/testutil/test_keys.h"
#include "tests/testutil/wait.h"

namespace jwtauth::server {
namespace {

using ::jwtauth::testutil::GenerateTestKey;
using ::jwtauth::testutil::JwksHttpServer;
using ::jwtauth::testutil::TestKey;

constexpr char kIssuer[] = "https://idp.test";
constexpr char kSecret1[] = "stable-secret-0123456789abcdef0123";
constexpr char kSecret2[] = "second-secret-0123456789abcdef0123";
constexpr int kVerifyThreads = 4;

absl::Duration RunTime() {
  int seconds = 2;
  if (const char* env = std::getenv("JWTAUTH_TSAN_SECONDS")) {
    if (!absl::SimpleAtoi(env, &seconds) || seconds < 1) seconds = 2;
  }
  return absl::Seconds(seconds);
}

std::string Claims(int i) {
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  return nlohmann::json{{"iss", kIssuer},
                        {"aud", "api"},
                        {"sub", absl::StrCat("user-", i)},
                        {"iat", now},
                        {"exp", now + 3600}}
      .dump();
}

std::string HsToken(absl::string_view secret, absl::string_view kid, int i) {
  TestKey key = GenerateTestKey(Algorithm::kHs256, kid);
  auto km = crypto::KeyMaterial::FromSecret(secret);
  EXPECT_TRUE(km.ok());
  key.signer = *crypto::NewSigner(Algorithm::kHs256, *km);
  return testutil::SignJws(key, Claims(i));
}

std::string JwksOf(const std::vector<const TestKey*>& keys) {
  std::vector<Key> v;
  for (const TestKey* k : keys) v.push_back(k->key);
  return ExportPublicJwks(v).dump();
}

// Generation `variant` of the config: variant 1 adds a second secret and a
// smaller cache; both keep kid hs1 and the JWKS URL.
std::string Config(const std::string& jwks_url, int variant) {
  std::string keys = "      - {kid: hs1, alg: HS256, secret_file: hs1.txt}\n";
  if (variant == 1) {
    absl::StrAppend(&keys,
                    "      - {kid: hs2, alg: HS256, secret_file: hs2.txt}\n");
  }
  return absl::StrCat(
      "server: {listen: \"127.0.0.1:0\", admin_listen: \"\", "
      "watch_interval: 10ms}\n"
      "cache: {max_entries: ",
      variant == 1 ? 16 : 64,
      "}\n"
      "providers:\n"
      "  - name: idp\n"
      "    issuers: [",
      kIssuer,
      "]\n"
      "    audiences: [api]\n"
      "    keys:\n",
      keys, "    jwks_urls:\n      - {url: \"", jwks_url,
      "\", refresh: {default: 5ms, min: 5ms, max: 5ms}}\n");
}

struct Tally {
  std::atomic<int64_t> calls{0};
  std::atomic<int64_t> failures{0};  // stable tokens rejected: must stay 0
  std::atomic<int64_t> accepted{0};
};

TEST(ParallelReloadTest, ReloadsAndRefreshesUnderParallelVerify) {
  std::unique_ptr<JwksHttpServer> jwks = JwksHttpServer::Start();
  ASSERT_NE(jwks, nullptr);
  const TestKey stable = GenerateTestKey(Algorithm::kEs256, "j-1");
  const TestKey rot_a = GenerateTestKey(Algorithm::kEs256, "j-a");
  const TestKey rot_b = GenerateTestKey(Algorithm::kRs256, "j-b");
  jwks->SetReply("/jwks", {.body = JwksOf({&stable, &rot_a})});
  testutil::TempDir tmp("parallel_reload");
  tmp.Write("hs1.txt", kSecret1);
  tmp.Write("hs2.txt", kSecret2);
  const std::string config_path =
      tmp.Write("config.yaml", Config(jwks->Url("/jwks"), 0));
  absl::StatusOr<ServerConfig> config = LoadServerConfigFile(config_path);
  ASSERT_TRUE(config.ok()) << config.status();
  Logger logger(LogLevel::kDebug, [](absl::string_view) {});
  Metrics metrics;
  auto app = Application::Create(*std::move(config),
                                 {.logger = &logger, .metrics = &metrics});
  ASSERT_TRUE(app.ok()) << app.status();
  Application& a = **app;
  ASSERT_TRUE(testutil::WaitUntil([&] { return a.Ready(); }));
  a.StartWatching();

  std::vector<std::string> stable_tokens, changing_tokens;
  for (int i = 0; i < 40; ++i) {
    stable_tokens.push_back(i % 2 == 0 ? HsToken(kSecret1, "hs1", i)
                                       : testutil::SignJws(stable, Claims(i)));
    changing_tokens.push_back(
        i % 3 == 0 ? HsToken(kSecret2, "hs2", i)
                   : testutil::SignJws(i % 3 == 1 ? rot_a : rot_b, Claims(i)));
  }
  Tally stable_tally, changing_tally;
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kVerifyThreads; ++t) {
    threads.emplace_back([&, t] {
      v1::VerifyRequest request;
      for (size_t i = t; !stop.load(); ++i) {
        // Each call reads one generation, as an RPC does.
        std::shared_ptr<const ServingState> state = a.state()->Current();
        request.set_token(stable_tokens[i % stable_tokens.size()]);
        request.set_provider(i % 2 == 0 ? "idp" : "");
        absl::StatusOr<v1::VerifyResponse> r = HandleVerify(state.get(), request);
        ++stable_tally.calls;
        if (!r.ok() || !r->valid()) ++stable_tally.failures;
        request.set_token(changing_tokens[i % changing_tokens.size()]);
        auto s = HandleVerifySerialized(state.get(), request);
        ++changing_tally.calls;
        if (s.ok() && s->valid()) ++changing_tally.accepted;
      }
    });
  }
  // Reloads two ways: explicit Reload() and file edits the watcher sees.
  std::atomic<int> reloads_ok{0};
  threads.emplace_back([&] {
    for (int i = 1; !stop.load(); ++i) {
      tmp.Write("config.yaml", Config(jwks->Url("/jwks"), i % 2));
      if (i % 2 == 0) {
        absl::StatusOr<ServerConfig> c = LoadServerConfigFile(config_path);
        if (c.ok() && a.Reload(*std::move(c)).ok()) ++reloads_ok;
      }
      absl::SleepFor(absl::Milliseconds(15));
    }
  });
  // The JWKS rotates; admin-side readers run alongside.
  std::atomic<int> rotations{0};
  threads.emplace_back([&] {
    for (bool b = false; !stop.load(); b = !b, ++rotations) {
      jwks->SetReply("/jwks", {.body = JwksOf({&stable, b ? &rot_b : &rot_a})});
      (void)metrics.RenderPrometheus();
      (void)a.Readiness();
      (void)a.PublicJwksJson();
      absl::SleepFor(absl::Milliseconds(7));
    }
  });
  // At least RunTime(), and until every writer made progress: under TSan a
  // writer may get little time next to four busy readers.
  absl::SleepFor(RunTime());
  const bool progressed = testutil::WaitUntil(
      [&] {
        return reloads_ok.load() >= 5 && rotations.load() >= 10 &&
               changing_tally.accepted.load() > 0;
      },
      absl::Seconds(120));
  stop = true;
  for (std::thread& t : threads) t.join();
  a.StopWatching();
  EXPECT_TRUE(progressed);

  const uint64_t generation = a.generation();
  std::printf(
      "parallel reload: stable %lld calls, %lld failures; changing %lld "
      "calls, %lld accepted; %d explicit reloads ok, generation %llu, %d "
      "JWKS rotations\n",
      static_cast<long long>(stable_tally.calls.load()),
      static_cast<long long>(stable_tally.failures.load()),
      static_cast<long long>(changing_tally.calls.load()),
      static_cast<long long>(changing_tally.accepted.load()), reloads_ok.load(),
      static_cast<unsigned long long>(generation), rotations.load());
  EXPECT_GT(stable_tally.calls.load(), 0);
  EXPECT_EQ(stable_tally.failures.load(), 0);
  EXPECT_GT(changing_tally.accepted.load(), 0);
  EXPECT_GT(reloads_ok.load(), 0);
  EXPECT_GT(generation, static_cast<uint64_t>(reloads_ok.load()));
}

}  // namespace
}  // namespace jwtauth::server
