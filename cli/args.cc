#include "cli/args.h"

#include <fstream>
#include <iostream>
#include <iterator>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "server/proto_json.h"

namespace jwtauth::cli {
namespace {

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

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  for (const std::string& x : v) {
    if (x == s) return true;
  }
  return false;
}

}  // namespace

absl::string_view UsageText() { return kUsage; }

int UsageError(absl::string_view message) {
  std::cerr << "jwtauth: " << message << "\n\n" << kUsage;
  return kExitUsage;
}

int ReportError(absl::string_view what, const absl::Status& status) {
  std::cerr << "jwtauth " << what << ": "
            << absl::StatusCodeToString(status.code()) << ": "
            << status.message() << "\n";
  return kExitError;
}

std::optional<std::string> Args::Get(const std::string& name) const {
  auto it = flags.find(name);
  if (it == flags.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> Args::All(const std::string& name) const {
  std::vector<std::string> out;
  auto [b, e] = flags.equal_range(name);
  for (auto it = b; it != e; ++it) out.push_back(it->second);
  return out;
}

bool Args::Has(const std::string& name) const {
  return Contains(switches, name);
}

std::optional<std::string> ParseArgs(
    int argc, char** argv, int start,
    const std::vector<std::string>& value_flags,
    const std::vector<std::string>& bool_flags, Args* out) {
  for (int i = start; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      for (++i; i < argc; ++i) out->positional.push_back(argv[i]);
      break;
    }
    if (!absl::StartsWith(a, "--")) {
      out->positional.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (Contains(bool_flags, name)) {
      if (value.has_value()) return absl::StrCat("--", name, " takes no value");
      out->switches.push_back(name);
      continue;
    }
    if (!Contains(value_flags, name))
      return absl::StrCat("unknown flag --", name);
    if (!value.has_value()) {
      if (i + 1 >= argc) return absl::StrCat("--", name, " needs a value");
      value = argv[++i];
    }
    out->flags.emplace(name, *value);
  }
  return std::nullopt;
}

std::vector<std::string> WithConnectionFlags(std::vector<std::string> flags) {
  for (const char* f : {"server", "tls-ca", "tls-cert", "tls-key", "timeout"}) {
    flags.push_back(f);
  }
  return flags;
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

std::string FormatTimestamp(const google::protobuf::Timestamp& ts) {
  return absl::FormatTime(absl::RFC3339_sec, server::FromProtoTimestamp(ts),
                          absl::UTCTimeZone());
}

}  // namespace jwtauth::cli
