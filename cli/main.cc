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
//
// An operator tool: it talks to a server through the client library
// (client/) and, for `verify --config`, builds the server's own serving
// state offline (cli/offline_verifier.h).

#include <iostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "cli/args.h"
#include "cli/commands.h"

namespace jwtauth::cli {
namespace {

int Main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << UsageText();
    return kExitUsage;
  }
  const std::string cmd = argv[1];
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    std::cout << UsageText();
    return kExitOk;
  }
  if (cmd == "verify") return RunVerify(argc, argv);
  if (cmd == "issue") return RunIssue(argc, argv);
  if (cmd == "keys") return RunKeys(argc, argv);
  if (cmd == "keygen") return RunKeygen(argc, argv);
  return UsageError(absl::StrCat("unknown command \"", cmd, "\""));
}

}  // namespace
}  // namespace jwtauth::cli

int main(int argc, char** argv) { return jwtauth::cli::Main(argc, argv); }
