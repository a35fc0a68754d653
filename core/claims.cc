#include "core/claims.h"

#include <cmath>
#include <cstdint>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "core/json_reader.h"

namespace jwtauth {
namespace {

const nlohmann::json* FindIn(const nlohmann::json& obj,
                             absl::string_view path) {
  if (!obj.is_object()) return nullptr;
  auto whole = obj.find(std::string_view(path.data(), path.size()));
  if (whole != obj.end()) return &*whole;
  // Longest member name first; the JSON depth limit bounds the recursion.
  for (size_t end = path.size(); end > 0;) {
    const size_t dot = path.rfind('.', end - 1);
    if (dot == absl::string_view::npos) break;
    end = dot;
    auto it = obj.find(std::string_view(path.data(), dot));
    if (it == obj.end() || !it->is_object()) continue;
    if (const nlohmann::json* v = FindIn(*it, path.substr(dot + 1))) return v;
  }
  return nullptr;
}

}  // namespace

const nlohmann::json* Claims::Member(absl::string_view name) const {
  if (!json_->is_object()) return nullptr;
  auto it = json_->find(std::string_view(name.data(), name.size()));
  return it == json_->end() ? nullptr : &*it;
}

const nlohmann::json* Claims::Find(absl::string_view path) const {
  return FindIn(*json_, path);
}

std::optional<absl::Time> Claims::ToTime(const nlohmann::json& v) {
  if (v.is_number_unsigned()) {
    uint64_t s = v.get<uint64_t>();
    if (s > static_cast<uint64_t>(kMaxNumericDate)) return std::nullopt;
    return absl::FromUnixSeconds(static_cast<int64_t>(s));
  }
  if (v.is_number_integer()) {
    int64_t s = v.get<int64_t>();
    if (s < 0 || s > static_cast<int64_t>(kMaxNumericDate)) return std::nullopt;
    return absl::FromUnixSeconds(s);
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (!std::isfinite(d) || d < 0 || d > kMaxNumericDate) return std::nullopt;
    double whole = std::floor(d);
    return absl::FromUnixSeconds(static_cast<int64_t>(whole)) +
           absl::Nanoseconds(std::llround((d - whole) * 1e9));
  }
  return std::nullopt;
}

FailureOr<std::optional<absl::Time>> Claims::NumericDate(
    absl::string_view name) const {
  return NumericDateOf(Member(name), name);
}

FailureOr<std::optional<absl::Time>> Claims::NumericDateOf(
    const nlohmann::json* v, absl::string_view name) {
  if (v == nullptr) return std::optional<absl::Time>();
  std::optional<absl::Time> t = ToTime(*v);
  if (!t) {
    return MakeFailure(FailureReason::kClaimInvalid,
                       absl::StrCat(name, " is not a valid NumericDate"));
  }
  return t;
}

FailureOr<std::optional<std::string>> Claims::String(
    absl::string_view name) const {
  const nlohmann::json* v = Member(name);
  if (v == nullptr) return std::optional<std::string>();
  if (!v->is_string()) {
    return MakeFailure(FailureReason::kClaimInvalid,
                       absl::StrCat(name, " is not a string"));
  }
  return std::optional<std::string>(v->get<std::string>());
}

FailureOr<std::optional<std::vector<std::string>>> Claims::StringOrArray(
    absl::string_view name) const {
  using Result = std::optional<std::vector<std::string>>;
  const nlohmann::json* v = Member(name);
  if (v == nullptr) return Result();
  std::vector<std::string> out;
  if (v->is_string()) {
    out.push_back(v->get<std::string>());
    return Result(std::move(out));
  }
  if (!v->is_array()) {
    return MakeFailure(FailureReason::kClaimInvalid,
                       absl::StrCat(name, " is not a string or array"));
  }
  out.reserve(v->size());
  for (const nlohmann::json& e : *v) {
    if (!e.is_string()) {
      return MakeFailure(FailureReason::kClaimInvalid,
                         absl::StrCat(name, " has a non-string element"));
    }
    out.push_back(e.get<std::string>());
  }
  return Result(std::move(out));
}

std::string Claims::ValueToString(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

TextClaim TextClaim::Of(const nlohmann::json* value) {
  TextClaim claim;
  if (value == nullptr) return claim;
  if (const std::string* s = value->get_ptr<const std::string*>()) {
    return String(*s);
  }
  if (value->is_array()) {
    claim.type = Type::kArray;
    claim.array = value;
  } else {
    claim.type = Type::kOther;
  }
  return claim;
}

TextClaim TextClaim::String(absl::string_view text) {
  TextClaim claim;
  claim.type = Type::kString;
  claim.text = text;
  return claim;
}

RegisteredClaims RegisteredClaims::Of(const nlohmann::json& object) {
  const Claims claims(object);
  return RegisteredClaims{.iss = TextClaim::Of(claims.Member("iss")),
                          .sub = TextClaim::Of(claims.Member("sub")),
                          .aud = TextClaim::Of(claims.Member("aud")),
                          .exp = claims.Member("exp"),
                          .nbf = claims.Member("nbf"),
                          .iat = claims.Member("iat")};
}

absl::Status RegisteredClaimValues::Scan(absl::string_view payload,
                                         const JsonLimits& limits,
                                         RegisteredClaimValues& out) {
  out.present_ = {};
  out.is_text_ = {};
  return ScanJsonBounded(payload, limits,
                         [&out](absl::string_view name) -> ScanTarget {
                           using json_internal::SameName;
                           const Slot slot = SameName(name, "iss")   ? kIss
                                             : SameName(name, "sub") ? kSub
                                             : SameName(name, "aud") ? kAud
                                             : SameName(name, "exp") ? kExp
                                             : SameName(name, "nbf") ? kNbf
                                             : SameName(name, "iat") ? kIat
                                                                     : kSlots;
                           if (slot == kSlots) return ScanTarget{};
                           out.present_[slot] = true;
                           if (slot >= kTextSlots) {
                             return ScanTarget{.value = &out.values_[slot]};
                           }
                           return ScanTarget{.value = &out.values_[slot],
                                             .text = &out.texts_[slot],
                                             .is_text = &out.is_text_[slot]};
                         });
}

RegisteredClaims RegisteredClaimValues::view() const {
  auto at = [this](Slot s) { return present_[s] ? &values_[s] : nullptr; };
  auto text_at = [&](Slot s) {
    return present_[s] && is_text_[s] ? TextClaim::String(texts_[s])
                                      : TextClaim::Of(at(s));
  };
  return RegisteredClaims{.iss = text_at(kIss),
                          .sub = text_at(kSub),
                          .aud = text_at(kAud),
                          .exp = at(kExp),
                          .nbf = at(kNbf),
                          .iat = at(kIat)};
}

}  // namespace jwtauth
