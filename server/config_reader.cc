#include "server/config_reader.h"

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/option_error.h"
#include "core/status_macros.h"
#include "server/logging.h"

namespace jwtauth::server {

std::optional<std::string> ProcessGetEnv(absl::string_view name) {
  const char* v = std::getenv(std::string(name).c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

std::string Location::Error(absl::string_view reason) const {
  std::string prefix = file.empty() ? "<config>" : file;
  if (line > 0) absl::StrAppend(&prefix, ":", line, ":", column);
  return absl::StrCat(prefix, ": ", path.empty() ? "(root)" : path, ": ",
                      reason);
}

ConfigNode::ConfigNode(const YAML::Node& node, std::string path,
                       std::shared_ptr<const ConfigDocument> document)
    : node_(node.IsDefined() ? node : YAML::Node(YAML::NodeType::Undefined)),
      path_(std::move(path)),
      document_(document != nullptr ? std::move(document)
                                    : std::make_shared<ConfigDocument>()) {}

ConfigNode& ConfigNode::operator=(const ConfigNode& other) {
  if (this == &other) return *this;
  node_.reset(other.node_);
  path_ = other.path_;
  document_ = other.document_;
  fallback_mark_ = other.fallback_mark_;
  return *this;
}

ConfigNode ConfigNode::Child(const YAML::Node& node, std::string path) const {
  // A missing key yields an invalid yaml-cpp node whose accessors throw;
  // an Undefined node answers them.
  ConfigNode child(
      node.IsDefined() ? node : YAML::Node(YAML::NodeType::Undefined),
      std::move(path), document_);
  child.fallback_mark_ = node_.IsDefined() && !node_.Mark().is_null()
                             ? node_.Mark()
                             : fallback_mark_;
  return child;
}

Location ConfigNode::location() const {
  Location l;
  l.file = document_->file;
  l.path = path_;
  YAML::Mark m = node_.IsDefined() ? node_.Mark() : YAML::Mark::null_mark();
  if (m.is_null()) m = fallback_mark_;
  if (!m.is_null() && m.line >= 0) {
    l.line = m.line + 1;
    l.column = m.column + 1;
  }
  return l;
}

absl::Status ConfigNode::Error(absl::string_view reason) const {
  return absl::InvalidArgumentError(location().Error(reason));
}

bool ConfigNode::present() const {
  return node_.IsDefined() && !node_.IsNull();
}

namespace {

// Every schema key is lowercase letters and underscores. An unknown key of
// another shape is echoed by length only: it is often a value typed as a key
// (`{secret:<value>}`, a pasted secret or key line) and may be a secret.
std::string ShownKey(absl::string_view key) {
  const bool schema_like = !key.empty() && key.size() <= 32 &&
                           std::all_of(key.begin(), key.end(), [](char c) {
                             return (c >= 'a' && c <= 'z') || c == '_';
                           });
  return schema_like ? std::string(key)
                     : absl::StrCat("<", key.size(), "-character key>");
}

}  // namespace

absl::Status ConfigNode::ExpectMap(
    std::initializer_list<absl::string_view> allowed) const {
  if (!node_.IsMap()) return Error("expected a mapping");
  std::set<std::string> seen;
  for (const auto& kv : node_) {
    const std::string key = kv.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      const std::string shown = ShownKey(key);
      const ConfigNode at = Child(
          kv.first, path_.empty() ? shown : absl::StrCat(path_, ".", shown));
      return at.Error(absl::StrCat(
          "unknown key (allowed: ", absl::StrJoin(allowed, ", "), ")"));
    }
    const ConfigNode at =
        Child(kv.first, path_.empty() ? key : absl::StrCat(path_, ".", key));
    // yaml-cpp keeps both; which one wins would be an accident.
    if (!seen.insert(key).second) return at.Error("duplicate key");
  }
  return absl::OkStatus();
}

bool ConfigNode::Has(absl::string_view key) const {
  return (*this)[key].present();
}

ConfigNode ConfigNode::operator[](absl::string_view key) const {
  std::string path =
      path_.empty() ? std::string(key) : absl::StrCat(path_, ".", key);
  if (!node_.IsMap()) return Child(YAML::Node(), path);
  const YAML::Node& self = node_;  // const: lookup never inserts
  return Child(self[std::string(key)], std::move(path));
}

ConfigNode ConfigNode::Find(absl::string_view dotted_path) const {
  ConfigNode n = *this;
  for (absl::string_view part : absl::StrSplit(dotted_path, '.')) n = n[part];
  return n;
}

std::vector<std::string> ConfigNode::Keys() const {
  std::vector<std::string> keys;
  if (!node_.IsMap()) return keys;
  for (const auto& kv : node_) keys.push_back(kv.first.Scalar());
  return keys;
}

absl::StatusOr<std::vector<ConfigNode>> ConfigNode::List() const {
  if (!node_.IsSequence()) return Error("expected a list");
  std::vector<ConfigNode> items;
  for (size_t i = 0; i < node_.size(); ++i) {
    items.push_back(Child(node_[i], absl::StrCat(path_, "[", i, "]")));
  }
  return items;
}

absl::StatusOr<std::vector<ConfigNode>> ConfigNode::NonEmptyList() const {
  if (!node_.IsSequence() || node_.size() == 0) {
    return Error("must be a non-empty list");
  }
  return List();
}

absl::StatusOr<std::string> ConfigNode::String() const {
  if (!node_.IsScalar()) return Error("expected a string");
  absl::StatusOr<std::string> v =
      InterpolateEnv(node_.Scalar(), document_->getenv);
  if (!v.ok()) return Error(v.status().message());
  return v;
}

absl::StatusOr<std::string> ConfigNode::NonEmptyString() const {
  JWTAUTH_ASSIGN_OR_RETURN(std::string s, String());
  if (s.empty()) return Error("must not be empty");
  return s;
}

absl::StatusOr<bool> ConfigNode::Bool() const {
  if (node_.IsScalar()) {
    absl::StatusOr<std::string> s = String();
    if (!s.ok()) return s.status();
    if (*s == "true" || *s == "True" || *s == "TRUE") return true;
    if (*s == "false" || *s == "False" || *s == "FALSE") return false;
  }
  return Error("expected true or false");
}

absl::StatusOr<int64_t> ConfigNode::Int(int64_t min, int64_t max) const {
  JWTAUTH_ASSIGN_OR_RETURN(std::string s, String());
  int64_t v = 0;
  if (!absl::SimpleAtoi(s, &v)) return Error("expected an integer");
  if (v < min || v > max) {
    return Error(absl::StrCat("must be between ", min, " and ", max));
  }
  return v;
}

absl::StatusOr<absl::Duration> ConfigNode::Duration() const {
  JWTAUTH_ASSIGN_OR_RETURN(std::string s, String());
  absl::StatusOr<absl::Duration> d = ParseConfigDuration(s);
  if (!d.ok()) return Error(d.status().message());
  return d;
}

absl::StatusOr<std::vector<std::string>> ConfigNode::StringList() const {
  std::vector<std::string> out;
  if (node_.IsScalar()) {
    JWTAUTH_ASSIGN_OR_RETURN(std::string s, NonEmptyString());
    out.push_back(std::move(s));
    return out;
  }
  if (!node_.IsSequence()) return Error("expected a list of strings");
  JWTAUTH_ASSIGN_OR_RETURN(std::vector<ConfigNode> items, List());
  for (const ConfigNode& item : items) {
    JWTAUTH_ASSIGN_OR_RETURN(std::string s, item.NonEmptyString());
    out.push_back(std::move(s));
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> ConfigNode::NonEmptyStringList()
    const {
  JWTAUTH_ASSIGN_OR_RETURN(std::vector<std::string> out, StringList());
  if (out.empty()) return Error("must be a non-empty list");
  return out;
}

absl::StatusOr<std::string> ConfigNode::FilePath() const {
  JWTAUTH_ASSIGN_OR_RETURN(std::string s, NonEmptyString());
  std::filesystem::path p(s);
  if (p.is_relative()) p = std::filesystem::path(document_->base_dir) / p;
  return p.lexically_normal().string();
}

absl::StatusOr<std::string> ConfigNode::InlineJson() const {
  if (node_.IsScalar()) return String();
  YAML::Emitter e;
  e << YAML::DoubleQuoted << YAML::Flow << node_;
  if (!e.good()) return Error("cannot re-emit as JSON");
  return std::string(e.c_str());
}

absl::Status ConfigNode::Read(absl::string_view key, std::string* out) const {
  if (!Has(key)) return absl::OkStatus();
  JWTAUTH_ASSIGN_OR_RETURN(*out, (*this)[key].String());
  return absl::OkStatus();
}

absl::Status ConfigNode::Read(absl::string_view key, bool* out) const {
  if (!Has(key)) return absl::OkStatus();
  JWTAUTH_ASSIGN_OR_RETURN(*out, (*this)[key].Bool());
  return absl::OkStatus();
}

absl::Status ConfigNode::Read(absl::string_view key,
                              absl::Duration* out) const {
  if (!Has(key)) return absl::OkStatus();
  JWTAUTH_ASSIGN_OR_RETURN(*out, (*this)[key].Duration());
  return absl::OkStatus();
}

absl::Status ConfigNode::Read(absl::string_view key,
                              std::optional<absl::Duration>* out) const {
  if (!Has(key)) return absl::OkStatus();
  JWTAUTH_ASSIGN_OR_RETURN(*out, (*this)[key].Duration());
  return absl::OkStatus();
}

absl::Status ConfigNode::Read(absl::string_view key,
                              std::vector<std::string>* out) const {
  if (!Has(key)) return absl::OkStatus();
  JWTAUTH_ASSIGN_OR_RETURN(*out, (*this)[key].StringList());
  return absl::OkStatus();
}

absl::Status ConfigNode::ReadNonEmpty(absl::string_view key,
                                      std::string* out) const {
  if (!Has(key)) return absl::OkStatus();
  JWTAUTH_ASSIGN_OR_RETURN(*out, (*this)[key].NonEmptyString());
  return absl::OkStatus();
}

absl::Status ConfigNode::ReadFile(absl::string_view key,
                                  std::string* out) const {
  if (!Has(key)) return absl::OkStatus();
  JWTAUTH_ASSIGN_OR_RETURN(*out, (*this)[key].FilePath());
  return absl::OkStatus();
}

absl::Status ConfigNode::MapOptionError(
    const absl::Status& status,
    std::initializer_list<std::pair<absl::string_view, absl::string_view>>
        renames) const {
  if (status.ok()) return status;
  std::optional<OptionError> e = GetOptionError(status);
  if (!e.has_value()) return Error(status.message());
  // "allowed_typ[1]" → field "allowed_typ", suffix "[1]".
  std::string field = e->field;
  std::string suffix;
  if (size_t bracket = field.find('['); bracket != std::string::npos) {
    suffix = field.substr(bracket);
    field.resize(bracket);
  }
  for (const auto& [core_name, config_name] : renames) {
    if (field == core_name) field = std::string(config_name);
  }
  ConfigNode at = Find(field);
  size_t index = 0;
  if (!suffix.empty() &&
      absl::SimpleAtoi(
          absl::string_view(suffix).substr(1, suffix.find(']') - 1), &index) &&
      at.IsSequence() && index < at.node_.size()) {
    at = at.Child(at.node_[index], absl::StrCat(at.path_, suffix));
  } else if (!suffix.empty()) {
    at.path_ += suffix;
  }
  return at.Error(e->reason);
}

absl::Status RunAtYamlEdge(absl::string_view file,
                           absl::FunctionRef<absl::Status()> body) {
  const std::string name = file.empty() ? "<config>" : std::string(file);
  try {
    return body();
  } catch (const YAML::Exception& e) {
    std::string where = name;
    if (e.mark.line >= 0) {
      absl::StrAppend(&where, ":", e.mark.line + 1, ":", e.mark.column + 1);
    }
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": (syntax): ", e.msg));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": (syntax): ", e.what()));
  }
}

