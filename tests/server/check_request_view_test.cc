// CheckRequestView::FromWire must see a CheckRequest exactly as protobuf's
// generated parser does (then FromMessage), or decline so that protobuf
// decides: compared field by field on hand-made wire forms and on thousands
// of mutated and truncated requests.

#include "server/check_request_view.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "google/protobuf/stubs/logging.h"
#include "gtest/gtest.h"

namespace jwtauth::server {
namespace {

namespace authv3 = ::envoy::service::auth::v3;

authv3::CheckRequest EnvoyLike() {
  authv3::CheckRequest req;
  auto* http = req.mutable_attributes()->mutable_request()->mutable_http();
  http->set_id("8f2b6c52-3a1d-4e0e-9c71-5f0c2e8d1a11");
  http->set_method("GET");
  http->set_path("/orders/42?expand=items#frag");
  http->set_host("api.example.com");
  http->set_size(17);
  auto& h = *http->mutable_headers();
  h[":authority"] = "api.example.com";
  h["accept"] = "application/json";
  h["authorization"] = "Bearer aaaa.bbbb.cccc";
  h["cookie"] = "a=1; session=tok";
  h["user-agent"] = "test-agent/1.0 (a header value longer than 15 bytes)";
  h["x-request-id"] = "req-1";
  (*req.mutable_attributes()->mutable_context_extensions())["service"] =
      "orders";
  return req;
}

// Every accessor, for the names either view or the message could hold.
void ExpectSameView(const CheckRequestView& got, const CheckRequestView& want,
                    const authv3::CheckRequest& message,
                    const std::string& what) {
  EXPECT_EQ(got.id(), want.id()) << what;
  EXPECT_EQ(got.method(), want.method()) << what;
  EXPECT_EQ(got.host(), want.host()) << what;
  EXPECT_EQ(got.path(), want.path()) << what;
  EXPECT_EQ(got.query(), want.query()) << what;
  const auto& http = message.attributes().request().http();
  std::vector<std::string> names = {"authorization", "AUTHORIZATION", "cookie",
                                    "x-request-id",  "absent",        ""};
  for (const auto& [k, v] : http.headers()) {
    names.push_back(k);
    names.push_back(absl::AsciiStrToUpper(k));
  }
  for (const auto& h : http.header_map().headers()) names.push_back(h.key());
  for (const std::string& name : names) {
    EXPECT_EQ(got.Header(name), want.Header(name))
        << what << " header " << name;
  }
  std::vector<std::string> keys = {"service", "absent", ""};
  for (const auto& [k, v] : message.attributes().context_extensions()) {
    keys.push_back(k);
  }
  for (const std::string& key : keys) {
    EXPECT_EQ(got.ContextExtension(key), want.ContextExtension(key))
        << what << " extension " << key;
  }
}

// FromWire on `bytes` against protobuf: when protobuf parses them, the
// views agree (or FromWire declined); when protobuf fails, FromWire
// declined. Returns whether FromWire answered.
bool CompareWithProtobuf(const std::string& bytes, const std::string& what) {
  std::optional<CheckRequestView> wire = CheckRequestView::FromWire(bytes);
  authv3::CheckRequest message;
  if (!message.ParseFromString(bytes)) {
    EXPECT_FALSE(wire.has_value()) << what << ": protobuf refused, view read";
    return wire.has_value();
  }
  if (wire.has_value()) {
    ExpectSameView(*wire, CheckRequestView::FromMessage(message), message,
                   what);
  }
  return wire.has_value();
}

std::string Tag(uint32_t field, uint32_t wire_type) {
  std::string out;
  uint32_t v = field << 3 | wire_type;
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}

std::string Len(uint32_t field, const std::string& payload) {
  std::string out = Tag(field, 2);
  size_t v = payload.size();
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out + payload;
}

// A CheckRequest whose HttpRequest holds `http_fields` (raw wire bytes).
std::string WithHttp(const std::string& http_fields) {
  return Len(1, Len(4, Len(2, http_fields)));
}

TEST(CheckRequestViewTest, ReadsAnEnvoyRequestInPlace) {
  const authv3::CheckRequest req = EnvoyLike();
  const std::string bytes = req.SerializeAsString();
  std::optional<CheckRequestView> view = CheckRequestView::FromWire(bytes);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->method(), "GET");
  EXPECT_EQ(view->path(), "/orders/42");
  EXPECT_EQ(view->query(), "expand=items");
  EXPECT_EQ(view->Header("Authorization"), "Bearer aaaa.bbbb.cccc");
  EXPECT_EQ(view->Header("absent"), std::nullopt);
  EXPECT_EQ(view->ContextExtension("service"), "orders");
  // Views into the bytes, not copies.
  const absl::string_view auth = *view->Header("authorization");
  EXPECT_GE(auth.data(), bytes.data());
  EXPECT_LE(auth.data() + auth.size(), bytes.data() + bytes.size());
  ExpectSameView(*view, CheckRequestView::FromMessage(req), req, "envoy-like");
}

TEST(CheckRequestViewTest, RawHeaderMapWhenHeadersIsEmpty) {
  authv3::CheckRequest req;
  auto* http = req.mutable_attributes()->mutable_request()->mutable_http();
  http->set_path("/p");
  http->set_query("from=field");
  auto* h = http->mutable_header_map()->add_headers();
  h->set_key("Authorization");
  h->set_raw_value("Bearer raw");
  h = http->mutable_header_map()->add_headers();
  h->set_key("x-two");
  h->set_value("value wins");
  h->set_raw_value("raw loses");
  const std::string bytes = req.SerializeAsString();
  std::optional<CheckRequestView> view = CheckRequestView::FromWire(bytes);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->Header("authorization"), "Bearer raw");
  EXPECT_EQ(view->Header("X-TWO"), "value wins");
  EXPECT_EQ(view->query(), "from=field");
  EXPECT_TRUE(CompareWithProtobuf(bytes, "header_map"));
}

