#include "core/key_store.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/fake_clock.h"
#include "tests/testutil/test_keys.h"
#include "tests/testutil/wait.h"

namespace jwtauth {
namespace {

using ::jwtauth::testutil::CachedTestKey;
using ::jwtauth::testutil::GenerateTestKey;
using ::jwtauth::testutil::kWaitTimeout;
using ::jwtauth::testutil::WaitUntil;
using ::testing::ElementsAre;

TEST(KeyStoreTest, StartsEmptyAndPublishesNewGenerations) {
  KeyStore store;
  KeySetSnapshot s0 = store.Current();
  ASSERT_NE(s0, nullptr);
  EXPECT_EQ(s0->size(), 0u);
  Key k = CachedTestKey(Algorithm::kEs256).key;
  store.SetSourceKeys("p", "static", {k});
  KeySetSnapshot s1 = store.Current();
  EXPECT_GT(s1->generation(), s0->generation());
  EXPECT_EQ(s1->FindByKid("p", k.kid()).size(), 1u);
  EXPECT_EQ(s0->size(), 0u);  // old snapshots never change
}

TEST(KeyStoreTest, SourcesAreIndependent) {
  KeyStore store;
  Key a = GenerateTestKey(Algorithm::kHs256, "a").key;
  Key b = GenerateTestKey(Algorithm::kHs256, "b").key;
  store.SetSourceKeys("p", "s1", {a});
  store.SetSourceKeys("p", "s2", {b});
  EXPECT_EQ(store.Current()->size(), 2u);
  store.SetSourceKeys("p", "s1", {});
  EXPECT_TRUE(store.Current()->FindByKid("p", "a").empty());
  EXPECT_EQ(store.Current()->FindByKid("p", "b").size(), 1u);
  store.RemoveSource("p", "s2");
  EXPECT_EQ(store.Current()->size(), 0u);
  store.RemoveSource("p", "s1");
  EXPECT_EQ(store.Current()->provider("p"), nullptr);
}

TEST(KeyStoreTest, PendingSources) {
  KeyStore store;
  store.MarkSourcePending("p", "jwks");
  EXPECT_TRUE(store.Current()->provider("p")->keys_unavailable());
  Key k = CachedTestKey(Algorithm::kRs256).key;
  store.SetSourceKeys("p", "jwks", {k});
  EXPECT_FALSE(store.Current()->provider("p")->keys_unavailable());
  // Marking a loaded source pending again keeps its keys.
  store.MarkSourcePending("p", "jwks");
  EXPECT_EQ(store.Current()->size(), 1u);
  // A loaded static source next to a pending one: not unavailable.
  store.MarkSourcePending("q", "jwks");
  store.SetSourceKeys("q", "static", {});
  EXPECT_FALSE(store.Current()->provider("q")->keys_unavailable());
  std::vector<SourceInfo> sources = store.Sources();
  ASSERT_EQ(sources.size(), 3u);
  EXPECT_EQ(sources[1].provider, "q");
  EXPECT_EQ(sources[1].source_id, "jwks");
  EXPECT_TRUE(sources[1].pending);
}

TEST(KeyStoreTest, DuplicateKidsReported) {
  KeyStore store;
  Key a = GenerateTestKey(Algorithm::kHs256, "dup").key;
  Key b = GenerateTestKey(Algorithm::kHs256, "dup").key;
  Key c = GenerateTestKey(Algorithm::kHs256, "c").key;
  EXPECT_THAT(KeyStore::FindDuplicateKids({a, b, c, a}), ElementsAre("dup"));
  store.SetSourceKeys("p", "s", {a, b, c});
  EXPECT_THAT(store.Sources()[0].duplicate_kids, ElementsAre("dup"));
  EXPECT_EQ(store.Current()->FindByKid("p", "dup").size(), 2u);
}

TEST(KeyStoreTest, UsageAndIdSurviveReloadOfSameKeyOnly) {
  KeyStore store;
  Key k = CachedTestKey(Algorithm::kEs384).key;
  store.SetSourceKeys("p", "jwks", {k});
  const KeyEntry* e = store.Current()->FindByKid("p", k.kid())[0];
  uint64_t id = e->id();
  e->RecordUse(absl::FromUnixSeconds(5));
  store.SetSourceKeys("p", "jwks", {k});  // refresh, same key
  const KeyEntry* e2 = store.Current()->FindByKid("p", k.kid())[0];
  EXPECT_EQ(e2->id(), id);
  EXPECT_EQ(e2->verifications(), 1u);
  // Same kid, new material: a different key.
  Key other = GenerateTestKey(Algorithm::kEs384, k.kid()).key;
  store.SetSourceKeys("p", "jwks", {other});
  const KeyEntry* e3 = store.Current()->FindByKid("p", k.kid())[0];
  EXPECT_NE(e3->id(), id);
  EXPECT_EQ(e3->verifications(), 0u);
  KeySetSnapshot snap = store.Current();
  std::vector<const KeyEntry*> entries = snap->AllEntries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0]->provider(), "p");
  EXPECT_EQ(entries[0]->source_id(), "jwks");
  EXPECT_EQ(entries[0]->key().kty(), KeyType::kEc);
}

