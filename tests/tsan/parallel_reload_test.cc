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

class ParallelReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    jwks_ = JwksHttpServer::Start();
    ASSERT_NE(jwks_, nullptr);
    jwks_->SetReply("/jwks", {.body = JwksOf({&stable_, &rot_a_})});
    tmp_.Write("hs1.txt", kSecret1);
    tmp_.Write("hs2.txt", kSecret2);
    config_path_ = tmp_.Write("config.yaml", Config(jwks_->Url("/jwks"), 0));
    absl::StatusOr<ServerConfig> config = LoadServerConfigFile(config_path_);
    ASSERT_TRUE(config.ok()) << config.status();
    auto app = Application::Create(*std::move(config),
                                   {.logger = &logger_, .metrics = &metrics_});
    ASSERT_TRUE(app.ok()) << app.status();
    app_ = *std::move(app);
    ASSERT_TRUE(testutil::WaitUntil([&] { return app_->Ready(); }));
  }
  void TearDown() override {
    stop_ = true;
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
    if (app_ != nullptr) app_->StopWatching();
  }

  // Readers: each call reads one generation, as an RPC does, and verifies a
  // stable token (HandleVerify) and a changing one (HandleVerifySerialized).
  void StartVerifiers() {
    for (int i = 0; i < 40; ++i) {
      stable_tokens_.push_back(i % 2 == 0
                                   ? HsToken(kSecret1, "hs1", i)
                                   : testutil::SignJws(stable_, Claims(i)));
      changing_tokens_.push_back(
          i % 3 == 0
              ? HsToken(kSecret2, "hs2", i)
              : testutil::SignJws(i % 3 == 1 ? rot_a_ : rot_b_, Claims(i)));
    }
    for (int t = 0; t < kVerifyThreads; ++t) {
      threads_.emplace_back([this, t] {
        v1::VerifyRequest request;
        for (size_t i = t; !stop_.load(); ++i) {
          std::shared_ptr<const ServingState> state = app_->state()->Current();
          request.set_token(stable_tokens_[i % stable_tokens_.size()]);
          request.set_provider(i % 2 == 0 ? "idp" : "");
          absl::StatusOr<v1::VerifyResponse> r =
              HandleVerify(state.get(), request);
          ++stable_tally_.calls;
          if (!r.ok() || !r->valid()) ++stable_tally_.failures;
          request.set_token(changing_tokens_[i % changing_tokens_.size()]);
          auto s = HandleVerifySerialized(state.get(), request);
          ++changing_tally_.calls;
          if (s.ok() && s->valid()) ++changing_tally_.accepted;
        }
      });
    }
  }

  // Writers: reloads two ways (explicit Reload() and file edits the watcher
  // sees, racing each other); the JWKS rotates while /metrics, /readyz and
  // the public JWKS are rendered.
  void StartWriters() {
    app_->StartWatching();
    threads_.emplace_back([this] {
      for (int i = 1; !stop_.load(); ++i) {
        tmp_.Write("config.yaml", Config(jwks_->Url("/jwks"), i % 2));
        if (i % 2 == 0) {
          absl::StatusOr<ServerConfig> c = LoadServerConfigFile(config_path_);
          if (c.ok() && app_->Reload(*std::move(c)).ok()) ++reloads_ok_;
        }
        absl::SleepFor(absl::Milliseconds(15));
      }
    });
    threads_.emplace_back([this] {
      for (bool b = false; !stop_.load(); b = !b, ++rotations_) {
        jwks_->SetReply("/jwks",
                        {.body = JwksOf({&stable_, b ? &rot_b_ : &rot_a_})});
        (void)metrics_.RenderPrometheus();
        (void)app_->Readiness();
        (void)app_->PublicJwksJson();
        absl::SleepFor(absl::Milliseconds(7));
      }
    });
  }

  // At least RunTime(), and until every writer made progress (bounded):
  // under TSan a writer may get little time next to four busy readers.
  bool RunAndStop() {
    absl::SleepFor(RunTime());
    const bool progressed = testutil::WaitUntil(
        [&] {
          return reloads_ok_.load() >= 5 && rotations_.load() >= 10 &&
                 changing_tally_.accepted.load() > 0;
        },
        absl::Seconds(120));
    stop_ = true;
    for (std::thread& t : threads_) t.join();
    app_->StopWatching();
    return progressed;
  }

  const TestKey stable_ = GenerateTestKey(Algorithm::kEs256, "j-1");
  const TestKey rot_a_ = GenerateTestKey(Algorithm::kEs256, "j-a");
  const TestKey rot_b_ = GenerateTestKey(Algorithm::kRs256, "j-b");
  std::unique_ptr<JwksHttpServer> jwks_;
  testutil::TempDir tmp_{"parallel_reload"};
  std::string config_path_;
  Logger logger_{LogLevel::kDebug, [](absl::string_view) {}};
  Metrics metrics_;
  std::unique_ptr<Application> app_;

  std::vector<std::string> stable_tokens_, changing_tokens_;
  Tally stable_tally_, changing_tally_;
  std::atomic<bool> stop_{false};
  std::atomic<int> reloads_ok_{0}, rotations_{0};
  std::vector<std::thread> threads_;
};

TEST_F(ParallelReloadTest, ReloadsAndRefreshesUnderParallelVerify) {
  StartVerifiers();
  StartWriters();
  EXPECT_TRUE(RunAndStop());
  const uint64_t generation = app_->generation();
  std::printf(
      "parallel reload: stable %lld calls, %lld failures; changing %lld "
      "calls, %lld accepted; %d explicit reloads ok, generation %llu, %d "
      "JWKS rotations\n",
      static_cast<long long>(stable_tally_.calls.load()),
      static_cast<long long>(stable_tally_.failures.load()),
      static_cast<long long>(changing_tally_.calls.load()),
      static_cast<long long>(changing_tally_.accepted.load()),
      reloads_ok_.load(), static_cast<unsigned long long>(generation),
      rotations_.load());
  EXPECT_GT(stable_tally_.calls.load(), 0);
  EXPECT_EQ(stable_tally_.failures.load(), 0);
  EXPECT_GT(changing_tally_.accepted.load(), 0);
  EXPECT_GE(reloads_ok_.load(), 5);
  // Watcher reloads come on top of the explicit ones.
  EXPECT_GT(generation, static_cast<uint64_t>(reloads_ok_.load()));
}

}  // namespace
}  // namespace jwtauth::server
