// jwtauth: command line tool for the jwtauth service.
//
//   jwtauth verify TOKEN|- [--server ADDR | --config FILE] [--provider P]
//                  [--audience A] [--json]
//   jwtauth issue [--sub S] [--aud A]... [--claim K=V]... [--claims JSON]
//                 [--ttl DUR] [--subject-token T|-] [--caller-token T] [--json]
//   jwtauth keys [--provider P] [--jwks]
//   jwtauth keygen --alg ALG [--kid KID]
//
// Exit codes: 0 ok (verify: token valid), 1 token invalid (verify only),
// 2 usage error, 3 RPC / configuration / I/O error.
//
// Connection flags (verify/issue/keys): --server ADDR (default
// $JWTAUTH_SERVER or 127.0.0.1:50051), --tls-ca FILE [--tls-cert FILE
// --tls-key FILE] for TLS/mTLS (plaintext without --tls-ca), --timeout DUR.
// Tokens and secrets are never echoed in error messages.

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "core/algorithm.h"
#include "core/base64url.h"
#include "core/crypto/key_material.h"
#include "core/crypto/signature_verifier.h"
#include "core/issuer.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "nlohmann/json.hpp"
#if JWTAUTH_CLI_OFFLINE
#include "client/offline_verifier.h"
#endif

namespace jwtauth::client {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitInvalidToken = 1;
constexpr int kExitUsage = 2;
constexpr int kExitError = 3;

constexpr char kUsage[] = R"(usage:
  jwtauth verify TOKEN|- [--server ADDR | --config FILE] [--provider NAME]
                 [--audience AUD] [--json]
      Verify a token (raw or "Bearer ..."; "-" reads it from stdin) with a
      running server, or offline with --config: exactly the providers, keys
      and limits of that server config file (JWKS URLs are fetched once).
  jwtauth issue [--sub SUBJECT] [--aud AUD]... [--claim KEY=VALUE]...
                [--claims JSON] [--ttl DURATION] [--subject-token TOKEN|-]
                [--caller-token TOKEN] [--json]
      Ask the server to issue a token: direct mode (claims from the flags; the
      server must allow the caller: mTLS identity or --caller-token with the
      required scope) or exchange mode (--subject-token; needs --aud values
      the server's issue.exchange policy allows, and --caller-token if it
      requires a caller). Prints the token.
  jwtauth keys [--provider NAME] [--jwks]
      List the server's keys (table), or print its public JWKS (--jwks).
  jwtauth keygen --alg ALG [--kid KID]
      Generate a signing key: prints the private key PEM, then the public JWK
      (HS256/384/512: a random secret, base64url, for secret_file).

connection flags (verify, issue, keys):
  --server ADDR       host:port (default $JWTAUTH_SERVER or 127.0.0.1:50051)
  --tls-ca FILE       use TLS, trusting this CA bundle (default: plaintext)
  --tls-cert FILE     client certificate for mTLS (with --tls-key)
  --tls-key FILE      client private key for mTLS
  --timeout DURATION  per-call deadline, e.g. 5s (default 10s)

exit codes: 0 ok / token valid, 1 token invalid, 2 usage error,
            3 RPC, configuration or I/O error
)";

struct UsageError {
  std::string message;
};

// Parsed "--flag value" / "--flag=value" options plus positionals.
struct Args {
  std::vector<std::string> positional;
  std::multimap<std::string, std::string> flags;
  std::vector<std::string> switches;

  std::optional<std::string> Get(const std::string& name) const {
    auto it = flags.find(name);
    if (it == flags.end()) return std::nullopt;
    return it->second;
  }
  std::vector<std::string> All(const std::string& name) const {
    std::vector<std::string> out;
    auto [b, e] = flags.equal_range(name);
    for (auto it = b; it != e; ++it) out.push_back(it->second);
    return out;
  }
  bool Has(const std::string& sw) const {
    for (const auto& s : switches) {
      if (s == sw) return true;
    }
    return false;
  }
};

