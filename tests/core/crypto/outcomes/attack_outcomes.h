#ifndef JWTAUTH_TESTS_CORE_CRYPTO_OUTCOMES_ATTACK_OUTCOMES_H_
#define JWTAUTH_TESTS_CORE_CRYPTO_OUTCOMES_ATTACK_OUTCOMES_H_

// The RFC 7515 Appendix A examples and the cryptographic attack cases of the
// attack suite (docs/SECURITY.md) that need no gRPC, emitted as outcome
// lines (outcome_log.h), all through the production TokenVerifier
// (tests/testutil/keys_verifier.h) or KeyMaterial import:
//   - per algorithm: the valid token, a one-bit flip in every signature
//     byte, truncated / extended / empty signatures, alg "none", and the
//     token relabelled with every other algorithm;
//   - algorithm confusion (HS256 keyed with an RSA public key), ECDSA DER
//     signatures, zero / order-sized r and s, the malleable (r, n - s),
//     Ed25519 S + L, PSS salt lengths other than the digest length, PKCS#1
//     v1.5 under PS* and PSS under RS*;
//   - key import: small-order and non-canonical Ed25519 keys, EC points off
//     the curve, weak or malformed RSA numbers, private halves that do not
//     match.
// Keys are generated per run; the outcomes do not depend on them.

namespace jwtauth::testutil {

void EmitRfcOutcomes();
void EmitAttackOutcomes();

}  // namespace jwtauth::testutil

#endif  // JWTAUTH_TESTS_CORE_CRYPTO_OUTCOMES_ATTACK_OUTCOMES_H_
