#include "core/option_error.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/types/optional.h"

namespace jwtauth {
namespace {

constexpr absl::string_view kFieldUrl = "jwtauth/option_error/field";
constexpr absl::string_view kReasonUrl = "jwtauth/option_error/reason";

}  // namespace

absl::Status InvalidOptionError(absl::string_view field,
                                absl::string_view reason,
                                absl::string_view context) {
  absl::Status s =
      absl::InvalidArgumentError(absl::StrCat(context, field, ": ", reason));
  s.SetPayload(kFieldUrl, absl::Cord(field));
  s.SetPayload(kReasonUrl, absl::Cord(reason));
  return s;
}

std::optional<OptionError> GetOptionError(const absl::Status& status) {
  absl::optional<absl::Cord> field = status.GetPayload(kFieldUrl);
  absl::optional<absl::Cord> reason = status.GetPayload(kReasonUrl);
  if (!field.has_value() || !reason.has_value()) return std::nullopt;
  return OptionError{std::string(*field), std::string(*reason)};
}

}  // namespace jwtauth