// Returns an error message, or "" on success.
std::string ParseArgs(int argc, char** argv, int start,
                      const std::vector<std::string>& value_flags,
                      const std::vector<std::string>& bool_flags, Args* out) {
  auto is = [](const std::vector<std::string>& v, const std::string& s) {
    for (const auto& x : v) {
      if (x == s) return true;
    }
    return false;
  };
  for (int i = start; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      for (++i; i < argc; ++i) out->positional.push_back(argv[i]);
      break;
    }
    if (absl::StartsWith(a, "--")) {
      std::string name = a.substr(2);
      std::optional<std::string> value;
      if (size_t eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      if (is(bool_flags, name)) {
        if (value.has_value()) return absl::StrCat("--", name, " takes no value");
        out->switches.push_back(name);
        continue;
      }
      if (!is(value_flags, name)) return absl::StrCat("unknown flag --", name);
      if (!value.has_value()) {
        if (i + 1 >= argc) return absl::StrCat("--", name, " needs a value");
        value = argv[++i];
      }
      out->flags.emplace(name, *value);
      continue;
    }
    out->positional.push_back(a);
  }
  return "";
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read"));
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string ReadStdinToken() {
  std::string s(std::istreambuf_iterator<char>(std::cin), {});
  return std::string(absl::StripAsciiWhitespace(s));
}

const std::vector<std::string> kConnFlags = {"server", "tls-ca", "tls-cert",
                                             "tls-key", "timeout"};

std::vector<std::string> With(std::vector<std::string> a,
                              const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

absl::StatusOr<Client> Connect(const Args& args) {
  std::string server = "127.0.0.1:50051";
  if (const char* env = std::getenv("JWTAUTH_SERVER"); env && *env) server = env;
  if (auto s = args.Get("server")) server = *s;
  ClientOptions options;
  if (auto t = args.Get("timeout")) {
    absl::Duration d;
    if (!absl::ParseDuration(*t, &d) || d <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError("--timeout: not a positive duration");
    }
    options.default_timeout = d;
  }
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (auto ca = args.Get("tls-ca")) {
    grpc::SslCredentialsOptions ssl;
    absl::StatusOr<std::string> ca_pem = ReadFile(*ca);
    if (!ca_pem.ok()) return ca_pem.status();
    ssl.pem_root_certs = *ca_pem;
    auto cert = args.Get("tls-cert");
    auto key = args.Get("tls-key");
    if (cert.has_value() != key.has_value()) {
      return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
    }
    if (cert.has_value()) {
      absl::StatusOr<std::string> c = ReadFile(*cert);
      if (!c.ok()) return c.status();
      absl::StatusOr<std::string> k = ReadFile(*key);
      if (!k.ok()) return k.status();
      ssl.pem_cert_chain = *c;
      ssl.pem_private_key = *k;
    }
    creds = grpc::SslCredentials(ssl);
  } else {
    if (args.Get("tls-cert") || args.Get("tls-key")) {
      return absl::InvalidArgumentError("--tls-cert/--tls-key need --tls-ca");
    }
    creds = grpc::InsecureChannelCredentials();
  }
  return Client(grpc::CreateChannel(server, creds), options);
}

int ReportError(absl::string_view what, const absl::Status& status) {
  std::cerr << "jwtauth " << what << ": "
            << absl::StatusCodeToString(status.code()) << ": "
            << status.message() << "\n";
  return kExitError;
}

std::string FormatTimestamp(const google::protobuf::Timestamp& ts) {
  return absl::FormatTime(absl::RFC3339_sec, absl::FromUnixSeconds(ts.seconds()),
                          absl::UTCTimeZone());
}

int PrintVerifyResult(const v1::VerifyResponse& r, bool json) {
  if (json) {
    nlohmann::json out = {{"valid", r.valid()}};
    if (r.valid()) {
      out["provider"] = r.provider();
      out["kid"] = r.kid();
      out["alg"] = r.alg();
      if (r.has_expires_at()) out["expires_at"] = FormatTimestamp(r.expires_at());
      out["claims"] = nlohmann::json::parse(r.claims_json(), nullptr, false);
      out["metadata"] = nlohmann::json::object();
      for (const auto& [k, v] : r.metadata()) out["metadata"][k] = v;
    } else {
      out["reason"] = v1::FailureReason_Name(r.reason());
      out["detail"] = r.detail();
    }
    std::cout << out.dump(2) << "\n";
  } else if (r.valid()) {
    std::cout << "valid: provider=" << r.provider() << " kid=" << r.kid()
              << " alg=" << r.alg();
    if (r.has_expires_at()) std::cout << " expires=" << FormatTimestamp(r.expires_at());
    std::cout << "\n";
    nlohmann::json claims = nlohmann::json::parse(r.claims_json(), nullptr, false);
    if (!claims.is_discarded()) std::cout << claims.dump(2) << "\n";
    for (const auto& [k, v] : r.metadata()) std::cout << "metadata " << k << "=" << v << "\n";
  } else {
    std::cout << "invalid: " << v1::FailureReason_Name(r.reason()) << ": "
              << r.detail() << "\n";
  }
  return r.valid() ? kExitOk : kExitInvalidToken;
}

int CmdVerify(int argc, char** argv) {
  Args args;
  std::string err = ParseArgs(argc, argv, 2,
                              With(kConnFlags, {"config", "provider", "audience"}),
                              {"json"}, &args);
  if (!err.empty()) throw UsageError{err};
  if (args.positional.size() != 1) throw UsageError{"verify needs exactly one TOKEN (or -)"};
  if (args.Get("config") && args.Get("server")) {
    throw UsageError{"--server and --config are mutually exclusive"};
  }
  std::string token = args.positional[0] == "-" ? ReadStdinToken() : args.positional[0];
  v1::VerifyRequest req;
  req.set_token(token);
  req.set_provider(args.Get("provider").value_or(""));
  req.set_audience(args.Get("audience").value_or(""));

  if (auto config = args.Get("config")) {
#if JWTAUTH_CLI_OFFLINE
    absl::StatusOr<v1::VerifyResponse> r = VerifyOffline(*config, req);
#else
    absl::StatusOr<v1::VerifyResponse> r = absl::UnimplementedError(
        "this build has no server Application: --config is unavailable");
#endif
    if (!r.ok()) return ReportError("verify --config", r.status());
    return PrintVerifyResult(*r, args.Has("json"));
  }
  absl::StatusOr<Client> client = Connect(args);
  if (!client.ok()) return ReportError("verify", client.status());
  absl::StatusOr<v1::VerifyResponse> r = client->Verify(req);
  if (!r.ok()) return ReportError("verify", r.status());
  return PrintVerifyResult(*r, args.Has("json"));
}

// "--claim k=v": v is parsed as JSON when it is valid JSON (numbers, true,
// arrays, quoted strings), else taken as a plain string.
nlohmann::json ClaimValue(absl::string_view v) {
  nlohmann::json j = nlohmann::json::parse(v, nullptr, false);
  if (j.is_discarded()) return std::string(v);
  return j;
}

void JsonToProtoValue(const nlohmann::json& j, google::protobuf::Value* out);

void JsonToProtoStruct(const nlohmann::json& j, google::protobuf::Struct* out) {
  for (const auto& [k, v] : j.items()) JsonToProtoValue(v, &(*out->mutable_fields())[k]);
}

void JsonToProtoValue(const nlohmann::json& j, google::protobuf::Value* out) {
  if (j.is_null()) {
    out->set_null_value(google::protobuf::NULL_VALUE);
  } else if (j.is_boolean()) {
    out->set_bool_value(j.get<bool>());
  } else if (j.is_number()) {
    out->set_number_value(j.get<double>());
  } else if (j.is_string()) {
    out->set_string_value(j.get<std::string>());
  } else if (j.is_array()) {
    auto* list = out->mutable_list_value();
    for (const auto& v : j) JsonToProtoValue(v, list->add_values());
  } else if (j.is_object()) {
    JsonToProtoStruct(j, out->mutable_struct_value());
  }
}

int CmdIssue(int argc, char** argv) {
  Args args;
  std::string err = ParseArgs(
      argc, argv, 2,
      With(kConnFlags, {"sub", "aud", "claim", "claims", "ttl", "subject-token",
                        "caller-token"}),
      {"json"}, &args);
  if (!err.empty()) throw UsageError{err};
  if (!args.positional.empty()) throw UsageError{"issue takes no positional arguments"};
  v1::IssueTokenRequest req;
  nlohmann::json claims = nlohmann::json::object();
  if (auto c = args.Get("claims")) {
    claims = nlohmann::json::parse(*c, nullptr, false);
    if (!claims.is_object()) throw UsageError{"--claims must be a JSON object"};
  }
  for (const std::string& kv : args.All("claim")) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) throw UsageError{"--claim needs KEY=VALUE"};
    claims[kv.substr(0, eq)] = ClaimValue(absl::string_view(kv).substr(eq + 1));
  }
  if (!claims.empty()) JsonToProtoStruct(claims, req.mutable_claims());
  req.set_subject(args.Get("sub").value_or(""));
  for (const std::string& a : args.All("aud")) req.add_audiences(a);
  if (auto t = args.Get("ttl")) {
    absl::Duration d;
    if (!absl::ParseDuration(*t, &d) || d < absl::ZeroDuration()) {
      throw UsageError{"--ttl: not a duration (e.g. 15m)"};
    }
    req.mutable_ttl()->set_seconds(absl::ToInt64Seconds(d));
  }
  if (auto st = args.Get("subject-token")) {
    req.set_subject_token(*st == "-" ? ReadStdinToken() : *st);
  }
  CallOptions call;
  call.caller_token = args.Get("caller-token").value_or("");
  absl::StatusOr<Client> client = Connect(args);
  if (!client.ok()) return ReportError("issue", client.status());
  absl::StatusOr<v1::IssueTokenResponse> r = client->IssueToken(req, call);
  if (!r.ok()) return ReportError("issue", r.status());
  if (args.Has("json")) {
    nlohmann::json out = {{"token", r->token()}, {"kid", r->kid()}, {"alg", r->alg()},
                          {"jti", r->jti()}, {"issuer", r->issuer()}, {"mode", r->mode()},
                          {"expires_at", FormatTimestamp(r->expires_at())}};
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << r->token() << "\n";
  }
  return kExitOk;
}