absl::StatusOr<ConfigNode> LoadConfigDocument(
    absl::string_view text, std::shared_ptr<const ConfigDocument> document) {
  ConfigNode root;
  JWTAUTH_RETURN_IF_ERROR(RunAtYamlEdge(document->file, [&]() {
    root = ConfigNode(YAML::Load(std::string(text)), "", document);
    return absl::OkStatus();
  }));
  return root;
}

absl::StatusOr<std::string> InterpolateEnv(absl::string_view text,
                                           const GetEnvFunction& getenv) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text.substr(i, 3) == "$${") {
      out += "${";
      i += 3;
      continue;
    }
    if (text.substr(i, 2) != "${") {
      out.push_back(text[i++]);
      continue;
    }
    size_t end = text.find('}', i + 2);
    if (end == absl::string_view::npos) {
      return absl::InvalidArgumentError("unterminated ${ in value");
    }
    absl::string_view name = text.substr(i + 2, end - i - 2);
    bool valid = !name.empty();
    for (char c : name) {
      if (!(absl::ascii_isalnum(c) || c == '_')) valid = false;
    }
    if (!valid) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid environment variable name \"", JsonEscape(name), "\""));
    }
    std::optional<std::string> v = getenv(name);
    if (!v.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("environment variable ", name, " is not set"));
    }
    out += *v;
    i = end + 1;
  }
  return out;
}

absl::StatusOr<absl::Duration> ParseConfigDuration(absl::string_view text) {
  absl::Duration d;
  std::string t(absl::StripAsciiWhitespace(text));
  if (t == "0") return absl::ZeroDuration();
  if (t.empty() || !absl::ParseDuration(t, &d) ||
      !absl::ascii_isalpha(t.back())) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid duration \"", JsonEscape(t),
                     "\" (use e.g. \"500ms\", \"90s\", \"10m\", \"1h\")"));
  }
  if (d < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("duration must not be negative");
  }
  if (d == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError("duration must be finite");
  }
  return d;
}

}  // namespace jwtauth::server
