// A complete jwtauth client program: connect (plaintext, TLS or mTLS), list
// the service's signing keys, obtain a token (direct issuing, or exchange of
// a token the caller already holds), verify it remotely and, given a copy
// of the provider's policy (--local_issuer, --local_audience), locally with
// the service's public keys.
//
//   jwtauth_client_example --target=127.0.0.1:50051 --plaintext --subject=alice
//   jwtauth_client_example --target=auth.internal:443 --tls_ca=ca.pem \
//       --subject_token="$ID_TOKEN" --audience=billing
//   jwtauth_client_example --target=127.0.0.1:50051 --plaintext \
//       --local_provider=dev --local_issuer=jwtauth-dev \
//       --local_audience=jwtauth-dev
//
// Exit codes: 0 the token verified, 1 it did not, 3 connection/RPC error.

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "client/local_verifier.h"
#include "core/policy.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "jwtauth gRPC address");
ABSL_FLAG(bool, plaintext, false, "No TLS (a loopback dev server)");
ABSL_FLAG(std::string, tls_ca, "", "CA bundle (default: system roots)");
ABSL_FLAG(std::string, tls_cert, "", "Client certificate (mTLS)");
ABSL_FLAG(std::string, tls_key, "", "Client private key (mTLS)");
ABSL_FLAG(std::string, subject, "example-user", "Subject of a direct issue");
ABSL_FLAG(std::string, subject_token, "",
          "Exchange this token instead of issuing directly");
ABSL_FLAG(std::string, caller_token, "",
          "Sent as 'authorization: Bearer' to authenticate the issue call");
ABSL_FLAG(std::string, audience, "", "Audience of the issued token");
ABSL_FLAG(std::string, local_provider, "default",
          "Local verification: the service's provider name");
ABSL_FLAG(std::string, local_issuer, "",
          "Local verification: the provider's issuer (empty = no local step)");
ABSL_FLAG(std::string, local_audience, "",
          "Local verification: the provider's audience");

namespace {

using jwtauth::client::CallOptions;
using jwtauth::client::Client;
using jwtauth::client::ClientOptions;
using jwtauth::client::LocalVerifier;
using jwtauth::client::VerifyResult;

constexpr int kErrorExit = 3;

ClientOptions OptionsFromFlags() {
  ClientOptions options;
  options.target = absl::GetFlag(FLAGS_target);
  options.plaintext = absl::GetFlag(FLAGS_plaintext);
  options.tls.ca_file = absl::GetFlag(FLAGS_tls_ca);
  options.tls.cert_file = absl::GetFlag(FLAGS_tls_cert);
  options.tls.key_file = absl::GetFlag(FLAGS_tls_key);
  options.default_timeout = absl::Seconds(5);
  options.user_agent_prefix = "jwtauth-client-example/1";
  return options;
}

// Step 1: the keys the service trusts, per provider (HMAC keys are described,
// never exported); its own public JWKS is keys->jwks_json().
absl::Status ShowKeys(const Client& client) {
  absl::StatusOr<jwtauth::v1::ListKeysResponse> keys = client.ListKeys();
  if (!keys.ok()) return keys.status();
  for (const jwtauth::v1::KeyInfo& key : keys->keys()) {
    std::cout << "key: provider=" << key.provider() << " kid=" << key.kid()
              << " alg=" << key.alg() << "\n";
  }
  return absl::OkStatus();
}

// Step 2: a token, by exchange when the caller holds one, else directly.
absl::StatusOr<std::string> ObtainToken(const Client& client) {
  jwtauth::v1::IssueTokenRequest request;
  const std::string subject_token = absl::GetFlag(FLAGS_subject_token);
  if (!subject_token.empty()) {
    request.set_subject_token(subject_token);
  } else {
    request.set_subject(absl::GetFlag(FLAGS_subject));
  }
  if (const std::string aud = absl::GetFlag(FLAGS_audience); !aud.empty()) {
    request.add_audiences(aud);
  }
  CallOptions call;
  call.caller_token = absl::GetFlag(FLAGS_caller_token);
  absl::StatusOr<jwtauth::v1::IssueTokenResponse> issued =
      client.IssueToken(request, call);
  if (!issued.ok()) return issued.status();
  std::cout << "issued: mode=" << issued->mode() << " kid=" << issued->kid()
            << "\n";
  return issued->token();
}

// Step 3: the service's verdict (async call, waited on here).
absl::StatusOr<VerifyResult> VerifyRemotely(const Client& client,
                                            const std::string& token) {
  jwtauth::v1::VerifyRequest request;
  request.set_token(token);
  return client.VerifyAsync(request).get();
}

// Step 4: the same verdict in-process, with the service's public keys
// (ListKeys, kept fresh in the background) and a copy of the provider's
// policy; HS* tokens and unknown kids would still go to the service.
absl::StatusOr<VerifyResult> VerifyLocally(const Client& client,
                                           const std::string& token) {
  jwtauth::ProviderOptions provider;
  provider.name = absl::GetFlag(FLAGS_local_provider);
  provider.issuers = {absl::GetFlag(FLAGS_local_issuer)};
  if (const std::string aud = absl::GetFlag(FLAGS_local_audience);
      !aud.empty()) {
    provider.audiences = {aud};
  }
  jwtauth::client::LocalVerifierOptions options;
  options.providers = {provider};
  absl::StatusOr<std::unique_ptr<LocalVerifier>> local =
      LocalVerifier::Create(&client, std::move(options));
  if (!local.ok()) return local.status();
  // Until the first ListKeys lands every token goes remote; wait for it so
  // this step shows the local path.
  if (!(*local)->WaitForInitialLoad(absl::Seconds(5))) {
    return absl::UnavailableError("the service's keys did not load in 5 s");
  }
  return (*local)->Verify(token);
}

void PrintResult(absl::string_view how, const VerifyResult& result) {
  if (result.valid) {
    std::cout << how << ": valid provider=" << result.provider
              << " kid=" << result.kid << " alg=" << result.alg
              << " sub=" << result.claims.value("sub", "")
              << (result.source == VerifyResult::Source::kLocal
                      ? " (decided locally)"
                      : "")
              << "\n";
  } else {
    std::cout << how << ": invalid "
              << jwtauth::v1::FailureReason_Name(result.reason) << ": "
              << result.detail << "\n";
  }
}

int Fail(absl::string_view step, const absl::Status& status) {
  std::cerr << step << ": " << status << "\n";
  return kErrorExit;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "List keys, obtain a token and verify it with a jwtauth server.");
  absl::ParseCommandLine(argc, argv);

  absl::StatusOr<Client> client = Client::Create(OptionsFromFlags());
  if (!client.ok()) return Fail("options", client.status());
  if (absl::Status s = ShowKeys(*client); !s.ok()) return Fail("keys", s);
  absl::StatusOr<std::string> token = ObtainToken(*client);
  if (!token.ok()) return Fail("issue", token.status());
  absl::StatusOr<VerifyResult> remote = VerifyRemotely(*client, *token);
  if (!remote.ok()) return Fail("verify", remote.status());
  PrintResult("remote", *remote);
  if (!absl::GetFlag(FLAGS_local_issuer).empty()) {
    absl::StatusOr<VerifyResult> local = VerifyLocally(*client, *token);
    if (!local.ok()) return Fail("local verify", local.status());
    PrintResult("local", *local);
    if (local->valid != remote->valid) return EXIT_FAILURE;
  }
  return remote->valid ? EXIT_SUCCESS : EXIT_FAILURE;
}