int CmdKeys(int argc, char** argv) {
  Args args;
  std::string err = ParseArgs(argc, argv, 2, With(kConnFlags, {"provider"}),
                              {"jwks"}, &args);
  if (!err.empty()) throw UsageError{err};
  if (!args.positional.empty()) throw UsageError{"keys takes no positional arguments"};
  absl::StatusOr<Client> client = Connect(args);
  if (!client.ok()) return ReportError("keys", client.status());
  v1::ListKeysRequest req;
  req.set_provider(args.Get("provider").value_or(""));
  absl::StatusOr<v1::ListKeysResponse> r = client->ListKeys(req);
  if (!r.ok()) return ReportError("keys", r.status());
  if (args.Has("jwks")) {
    nlohmann::json j = nlohmann::json::parse(r->jwks_json(), nullptr, false);
    std::cout << (j.is_discarded() ? r->jwks_json() : j.dump(2)) << "\n";
    return kExitOk;
  }
  std::cout << "PROVIDER\tKID\tALG\tKTY\tSTATE\tPRIMARY\tVERIFICATIONS\tLAST_USED\tSOURCE\n";
  for (const v1::KeyInfo& k : r->keys()) {
    const std::string state_name = v1::KeyState_Name(k.state());
    absl::string_view state = state_name;
    absl::ConsumePrefix(&state, "KEY_STATE_");
    std::cout << k.provider() << "\t" << (k.kid().empty() ? "-" : k.kid()) << "\t"
              << (k.alg().empty() ? "-" : k.alg()) << "\t" << k.kty() << "\t"
              << absl::AsciiStrToLower(std::string(state)) << "\t" << (k.primary() ? "yes" : "no")
              << "\t" << k.verifications() << "\t"
              << (k.has_last_used() ? FormatTimestamp(k.last_used()) : "never") << "\t"
              << k.source() << "\n";
  }
  return kExitOk;
}

