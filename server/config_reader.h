#ifndef JWTAUTH_SERVER_CONFIG_READER_H_
#define JWTAUTH_SERVER_CONFIG_READER_H_

// ConfigNode: the one reader of the YAML config file. Every section (the
// server config and the `ext_authz:` policy) is read through it, so every
// section has the same rules:
//  - Mappings list their allowed keys; an unknown or repeated key is an
//    error.
//  - Strings may use `${NAME}` environment interpolation; a missing variable
//    is an error naming it; `$${` is a literal `${`.
//  - Booleans are the YAML 1.2 core spellings only: true, True, TRUE, false,
//    False, FALSE (never yes/no/on/off).
//  - Durations are strings such as "500ms", "90s", "10m", "1h", "1h30m".
//  - A list of strings may be given as a single string; entries must not be
//    empty.
//  - Relative file paths resolve against the config file's directory.
//  - Every error is InvalidArgument "file:line:col: field.path: reason".
//
// A ConfigNode is a cursor: a yaml-cpp node plus its field path and the
// document it belongs to (file name, base directory, environment lookup).
// It is a cheap, copyable value; the yaml-cpp tree is shared. yaml-cpp may
// throw on malformed input: run all reading inside RunAtYamlEdge(), the one
// try of the config edge.
//
//   absl::Status s = RunAtYamlEdge(file, [&]() -> absl::Status {
//     ConfigNode root = ConfigNode::Root(YAML::Load(text), document);
//     JWTAUTH_RETURN_IF_ERROR(root.ExpectMap({"enabled", "timeout"}));
//     JWTAUTH_RETURN_IF_ERROR(root.Read("enabled", &enabled));
//     return root.Read("timeout", &timeout);
//   });

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "yaml-cpp/yaml.h"

namespace jwtauth::server {

using GetEnvFunction =
    std::function<std::optional<std::string>(absl::string_view)>;

// The process environment (std::getenv).
std::optional<std::string> ProcessGetEnv(absl::string_view name);

// Where a value came from, for error messages: "file:line:col: path".
struct Location {
  std::string file;
  int line = 0;      // 1-based; 0 = unknown
  int column = 0;    // 1-based
  std::string path;  // "providers[0].keys[1].secret_file"

  // "file:line:col: path: reason"
  std::string Error(absl::string_view reason) const;
};

// What all nodes of one parsed file share.
struct ConfigDocument {
  std::string file;      // for messages; "" = "<config>"
  std::string base_dir;  // relative file paths resolve against it
  GetEnvFunction getenv = ProcessGetEnv;
};

class ConfigNode final {
 public:
  // An absent node of an empty document.
  ConfigNode() : ConfigNode(YAML::Node(), "", nullptr) {}
  // `node` at field path `path` ("" for the document root).
  ConfigNode(const YAML::Node& node, std::string path,
             std::shared_ptr<const ConfigDocument> document);

  // Copies share the yaml-cpp tree. Assignment rebinds the cursor (yaml-cpp's
  // own operator= would overwrite the node it points at).
  ConfigNode(const ConfigNode&) = default;
  ConfigNode(ConfigNode&&) = default;
  ConfigNode& operator=(const ConfigNode& other);
  // A copy, not a move: yaml-cpp offers no non-throwing rebind.
  // NOLINTNEXTLINE(performance-noexcept-move-constructor,bugprone-exception-escape)
  ConfigNode& operator=(ConfigNode&& other) { return *this = other; }

  const std::string& path() const { return path_; }
  const YAML::Node& yaml() const { return node_; }
  const ConfigDocument& document() const { return *document_; }
  // The node's position; an absent field points at its parent mapping.
  Location location() const;
  // InvalidArgument "file:line:col: path: reason".
  absl::Status Error(absl::string_view reason) const;

  // Defined and not null (`key:` with no value counts as absent).
  bool present() const;
  bool IsMap() const { return node_.IsMap(); }
  bool IsSequence() const { return node_.IsSequence(); }
  bool IsScalar() const { return node_.IsScalar(); }

