#include "core/claim_matcher.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"

namespace jwtauth {
namespace {

// Text of a scalar for equals / in; nullopt for objects, arrays and null.
std::optional<std::string> ScalarText(const nlohmann::json& v) {
  if (v.is_string() || v.is_boolean() || v.is_number()) {
    return Claims::ValueToString(v);
  }
  return std::nullopt;
}

bool ScalarIn(const nlohmann::json& v, absl::Span<const std::string> values) {
  std::optional<std::string> text = ScalarText(v);
  return text.has_value() &&
         std::find(values.begin(), values.end(), *text) != values.end();
}

// Whether `v` (an array of strings, or a space-separated string) holds the
// non-empty string `want`.
bool HoldsString(const nlohmann::json& v, absl::string_view want) {
  if (want.empty()) return false;
  if (v.is_array()) {
    return std::any_of(v.begin(), v.end(), [&](const nlohmann::json& e) {
      return e.is_string() && e.get_ref<const std::string&>() == want;
    });
  }
  if (!v.is_string()) return false;
  for (absl::string_view word : absl::StrSplit(v.get_ref<const std::string&>(),
                                               ' ', absl::SkipEmpty())) {
    if (word == want) return true;
  }
  return false;
}

// Parses the placeholder after the '%' at text[i]; advances i past it.
absl::StatusOr<std::string> PlaceholderKey(absl::string_view text, size_t& i) {
  if (i + 1 >= text.size()) {
    return absl::InvalidArgumentError("'%' at end of value");
  }
  const char n = text[i + 1];
  if (n == '{') {
    size_t close = text.find('}', i + 2);
    if (close == absl::string_view::npos || close == i + 2) {
      return absl::InvalidArgumentError("unterminated or empty %{...}");
    }
    std::string key(text.substr(i + 2, close - i - 2));
    i = close;
    return key;
  }
  if (absl::ascii_isalpha(static_cast<unsigned char>(n))) {
    ++i;
    return std::string(1, n);
  }
  return absl::InvalidArgumentError(
      "'%' must be followed by a letter, '{name}' or '%'");
}

}  // namespace

bool ClaimValueMatches(const nlohmann::json* value, ClaimMatchOp op,
                       absl::Span<const std::string> expected) {
  if (value == nullptr || value->is_null()) return false;
  if (op == ClaimMatchOp::kExists) return true;
  if (expected.empty()) return false;
  switch (op) {
    case ClaimMatchOp::kEquals:
      return ScalarIn(*value, expected.subspan(0, 1));
    case ClaimMatchOp::kIn:
      if (value->is_array()) {
        return std::any_of(
            value->begin(), value->end(),
            [&](const nlohmann::json& e) { return ScalarIn(e, expected); });
      }
      return ScalarIn(*value, expected);
    case ClaimMatchOp::kOneOf:
      // A provider rule restricts the claim's value: an array claim (even
      // one holding a listed value next to an unlisted one) is refused.
      return !value->is_array() && ScalarIn(*value, expected);
    case ClaimMatchOp::kContains:
      return std::all_of(
          expected.begin(), expected.end(),
          [&](const std::string& want) { return HoldsString(*value, want); });
    case ClaimMatchOp::kExists:
      break;
  }
  return false;
}

absl::StatusOr<ClaimTemplate> ClaimTemplate::Parse(absl::string_view text) {
  std::vector<Part> parts;
  std::string literal;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      literal.push_back(text[i]);
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '%') {
      literal.push_back('%');
      ++i;
      continue;
    }
    absl::StatusOr<std::string> key = PlaceholderKey(text, i);
    if (!key.ok()) return key.status();
    if (!literal.empty()) parts.push_back({false, std::move(literal)});
    literal.clear();
    parts.push_back({true, *std::move(key)});
  }
  if (!literal.empty() || parts.empty()) {
    parts.push_back({false, std::move(literal)});
  }
  return ClaimTemplate(std::move(parts));
}

ClaimTemplate ClaimTemplate::Literal(absl::string_view text) {
  return ClaimTemplate({Part{false, std::string(text)}});
}

std::optional<std::string> ClaimTemplate::Expand(
    const VerifyContext& context) const {
  if (parts_.size() == 1 && !parts_[0].placeholder) return parts_[0].text;
  std::string out;
  for (const Part& p : parts_) {
    if (!p.placeholder) {
      out += p.text;
      continue;
    }
    auto it = context.find(p.text);
    if (it == context.end() || it->second.empty()) return std::nullopt;
    out += it->second;
  }
  return out;
}

absl::StatusOr<ClaimMatcher> ClaimMatcher::Create(
    std::string path, ClaimMatchOp op, const std::vector<std::string>& values) {
  if (path.empty())
    return absl::InvalidArgumentError("claim must not be empty");
  if (op == ClaimMatchOp::kExists) {
    if (!values.empty()) {
      return absl::InvalidArgumentError("exists takes no values");
    }
  } else if (values.empty()) {
    return absl::InvalidArgumentError("values must not be empty");
  } else if (op == ClaimMatchOp::kEquals && values.size() != 1) {
    return absl::InvalidArgumentError("equals takes exactly one value");
  }
  std::vector<ClaimTemplate> templates;
  templates.reserve(values.size());
  for (const std::string& v : values) {
    absl::StatusOr<ClaimTemplate> t = ClaimTemplate::Parse(v);
    if (!t.ok()) return t.status();
    templates.push_back(*std::move(t));
  }
  return ClaimMatcher(std::move(path), op, std::move(templates));
}

ClaimMatch ClaimMatcher::Evaluate(const Claims& claims,
                                  const VerifyContext& context) const {
  return EvaluateValue(claims.Find(path_), context);
}

ClaimMatch ClaimMatcher::EvaluateValue(const nlohmann::json* value,
                                       const VerifyContext& context) const {
  if (value == nullptr || value->is_null()) return ClaimMatch::kMissing;
  std::vector<std::string> expected;
  expected.reserve(values_.size());
  for (const ClaimTemplate& t : values_) {
    std::optional<std::string> e = t.Expand(context);
    if (!e.has_value()) return ClaimMatch::kNoContextValue;
    expected.push_back(*std::move(e));
  }
  return ClaimValueMatches(value, op_, expected) ? ClaimMatch::kMatch
                                                 : ClaimMatch::kMismatch;
}

}  // namespace jwtauth
