#include "core/issuer.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/base64url.h"
#include "core/jws.h"
#include "core/option_error.h"
#include "core/status_macros.h"

namespace jwtauth {
namespace {

constexpr absl::string_view kReserved[] = {"iss", "iat", "exp", "nbf", "jti"};

bool IsReserved(absl::string_view name) {
  return std::find(std::begin(kReserved), std::end(kReserved), name) !=
         std::end(kReserved);
}

// Claims an exchanged token always gets from the exchange itself, never
// copied from the subject token.
constexpr absl::string_view kExchangeSet[] = {"aud", "src_iss", "src_sub"};

bool Contains(const std::vector<std::string>& list, absl::string_view v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

const std::string* StringClaim(const nlohmann::json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end() || !it->is_string()) return nullptr;
  return &it->get_ref<const std::string&>();
}

}  // namespace

absl::StatusOr<SigningKey> SigningKey::Create(Algorithm alg, std::string kid,
                                              crypto::KeyMaterial material,
                                              KeyState state) {
  if (kid.empty()) {
    return absl::InvalidArgumentError("signing: kid must not be empty");
  }
  if (!material.has_private()) {
    return absl::InvalidArgumentError("signing: key has no private material");
  }
  if (!material.Fits(alg)) {
    return absl::InvalidArgumentError(
        absl::StrCat("signing: key does not fit alg ", AlgorithmName(alg)));
  }
  if (KeyTypeFor(alg) == KeyType::kOct &&
      material.bits() / 8 < MinHmacSecretBytes(alg)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "signing: ", AlgorithmName(alg), " secret must be at least ",
        MinHmacSecretBytes(alg), " bytes (RFC 7518 section 3.2)"));
  }
  JWTAUTH_ASSIGN_OR_RETURN(auto signer, crypto::NewSigner(alg, material));
  return SigningKey(alg, std::move(kid), std::move(material), state,
                    std::shared_ptr<const crypto::Signer>(std::move(signer)));
}

absl::StatusOr<Key> SigningKey::VerificationKey(absl::Time loaded_at) const {
  crypto::KeyMaterial verify_material = material_;
  if (KeyTypeFor(alg_) != KeyType::kOct) {
    JWTAUTH_ASSIGN_OR_RETURN(auto pub, material_.PublicOnly());
    verify_material = std::move(pub);
  }
  return Key::Create(KeyOptions{.kid = kid_,
                                .alg = alg_,
                                .source = source_id(),
                                .loaded_at = loaded_at,
                                .state = state_},
                     std::move(verify_material));
}