// Two serialized messages back to back are one merged message: the later
// scalar wins, map keys seen twice keep the later value.
TEST(CheckRequestViewTest, MergesRepeatedMessagesLikeProtobuf) {
  authv3::CheckRequest second;
  auto* http = second.mutable_attributes()->mutable_request()->mutable_http();
  http->set_method("POST");
  (*http->mutable_headers())["authorization"] = "Bearer second";
  (*http->mutable_headers())["x-new"] = "n";
  (*second.mutable_attributes()->mutable_context_extensions())["service"] =
      "billing";
  const std::string bytes =
      EnvoyLike().SerializeAsString() + second.SerializeAsString();
  std::optional<CheckRequestView> view = CheckRequestView::FromWire(bytes);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->method(), "POST");
  EXPECT_EQ(view->Header("authorization"), "Bearer second");
  EXPECT_EQ(view->Header("accept"), "application/json");
  EXPECT_EQ(view->ContextExtension("service"), "billing");
  EXPECT_TRUE(CompareWithProtobuf(bytes, "merged"));
}

// Two spellings of a header name: the same one wins in either arrival
// order, and in the parsed message's (unordered) map.
TEST(CheckRequestViewTest, CaseVariantsResolveTheSameWhateverTheOrder) {
  const std::string upper = Len(3, Len(1, "X-Token") + Len(2, "upper"));
  const std::string lower = Len(3, Len(1, "x-TOKEN") + Len(2, "lower"));
  for (const std::string& http : {upper + lower, lower + upper}) {
    const std::string bytes = WithHttp(http);
    std::optional<CheckRequestView> view = CheckRequestView::FromWire(bytes);
    ASSERT_TRUE(view.has_value());
    EXPECT_EQ(view->Header("x-token"), "upper");  // "X-Token" < "x-TOKEN"
    EXPECT_EQ(view->Header("x-TOKEN"), "lower");  // exact match first
    EXPECT_TRUE(CompareWithProtobuf(bytes, "case variants"));
  }
}

TEST(CheckRequestViewTest, SkipsUnknownFieldsAndMismatchedWireTypes) {
  const std::string bytes =
      WithHttp(Tag(2, 0) + "\x05" +        // method as a varint: unknown
               Len(4, "/a?b=c") +          // path
               Tag(99, 1) + "12345678" +   // unknown fixed64
               Tag(98, 5) + "1234" +       // unknown fixed32
               Len(97, "anything") +       // unknown bytes
               Tag(96, 0) + "\xff\x01") +  // unknown varint
      Len(1, Len(77, "unknown in AttributeContext"));
  std::optional<CheckRequestView> view = CheckRequestView::FromWire(bytes);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->method(), "");
  EXPECT_EQ(view->path(), "/a");
  EXPECT_EQ(view->query(), "b=c");
  EXPECT_TRUE(CompareWithProtobuf(bytes, "unknown fields"));
}

TEST(CheckRequestViewTest, DeclinesWhatProtobufMustDecide) {
  const google::protobuf::LogSilencer quiet;  // protobuf logs UTF-8 refusals
  // Invalid UTF-8 in a read string field: protobuf refuses the request.
  authv3::CheckRequest req = EnvoyLike();
  const std::string bad_header =
      WithHttp(Len(3, Len(1, "authorization") + Len(2, "Bearer \xff")));
  EXPECT_FALSE(CheckRequestView::FromWire(bad_header).has_value());
  EXPECT_FALSE(req.ParseFromString(bad_header));
  // Truncated, a zero field number, an over-long tag, a group.
  const std::string good = EnvoyLike().SerializeAsString();
  for (const std::string& bytes :
       {good.substr(0, good.size() - 1), std::string("\x00\x01", 2),
        std::string("\x8a\x80\x80\x80\x80\x00", 6), Tag(5, 3) + Tag(5, 4)}) {
    EXPECT_FALSE(CheckRequestView::FromWire(bytes).has_value());
  }
  // raw_value is bytes: any byte goes.
  const std::string raw = WithHttp(
      Len(13, Len(1, Len(1, "authorization") + Len(3, "Bearer \xff"))));
  std::optional<CheckRequestView> view = CheckRequestView::FromWire(raw);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->Header("authorization"), "Bearer \xff");
  EXPECT_TRUE(CompareWithProtobuf(raw, "raw_value bytes"));
}

// Every truncation and 4,000 random one-byte changes of a real request:
// FromWire never reads what protobuf refuses, and reads what it accepts
// the same way (declining is allowed; it happens on groups and such).
TEST(CheckRequestViewTest, AgreesWithProtobufOnMutatedRequests) {
  const google::protobuf::LogSilencer quiet;
  const std::string good = EnvoyLike().SerializeAsString();
  int read = 0;
  for (size_t n = 0; n < good.size(); ++n) {
    read += CompareWithProtobuf(good.substr(0, n), "truncated") ? 1 : 0;
  }
  std::mt19937 rng(20261206);
  for (int i = 0; i < 4000; ++i) {
    std::string bytes = good;
    bytes[rng() % bytes.size()] = static_cast<char>(rng() & 0xff);
    read += CompareWithProtobuf(bytes, "mutation " + std::to_string(i)) ? 1 : 0;
  }
  // Most changes land in header text and still parse: both sides read them.
  EXPECT_GT(read, 1000);
}

}  // namespace
}  // namespace jwtauth::server
