#include "server/config.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/logging.h"

namespace jwtauth::server {

std::string Location::Error(absl::string_view reason) const {
  std::string prefix = file.empty() ? "<config>" : file;
  if (line > 0) absl::StrAppend(&prefix, ":", line, ":", column);
  return absl::StrCat(prefix, ": ", path.empty() ? "(root)" : path, ": ",
                      reason);
}

absl::string_view KeySourceKindName(KeySourceKind kind) {
  switch (kind) {
    case KeySourceKind::kSecret:
      return "secret";
    case KeySourceKind::kSecretFile:
      return "secret_file";
    case KeySourceKind::kSecretEnv:
      return "secret_env";
    case KeySourceKind::kPrivateKeyFile:
      return "private_key_file";
    case KeySourceKind::kPublicKeyFile:
      return "public_key_file";
    case KeySourceKind::kCertificateFile:
      return "certificate_file";
    case KeySourceKind::kPublicKey:
      return "public_key";
    case KeySourceKind::kJwk:
      return "jwk";
    case KeySourceKind::kJwkFile:
      return "jwk_file";
    case KeySourceKind::kJwks:
      return "jwks";
    case KeySourceKind::kJwksFile:
      return "jwks_file";
  }
  return "?";
}

namespace {
bool IsFileKind(KeySourceKind k) {
  return k == KeySourceKind::kSecretFile || k == KeySourceKind::kPrivateKeyFile ||
         k == KeySourceKind::kPublicKeyFile ||
         k == KeySourceKind::kCertificateFile || k == KeySourceKind::kJwkFile ||
         k == KeySourceKind::kJwksFile;
}
}  // namespace

std::string KeySourceConfig::SourceLabel() const {
  if (IsFileKind(kind)) return absl::StrCat("file:", value);
  if (kind == KeySourceKind::kSecretEnv) return absl::StrCat("env:", value);
  return absl::StrCat("inline:", location.path);
}

std::vector<std::string> KeySourceConfig::Files() const {
  if (IsFileKind(kind)) return {value};
  return {};
}

std::vector<std::string> ServerConfig::WatchedFiles() const {
  std::vector<std::string> files;
  if (!source_file.empty()) files.push_back(source_file);
  for (const auto& k : signing.keys) {
    for (auto& f : k.Files()) files.push_back(f);
  }
  for (const auto& p : providers) {
    for (const auto& k : p.keys) {
      for (auto& f : k.Files()) files.push_back(f);
    }
    for (const auto& u : p.jwks_urls) {
      if (!u.ca_file.empty()) files.push_back(u.ca_file);
    }
  }
  if (server.tls) {
    for (const std::string* f :
         {&server.tls->cert_file, &server.tls->key_file,
          &server.tls->client_ca_file}) {
      if (!f->empty()) files.push_back(*f);
    }
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return files;
}

absl::StatusOr<std::string> InterpolateEnv(
    absl::string_view text,
    const std::function<std::optional<std::string>(absl::string_view)>&
        getenv) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text.substr(i, 3) == "$${") {
      out += "${";
      i += 3;
      continue;
    }
    if (text.substr(i, 2) == "${") {
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
        return absl::InvalidArgumentError(
            absl::StrCat("invalid environment variable name \"",
                         JsonEscape(name), "\""));
      }
      std::optional<std::string> v = getenv(name);
      if (!v.has_value()) {
        return absl::InvalidArgumentError(
            absl::StrCat("environment variable ", name, " is not set"));
      }
      out += *v;
      i = end + 1;
      continue;
    }
    out.push_back(text[i]);
    ++i;
  }
  return out;
}

absl::StatusOr<absl::Duration> ParseConfigDuration(absl::string_view text) {
  absl::Duration d;
  std::string t(absl::StripAsciiWhitespace(text));
  if (t.empty() || t == "0" || !absl::ParseDuration(t, &d) ||
      !absl::ascii_isalpha(t.back())) {
    if (t == "0") return absl::ZeroDuration();
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid duration \"", JsonEscape(t),
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

bool IsLoopbackListenAddress(absl::string_view address) {
  size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) return false;
  std::string host(address.substr(0, colon));
  if (host == "localhost") return true;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  // Literal addresses only: "127.example.com" is a name that can resolve
  // anywhere, not a loopback address.
  in_addr v4;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    return std::memcmp(&v6, &in6addr_loopback, sizeof(v6)) == 0;
  }
  return false;
}