int CmdKeygen(int argc, char** argv) {
  Args args;
  std::string err = ParseArgs(argc, argv, 2, {"alg", "kid"}, {}, &args);
  if (!err.empty()) throw UsageError{err};
  if (!args.positional.empty()) throw UsageError{"keygen takes no positional arguments"};
  auto alg_name = args.Get("alg");
  if (!alg_name) throw UsageError{"keygen needs --alg (e.g. ES256)"};
  std::optional<Algorithm> alg = AlgorithmFromName(*alg_name);
  if (!alg) throw UsageError{absl::StrCat("unknown algorithm \"", *alg_name, "\"")};
  std::string kid = args.Get("kid").value_or(
      absl::StrCat(absl::AsciiStrToLower(*alg_name), "-",
                   absl::FormatTime("%Y%m%d", absl::Now(), absl::UTCTimeZone())));
  if (KeyTypeFor(*alg) == KeyType::kOct) {
    const int bytes = HashSize(HashFor(*alg));
    std::cout << Base64UrlEncode(crypto::RandomBytes(bytes)) << "\n";
    std::cerr << "# " << bytes << "-byte random secret (base64url) for " << *alg_name
              << "; store it in a secret_file. HMAC keys have no public JWK.\n";
    return kExitOk;
  }
  absl::StatusOr<crypto::KeyMaterial> material = crypto::KeyMaterial::Generate(*alg);
  if (!material.ok()) return ReportError("keygen", material.status());
  absl::StatusOr<std::string> pem = material->PrivatePem();
  if (!pem.ok()) return ReportError("keygen", pem.status());
  absl::StatusOr<SigningKey> key = SigningKey::Create(*alg, kid, *material);
  if (!key.ok()) return ReportError("keygen", key.status());
  absl::StatusOr<Key> pub = key->VerificationKey();
  if (!pub.ok()) return ReportError("keygen", pub.status());
  absl::StatusOr<nlohmann::json> jwk = pub->ToPublicJwk();
  if (!jwk.ok()) return ReportError("keygen", jwk.status());
  std::cout << *pem;
  if (!absl::EndsWith(*pem, "\n")) std::cout << "\n";
  std::cout << jwk->dump(2) << "\n";
  return kExitOk;
}

int Main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return kExitUsage;
  }
  const std::string cmd = argv[1];
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    std::cout << kUsage;
    return kExitOk;
  }
  try {  // UsageError is the only exception used, and only inside this file.
    if (cmd == "verify") return CmdVerify(argc, argv);
    if (cmd == "issue") return CmdIssue(argc, argv);
    if (cmd == "keys") return CmdKeys(argc, argv);
    if (cmd == "keygen") return CmdKeygen(argc, argv);
    throw UsageError{absl::StrCat("unknown command \"", cmd, "\"")};
  } catch (const UsageError& e) {
    std::cerr << "jwtauth: " << e.message << "\n\n" << kUsage;
    return kExitUsage;
  }
}

}  // namespace
}  // namespace jwtauth::client

int main(int argc, char** argv) { return jwtauth::client::Main(argc, argv); }