absl::Status ValidateClaimAllowlist(const std::vector<std::string>& claims,
                                    absl::string_view field) {
  for (size_t i = 0; i < claims.size(); ++i) {
    const std::string& c = claims[i];
    const std::string at = absl::StrCat(field, "[", i, "]");
    if (c.empty() || IsReserved(c)) {
      return InvalidOptionError(
          at, absl::StrCat("\"", c,
                           "\" is empty or reserved (iss, iat, exp, nbf, "
                           "jti)"));
    }
    if (std::find(std::begin(kExchangeSet), std::end(kExchangeSet), c) !=
        std::end(kExchangeSet)) {
      return InvalidOptionError(
          at, absl::StrCat("\"", c,
                           "\" is set by the exchange itself (aud, "
                           "src_iss, src_sub)"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateIssuerOptions(const IssuerOptions& options) {
  if (options.issuer.empty()) {
    return InvalidOptionError("issuer", "must not be empty");
  }
  if (options.default_ttl < absl::Seconds(1)) {
    return InvalidOptionError("default_ttl", "must be at least 1s");
  }
  if (options.max_ttl < options.default_ttl) {
    return InvalidOptionError("default_ttl", "must not exceed max_ttl");
  }
  if (options.exchange.max_ttl < absl::Seconds(1)) {
    return InvalidOptionError("exchange.max_ttl", "must be at least 1s");
  }
  JWTAUTH_RETURN_IF_ERROR(ValidateClaimAllowlist(
      options.exchange.claim_allowlist, "exchange.claim_allowlist"));
  for (const char* name : {"allowed_providers", "allowed_audiences"}) {
    const std::vector<std::string>& list =
        name == std::string("allowed_providers")
            ? options.exchange.allowed_providers
            : options.exchange.allowed_audiences;
    if (Contains(list, "")) {
      return InvalidOptionError(absl::StrCat("exchange.", name),
                                "entries must not be empty");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<TokenIssuer>> TokenIssuer::Create(
    IssuerOptions options, SigningKey key, const Clock* clock) {
  if (clock == nullptr) return absl::InvalidArgumentError("issuer: no clock");
  JWTAUTH_RETURN_IF_ERROR(ValidateIssuerOptions(options));
  if (key.state() != KeyState::kActive) {
    return absl::InvalidArgumentError(
        absl::StrCat("signing: key state is ", KeyStateName(key.state()),
                     "; only the active key signs"));
  }
  return std::unique_ptr<TokenIssuer>(
      new TokenIssuer(std::move(options), std::move(key), clock));
}

absl::StatusOr<IssuedToken> TokenIssuer::Sign(nlohmann::json claims,
                                              absl::Time now,
                                              absl::Time exp) const {
  std::string jti = Base64UrlEncode(crypto::RandomBytes(16));
  const bool override_ok = options_.allow_reserved_claim_override;
  auto set = [&](const char* name, nlohmann::json value) {
    if (!override_ok || !claims.contains(name)) claims[name] = std::move(value);
  };
  set("iss", options_.issuer);
  set("iat", absl::ToUnixSeconds(now));
  set("exp", absl::ToUnixSeconds(exp));
  set("jti", jti);
  nlohmann::json header = {
      {"alg", AlgorithmName(key_.alg())}, {"kid", key_.kid()}, {"typ", "JWT"}};
  const auto handler = nlohmann::json::error_handler_t::strict;
  std::string header_text, payload_text;
  // dump() throws only for invalid UTF-8 under the strict handler; claims
  // come from parsed JSON / protobuf Struct, but never let it escape.
  try {
    header_text = header.dump(-1, ' ', false, handler);
    payload_text = claims.dump(-1, ' ', false, handler);
  } catch (const nlohmann::json::exception&) {
    return absl::InvalidArgumentError("claims: invalid UTF-8 in a string");
  }
  std::string input = MakeSigningInput(header_text, payload_text);
  absl::StatusOr<std::string> sig = key_.Sign(input);
  if (!sig.ok()) return absl::InternalError("signing failed");
  IssuedToken out;
  out.token = CompleteCompactJws(input, *sig);
  out.expires_at = absl::FromUnixSeconds(absl::ToUnixSeconds(exp));
  out.kid = key_.kid();
  out.alg = key_.alg();
  out.jti = std::move(jti);
  return out;
}

absl::StatusOr<IssuedToken> TokenIssuer::Issue(
    const IssueRequest& request) const {
  absl::Duration ttl =
      request.ttl == absl::ZeroDuration() ? options_.default_ttl : request.ttl;
  if (ttl < absl::Seconds(1)) {
    return absl::InvalidArgumentError("ttl: must be >= 1s");
  }
  if (ttl > options_.max_ttl) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ttl: exceeds max_ttl ", absl::FormatDuration(options_.max_ttl)));
  }
  nlohmann::json claims =
      request.claims.is_null() ? nlohmann::json::object() : request.claims;
  if (!claims.is_object()) {
    return absl::InvalidArgumentError("claims: must be a JSON object");
  }
  if (!options_.allow_reserved_claim_override) {
    for (absl::string_view r : kReserved) {
      if (claims.contains(std::string(r))) {
        return absl::InvalidArgumentError(
            absl::StrCat("claims: \"", r, "\" is reserved"));
      }
    }
  }
  // Provenance claims are set only by an exchange, so a relying party can
  // trust them for every token of this issuer.
  for (const char* provenance : {"src_iss", "src_sub"}) {
    if (claims.contains(provenance)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "claims: \"", provenance, "\" is set only by token exchange"));
    }
  }
  if (!request.subject.empty()) {
    if (claims.contains("sub")) {
      return absl::InvalidArgumentError("claims: sub given twice");
    }
    claims["sub"] = request.subject;
  }
  if (!request.audiences.empty()) {
    if (claims.contains("aud")) {
      return absl::InvalidArgumentError("claims: aud given twice");
    }
    claims["aud"] = request.audiences.size() == 1
                        ? nlohmann::json(request.audiences[0])
                        : nlohmann::json(request.audiences);
  }
  absl::Time now = clock_->Now();
  return Sign(std::move(claims), now, now + absl::Trunc(ttl, absl::Seconds(1)));
}

absl::Status TokenIssuer::CheckExchangeAudiences(
    const std::vector<std::string>& audiences) const {
  if (audiences.empty()) {
    return absl::InvalidArgumentError(
        "audiences: token exchange needs at least one audience (from "
        "issue.exchange.allowed_audiences)");
  }
  for (const std::string& a : audiences) {
    if (!Contains(options_.exchange.allowed_audiences, a)) {
      return absl::PermissionDeniedError(
          absl::StrCat("audience \"", a,
                       "\" is not allowed for token exchange "
                       "(issue.exchange.allowed_audiences)"));
    }
  }
  return absl::OkStatus();
}

VerifyResult TokenIssuer::VerifySubject(absl::string_view subject_token,
                                        const VerifyOptions& verify_options,
                                        const TokenVerifier& verifier) const {
  // Restricted to the allowed providers: each is tried alone (its issuers,
  // its keys, its policy), so a token only another provider accepts fails.
  return verifier.VerifyWithAnyOf(
      subject_token, options_.exchange.allowed_providers, verify_options);
}

absl::StatusOr<absl::Duration> TokenIssuer::ExchangeTtl(
    absl::Duration requested) const {
  const ExchangeOptions& ex = options_.exchange;
  absl::Duration ttl = requested;
  if (ttl == absl::ZeroDuration()) {
    ttl = std::min(options_.default_ttl, ex.max_ttl);
  }
  if (ttl < absl::Seconds(1)) {
    return absl::InvalidArgumentError("ttl: must be >= 1s");
  }
  if (ttl > ex.max_ttl) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ttl: exceeds exchange max_ttl ", absl::FormatDuration(ex.max_ttl)));
  }
  return ttl;
}

absl::StatusOr<FailureOr<IssuedToken>> TokenIssuer::Exchange(
    absl::string_view subject_token, const VerifyOptions& verify_options,
    const TokenVerifier& verifier, const ExchangeRequest& request) const {
  JWTAUTH_RETURN_IF_ERROR(ExchangeTtl(request.ttl).status());
  if (absl::Status s = CheckExchangeAudiences(request.audiences); !s.ok()) {
    return s;
  }
  VerifyResult subject = VerifySubject(subject_token, verify_options, verifier);
  if (!subject.ok()) return FailureOr<IssuedToken>(subject.failure());
  JWTAUTH_ASSIGN_OR_RETURN(
      IssuedToken issued,
      MintFrom(
          *subject, request, options_.exchange.claim_allowlist,
          /*cap_to_subject=*/!options_.exchange.allow_beyond_subject_expiry));
  return FailureOr<IssuedToken>(std::move(issued));
}

absl::StatusOr<IssuedToken> TokenIssuer::ExchangeVerified(
    const VerifiedToken& subject, const ExchangeRequest& request,
    const std::vector<std::string>& claim_allowlist) const {
  if (request.audiences.empty()) {
    return absl::InvalidArgumentError("audiences: at least one is required");
  }
  JWTAUTH_RETURN_IF_ERROR(
      ValidateClaimAllowlist(claim_allowlist, "claim_allowlist"));
  return MintFrom(subject, request, claim_allowlist, /*cap_to_subject=*/true);
}

absl::StatusOr<IssuedToken> TokenIssuer::MintFrom(
    const VerifiedToken& subject, const ExchangeRequest& request,
    const std::vector<std::string>& claim_allowlist,
    bool cap_to_subject) const {
  JWTAUTH_ASSIGN_OR_RETURN(absl::Duration ttl, ExchangeTtl(request.ttl));
  const nlohmann::json& verified = subject.claims();
  const std::string* sub = StringClaim(verified, "sub");
  if (!request.subject.empty() && (sub == nullptr || *sub != request.subject)) {
    return absl::InvalidArgumentError(
        "subject: must be empty or equal the subject token's \"sub\"");
  }

  nlohmann::json claims = nlohmann::json::object();
  for (const std::string& name : claim_allowlist) {
    auto it = verified.find(name);
    if (it != verified.end()) claims[name] = *it;
  }
  if (!request.subject.empty()) claims["sub"] = request.subject;
  claims["aud"] = request.audiences.size() == 1
                      ? nlohmann::json(request.audiences[0])
                      : nlohmann::json(request.audiences);
  // Provenance: who issued the subject token, and for whom.
  if (const std::string* iss = StringClaim(verified, "iss")) {
    claims["src_iss"] = *iss;
  }
  if (sub != nullptr) claims["src_sub"] = *sub;
  absl::Time now = clock_->Now();
  absl::Time exp = now + absl::Trunc(ttl, absl::Seconds(1));
  if (cap_to_subject && subject.expires_at().has_value()) {
    // Whole seconds, rounded down, so the new exp never passes the old one.
    absl::Time cap =
        absl::FromUnixSeconds(absl::ToUnixSeconds(*subject.expires_at()));
    exp = std::min(exp, cap);
    if (exp <= now) {
      return absl::FailedPreconditionError(
          "subject token expires too soon to exchange");
    }
  }
  return Sign(std::move(claims), now, exp);
}

}  // namespace jwtauth
