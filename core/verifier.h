#ifndef JWTAUTH_CORE_VERIFIER_H_
#define JWTAUTH_CORE_VERIFIER_H_

// CONTRACT SKETCH (owned by the key-store/policy work, issue 4): the names
// below are what server/ and the refresher code against.
//
// TokenVerifier turns a token into VerifyResult = FailureOr<VerifiedToken>.
// Order (tink): size → parse header → choose candidate keys from one KeySet
// snapshot → verify signature → parse payload (bounded) → policy → result.
//
//   struct VerifyOptions {
//     std::string provider;        // empty = any provider whose issuer matches
//     std::string audience;        // empty = the provider's configured audiences
//     absl::flat_hash_map<std::string, std::string> context;  // placeholders
//   };
//   class VerifiedToken {  // only TokenVerifier constructs one
//     const std::string& provider() const; const std::string& kid() const;
//     Algorithm alg() const; const nlohmann::json& claims() const;
//     const std::string& claims_json() const;
//     std::optional<absl::Time> expires_at() const;
//     const std::map<std::string, std::string>& metadata() const;
//   };
//   using VerifyResult = FailureOr<VerifiedToken>;
//   class TokenVerifier {
//     VerifyResult Verify(absl::string_view token, const VerifyOptions&) const;
//   };

#endif  // JWTAUTH_CORE_VERIFIER_H_
