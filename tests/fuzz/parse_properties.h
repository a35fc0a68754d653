#ifndef JWTAUTH_TESTS_FUZZ_PARSE_PROPERTIES_H_
#define JWTAUTH_TESTS_FUZZ_PARSE_PROPERTIES_H_

// Properties of the untrusted-input parse layer (base64url, json_limits,
// jws) that must hold for EVERY input. Shared by the libFuzzer targets in
// tests/fuzz/ (which abort on a violation) and by
// tests/core/fuzz_corpus_test.cc (which replays the seed corpora in CI).
//
// Each Check* returns {accepted, violation}: `accepted` is the parser's
// verdict on the input, `violation` is empty unless a property broke.
// Header-only on purpose: the fuzz build compiles these into instrumented
// binaries without a separate library target. Thread-compatible.

#include <exception>
#include <map>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/algorithm.h"
#include "core/base64url.h"
#include "core/failure.h"
#include "core/json_limits.h"
#include "core/jws.h"
#include "nlohmann/json.hpp"

namespace jwtauth::testutil {

struct PropertyResult {
  bool accepted = false;
  std::string violation;  // empty = every property held
};

// Decoding is canonical (decode then encode gives back the input), the
// appending and returning forms agree, and encode→decode is the identity.
inline PropertyResult CheckBase64UrlProperties(absl::string_view data) {
  PropertyResult r;
  std::optional<std::string> dec = Base64UrlDecode(data);
  r.accepted = dec.has_value();
  std::string appended = "prefix";
  const bool appended_ok = Base64UrlDecodeTo(data, appended);
  if (appended_ok != r.accepted) {
    r.violation = "Base64UrlDecodeTo and Base64UrlDecode disagree";
    return r;
  }
  if (dec.has_value()) {
    if (appended != "prefix" + *dec) {
      r.violation = "Base64UrlDecodeTo did not append the decoding";
      return r;
    }
    if (Base64UrlEncode(*dec) != data) {
      r.violation = "accepted a non-canonical encoding";
      return r;
    }
  }
  std::string enc = Base64UrlEncode(data);
  if (enc.size() != Base64UrlEncodedLength(data.size())) {
    r.violation = "encoded length differs from Base64UrlEncodedLength";
    return r;
  }
  std::optional<std::string> back = Base64UrlDecode(enc);
  if (!back.has_value() || *back != data) {
    r.violation = "encode then decode is not the identity";
  }
  return r;
}

// An accepted document: serialises with strict UTF-8, re-parses within the
// same limits to an equal value, equals nlohmann's own parse of the input
// (differential check), and is also accepted when an object is not
// required. `accepted` is the verdict with require_object = true.
// ScanJsonBounded against ParseJsonBounded under `limits`: the same
// verdict and status, and the kept top-level members (those whose name
// starts with 'a', 'e', 'i' or 's', or is empty) equal to the tree's; those
// starting with 'i' or 's' are kept with a text target, so a string value
// arrives as text (and nothing else does).
inline std::string CheckScanMatchesParse(absl::string_view data,
                                         const JsonLimits& limits) {
  struct Kept {
    nlohmann::json value;
    std::string text;
    bool is_text = false;
  };
  absl::StatusOr<nlohmann::json> tree = ParseJsonBounded(data, limits);
  std::map<std::string, Kept> kept;
  absl::Status scanned = ScanJsonBounded(
      data, limits, [&kept](absl::string_view name) -> ScanTarget {
        if (!name.empty() && !absl::StrContains("aeis", name.front())) {
          return ScanTarget{};
        }
        Kept& k = kept[std::string(name)];
        if (name.empty() || !absl::StrContains("is", name.front())) {
          return ScanTarget{.value = &k.value};
        }
        return ScanTarget{
            .value = &k.value, .text = &k.text, .is_text = &k.is_text};
      });
  if (tree.ok() != scanned.ok() || (!tree.ok() && (tree.status() != scanned))) {
    return "scan and parse disagree on the verdict";
  }
  if (!tree.ok() || !tree->is_object()) return "";
  for (const auto& [name, k] : kept) {
    auto it = tree->find(name);
    if (it == tree->end()) return "scan kept a member the tree lacks";
    const bool text_target = !name.empty() && absl::StrContains("is", name[0]);
    if (k.is_text != (text_target && it->is_string())) {
      return "scan kept text where it should not, or not where it should";
    }
    if (k.is_text ? (*it != k.text || !k.value.is_null()) : *it != k.value) {
      return "scan kept a member unlike the tree's";
    }
  }
  for (const auto& [name, value] : tree->items()) {
    if ((name.empty() || absl::StrContains("aeis", name.front())) &&
        kept.count(name) == 0) {
      return "scan missed a member";
    }
  }
  return "";
}

inline PropertyResult CheckJsonLimitsProperties(absl::string_view data) {
  PropertyResult r;
  try {
    JsonLimits tight{.max_bytes = 1 << 20,
                     .max_depth = 3,
                     .max_values = 24,
                     .max_object_members = 4,
                     .require_object = true};
    for (const JsonLimits& l :
         {tight, JsonLimits{.max_bytes = 1 << 20, .require_object = false}}) {
      r.violation = CheckScanMatchesParse(data, l);
      if (!r.violation.empty()) return r;
    }
    JsonLimits limits;
    limits.max_bytes = 1 << 20;
    JsonLimits any_top = limits;
    any_top.require_object = false;
    absl::StatusOr<nlohmann::json> obj = ParseJsonBounded(data, limits);
    absl::StatusOr<nlohmann::json> any = ParseJsonBounded(data, any_top);
    r.accepted = obj.ok();
    if (obj.ok() && (!any.ok() || *any != *obj || !obj->is_object())) {
      r.violation = "require_object changed an accepted object";
      return r;
    }
    if (!any.ok()) {
      // Errors are fixed phrases, never a quote of the input.
      static constexpr absl::string_view kPhrases[] = {
          "JSON too large",   "JSON nested too deeply", "duplicate member name",
          "too many members", "too many values",        "invalid JSON"};
      bool known = false;
      for (absl::string_view p : kPhrases) known |= any.status().message() == p;
      if (!known) r.violation = "unexpected error phrase";
      return r;
    }
    // Throws on invalid UTF-8, which ParseJsonBounded must have rejected.
    const std::string dumped =
        any->dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
    JsonLimits again = any_top;
    again.max_bytes = dumped.size() + 1;
    absl::StatusOr<nlohmann::json> reparsed = ParseJsonBounded(dumped, again);
    if (!reparsed.ok() || *reparsed != *any) {
      r.violation = "accepted value does not round-trip";
      return r;
    }
    nlohmann::json reference = nlohmann::json::parse(
        data.begin(), data.end(), nullptr, /*allow_exceptions=*/false);
    if (reference.is_discarded() || reference != *any) {
      r.violation = "differs from nlohmann::json::parse";
    }
  } catch (const std::exception& e) {
    r.violation = absl::StrCat("exception: ", e.what());
  }
  return r;
}

inline std::string CheckOneJws(absl::string_view token, bool* accepted) {
  FailureOr<ParsedJws> jws = ParsedJws::Parse(token);
  *accepted = jws.ok();
  if (!jws.ok()) {
    switch (jws.reason()) {
      case FailureReason::kTokenMissing:
      case FailureReason::kTokenTooLarge:
      case FailureReason::kMalformed:
      case FailureReason::kUnsupportedAlgorithm:
      case FailureReason::kHeaderRejected:
        break;
      default:
        return "unexpected failure reason";
    }
    if (jws.failure().detail.empty()) return "empty failure detail";
    return "";
  }
  if (CompleteCompactJws(jws->signing_input(), jws->signature()) != token) {
    return "accepted token does not re-encode to itself";
  }
  const nlohmann::json& h = jws->header();
  if (!h.is_object()) return "header is not an object";
  auto alg = h.find("alg");
  if (alg == h.end() || !alg->is_string() ||
      alg->get<std::string>() != AlgorithmName(jws->alg())) {
    return "alg() disagrees with the header";
  }
  if (h.contains("crit")) return "accepted a crit header";
  auto b64 = h.find("b64");
  if (b64 != h.end() && *b64 != true) return "accepted b64 other than true";
  auto kid = h.find("kid");
  const bool kid_agrees = kid == h.end()
                              ? !jws->kid().has_value()
                              : jws->kid().has_value() && *kid == *jws->kid();
  if (!kid_agrees) {
    return "kid() disagrees with the header";
  }
  return "";
}

// Parses `data` as a compact token, and again wrapped as the header of an
// otherwise well-formed token (so header JSON rules are reached without the
// fuzzer having to learn base64url). `accepted` is the verdict on `data`.
inline PropertyResult CheckJwsProperties(absl::string_view data) {
  PropertyResult r;
  try {
    r.violation = CheckOneJws(data, &r.accepted);
    if (!r.violation.empty()) return r;
    bool wrapped_accepted = false;
    const std::string wrapped =
        CompleteCompactJws(MakeSigningInput(data, "{}"), "sig");
    r.violation = CheckOneJws(wrapped, &wrapped_accepted);
  } catch (const std::exception& e) {
    r.violation = absl::StrCat("exception: ", e.what());
  }
  return r;
}

}  // namespace jwtauth::testutil

#endif  // JWTAUTH_TESTS_FUZZ_PARSE_PROPERTIES_H_