  // A mapping whose keys are all in `allowed`, each given once.
  absl::Status ExpectMap(
      std::initializer_list<absl::string_view> allowed) const;
  // Whether the mapping has `key` with a non-null value.
  bool Has(absl::string_view key) const;
  // The child at `key` (path "parent.key"); absent → !present().
  ConfigNode operator[](absl::string_view key) const;
  // The node at a dotted path below this one ("issue.exchange.max_ttl").
  ConfigNode Find(absl::string_view dotted_path) const;
  // Mapping keys in document order.
  std::vector<std::string> Keys() const;
  // A sequence (may be empty): its items with paths "path[i]".
  absl::StatusOr<std::vector<ConfigNode>> List() const;
  // As List(), but at least one item.
  absl::StatusOr<std::vector<ConfigNode>> NonEmptyList() const;

  // Typed scalars; strings are interpolated (${NAME}).
  absl::StatusOr<std::string> String() const;
  absl::StatusOr<std::string> NonEmptyString() const;
  absl::StatusOr<bool> Bool() const;
  absl::StatusOr<int64_t> Int(int64_t min, int64_t max) const;
  absl::StatusOr<absl::Duration> Duration() const;
  // A list of non-empty strings, or one string as a one-element list.
  absl::StatusOr<std::vector<std::string>> StringList() const;
  // As StringList(), but at least one entry.
  absl::StatusOr<std::vector<std::string>> NonEmptyStringList() const;
  // A non-empty path, made absolute against the document's base_dir.
  absl::StatusOr<std::string> FilePath() const;
  // A JSON string, or a mapping/sequence re-emitted as JSON text.
  absl::StatusOr<std::string> InlineJson() const;

  // Optional fields: when `key` is present, parse it into *out; otherwise
  // leave *out (the default) unchanged.
  absl::Status Read(absl::string_view key, std::string* out) const;
  absl::Status Read(absl::string_view key, bool* out) const;
  absl::Status Read(absl::string_view key, absl::Duration* out) const;
  absl::Status Read(absl::string_view key,
                    std::optional<absl::Duration>* out) const;
  absl::Status Read(absl::string_view key, std::vector<std::string>* out) const;
  absl::Status ReadNonEmpty(absl::string_view key, std::string* out) const;
  absl::Status ReadFile(absl::string_view key, std::string* out) const;
  template <typename T>
  absl::Status ReadInt(absl::string_view key, int64_t min, int64_t max,
                       T* out) const {
    if (!Has(key)) return absl::OkStatus();
    absl::StatusOr<int64_t> v = (*this)[key].Int(min, max);
    if (!v.ok()) return v.status();
    *out = static_cast<T>(*v);
    return absl::OkStatus();
  }

  // Maps an error of a core options validator (core/option_error.h) onto
  // the child of this node the field names ("clock_skew",
  // "allowed_typ[1]"), renaming core field names to config keys with
  // `renames` ({core, config} pairs; a config name may be a dotted path).
  // Errors without a field keep their message, located at this node.
  absl::Status MapOptionError(
      const absl::Status& status,
      std::initializer_list<std::pair<absl::string_view, absl::string_view>>
          renames = {}) const;

 private:
  ConfigNode Child(const YAML::Node& node, std::string path) const;

  YAML::Node node_;
  std::string path_;
  std::shared_ptr<const ConfigDocument> document_;
  // Position of the nearest present ancestor, for absent fields.
  YAML::Mark fallback_mark_ = YAML::Mark::null_mark();
};

// Runs `body` inside the one try of the yaml-cpp edge: a YAML exception
// becomes InvalidArgument "file:line:col: (syntax): message".
absl::Status RunAtYamlEdge(absl::string_view file,
                           absl::FunctionRef<absl::Status()> body);

// Parses `text` into a document root (path "") inside RunAtYamlEdge.
absl::StatusOr<ConfigNode> LoadConfigDocument(
    absl::string_view text, std::shared_ptr<const ConfigDocument> document);

// "${NAME}" interpolation; "$${" → "${". Missing variable → error naming it.
absl::StatusOr<std::string> InterpolateEnv(absl::string_view text,
                                           const GetEnvFunction& getenv);

// "500ms", "90s", "10m", "1h", "1h30m". Rejects negatives and missing units.
absl::StatusOr<absl::Duration> ParseConfigDuration(absl::string_view text);

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_CONFIG_READER_H_