namespace {

using GetEnv = std::function<std::optional<std::string>(absl::string_view)>;

std::optional<std::string> RealGetEnv(absl::string_view name) {
  const char* v = std::getenv(std::string(name).c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

// Walks the YAML tree. Keeps the first error; after an error every getter
// returns a default and the caller's result is discarded.
class Parser {
 public:
  Parser(std::string file, std::string base_dir, GetEnv getenv)
      : file_(std::move(file)),
        base_dir_(std::move(base_dir)),
        getenv_(std::move(getenv)) {}

  bool ok() const { return error_.ok(); }
  absl::Status error() const { return error_; }

  Location Loc(const YAML::Node& n, const std::string& path) const {
    Location l;
    l.file = file_;
    l.path = path;
    if (n.IsDefined()) {
      YAML::Mark m = n.Mark();
      if (m.line >= 0) {
        l.line = m.line + 1;
        l.column = m.column + 1;
      }
    }
    return l;
  }

  void Fail(const YAML::Node& n, const std::string& path,
            absl::string_view reason) {
    if (!error_.ok()) return;
    error_ = absl::InvalidArgumentError(Loc(n, path).Error(reason));
  }

  // Checks `n` is a map and that every key is in `allowed`.
  bool Map(const YAML::Node& n, const std::string& path,
           std::initializer_list<absl::string_view> allowed) {
    if (!ok()) return false;
    if (!n.IsMap()) {
      Fail(n, path, "expected a mapping");
      return false;
    }
    for (const auto& kv : n) {
      const std::string key = kv.first.Scalar();
      bool known = false;
      for (absl::string_view a : allowed) known |= (a == key);
      if (!known) {
        Fail(kv.first, Join(path, key),
             absl::StrCat("unknown key (allowed: ", absl::StrJoin(allowed, ", "),
                          ")"));
        return false;
      }
    }
    return true;
  }

  static std::string Join(const std::string& path, absl::string_view key) {
    return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
  }
  static std::string Index(const std::string& path, size_t i) {
    return absl::StrCat(path, "[", i, "]");
  }

  // Scalar string with ${ENV} interpolation.
  std::string Str(const YAML::Node& n, const std::string& path) {
    if (!ok()) return "";
    if (!n.IsScalar()) {
      Fail(n, path, "expected a string");
      return "";
    }
    auto v = InterpolateEnv(n.Scalar(), getenv_);
    if (!v.ok()) {
      Fail(n, path, v.status().message());
      return "";
    }
    return *std::move(v);
  }

  std::string NonEmptyStr(const YAML::Node& n, const std::string& path) {
    std::string s = Str(n, path);
    if (ok() && s.empty()) Fail(n, path, "must not be empty");
    return s;
  }

  bool Bool(const YAML::Node& n, const std::string& path) {
    std::string s = Str(n, path);
    if (!ok()) return false;
    if (s == "true") return true;
    if (s == "false") return false;
    Fail(n, path, "expected true or false");
    return false;
  }

  int64_t Int(const YAML::Node& n, const std::string& path, int64_t min,
              int64_t max) {
    std::string s = Str(n, path);
    if (!ok()) return 0;
    int64_t v = 0;
    if (!absl::SimpleAtoi(s, &v)) {
      Fail(n, path, "expected an integer");
      return 0;
    }
    if (v < min || v > max) {
      Fail(n, path, absl::StrCat("must be between ", min, " and ", max));
      return 0;
    }
    return v;
  }

  absl::Duration Duration(const YAML::Node& n, const std::string& path) {
    std::string s = Str(n, path);
    if (!ok()) return absl::ZeroDuration();
    auto d = ParseConfigDuration(s);
    if (!d.ok()) {
      Fail(n, path, d.status().message());
      return absl::ZeroDuration();
    }
    return *d;
  }

  std::vector<std::string> StrList(const YAML::Node& n,
                                   const std::string& path) {
    std::vector<std::string> out;
    if (!ok()) return out;
    if (n.IsScalar()) {  // a single string is accepted as a one-element list
      out.push_back(NonEmptyStr(n, path));
      return out;
    }
    if (!n.IsSequence()) {
      Fail(n, path, "expected a list of strings");
      return out;
    }
    for (size_t i = 0; i < n.size() && ok(); ++i) {
      out.push_back(NonEmptyStr(n[i], Index(path, i)));
    }
    return out;
  }

  std::string File(const YAML::Node& n, const std::string& path) {
    std::string s = NonEmptyStr(n, path);
    if (!ok()) return "";
    std::filesystem::path p(s);
    if (p.is_relative()) p = std::filesystem::path(base_dir_) / p;
    return p.lexically_normal().string();
  }

  // Inline JSON: a map/sequence re-emitted as JSON text, or a JSON string.
  std::string InlineJson(const YAML::Node& n, const std::string& path) {
    if (!ok()) return "";
    if (n.IsScalar()) return Str(n, path);
    YAML::Emitter e;
    e << YAML::DoubleQuoted << YAML::Flow << n;
    if (!e.good()) {
      Fail(n, path, "cannot re-emit as JSON");
      return "";
    }
    return e.c_str();
  }

  KeySourceConfig KeySource(const YAML::Node& n, const std::string& path,
                            bool signing) {
    KeySourceConfig k;
    k.location = Loc(n, path);
    if (signing) {
      if (!Map(n, path, {"kid", "alg", "private_key_file", "secret",
                         "secret_file", "secret_env", "jwk", "jwk_file",
                         "state"})) {
        return k;
      }
    } else {
      if (!Map(n, path, {"kid", "alg", "secret", "secret_file", "secret_env",
                         "private_key_file", "public_key_file",
                         "certificate_file", "public_key", "jwk", "jwk_file",
                         "jwks", "jwks_file", "issuer"})) {
        return k;
      }
    }
    int sources = 0;
    for (const auto& kv : n) {
      const std::string key = kv.first.Scalar();
      const std::string p = Join(path, key);
      const YAML::Node& v = kv.second;
      auto set_kind = [&](KeySourceKind kind) {
        ++sources;
        k.kind = kind;
      };
      if (key == "kid") {
        k.kid = NonEmptyStr(v, p);
      } else if (key == "issuer") {  // providers[].keys[] only (Map above)
        k.issuer = NonEmptyStr(v, p);
        k.issuer_location = Loc(v, p);
      } else if (key == "alg") {
        k.alg = NonEmptyStr(v, p);
      } else if (key == "state") {
        std::string s = Str(v, p);
        if (s == "next") {
          k.state = KeyState::kNext;
        } else if (s == "active") {
          k.state = KeyState::kActive;
        } else if (s == "retiring") {
          k.state = KeyState::kRetiring;
        } else if (ok()) {
          Fail(v, p, "expected next, active or retiring");
        }
      } else if (key == "secret") {
        set_kind(KeySourceKind::kSecret);
        k.secret = Secret(NonEmptyStr(v, p));
      } else if (key == "secret_env") {
        set_kind(KeySourceKind::kSecretEnv);
        k.value = NonEmptyStr(v, p);
      } else if (key == "public_key") {
        set_kind(KeySourceKind::kPublicKey);
        k.value = NonEmptyStr(v, p);
      } else if (key == "jwk" || key == "jwks") {
        set_kind(key == "jwk" ? KeySourceKind::kJwk : KeySourceKind::kJwks);
        k.value = InlineJson(v, p);
      } else {
        static const std::pair<absl::string_view, KeySourceKind> kFiles[] = {
            {"secret_file", KeySourceKind::kSecretFile},
            {"private_key_file", KeySourceKind::kPrivateKeyFile},
            {"public_key_file", KeySourceKind::kPublicKeyFile},
            {"certificate_file", KeySourceKind::kCertificateFile},
            {"jwk_file", KeySourceKind::kJwkFile},
            {"jwks_file", KeySourceKind::kJwksFile}};
        for (const auto& [name, kind] : kFiles) {
          if (key == name) {
            set_kind(kind);
            k.value = File(v, p);
          }
        }
      }
    }
    if (ok() && sources != 1) {
      Fail(n, path,
           sources == 0 ? "no key material (give one of secret, secret_file, "
                          "secret_env, *_key_file, certificate_file, jwk, "
                          "jwk_file, jwks, jwks_file)"
                        : "more than one key material source");
    }
    const bool is_secret = k.kind == KeySourceKind::kSecret ||
                           k.kind == KeySourceKind::kSecretFile ||
                           k.kind == KeySourceKind::kSecretEnv;
    if (ok() && is_secret && k.alg.empty()) {
      Fail(n, Join(path, "alg"), "required for an HMAC secret (HS256/384/512)");
    }
    if (ok() && !k.alg.empty() && !(k.alg == "HS256" || k.alg == "HS384" ||
                                    k.alg == "HS512" || k.alg == "RS256" ||
                                    k.alg == "RS384" || k.alg == "RS512" ||
                                    k.alg == "PS256" || k.alg == "PS384" ||
                                    k.alg == "PS512" || k.alg == "ES256" ||
                                    k.alg == "ES384" || k.alg == "ES512" ||
                                    k.alg == "EdDSA")) {
      Fail(n[std::string("alg")], Join(path, "alg"),
           "unsupported algorithm (HS/RS/PS/ES 256/384/512 or EdDSA)");
    }
    if (ok() && is_secret && !absl::StartsWith(k.alg, "HS")) {
      Fail(n[std::string("alg")], Join(path, "alg"),
           "an HMAC secret can only serve HS256/384/512");
    }
    if (ok() && !is_secret && absl::StartsWith(k.alg, "HS") &&
        k.kind != KeySourceKind::kJwk && k.kind != KeySourceKind::kJwkFile &&
        k.kind != KeySourceKind::kJwks && k.kind != KeySourceKind::kJwksFile) {
      Fail(n[std::string("alg")], Join(path, "alg"),
           "HS* needs secret, secret_file or secret_env");
    }
    if (ok() && signing && k.alg.empty() && k.kind != KeySourceKind::kJwk &&
        k.kind != KeySourceKind::kJwkFile) {
      Fail(n, Join(path, "alg"), "required for a signing key");
    }
    return k;
  }

  TlsConfig Tls(const YAML::Node& n, const std::string& path) {
    TlsConfig t;
    t.location = Loc(n, path);
    if (!Map(n, path,
             {"cert_file", "key_file", "client_ca_file", "require_client_cert"}))
      return t;
    for (const auto& kv : n) {
      const std::string key = kv.first.Scalar();
      const std::string p = Join(path, key);
      if (key == "cert_file") t.cert_file = File(kv.second, p);
      if (key == "key_file") t.key_file = File(kv.second, p);
      if (key == "client_ca_file") t.client_ca_file = File(kv.second, p);
      if (key == "require_client_cert")
        t.require_client_cert = Bool(kv.second, p);
    }
    if (ok() && (t.cert_file.empty() || t.key_file.empty())) {
      Fail(n, path, "cert_file and key_file are both required");
    }
    if (ok() && t.require_client_cert && t.client_ca_file.empty()) {
      Fail(n, Join(path, "require_client_cert"),
           "needs client_ca_file to verify client certificates");
    }
    return t;
  }

  void Server(const YAML::Node& n, const std::string& path, ServerSection& s) {
    if (!Map(n, path, {"listen", "admin_listen", "admin_verbose", "tls",
                       "shutdown_grace", "drain_delay", "watch_interval"}))
      return;
    for (const auto& kv : n) {
      const std::string key = kv.first.Scalar();
      const std::string p = Join(path, key);
      if (key == "listen") s.listen = NonEmptyStr(kv.second, p);
      if (key == "admin_listen") s.admin_listen = Str(kv.second, p);
      if (key == "admin_verbose") s.admin_verbose = Bool(kv.second, p);
      if (key == "tls") s.tls = Tls(kv.second, p);
      if (key == "shutdown_grace") s.shutdown_grace = Duration(kv.second, p);
      if (key == "watch_interval") s.watch_interval = Duration(kv.second, p);
      if (key == "drain_delay") s.drain_delay = Duration(kv.second, p);
    }
    if (ok() && s.listen.find(':') == std::string::npos) {
      Fail(n["listen"], Join(path, "listen"), "expected host:port");
    }
    if (ok() && !s.admin_listen.empty() &&
        s.admin_listen.find(':') == std::string::npos) {
      Fail(n["admin_listen"], Join(path, "admin_listen"),
           "expected host:port");
    }
  }

  void Signing(const YAML::Node& n, const std::string& path, SigningConfig& s) {
    if (!Map(n, path, {"alg", "kid", "private_key_file", "secret",
                       "secret_file", "secret_env", "jwk", "jwk_file",
                       "issuer", "default_ttl", "max_ttl", "keys", "ephemeral",
                       "ephemeral_alg", "ephemeral_kid"}))
      return;
    // Top-level key fields form one active key (the sketch's short form).
    YAML::Node inline_key(YAML::NodeType::Map);
    bool has_inline = false;
    for (const auto& kv : n) {
      const std::string key = kv.first.Scalar();
      const std::string p = Join(path, key);
      if (key == "alg" || key == "kid" || key == "private_key_file" ||
          key == "secret" || key == "secret_file" || key == "secret_env" ||
          key == "jwk" || key == "jwk_file") {
        has_inline = true;
      } else if (key == "issuer") {
        s.issuer = NonEmptyStr(kv.second, p);
      } else if (key == "default_ttl") {
        s.default_ttl = Duration(kv.second, p);
      } else if (key == "max_ttl") {
        s.max_ttl = Duration(kv.second, p);
      } else if (key == "ephemeral") {
        s.ephemeral = Bool(kv.second, p);
      } else if (key == "ephemeral_alg") {
        s.ephemeral_alg = NonEmptyStr(kv.second, p);
      } else if (key == "ephemeral_kid") {
        s.ephemeral_kid = NonEmptyStr(kv.second, p);
      } else if (key == "keys") {
        const std::string kp = p;
        if (!kv.second.IsSequence() || kv.second.size() == 0) {
          Fail(kv.second, kp, "expected a non-empty list of keys");
          return;
        }
        for (size_t i = 0; i < kv.second.size() && ok(); ++i) {
          s.keys.push_back(KeySource(kv.second[i], Index(kp, i), true));
        }
      }
    }
    if (!ok()) return;
    if (has_inline) {
      if (!s.keys.empty()) {
        Fail(n, path,
             "give either the key fields (alg, kid, private_key_file|secret*) "
             "or keys:, not both");
        return;
      }
      // Re-parse the key fields of this same map as one signing key.
      KeySourceConfig k = KeySourceFromSigningMap(n, path);
      if (!ok()) return;
      k.state = KeyState::kActive;
      s.keys.push_back(std::move(k));
    }
    if (!s.keys.empty() && s.ephemeral) {
      Fail(n["ephemeral"], Join(path, "ephemeral"),
           "cannot be combined with configured signing keys");
      return;
    }
    if (!s.keys.empty()) {
      int active = 0;
      std::set<std::string> kids;
      for (const auto& k : s.keys) {
        if (k.state == KeyState::kActive) ++active;
        if (!k.kid.empty() && !kids.insert(k.kid).second) {
          Fail(n, k.location.path, absl::StrCat("duplicate kid \"", k.kid, "\""));
          return;
        }
      }
      if (active != 1) {
        Fail(n, Join(path, "keys"),
             absl::StrCat("exactly one key must have state: active (found ",
                          active, ")"));
        return;
      }
    }
    if (s.configured() && s.issuer.empty()) {
      Fail(n, Join(path, "issuer"), "required when a signing key is configured");
      return;
    }
    if (s.default_ttl <= absl::ZeroDuration()) {
      Fail(n["default_ttl"], Join(path, "default_ttl"), "must be positive");
    } else if (s.default_ttl > s.max_ttl) {
      Fail(n["default_ttl"], Join(path, "default_ttl"),
           "must not exceed max_ttl");
    }
  }

  // The sketch's short form: key fields directly under `signing:`.
  KeySourceConfig KeySourceFromSigningMap(const YAML::Node& n,
                                          const std::string& path) {
    YAML::Node key_only(YAML::NodeType::Map);
    for (const auto& kv : n) {
      const std::string key = kv.first.Scalar();
      if (key == "alg" || key == "kid" || key == "private_key_file" ||
          key == "secret" || key == "secret_file" || key == "secret_env" ||
          key == "jwk" || key == "jwk_file") {
        key_only[kv.first] = kv.second;
      }
    }
    // Errors point at `n` (the signing map); field paths stay "signing.x".
    KeySourceConfig k = KeySource(key_only, path, true);
    k.location = Loc(n, path);
    return k;
  }

  JwksUrlConfig JwksUrl(const YAML::Node& n, const std::string& path) {
    JwksUrlConfig u;
    u.location = Loc(n, path);
    if (n.IsScalar()) {
      u.url = NonEmptyStr(n, path);
    } else {
      if (!Map(n, path, {"url", "refresh", "timeout", "allow_insecure",
                         "ca_file", "max_stale", "required", "issuer",
                         "redirect_hosts"}))
        return u;
      for (const auto& kv : n) {
        const std::string key = kv.first.Scalar();
        const std::string p = Join(path, key);
        const YAML::Node& v = kv.second;
        if (key == "url") u.url = NonEmptyStr(v, p);
        if (key == "timeout") u.timeout = Duration(v, p);
        if (key == "allow_insecure") u.allow_insecure = Bool(v, p);
        if (key == "ca_file") u.ca_file = File(v, p);
        if (key == "max_stale") u.max_stale = Duration(v, p);
        if (key == "required") u.required = Bool(v, p);
        if (key == "issuer") {
          u.issuer = NonEmptyStr(v, p);
          u.issuer_location = Loc(v, p);
        }
        if (key == "redirect_hosts") u.redirect_hosts = StrList(v, p);
        if (key == "refresh") {
          if (!Map(v, p, {"default", "min", "max"})) return u;
          for (const auto& r : v) {
            const std::string rk = r.first.Scalar();
            const std::string rp = Join(p, rk);
            if (rk == "default") u.refresh.default_interval = Duration(r.second, rp);
            if (rk == "min") u.refresh.min_interval = Duration(r.second, rp);
            if (rk == "max") u.refresh.max_interval = Duration(r.second, rp);
          }
          if (ok() && !(u.refresh.min_interval <= u.refresh.default_interval &&
                        u.refresh.default_interval <= u.refresh.max_interval)) {
            Fail(v, p, "expected min <= default <= max");
          }
        }
      }
    }
    if (!ok()) return u;
    if (u.url.empty()) {
      Fail(n, Join(path, "url"), "required");
      return u;
    }
    const bool https = absl::StartsWith(u.url, "https://");
    const bool http = absl::StartsWith(u.url, "http://");
    if (!https && !http) {
      Fail(n, Join(path, "url"), "must be an https:// URL");
    } else if (http && !u.allow_insecure && !IsLoopbackUrl(u.url)) {
      Fail(n, Join(path, "url"),
           "plain http is allowed only for loopback hosts or with "
           "allow_insecure: true");
    }
    if (ok() && u.timeout <= absl::ZeroDuration()) {
      Fail(n, Join(path, "timeout"), "must be positive");
    }
    return u;
  }

  static bool IsLoopbackUrl(absl::string_view url) {
    absl::string_view rest = url.substr(url.find("://") + 3);
    return absl::StartsWith(rest, "127.") ||
           absl::StartsWith(rest, "localhost:") ||
           absl::StartsWith(rest, "localhost/") || rest == "localhost" ||
           absl::StartsWith(rest, "[::1]");
  }

  // Every `issuer:` of a key source must be one of the provider's issuers
  // (checked after the whole provider map: `issuers` may come later).
  void CheckKeyIssuers(const ProviderConfig& pc) {
    auto check = [&](const std::string& issuer, const Location& at) {
      if (!ok() || issuer.empty()) return;
      if (std::find(pc.issuers.begin(), pc.issuers.end(), issuer) ==
          pc.issuers.end()) {
        error_ = absl::InvalidArgumentError(
            at.Error("must be one of the provider's issuers"));
      }
    };
    for (const KeySourceConfig& k : pc.keys) check(k.issuer, k.issuer_location);
    for (const JwksUrlConfig& u : pc.jwks_urls) {
      check(u.issuer, u.issuer_location);
    }
  }

  ProviderConfig Provider(const YAML::Node& n, const std::string& path) {
    ProviderConfig pc;
    pc.location = Loc(n, path);
    if (!Map(n, path,
             {"name", "issuers", "audiences", "keys", "jwks_urls",
              "discovery_url", "clock_skew", "require_exp", "max_lifetime",
              "required_claims", "claims_namespace", "metadata", "claims",
              "subject", "max_keys_without_kid", "allowed_typ",
              "require_typ"}))
      return pc;
    for (const auto& kv : n) {
      const std::string key = kv.first.Scalar();
      const std::string p = Join(path, key);
      const YAML::Node& v = kv.second;
      if (key == "name") {
        pc.name = NonEmptyStr(v, p);
      } else if (key == "issuers") {
        pc.issuers = StrList(v, p);
      } else if (key == "audiences") {
        pc.audiences = StrList(v, p);
      } else if (key == "keys") {
        if (!v.IsSequence()) {
          Fail(v, p, "expected a list");
        } else {
          for (size_t i = 0; i < v.size() && ok(); ++i) {
            pc.keys.push_back(KeySource(v[i], Index(p, i), false));
          }
        }
      } else if (key == "jwks_urls") {
        if (!v.IsSequence()) {
          Fail(v, p, "expected a list");
        } else {
          for (size_t i = 0; i < v.size() && ok(); ++i) {
            pc.jwks_urls.push_back(JwksUrl(v[i], Index(p, i)));
          }
        }
      } else if (key == "discovery_url") {
        pc.discovery_url = NonEmptyStr(v, p);
      } else if (key == "clock_skew") {
        pc.clock_skew = Duration(v, p);
        if (ok() && pc.clock_skew > absl::Minutes(10)) {
          Fail(v, p, "must be at most 10m");
        }
      } else if (key == "require_exp") {
        pc.require_exp = Bool(v, p);
      } else if (key == "max_lifetime") {
        pc.max_lifetime = Duration(v, p);
      } else if (key == "required_claims") {
        pc.required_claims = StrList(v, p);
      } else if (key == "claims_namespace") {
        pc.claims_namespace = NonEmptyStr(v, p);
      } else if (key == "max_keys_without_kid") {
        pc.max_keys_without_kid = static_cast<int>(Int(v, p, 1, 64));
      } else if (key == "allowed_typ") {
        pc.allowed_typ = StrList(v, p);  // entries non-empty; [] = no typ only
      } else if (key == "require_typ") {
        pc.require_typ = Bool(v, p);
      } else if (key == "subject") {
        if (!Map(v, p, {"equals", "prefix"})) return pc;
        for (const auto& s : v) {
          if (s.first.Scalar() == "equals")
            pc.subject_equals = NonEmptyStr(s.second, Join(p, "equals"));
          if (s.first.Scalar() == "prefix")
            pc.subject_prefix = NonEmptyStr(s.second, Join(p, "prefix"));
        }
      } else if (key == "metadata") {
        if (!v.IsSequence()) {
          Fail(v, p, "expected a list");
          return pc;
        }
        for (size_t i = 0; i < v.size() && ok(); ++i) {
          const std::string mp = Index(p, i);
          if (!Map(v[i], mp, {"path", "field", "required"})) return pc;
          MetadataMappingConfig m;
          for (const auto& f : v[i]) {
            const std::string fk = f.first.Scalar();
            if (fk == "path") m.path = NonEmptyStr(f.second, Join(mp, fk));
            if (fk == "field") m.field = NonEmptyStr(f.second, Join(mp, fk));
            if (fk == "required") m.required = Bool(f.second, Join(mp, fk));
          }
          if (ok() && m.path.empty()) Fail(v[i], Join(mp, "path"), "required");
          if (m.field.empty()) {
            size_t dot = m.path.rfind('.');
            m.field = dot == std::string::npos ? m.path : m.path.substr(dot + 1);
          }
          pc.metadata.push_back(std::move(m));
        }
      } else if (key == "claims") {
        if (!v.IsSequence()) {
          Fail(v, p, "expected a list of claim rules");
          return pc;
        }
        for (size_t i = 0; i < v.size() && ok(); ++i) {
          const std::string rp = Index(p, i);
          if (!Map(v[i], rp, {"claim", "equals", "one_of", "contains"}))
            return pc;
          ClaimRuleConfig r;
          r.location = Loc(v[i], rp);
          int rules = 0;
          for (const auto& f : v[i]) {
            const std::string fk = f.first.Scalar();
            const std::string fp = Join(rp, fk);
            if (fk == "claim") r.claim = NonEmptyStr(f.second, fp);
            if (fk == "equals") { r.equals = Str(f.second, fp); ++rules; }
            if (fk == "one_of") { r.one_of = StrList(f.second, fp); ++rules; }
            if (fk == "contains") { r.contains = Str(f.second, fp); ++rules; }
          }
          if (ok() && r.claim.empty()) Fail(v[i], Join(rp, "claim"), "required");
          if (ok() && rules != 1)
            Fail(v[i], rp, "give exactly one of equals, one_of, contains");
          pc.claim_rules.push_back(std::move(r));
        }
      }
    }
    if (!ok()) return pc;
    if (pc.name.empty()) Fail(n, Join(path, "name"), "required");
    if (ok() && pc.issuers.empty() && pc.discovery_url.empty())
      Fail(n, Join(path, "issuers"), "at least one issuer is required");
    if (ok() && pc.audiences.empty())
      Fail(n, Join(path, "audiences"), "at least one audience is required");
    CheckKeyIssuers(pc);
    if (ok() && pc.max_lifetime.has_value() && !pc.require_exp)
      Fail(n, Join(path, "max_lifetime"), "needs require_exp: true");
    return pc;
  }

  void Issue(const YAML::Node& n, const std::string& path, ServerConfig& c) {
    if (!Map(n, path, {"direct", "exchange"})) return;
    for (const auto& kv : n) {
      const std::string key = kv.first.Scalar();
      const std::string p = Join(path, key);
      const YAML::Node& v = kv.second;
      if (key == "direct") {
        if (!Map(v, p, {"enabled", "allowed_identities", "required_scope",
                        "caller_providers"}))
          return;
        for (const auto& f : v) {
          const std::string fk = f.first.Scalar();
          const std::string fp = Join(p, fk);
          if (fk == "enabled") c.issue.direct_enabled = Bool(f.second, fp);
          if (fk == "allowed_identities") {
            c.issue.allowed_identities =
                f.second.IsSequence() && f.second.size() == 0
                    ? std::vector<std::string>{}
                    : StrList(f.second, fp);
          }
          if (fk == "required_scope") c.issue.required_scope = Str(f.second, fp);
          if (fk == "caller_providers")
            c.issue.caller_providers = StrList(f.second, fp);
        }
      } else if (key == "exchange") {
        Exchange(v, p, c);
      }
    }
  }

  // issue.exchange: off unless enabled; when enabled the provider and
  // audience allow-lists are required (names are checked in Root, once the
  // providers are known).
  void Exchange(const YAML::Node& v, const std::string& p, ServerConfig& c) {
    if (!Map(v, p, {"enabled", "max_ttl", "claims", "allowed_providers",
                    "allowed_audiences", "require_caller",
                    "allowed_identities", "required_scope",
                    "caller_providers"}))
      return;
    IssuePolicy& i = c.issue;
    for (const auto& f : v) {
      const std::string fk = f.first.Scalar();
      const std::string fp = Join(p, fk);
      const YAML::Node& fv = f.second;
      if (fk == "enabled") i.exchange_enabled = Bool(fv, fp);
      if (fk == "max_ttl") i.exchange_max_ttl = Duration(fv, fp);
      if (fk == "claims") c.exchange_claims = StrList(fv, fp);
      if (fk == "allowed_providers") i.exchange_allowed_providers = StrList(fv, fp);
      if (fk == "allowed_audiences") i.exchange_allowed_audiences = StrList(fv, fp);
      if (fk == "require_caller") i.exchange_require_caller = Bool(fv, fp);
      if (fk == "allowed_identities" && !(fv.IsSequence() && fv.size() == 0))
        i.exchange_allowed_identities = StrList(fv, fp);
      if (fk == "required_scope") i.exchange_required_scope = Str(fv, fp);
      if (fk == "caller_providers")
        i.exchange_caller_providers = StrList(fv, fp);
    }
    if (ok() && i.exchange_max_ttl <= absl::ZeroDuration())
      Fail(v, Join(p, "max_ttl"), "must be positive");
    if (ok() && i.exchange_enabled && i.exchange_allowed_providers.empty())
      Fail(v, Join(p, "allowed_providers"),
           "required when exchange is enabled (the providers whose tokens may "
           "be exchanged)");
    if (ok() && i.exchange_enabled && i.exchange_allowed_audiences.empty())
      Fail(v, Join(p, "allowed_audiences"),
           "required when exchange is enabled (the audiences an exchanged "
           "token may carry)");
    if (ok() && i.exchange_require_caller &&
        i.exchange_allowed_identities.empty() &&
        (i.exchange_required_scope.empty() ||
         i.exchange_caller_providers.empty()))
      Fail(v, Join(p, "require_caller"),
           "needs allowed_identities, or caller_providers and required_scope");
  }

  void Limits(const YAML::Node& n, const std::string& path, LimitsConfig& l) {
    if (!Map(n, path, {"max_token_bytes", "max_json_depth", "max_claims",
                       "min_rsa_bits", "min_hmac_bytes"}))
      return;
    for (const auto& kv : n) {
      const std::string key = kv.first.Scalar();
      const std::string p = Join(path, key);
      if (key == "max_token_bytes")
        l.max_token_bytes = Int(kv.second, p, 256, 1 << 20);
      if (key == "max_json_depth")
        l.max_json_depth = static_cast<int>(Int(kv.second, p, 2, 64));
      if (key == "max_claims")
        l.max_claims = static_cast<int>(Int(kv.second, p, 1, 10000));
      if (key == "min_rsa_bits")
        l.min_rsa_bits = static_cast<int>(Int(kv.second, p, 1024, 16384));
      if (key == "min_hmac_bytes")
        l.min_hmac_bytes =
            static_cast<int>(Int(kv.second, p, kAbsoluteMinHmacBytes, 1024));
    }
  }

  void Root(const YAML::Node& root, ServerConfig& c) {
    if (!root.IsDefined() || root.IsNull()) {
      Fail(root, "", "empty configuration");
      return;
    }
    if (!Map(root, "", {"server", "signing", "providers", "issue", "limits",
                        "cache", "log", "ext_authz"}))
      return;
    for (const auto& kv : root) {
      const std::string key = kv.first.Scalar();
      const YAML::Node& v = kv.second;
      if (key == "server") Server(v, key, c.server);
      if (key == "signing") Signing(v, key, c.signing);
      if (key == "issue") Issue(v, key, c);
      if (key == "limits") Limits(v, key, c.limits);
      if (key == "ext_authz") c.ext_authz = v;  // shares the parsed tree (keeps marks)
      if (key == "cache") {
        if (!Map(v, key, {"enabled", "max_entries"})) return;
        for (const auto& f : v) {
          const std::string fk = f.first.Scalar();
          if (fk == "enabled") c.cache.enabled = Bool(f.second, "cache.enabled");
          if (fk == "max_entries")
            c.cache.max_entries = Int(f.second, "cache.max_entries", 0, 100000000);
        }
      }
      if (key == "log") {
        if (!Map(v, key, {"level", "format"})) return;
        for (const auto& f : v) {
          const std::string fk = f.first.Scalar();
          if (fk == "level") {
            c.log.level = Str(f.second, "log.level");
            if (ok() && !LogLevelFromName(c.log.level))
              Fail(f.second, "log.level", "expected debug, info, warn or error");
          }
          if (fk == "format") {
            c.log.format = Str(f.second, "log.format");
            if (ok() && c.log.format != "json")
              Fail(f.second, "log.format", "only json is supported");
          }
        }
      }
      if (key == "providers") {
        if (!v.IsSequence()) {
          Fail(v, key, "expected a list of providers");
          return;
        }
        std::set<std::string> names;
        for (size_t i = 0; i < v.size() && ok(); ++i) {
          ProviderConfig p = Provider(v[i], Index(key, i));
          if (ok() && !names.insert(p.name).second) {
            Fail(v[i]["name"], Index(key, i) + ".name",
                 absl::StrCat("duplicate provider name \"", p.name, "\""));
          }
          c.providers.push_back(std::move(p));
        }
      }
      if (!ok()) return;
    }
    if (!ok()) return;
    if (c.providers.empty()) {
      Fail(root, "providers", "at least one provider is required");
      return;
    }
    if (c.issue.direct_enabled && !c.signing.configured()) {
      Fail(root["issue"], "issue.direct.enabled", "needs a signing key");
    }
    if (c.issue.exchange_enabled && !c.signing.configured()) {
      Fail(root["issue"]["exchange"], "issue.exchange.enabled",
           "needs a signing key");
    }
    CheckProviderNames(root, c, {"exchange", "allowed_providers"},
                       c.issue.exchange_allowed_providers);
    CheckProviderNames(root, c, {"exchange", "caller_providers"},
                       c.issue.exchange_caller_providers);
    CheckProviderNames(root, c, {"direct", "caller_providers"},
                       c.issue.caller_providers);
  }

  // Every name in issue.<section>.<field> must be a configured provider.
  void CheckProviderNames(const YAML::Node& root, const ServerConfig& c,
                          std::pair<const char*, const char*> where,
                          const std::vector<std::string>& names) {
    const std::string field =
        absl::StrCat("issue.", where.first, ".", where.second);
    for (size_t i = 0; i < names.size() && ok(); ++i) {
      const std::string& name = names[i];
      if (std::none_of(c.providers.begin(), c.providers.end(),
                       [&](const ProviderConfig& p) { return p.name == name; })) {
        const YAML::Node list = root["issue"][where.first][where.second];
        Fail(list.IsSequence() ? list[i] : list, Index(field, i),
             absl::StrCat("unknown provider \"", name, "\""));
      }
    }
  }

 private:
  const std::string file_;
  const std::string base_dir_;
  const GetEnv getenv_;
  absl::Status error_;
};

}  // namespace

absl::Status ApplyEnvOverrides(const GetEnv& getenv, ServerConfig& config) {
  if (auto v = getenv("JWTAUTH_SERVER_LISTEN"); v.has_value()) {
    if (v->find(':') == std::string::npos) {
      return absl::InvalidArgumentError(
          "env JWTAUTH_SERVER_LISTEN: expected host:port");
    }
    config.server.listen = *v;
  }
  if (auto v = getenv("JWTAUTH_SERVER_ADMIN_LISTEN"); v.has_value()) {
    if (!v->empty() && v->find(':') == std::string::npos) {
      return absl::InvalidArgumentError(
          "env JWTAUTH_SERVER_ADMIN_LISTEN: expected host:port or empty");
    }
    config.server.admin_listen = *v;
  }
  if (auto v = getenv("JWTAUTH_LOG_LEVEL"); v.has_value()) {
    if (!LogLevelFromName(*v)) {
      return absl::InvalidArgumentError(
          "env JWTAUTH_LOG_LEVEL: expected debug, info, warn or error");
    }
    config.log.level = *v;
  }
  return absl::OkStatus();
}

absl::StatusOr<ServerConfig> ParseServerConfig(absl::string_view text,
                                               absl::string_view file_name,
                                               absl::string_view base_dir,
                                               const ConfigLoadOptions& options) {
  GetEnv getenv = options.getenv ? options.getenv : GetEnv(RealGetEnv);
  ServerConfig config;
  config.source_file = std::string(file_name);
  Parser parser(std::string(file_name), std::string(base_dir), getenv);
  // The one try at the yaml-cpp edge: syntax errors and any accessor throw.
  try {
    YAML::Node root = YAML::Load(std::string(text));
    parser.Root(root, config);
  } catch (const YAML::Exception& e) {
    std::string where(file_name);
    if (e.mark.line >= 0) {
      absl::StrAppend(&where, ":", e.mark.line + 1, ":", e.mark.column + 1);
    }
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": (syntax): ", e.msg));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(file_name, ": (syntax): ", e.what()));
  }
  if (!parser.ok()) return parser.error();
  if (options.apply_env_overrides) {
    absl::Status s = ApplyEnvOverrides(getenv, config);
    if (!s.ok()) return s;
  }
  return config;
}

absl::StatusOr<ServerConfig> LoadServerConfigFile(
    absl::string_view path, const ConfigLoadOptions& options) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::absolute(std::string(path), ec);
  if (ec) p = std::string(path);
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": cannot read config file: ", std::strerror(errno)));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (text.size() > 4 * 1024 * 1024) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": config file larger than 4 MiB"));
  }
  return ParseServerConfig(text, p.lexically_normal().string(),
                           p.parent_path().string(), options);
}

}  // namespace jwtauth::server
