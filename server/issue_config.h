#ifndef JWTAUTH_SERVER_ISSUE_CONFIG_H_
#define JWTAUTH_SERVER_ISSUE_CONFIG_H_

// The `issue:` section (who may call IssueToken: issue.direct and token
// exchange under issue.exchange), read through ConfigNode into the
// IssuePolicy the services enforce. Provider names are checked by the
// top-level config once `providers:` is read; the exchange TTL limit belongs
// to core's ValidateIssuerOptions.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "server/config_reader.h"
#include "server/service_context.h"

namespace jwtauth::server {

struct IssueConfig {
  IssuePolicy policy;
  std::vector<std::string> exchange_claims;  // issue.exchange.claims
};

absl::Status ParseIssueConfig(const ConfigNode& node, IssueConfig& out);

}  // namespace jwtauth::server

#endif  // JWTAUTH_SERVER_ISSUE_CONFIG_H_
