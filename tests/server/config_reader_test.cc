#include "server/config_reader.h"

#include <cstring>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/option_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/status_matchers.h"

namespace jwtauth::server {
namespace {

using ::jwtauth::testutil::IsOk;
using ::jwtauth::testutil::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::shared_ptr<ConfigDocument> Doc(
    std::map<std::string, std::string> env = {}) {
  auto doc = std::make_shared<ConfigDocument>();
  doc->file = "/etc/jwtauth/c.yaml";
  doc->base_dir = "/etc/jwtauth";
  doc->getenv = [env](absl::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  return doc;
}

ConfigNode Load(absl::string_view text,
                std::map<std::string, std::string> env = {}) {
  absl::StatusOr<ConfigNode> root = LoadConfigDocument(text, Doc(env));
  EXPECT_THAT(root, IsOk());
  return root.ok() ? *root : ConfigNode();
}

std::string Message(const absl::Status& s) { return std::string(s.message()); }

class ConfigReaderBoolTest
    : public testing::TestWithParam<std::pair<const char*, bool>> {};

TEST_P(ConfigReaderBoolTest, AcceptsYaml12CoreSpellings) {
  ConfigNode root = Load(absl::StrCat("flag: ", GetParam().first, "\n"));
  EXPECT_THAT(root["flag"].Bool(), testutil::IsOkAndHolds(GetParam().second));
}

INSTANTIATE_TEST_SUITE_P(
    Spellings, ConfigReaderBoolTest,
    testing::Values(std::pair{"true", true}, std::pair{"True", true},
                    std::pair{"TRUE", true}, std::pair{"false", false},
                    std::pair{"False", false}, std::pair{"FALSE", false},
                    std::pair{"\"true\"", true}));

TEST(ConfigReaderTest, RejectsYaml11BooleanWords) {
  for (const char* word : {"yes", "no", "on", "off", "y", "n", "1", "0"}) {
    ConfigNode root = Load(absl::StrCat("flag: ", word, "\n"));
    absl::StatusOr<bool> b = root["flag"].Bool();
    EXPECT_THAT(b, StatusIs(absl::StatusCode::kInvalidArgument)) << word;
    EXPECT_THAT(Message(b.status()),
                HasSubstr("c.yaml:1:7: flag: expected true or false"))
        << word;
  }
}

TEST(ConfigReaderTest, BooleanFromEnvironment) {
  ConfigNode root = Load("flag: ${ON}\n", {{"ON", "true"}});
  EXPECT_THAT(root["flag"].Bool(), testutil::IsOkAndHolds(true));
}

TEST(ConfigReaderTest, StringsInterpolateEnvironment) {
  ConfigNode root = Load("a: \"x-${NAME}-y\"\nb: \"$${NAME}\"\nc: ${MISSING}\n",
                         {{"NAME", "v"}});
  EXPECT_THAT(root["a"].String(), testutil::IsOkAndHolds("x-v-y"));
  EXPECT_THAT(root["b"].String(), testutil::IsOkAndHolds("${NAME}"));
  absl::StatusOr<std::string> c = root["c"].String();
  EXPECT_THAT(Message(c.status()),
              HasSubstr("c.yaml:3:4: c: environment variable MISSING is not "
                        "set"));
}

// A value typed as a key (`{secret:abc}`, a pasted secret) may be a secret:
// only keys shaped like schema keys are echoed.
TEST(ConfigReaderTest, UnknownKeyNotShapedLikeASchemaKeyIsNotEchoed) {
  for (const char* key :
       {"secret:Q7v2pX9kLm4RtY8wZ3bN6cF1hJ5dG0sA", "Q7v2pX9kLm4RtY8wZ3bN6cF1",
        "0123456789abcdef", "a_very_long_lowercase_key_beyond_thirty_two"}) {
    ConfigNode root = Load(absl::StrCat("outer: {a: 1, \"", key, "\": 2}\n"));
    const std::string m = Message(root["outer"].ExpectMap({"a"}));
    EXPECT_THAT(m, HasSubstr(absl::StrCat("outer.<", strlen(key),
                                          "-character key>: unknown key")));
    EXPECT_THAT(m, Not(HasSubstr(key)));
  }
  EXPECT_THAT(
      Message(Load("outer: {a: 1, secrets: 2}\n")["outer"].ExpectMap({"a"})),
      HasSubstr("outer.secrets: unknown key"));
}

TEST(ConfigReaderTest, UnknownAndRepeatedKeysAreRejectedAtTheKey) {
  ConfigNode root = Load("outer:\n  a: 1\n  b: 2\n");
  EXPECT_THAT(Message(root["outer"].ExpectMap({"a"})),
              HasSubstr("c.yaml:3:3: outer.b: unknown key (allowed: a)"));
  ConfigNode dup = Load("outer:\n  a: 1\n  a: 2\n");
  EXPECT_THAT(Message(dup["outer"].ExpectMap({"a"})),
              HasSubstr("c.yaml:3:3: outer.a: duplicate key"));
  EXPECT_THAT(Message(root.ExpectMap({"outer"})), "");
  EXPECT_THAT(Message(Load("[1]\n").ExpectMap({"a"})),
              HasSubstr("c.yaml:1:1: (root): expected a mapping"));
}

TEST(ConfigReaderTest, AbsentFieldPointsAtItsParent) {
  ConfigNode root = Load("top:\n  inner: {a: 1}\n");
  ConfigNode missing = root.Find("top.inner.b");
  EXPECT_FALSE(missing.present());
  EXPECT_EQ(missing.path(), "top.inner.b");
  EXPECT_THAT(Message(missing.Error("required")),
              HasSubstr("c.yaml:2:10: top.inner.b: required"));
  EXPECT_FALSE(Load("a: ~\n").Has("a"));  // null counts as absent
}

TEST(ConfigReaderTest, ListsAndStringLists) {
  ConfigNode root = Load("one: x\nmany: [x, y]\nempty: []\nblank: [x, \"\"]\n");
  EXPECT_THAT(root["one"].StringList(),
              testutil::IsOkAndHolds(ElementsAre("x")));
  EXPECT_THAT(root["many"].StringList(),
              testutil::IsOkAndHolds(ElementsAre("x", "y")));
  EXPECT_THAT(root["empty"].StringList(),
              testutil::IsOkAndHolds(ElementsAre()));
  EXPECT_THAT(Message(root["empty"].NonEmptyStringList().status()),
              HasSubstr("empty: must be a non-empty list"));
  EXPECT_THAT(Message(root["blank"].StringList().status()),
              HasSubstr("c.yaml:4:12: blank[1]: must not be empty"));
  absl::StatusOr<std::vector<ConfigNode>> items = root["many"].List();
  ASSERT_THAT(items, IsOk());
  EXPECT_EQ((*items)[1].path(), "many[1]");
  EXPECT_THAT(Message(root["one"].List().status()),
              HasSubstr("one: expected a list"));
}

TEST(ConfigReaderTest, IntegersDurationsAndFiles) {
  ConfigNode root =
      Load("n: 12\nbig: 99\nd: 90s\nbad: 90\nf: keys/a.pem\nabs: /k.pem\n");
  EXPECT_THAT(root["n"].Int(1, 20), testutil::IsOkAndHolds(12));
  EXPECT_THAT(Message(root["big"].Int(1, 20).status()),
              HasSubstr("big: must be between 1 and 20"));
  EXPECT_THAT(root["d"].Duration(), testutil::IsOkAndHolds(absl::Seconds(90)));
  EXPECT_THAT(Message(root["bad"].Duration().status()),
              HasSubstr("c.yaml:4:6: bad: invalid duration"));
  EXPECT_THAT(root["f"].FilePath(),
              testutil::IsOkAndHolds("/etc/jwtauth/keys/a.pem"));
  EXPECT_THAT(root["abs"].FilePath(), testutil::IsOkAndHolds("/k.pem"));
}

TEST(ConfigReaderTest, ReadLeavesDefaultsForAbsentKeys) {
  ConfigNode root = Load("b: true\n");
  bool b = false;
  bool other = true;
  absl::Duration d = absl::Seconds(7);
  EXPECT_THAT(root.Read("b", &b), IsOk());
  EXPECT_THAT(root.Read("other", &other), IsOk());
  EXPECT_THAT(root.Read("d", &d), IsOk());
  EXPECT_TRUE(b);
  EXPECT_TRUE(other);
  EXPECT_EQ(d, absl::Seconds(7));
}

TEST(ConfigReaderTest, MapsCoreOptionErrorsOntoTheYamlValue) {
  ConfigNode p = Load("p:\n  skew: 11m\n  typ: [a, b]\n")["p"];
  EXPECT_THAT(
      Message(p.MapOptionError(
          InvalidOptionError("clock_skew", "must be at most 10m", "x: "),
          {{"clock_skew", "skew"}})),
      "/etc/jwtauth/c.yaml:2:9: p.skew: must be at most 10m");
  EXPECT_THAT(Message(p.MapOptionError(
                  InvalidOptionError("typ[1]", "must not be empty"))),
              "/etc/jwtauth/c.yaml:3:12: p.typ[1]: must not be empty");
  // Not an option error: the message is kept, located at the node.
  EXPECT_THAT(Message(p.MapOptionError(absl::InvalidArgumentError("boom"))),
              "/etc/jwtauth/c.yaml:2:3: p: boom");
  EXPECT_THAT(p.MapOptionError(absl::OkStatus()), IsOk());
}

// yaml-cpp's Node::operator= writes through to the node it refers to; a
// cursor must only move.
TEST(ConfigReaderTest, AssigningACursorLeavesTheDocumentAlone) {
  ConfigNode root = Load("a: x\nb: y\n");
  ConfigNode cursor = root["a"];
  cursor = root["b"];
  EXPECT_EQ(cursor.path(), "b");
  EXPECT_THAT(root["a"].String(), testutil::IsOkAndHolds("x"));
  EXPECT_THAT(root["b"].String(), testutil::IsOkAndHolds("y"));
  cursor = root.Find("a");
  EXPECT_THAT(cursor.String(), testutil::IsOkAndHolds("x"));
}

TEST(ConfigReaderTest, SyntaxErrorsHaveALocation) {
  absl::StatusOr<ConfigNode> root = LoadConfigDocument("a: [1,\n", Doc());
  EXPECT_THAT(root, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Message(root.status()),
              HasSubstr("/etc/jwtauth/c.yaml:2:1: (syntax):"));
}

TEST(ConfigReaderTest, DurationForms) {
  EXPECT_EQ(*ParseConfigDuration("500ms"), absl::Milliseconds(500));
  EXPECT_EQ(*ParseConfigDuration("90s"), absl::Seconds(90));
  EXPECT_EQ(*ParseConfigDuration("10m"), absl::Minutes(10));
  EXPECT_EQ(*ParseConfigDuration("1h"), absl::Hours(1));
  EXPECT_EQ(*ParseConfigDuration("1h30m"), absl::Minutes(90));
  EXPECT_EQ(*ParseConfigDuration("0"), absl::ZeroDuration());
  EXPECT_FALSE(ParseConfigDuration("90").ok());
  EXPECT_FALSE(ParseConfigDuration("-5s").ok());
  EXPECT_FALSE(ParseConfigDuration("inf").ok());
  EXPECT_FALSE(ParseConfigDuration("").ok());
  EXPECT_FALSE(ParseConfigDuration("5 parsecs").ok());
}

}  // namespace
}  // namespace jwtauth::server
