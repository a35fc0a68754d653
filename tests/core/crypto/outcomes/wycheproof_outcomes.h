#ifndef JWTAUTH_TESTS_CORE_CRYPTO_OUTCOMES_WYCHEPROOF_OUTCOMES_H_
#define JWTAUTH_TESTS_CORE_CRYPTO_OUTCOMES_WYCHEPROOF_OUTCOMES_H_

// Every Wycheproof vector jwtauth's conformance tests run, emitted as
// outcome lines (outcome_log.h): the raw-signature files through
// KeyMaterial + NewSignatureVerifier (as wycheproof_signature_test.cc does,
// plus each group's DER key import), and the JOSE files through the JWK
// importer and TokenVerifier (as wycheproof_jose_test.cc does). Returns
// false if a file cannot be read.

#include <string>

namespace jwtauth::testutil {

bool EmitWycheproofSignatureOutcomes(const std::string& dir);
bool EmitWycheproofJoseOutcomes(const std::string& dir);

}  // namespace jwtauth::testutil

#endif  // JWTAUTH_TESTS_CORE_CRYPTO_OUTCOMES_WYCHEPROOF_OUTCOMES_H_
