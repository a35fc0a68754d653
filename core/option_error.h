#ifndef JWTAUTH_CORE_OPTION_ERROR_H_
#define JWTAUTH_CORE_OPTION_ERROR_H_

// A typed error for one field of a core *Options struct. Core validators
// (Policy::Create, ValidateIssuerOptions) own their limits; the config layer
// reads the field back from the status (never from the message text) to
// point at the YAML value that set it.
//
//   return InvalidOptionError("clock_skew", "must be at most 10m");
//   // message "clock_skew: must be at most 10m"
//   std::optional<OptionError> e = GetOptionError(status);  // e->field ...

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace jwtauth {

struct OptionError {
  std::string field;   // "clock_skew", "allowed_typ[1]", "exchange.max_ttl"
  std::string reason;  // "must be at most 10m"
};

// InvalidArgument "<context>field: reason" carrying `field` and `reason`.
absl::Status InvalidOptionError(absl::string_view field,
                                absl::string_view reason,
                                absl::string_view context = "");

// The field and reason of an InvalidOptionError; nullopt for other statuses.
std::optional<OptionError> GetOptionError(const absl::Status& status);

}  // namespace jwtauth

#endif  // JWTAUTH_CORE_OPTION_ERROR_H_
