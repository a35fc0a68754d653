#include "core/json_limits.h"

#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "core/json_flat_scan.h"
#include "core/json_reader.h"
#include "core/status_macros.h"

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

// The limit bookkeeping both sinks share: every limit is enforced at the
// event that would exceed it, so a hostile document is stopped after at
// most one value past a limit, never fully materialised first. Returning
// false from any callback aborts the parse.
class LimitCounter {
 public:
  explicit LimitCounter(const JsonLimits& limits) : limits_(limits) {}

  // Set once a limit tripped; the parse then reports this kind.
  std::optional<JsonErrorKind> error() const { return error_; }

 protected:
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
  // `open` containers are open before this one starts.
  bool CheckDepth(size_t open) {
    if (static_cast<int>(open) + 1 > limits_.max_depth) {
      return Fail(JsonErrorKind::kTooDeep);
    }
    return true;
  }
  bool CheckMembers(size_t members) {
    if (members > limits_.max_object_members) {
      return Fail(JsonErrorKind::kTooManyMembers);
    }
    return true;
  }
  // Adds member `name` to a built object: its value's slot, or nullptr once
  // a limit tripped. Names compare after unescaping, so {"a":1,"\u0061":2}
  // is a duplicate. Hinted at the end: members that arrive sorted (as many
  // serializers write them) cost one comparison; any other order a lookup.
  json* InsertMember(json::object_t& obj, json::string_t&& name) {
    const size_t before = obj.size();
    auto it = obj.try_emplace(obj.end(), std::move(name));
    if (obj.size() == before) {
      Fail(JsonErrorKind::kDuplicateMember);
      return nullptr;
    }
    if (!CheckMembers(obj.size())) return nullptr;
    return &it->second;
  }

 private:
  const JsonLimits& limits_;  // Not owned; outlives the parse.
  size_t values_ = 0;
  std::optional<JsonErrorKind> error_;
};

// A sink that builds the document (like nlohmann's DOM parser).
class BoundedBuilder : public LimitCounter {
 public:
  explicit BoundedBuilder(const JsonLimits& limits) : LimitCounter(limits) {}

  json& result() { return root_; }

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
    pending_member_ = InsertMember(*obj, std::move(name));
    return pending_member_ != nullptr;
  }

 private:
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
    if (!CheckDepth(stack_.size())) return false;
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

  json root_;
  // Open containers, innermost last. Pointers stay valid: a container is only
  // appended to while it is the innermost one, and its parent never moves it
  // (arrays grow only after the child is closed; std::map nodes are stable).
  absl::InlinedVector<json*, 8> stack_;
  json* pending_member_ = nullptr;
};

// The member names of one object that is not built, for the duplicate
// check: a short inline list while small (the usual JWT), a hash set
// beyond, so a hostile object of many members costs O(n), not O(n^2).
class NameSet {
 public:
  // False when `name` was already there.
  bool Insert(const std::string& name) {
    if (large_.empty()) {
      for (const std::string& n : few_) {
        if (json_internal::SameName(n, name)) return false;
      }
      if (few_.size() < kFew) {
        few_.push_back(name);
        return true;
      }
      large_.insert(few_.begin(), few_.end());
      few_.clear();
    }
    return large_.insert(name).second;
  }
  size_t size() const { return few_.size() + large_.size(); }

 private:
  static constexpr size_t kFew = 8;
  absl::InlinedVector<std::string, kFew> few_;  // no allocation while few
  absl::flat_hash_set<std::string> large_;
};

// A sink that checks like BoundedBuilder but builds only the top-level
// members the caller gives a slot for (ScanJsonBounded).
class BoundedScanner : public LimitCounter {
 public:
  using TargetFor = absl::FunctionRef<ScanTarget(absl::string_view)>;
  BoundedScanner(const JsonLimits& limits, TargetFor target_for)
      : LimitCounter(limits), target_for_(target_for) {}

