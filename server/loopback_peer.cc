#include "server/loopback_peer.h"

#include <arpa/inet.h>

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace jwtauth::server {
namespace {

// "PORT": 1 to 5 digits.
bool IsPort(absl::string_view s) {
  if (s.empty() || s.size() > 5) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// "a.b.c.d:PORT" with a == 127.
bool IsLoopbackV4(absl::string_view rest) {
  const size_t colon = rest.rfind(':');
  if (colon == absl::string_view::npos || !IsPort(rest.substr(colon + 1))) {
    return false;
  }
  const std::string address(rest.substr(0, colon));
  in_addr a{};
  if (inet_pton(AF_INET, address.c_str(), &a) != 1) return false;
  return (ntohl(a.s_addr) >> 24) == 127;
}

// "[::1]:PORT", brackets possibly percent-encoded.
bool IsLoopbackV6(absl::string_view rest) {
  absl::string_view close;
  if (absl::ConsumePrefix(&rest, "[")) {
    close = "]";
  } else if (absl::ConsumePrefix(&rest, "%5B") ||
             absl::ConsumePrefix(&rest, "%5b")) {
    close = rest.find("%5D") != absl::string_view::npos ? "%5D" : "%5d";
  } else {
    return false;
  }
  const size_t end = rest.find(close);
  if (end == absl::string_view::npos) return false;
  absl::string_view port = rest.substr(end + close.size());
  if (!absl::ConsumePrefix(&port, ":") || !IsPort(port)) return false;
  const std::string address(rest.substr(0, end));
  in6_addr a{};
  if (inet_pton(AF_INET6, address.c_str(), &a) != 1) return false;
  return IN6_IS_ADDR_LOOPBACK(&a);
}

}  // namespace

bool IsLoopbackPeer(absl::string_view peer) {
  if (absl::ConsumePrefix(&peer, "ipv4:")) return IsLoopbackV4(peer);
  if (absl::ConsumePrefix(&peer, "ipv6:")) return IsLoopbackV6(peer);
  return false;
}

}  // namespace jwtauth::server
