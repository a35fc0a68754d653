// vector_outcomes: every Wycheproof and RFC vector and the core-level attack
// cases through the core as built, one line per case (outcome_log.h).
// Built once per crypto backend (the boringssl preset builds
// vector_outcomes on BoringSSL and vector_outcomes_openssl on OpenSSL 3);
// compare_backends.sh diffs the two outputs.
//
//   vector_outcomes [testdata dir]   (default: the configured
//                                     JWTAUTH_TESTDATA_DIR)
// Exit status 1 if a vector file cannot be read.

#include <cstdio>
#include <string>

#include "absl/synchronization/mutex.h"
#include "tests/core/crypto/outcomes/attack_outcomes.h"
#include "tests/core/crypto/outcomes/wycheproof_outcomes.h"

int main(int argc, char** argv) {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  const std::string dir = argc > 1 ? argv[1] : JWTAUTH_TESTDATA_DIR;
  bool ok = jwtauth::testutil::EmitWycheproofSignatureOutcomes(dir);
  ok = jwtauth::testutil::EmitWycheproofJoseOutcomes(dir) && ok;
  jwtauth::testutil::EmitRfcOutcomes();
  jwtauth::testutil::EmitAttackOutcomes();
  if (!ok) {
    std::fprintf(stderr, "vector_outcomes: cannot read vectors under %s\n",
                 dir.c_str());
    return 1;
  }
  return 0;
}