  bool null() {
    return AddScalar([] { return json(nullptr); });
  }
  bool boolean(bool v) {
    return AddScalar([v] { return json(v); });
  }
  bool number_integer(json::number_integer_t v) {
    return AddScalar([v] { return json(v); });
  }
  bool number_unsigned(json::number_unsigned_t v) {
    return AddScalar([v] { return json(v); });
  }
  bool number_float(json::number_float_t v, const json::string_t& /*raw*/) {
    return AddScalar([v] { return json(v); });
  }
  bool string(json::string_t& v) {
    if (pending_text_ != nullptr) {  // a top-level member kept as text
      if (!CountValue(/*is_object=*/false)) return false;
      pending_text_->swap(v);
      *pending_is_text_ = true;
      pending_ = nullptr;
      pending_text_ = nullptr;
      return true;
    }
    return AddScalar([&v] { return json(std::move(v)); });
  }
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
    if (frames_.empty()) return Fail(JsonErrorKind::kInvalid);
    Frame& f = frames_.back();
    if (f.node != nullptr) {  // a kept object: as BoundedBuilder
      json::object_t* obj = f.node->get_ptr<json::object_t*>();
      if (obj == nullptr) return Fail(JsonErrorKind::kInvalid);
      pending_ = InsertMember(*obj, std::move(name));
      return pending_ != nullptr;
    }
    if (!f.object) return Fail(JsonErrorKind::kInvalid);
    if (!f.names.Insert(name)) return Fail(JsonErrorKind::kDuplicateMember);
    if (!CheckMembers(f.names.size())) return false;
    const ScanTarget target =
        frames_.size() == 1 ? target_for_(name) : ScanTarget{};
    pending_ = target.value;
    const bool as_text = target.value != nullptr && target.text != nullptr &&
                         target.is_text != nullptr;
    pending_text_ = as_text ? target.text : nullptr;
    pending_is_text_ = as_text ? target.is_text : nullptr;
    return true;
  }

 private:
  struct Frame {
    json* node = nullptr;  // nullptr: validated, not kept
    bool object = false;
    NameSet names;  // when not kept and an object
  };

  // Where the next value goes (nullptr: nowhere), consuming a member slot.
  json* Target(json&& value) {
    if (frames_.empty()) return nullptr;  // the root is never kept
    json* parent = frames_.back().node;
    if (parent != nullptr && parent->is_array()) {
      json::array_t* arr = parent->get_ptr<json::array_t*>();
      arr->push_back(std::move(value));
      return &arr->back();
    }
    json* slot = pending_;
    pending_ = nullptr;
    pending_text_ = nullptr;
    if (slot != nullptr) *slot = std::move(value);
    return slot;
  }

  template <typename Make>
  bool AddScalar(Make make) {
    if (!CountValue(/*is_object=*/false)) return false;
    const bool keep = !frames_.empty() &&
                      (frames_.back().node != nullptr || pending_ != nullptr);
    if (keep) {
      Target(make());
    }
    return true;
  }

  bool StartContainer(json::value_t type) {
    const bool object = type == json::value_t::object;
    if (!CountValue(object)) return false;
    if (!CheckDepth(frames_.size())) return false;
    const bool keep = !frames_.empty() &&
                      (frames_.back().node != nullptr || pending_ != nullptr);
    json* node = keep ? Target(json(type)) : nullptr;
    frames_.push_back(Frame{.node = node, .object = object, .names = {}});
    return true;
  }

  bool EndContainer() {
    if (frames_.empty()) return Fail(JsonErrorKind::kInvalid);
    frames_.pop_back();
    return true;
  }

  TargetFor target_for_;
  // Open containers, innermost last (see BoundedBuilder for why the kept
  // nodes' addresses stay valid).
  absl::InlinedVector<Frame, 4> frames_;
  json* pending_ = nullptr;
  // Set with pending_ for a top-level member whose string value is kept
  // as text; cleared with it.
  std::string* pending_text_ = nullptr;
  bool* pending_is_text_ = nullptr;
};

absl::Status CheckSize(absl::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return JsonError(JsonErrorKind::kTooLarge);
  }
  return absl::OkStatus();
}

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
  if (absl::Status size = CheckSize(text, limits); !size.ok()) return size;
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

absl::Status ScanJsonBounded(
    absl::string_view text, const JsonLimits& limits,
    absl::FunctionRef<ScanTarget(absl::string_view name)> target_for) {
  JWTAUTH_RETURN_IF_ERROR(CheckSize(text, limits));
  try {
    if (json_internal::ScanFlatObject(text, limits, target_for)) {
      return absl::OkStatus();
    }
    BoundedScanner scanner(limits, target_for);
    const bool ok =
        json_internal::StrictReader<BoundedScanner>(text, scanner).Read();
    if (!ok || scanner.error().has_value()) {
      return JsonError(scanner.error().value_or(JsonErrorKind::kInvalid));
    }
    return absl::OkStatus();
  } catch (const std::exception&) {
    return JsonError(JsonErrorKind::kInvalid);  // allocation failure only
  }
}

absl::Status ScanJsonBounded(
    absl::string_view text, const JsonLimits& limits,
    absl::FunctionRef<json*(absl::string_view name)> slot_for) {
  return ScanJsonBounded(text, limits, [slot_for](absl::string_view name) {
    return ScanTarget{.value = slot_for(name)};
  });
}

}  // namespace jwtauth
