#include "core/key_set.h"

#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testutil/test_keys.h"

namespace jwtauth {
namespace {

using ::jwtauth::testutil::CachedTestKey;
using ::jwtauth::testutil::GenerateTestKey;

KeyEntryPtr Entry(const Key& key, const char* source = "s") {
  return std::make_shared<const KeyEntry>("p", source, key);
}

TEST(KeySetTest, IndexesByKidAndType) {
  Key es = CachedTestKey(Algorithm::kEs256).key;
  Key hs = CachedTestKey(Algorithm::kHs256).key;
  Key nokid = GenerateTestKey(Algorithm::kRs256, "").key;
  auto pk = std::make_shared<const ProviderKeys>(
      "p", std::vector<KeyEntryPtr>{Entry(es), Entry(hs), Entry(nokid)}, true,
      false);
  KeySet::Builder builder(5);
  builder.AddProvider(pk);
  KeySetSnapshot set = std::move(builder).Build();
  EXPECT_EQ(set->generation(), 5u);
  EXPECT_EQ(set->size(), 3u);
  ASSERT_EQ(set->FindByKid("p", es.kid()).size(), 1u);
  EXPECT_EQ(set->FindByKid("p", es.kid())[0]->key().kid(), es.kid());
  EXPECT_TRUE(set->FindByKid("p", "nope").empty());
  EXPECT_TRUE(set->FindByKid("other", es.kid()).empty());
  EXPECT_EQ(set->FindByType("p", KeyType::kRsa).size(), 1u);
  EXPECT_EQ(set->FindByType("p", KeyType::kOct).size(), 1u);
  EXPECT_TRUE(set->FindByType("p", KeyType::kOkp).empty());
  EXPECT_EQ(set->ProviderNames(), std::vector<std::string>{"p"});
  EXPECT_EQ(set->AllEntries().size(), 3u);
  uint64_t id = set->FindByKid("p", es.kid())[0]->id();
  EXPECT_TRUE(set->ContainsKey("p", id));
  EXPECT_FALSE(set->ContainsKey("other", id));
}

TEST(KeySetTest, DuplicateKidsAreAllCandidates) {
  Key a = GenerateTestKey(Algorithm::kHs256, "dup").key;
  Key b = GenerateTestKey(Algorithm::kHs256, "dup").key;
  ProviderKeys pk("p", {Entry(a), Entry(b)}, true, false);
  EXPECT_EQ(pk.FindByKid("dup").size(), 2u);
}

TEST(KeySetTest, KeysUnavailableOnlyWhenEverySourcePending) {
  EXPECT_TRUE(ProviderKeys("p", {}, false, true).keys_unavailable());
  EXPECT_FALSE(ProviderKeys("p", {}, true, true).keys_unavailable());
  EXPECT_FALSE(ProviderKeys("p", {}, true, false).keys_unavailable());
}

TEST(KeySetTest, EntryIdsAreUniqueAndCountersWork) {
  Key k = CachedTestKey(Algorithm::kEdDsa).key;
  KeyEntryPtr a = Entry(k);
  KeyEntryPtr b = Entry(k);
  EXPECT_NE(a->id(), b->id());
  EXPECT_EQ(a->identity(), b->identity());
  EXPECT_NE(a->identity(),
            Entry(GenerateTestKey(Algorithm::kEdDsa, k.kid()).key)->identity());
  // Rebinding to an issuer is a different identity.
  EXPECT_NE(a->identity(), Entry(k.BoundToIssuer("https://a"))->identity());
  EXPECT_EQ(k.BoundToIssuer("https://a").issuer(), "https://a");
  EXPECT_EQ(k.issuer(), "");
  EXPECT_FALSE(a->last_used().has_value());
  a->RecordUse(absl::FromUnixSeconds(100));
  a->RecordUse(absl::FromUnixSeconds(200));
  EXPECT_EQ(a->verifications(), 2u);
  EXPECT_EQ(a->last_used(), absl::FromUnixSeconds(200));
  // Carried counters are shared.
  KeyEntry c("p", "s", k, a->id(), a->usage());
  EXPECT_EQ(c.verifications(), 2u);
  EXPECT_EQ(c.id(), a->id());
}

TEST(KeySetTest, EmptySet) {
  KeySetSnapshot set = KeySet::Empty();
  EXPECT_EQ(set->generation(), 0u);
  EXPECT_EQ(set->provider("p"), nullptr);
  EXPECT_EQ(set->size(), 0u);
}

}  // namespace
}  // namespace jwtauth
