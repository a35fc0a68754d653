#include "server/source_redaction.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace jwtauth::server {
namespace {

// "#" + 8 hex digits of 64-bit FNV-1a, folded to 32 bits.
std::string Digest(absl::string_view text) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return absl::StrFormat("#%08x", static_cast<uint32_t>(h ^ (h >> 32)));
}

bool IsWord(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_islower(static_cast<unsigned char>(c)) || c == '_' ||
           c == '-';
  });
}

}  // namespace

std::string RedactUrl(absl::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == absl::string_view::npos || scheme_end == 0) {
    return Digest(url);
  }
  const size_t authority_start = scheme_end + 3;
  size_t authority_end = url.find_first_of("/?#", authority_start);
  if (authority_end == absl::string_view::npos) authority_end = url.size();
  absl::string_view authority =
      url.substr(authority_start, authority_end - authority_start);
  bool removed = false;
  if (size_t at = authority.rfind('@'); at != absl::string_view::npos) {
    authority = authority.substr(at + 1);
    removed = true;
  }
  size_t path_end = url.find_first_of("?#", authority_end);
  if (path_end == absl::string_view::npos) {
    path_end = url.size();
  } else {
    removed = true;
  }
  std::string out =
      absl::StrCat(url.substr(0, authority_start), authority,
                   url.substr(authority_end, path_end - authority_end));
  if (removed) out += Digest(url);
  return out;
}

std::string PublicSourceId(absl::string_view source_id) {
  const size_t colon = source_id.find(':');
  if (colon == absl::string_view::npos) {
    return IsWord(source_id) ? std::string(source_id) : Digest(source_id);
  }
  absl::string_view kind = source_id.substr(0, colon);
  if (!IsWord(kind)) return Digest(source_id);
  if (kind == "jwks" || kind == "oidc") {
    return absl::StrCat(kind, ":", RedactUrl(source_id.substr(colon + 1)));
  }
  return absl::StrCat(kind, ":", Digest(source_id));
}

}  // namespace jwtauth::server