TEST(KeyStoreTest, ReplaceAllKeepsListedAndRemovesOthers) {
  KeyStore store;
  Key a = GenerateTestKey(Algorithm::kHs256, "a").key;
  Key b = GenerateTestKey(Algorithm::kHs256, "b").key;
  Key c = GenerateTestKey(Algorithm::kHs256, "c").key;
  store.SetSourceKeys("p", "static", {a});
  store.SetSourceKeys("p", "jwks", {b});
  store.SetSourceKeys("old", "static", {c});
  uint64_t a_id = store.Current()->FindByKid("p", "a")[0]->id();
  uint64_t gen = store.Current()->generation();
  std::vector<SourceKeys> next;
  next.push_back({"p", "static2", {a}, false});  // a moved to a new source
  next.push_back({"p", "jwks2", {}, true});      // new pending URL
  store.ReplaceAll(std::move(next), {{"p", "jwks"}});
  KeySetSnapshot s = store.Current();
  EXPECT_EQ(s->generation(), gen + 1);  // one publish
  EXPECT_EQ(s->provider("old"), nullptr);
  ASSERT_EQ(s->FindByKid("p", "a").size(), 1u);
  EXPECT_EQ(s->FindByKid("p", "a")[0]->id(), a_id);  // same key, same id
  EXPECT_EQ(s->FindByKid("p", "a")[0]->source_id(), "static2");
  EXPECT_EQ(s->FindByKid("p", "b").size(), 1u);
  EXPECT_EQ(s->size(), 2u);
  EXPECT_EQ(store.Sources().size(), 3u);
}

TEST(KeyStoreTest, SourcesCarryRefreshTimeOfPerSourceUpdates) {
  testutil::FakeClock clock(absl::FromUnixSeconds(1'700'000'000));
  const absl::Time t0 = clock.Now();
  KeyStore store(&clock);
  Key a = GenerateTestKey(Algorithm::kHs256, "a").key;
  Key b = GenerateTestKey(Algorithm::kHs256, "b").key;
  auto refreshed = [&store](absl::string_view id) {
    for (const SourceInfo& s : store.Sources()) {
      if (s.source_id == id) return s.refreshed_at;
    }
    ADD_FAILURE() << "no source " << id;
    return absl::InfiniteFuture();
  };
  store.MarkSourcePending("p", "jwks");
  EXPECT_EQ(refreshed("jwks"), absl::InfinitePast());
  store.MarkSourceRefreshed("p", "jwks");  // pending: nothing to confirm
  EXPECT_EQ(refreshed("jwks"), absl::InfinitePast());

  clock.Advance(absl::Seconds(10));
  store.SetSourceKeys("p", "jwks", {a});
  EXPECT_EQ(refreshed("jwks"), t0 + absl::Seconds(10));
  const uint64_t gen = store.Current()->generation();
  clock.Advance(absl::Seconds(10));
  store.MarkSourceRefreshed("p", "jwks");
  EXPECT_EQ(refreshed("jwks"), t0 + absl::Seconds(20));
  EXPECT_EQ(store.Current()->generation(), gen);  // nothing republished
  store.MarkSourceRefreshed("p", "unknown");      // no-op, no new source
  EXPECT_EQ(store.Sources().size(), 1u);

  // A config load: static sources get no stamp, pending and kept entries
  // keep theirs.
  clock.Advance(absl::Seconds(10));
  store.ReplaceAll({SourceKeys{"p", "static", {b}, false},
                    SourceKeys{"p", "jwks", {}, true}});
  EXPECT_EQ(refreshed("static"), absl::InfinitePast());
  EXPECT_EQ(refreshed("jwks"), t0 + absl::Seconds(20));
  store.ReplaceAll({SourceKeys{"p", "static", {b}, false}}, {{"p", "jwks"}});
  EXPECT_EQ(refreshed("jwks"), t0 + absl::Seconds(20));
  EXPECT_EQ(refreshed("static"), absl::InfinitePast());
}

// Readers take snapshots and look keys up while a writer swaps sources; the
// always-present key must be found in every snapshot (run under TSan too).
TEST(KeyStoreTest, ConcurrentReadersDuringSwaps) {
  KeyStore store;
  Key stable = CachedTestKey(Algorithm::kEs256).key;
  Key churn = GenerateTestKey(Algorithm::kHs256, "churn").key;
  store.SetSourceKeys("p", "stable", {stable});
  std::atomic<bool> stop{false};
  std::atomic<int> missing{0};
  std::atomic<uint64_t> reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      uint64_t last_gen = 0;
      while (!stop.load(std::memory_order_acquire)) {
        KeySetSnapshot s = store.Current();
        if (s->generation() < last_gen) missing.fetch_add(1000);  // monotonic
        last_gen = s->generation();
        auto found = s->FindByKid("p", stable.kid());
        if (found.size() != 1) missing.fetch_add(1);
        for (const KeyEntry* e : found) e->RecordUse(absl::FromUnixSeconds(1));
        reads.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  for (int i = 0; i < 500; ++i) {
    if (i % 2 == 0) {
      store.SetSourceKeys("p", "churn", {churn});
    } else {
      store.RemoveSource("p", "churn");
    }
    if (i % 50 == 0) store.SetSourceKeys("p", "stable", {stable});
  }
  const bool read_enough = WaitUntil([&] { return reads.load() >= 100; });
  stop.store(true, std::memory_order_release);
  for (auto& t : readers) t.join();
  ASSERT_TRUE(read_enough) << "readers made only " << reads.load()
                           << " of 100 reads within " << kWaitTimeout;
  EXPECT_EQ(missing.load(), 0);
  KeySetSnapshot snap = store.Current();
  ASSERT_EQ(snap->AllEntries().size(), 1u);
  EXPECT_EQ(snap->AllEntries()[0]->verifications(), reads.load());
}

}  // namespace
}  // namespace jwtauth
