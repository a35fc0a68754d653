#include "core/json_limits.h"

#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace jwtauth {
namespace {

using json = nlohmann::json;

// A SAX handler that builds the document itself (like nlohmann's DOM parser)
// so every limit is enforced at the event that would exceed it: a hostile
// document is stopped after at most one value past a limit, never fully
// materialised first. Returning false from any callback aborts the parse.
class BoundedBuilder {
 public:
  explicit BoundedBuilder(const JsonLimits& limits) : limits_(limits) {}

  json& result() { return root_; }
  // Non-null once a limit tripped; the parse then reports this phrase.
  const char* error() const { return error_; }

  bool null() { return AddValue(json(nullptr)); }
  bool boolean(bool v) { return AddValue(json(v)); }
  bool number_integer(json::number_integer_t v) { return AddValue(json(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return AddValue(json(v)); }
  bool number_float(json::number_float_t v, const json::string_t& /*raw*/) {
    return AddValue(json(v));
  }
  bool string(json::string_t& v) { return AddValue(json(std::move(v))); }
  bool binary(json::binary_t& /*v*/) { return Fail("invalid JSON"); }

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
    if (obj == nullptr) return Fail("invalid JSON");
    // Names compare after unescaping, so {"a":1,"\u0061":2} is a duplicate.
    auto [it, inserted] = obj->try_emplace(std::move(name));
    if (!inserted) return Fail("duplicate member name");
    if (obj->size() > limits_.max_object_members) {
      return Fail("too many members");
    }
    pending_member_ = &it->second;
    return true;
  }

  bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& /*ex*/) {
    // The lexer's message quotes input bytes; never pass it on.
    if (error_ == nullptr) error_ = "invalid JSON";
    return false;
  }

 private:
  bool Fail(const char* phrase) {
    error_ = phrase;
    return false;
  }

  bool CountValue(bool is_object) {
    if (++values_ > limits_.max_values) return Fail("too many values");
    if (values_ == 1 && limits_.require_object && !is_object) {
      return Fail("not a JSON object");
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
    return Place(std::move(value)) != nullptr || Fail("invalid JSON");
  }

  bool StartContainer(json::value_t type) {
    if (!CountValue(type == json::value_t::object)) return false;
    if (static_cast<int>(stack_.size()) + 1 > limits_.max_depth) {
      return Fail("JSON nested too deeply");
    }
    json* placed = Place(json(type));
    if (placed == nullptr) return Fail("invalid JSON");
    stack_.push_back(placed);
    return true;
  }

  bool EndContainer() {
    if (stack_.empty()) return Fail("invalid JSON");
    stack_.pop_back();
    return true;
  }

  const JsonLimits& limits_;  // Not owned; outlives the parse.
  json root_;
  // Open containers, innermost last. Pointers stay valid: a container is only
  // appended to while it is the innermost one, and its parent never moves it
  // (arrays grow only after the child is closed; std::map nodes are stable).
  std::vector<json*> stack_;
  json* pending_member_ = nullptr;
  size_t values_ = 0;
  const char* error_ = nullptr;
};

}  // namespace

absl::StatusOr<json> ParseJsonBounded(absl::string_view text,
                                      const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return absl::InvalidArgumentError("JSON too large");
  }
  // nlohmann skips a UTF-8 byte-order mark; RFC 8259 §8.1 forbids sending
  // one, and accepting it would give one document two spellings.
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") {
    return absl::InvalidArgumentError("invalid JSON");
  }
  // nlohmann's lexer treats a raw NUL as end of input, which would accept
  // `{...}\0<anything>`. A raw NUL is never valid JSON (inside a string it is
  // an unescaped control character), so refuse it up front.
  if (text.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError("invalid JSON");
  }
  try {
    BoundedBuilder builder(limits);
    const char* begin = text.data();
    const bool ok = json::sax_parse(begin, begin + text.size(), &builder,
                                    json::input_format_t::json,
                                    /*strict=*/true,
                                    /*ignore_comments=*/false);
    if (!ok || builder.error() != nullptr) {
      return absl::InvalidArgumentError(
          builder.error() != nullptr ? builder.error() : "invalid JSON");
    }
    return std::move(builder.result());
  } catch (const std::exception&) {
    // Only allocation failure can get here (the SAX parser reports errors
    // through the handler); keep the no-throw contract regardless.
    return absl::InvalidArgumentError("invalid JSON");
  }
}

}  // namespace jwtauth
