#include "core/json_limits.h"

#include <exception>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "core/json_reader.h"

namespace jwtauth {
namespace {

using json = nlohmann::json;

constexpr absl::string_view kJsonErrorKindUrl = "jwtauth/JsonErrorKind";

// InvalidArgument with the kind's phrase; the kind rides along as a payload
// (one byte) so callers branch on JsonErrorKindOf, never on the text.
absl::Status JsonError(JsonErrorKind kind) {
  absl::Status s = absl::InvalidArgumentError(JsonErrorPhrase(kind));
  s.SetPayload(kJsonErrorKindUrl,
               absl::Cord(std::string(1, static_cast<char>(kind))));
  return s;
}

// A SAX-style sink that builds the document (like nlohmann's DOM parser) so
// every limit is enforced at the event that would exceed it: a hostile
// document is stopped after at most one value past a limit, never fully
// materialised first. Returning false from any callback aborts the parse.
class BoundedBuilder {
 public:
  explicit BoundedBuilder(const JsonLimits& limits) : limits_(limits) {}

  json& result() { return root_; }
  // Set once a limit tripped; the parse then reports this kind.
  std::optional<JsonErrorKind> error() const { return error_; }

  bool null() { return AddValue(json(nullptr)); }
  bool boolean(bool v) { return AddValue(json(v)); }
  bool number_integer(json::number_integer_t v) { return AddValue(json(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return AddValue(json(v)); }
  bool number_float(json::number_float_t v, const json::string_t& /*raw*/) {
    return AddValue(json(v));
  }
  bool string(json::string_t& v) { return AddValue(json(std::move(v))); }
  bool binary(json::binary_t& /*v*/) { return Fail(JsonErrorKind::kInvalid); }

  bool start_object(std::size_t /*size_hint*/) {
    return StartContainer(json::value_t::object);
  }
  bool start_array(std::size_t /*size_hint*/) {
    return StartContainer(json::value_t::array);
  }
  bool end_object() { return EndContainer(); }
  bool end_array() { return EndContainer(); }

  bool key(json::string_t& name) {
    json::object_t* obj = stack_.back()->get_ptr<json::object_t*>();
    if (obj == nullptr) return Fail(JsonErrorKind::kInvalid);
    // Names compare after unescaping, so {"a":1,"\u0061":2} is a duplicate.
    // Hinted at the end: members that arrive sorted (as many serializers
    // write them) cost one comparison; any other order a normal lookup.
    const size_t before = obj->size();
    auto it = obj->try_emplace(obj->end(), std::move(name));
    if (obj->size() == before) return Fail(JsonErrorKind::kDuplicateMember);
    if (obj->size() > limits_.max_object_members) {
      return Fail(JsonErrorKind::kTooManyMembers);
    }
    pending_member_ = &it->second;
    return true;
  }

 private:
  bool Fail(JsonErrorKind kind) {
    error_ = kind;
    return false;
  }

  bool CountValue(bool is_object) {
    if (++values_ > limits_.max_values)
      return Fail(JsonErrorKind::kTooManyValues);
    if (values_ == 1 && limits_.require_object && !is_object) {
      return Fail(JsonErrorKind::kNotObject);
    }
    return true;
  }

  // Places `value` where the grammar says it goes and returns its address.
  json* Place(json&& value) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    json& parent = *stack_.back();
    if (parent.is_array()) {
      json::array_t* arr = parent.get_ptr<json::array_t*>();
      arr->push_back(std::move(value));
      return &arr->back();
    }
    // Object member: key() already inserted the slot.
    json* slot = pending_member_;
    pending_member_ = nullptr;
    if (slot == nullptr) return nullptr;
    *slot = std::move(value);
    return slot;
  }

  bool AddValue(json&& value) {
    if (!CountValue(/*is_object=*/false)) return false;
    return Place(std::move(value)) != nullptr || Fail(JsonErrorKind::kInvalid);
  }

  bool StartContainer(json::value_t type) {
    if (!CountValue(type == json::value_t::object)) return false;
    if (static_cast<int>(stack_.size()) + 1 > limits_.max_depth) {
      return Fail(JsonErrorKind::kTooDeep);
    }
    json* placed = Place(json(type));
    if (placed == nullptr) return Fail(JsonErrorKind::kInvalid);
    stack_.push_back(placed);
    return true;
  }

  bool EndContainer() {
    if (stack_.empty()) return Fail(JsonErrorKind::kInvalid);
    stack_.pop_back();
    return true;
  }

  const JsonLimits& limits_;  // Not owned; outlives the parse.
  json root_;
  // Open containers, innermost last. Pointers stay valid: a container is only
  // appended to while it is the innermost one, and its parent never moves it
  // (arrays grow only after the child is closed; std::map nodes are stable).
  absl::InlinedVector<json*, 8> stack_;
  json* pending_member_ = nullptr;
  size_t values_ = 0;
  std::optional<JsonErrorKind> error_;
};

}  // namespace

absl::string_view JsonErrorPhrase(JsonErrorKind kind) {
  switch (kind) {
    case JsonErrorKind::kTooLarge:
      return "JSON too large";
    case JsonErrorKind::kTooDeep:
      return "JSON nested too deeply";
    case JsonErrorKind::kTooManyValues:
      return "too many values";
    case JsonErrorKind::kTooManyMembers:
      return "too many members";
    case JsonErrorKind::kDuplicateMember:
      return "duplicate member name";
    case JsonErrorKind::kNotObject:
      return "not a JSON object";
    case JsonErrorKind::kInvalid:
      break;
  }
  return "invalid JSON";
}

std::optional<JsonErrorKind> JsonErrorKindOf(const absl::Status& status) {
  auto payload = status.GetPayload(kJsonErrorKindUrl);  // absl::optional
  if (!payload.has_value() || payload->size() != 1) return std::nullopt;
  const int v = static_cast<unsigned char>((*payload)[0]);
  if (v > static_cast<int>(JsonErrorKind::kInvalid)) return std::nullopt;
  return static_cast<JsonErrorKind>(v);
}

absl::StatusOr<json> ParseJsonBounded(absl::string_view text,
                                      const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return JsonError(JsonErrorKind::kTooLarge);
  }
  // The reader rejects a byte-order mark (RFC 8259 §8.1: never sent) and a
  // raw NUL (never valid JSON) like any other stray byte.
  try {
    BoundedBuilder builder(limits);
    const bool ok =
        json_internal::StrictReader<BoundedBuilder>(text, builder).Read();
    if (!ok || builder.error().has_value()) {
      return JsonError(builder.error().value_or(JsonErrorKind::kInvalid));
    }
    return std::move(builder.result());
  } catch (const std::exception&) {
    // Only allocation failure can get here; keep the no-throw contract.
    return JsonError(JsonErrorKind::kInvalid);
  }
}

}  // namespace jwtauth
