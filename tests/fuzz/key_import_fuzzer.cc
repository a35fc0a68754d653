// libFuzzer target for PEM/DER key import (core/crypto/key_material.h,
// core/jwk.h): the input as PEM text (KeyMaterial::FromPem, ImportPem), as
// an HMAC secret (ImportSecret, which must refuse key text), and — the
// first byte choosing the label — its remaining bytes as DER wrapped in a
// PEM block, so the DER parsers behind every accepted encoding are reached
// directly; IsDerKeyEncoding probes the same bytes.
// Properties (any violation aborts):
//   - an accepted key serves at least one algorithm, meets the strength
//     floor (RSA >= 2048 bits), and its public half (PublicPem) re-imports
//     to the same fingerprint; with private material, PrivatePem does too;
//   - DER that imports as a key is recognised by IsDerKeyEncoding;
//   - ImportSecret never accepts PEM text that FromPem accepts.
// Seeds: tests/fuzz/corpus/key_import/ (PEM and DER of every key type).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/algorithm.h"
#include "core/crypto/der_probe.h"
#include "core/crypto/key_material.h"
#include "core/jwk.h"

namespace jwtauth::fuzz {
namespace {

[[noreturn]] void Violated(const char* what) {
  std::fprintf(stderr, "key_import property violated: %s\n", what);
  std::abort();
}

void CheckKey(const crypto::KeyMaterial& km) {
  bool fits_any = false;
  for (Algorithm alg : kAllAlgorithms) fits_any = fits_any || km.Fits(alg);
  if (!fits_any) Violated("imported key fits no algorithm");
  if (km.type() == KeyType::kRsa && km.bits() < 2048) {
    Violated("RSA key below the 2048-bit floor");
  }
  absl::StatusOr<std::string> pub = km.PublicPem();
  if (!pub.ok()) Violated("no public PEM for an asymmetric key");
  absl::StatusOr<crypto::KeyMaterial> back = crypto::KeyMaterial::FromPem(*pub);
  if (!back.ok()) Violated("public PEM does not re-import");
  absl::StatusOr<crypto::KeyMaterial> pub_only = km.PublicOnly();
  if (!pub_only.ok() || back->Fingerprint() != km.Fingerprint() ||
      pub_only->Fingerprint() != km.Fingerprint()) {
    Violated("public half has another fingerprint");
  }
  if (km.has_private()) {
    absl::StatusOr<std::string> priv = km.PrivatePem();
    if (!priv.ok()) Violated("no private PEM for a private key");
    absl::StatusOr<crypto::KeyMaterial> again =
        crypto::KeyMaterial::FromPem(*priv);
    if (!again.ok() || !again->has_private() ||
        again->Fingerprint() != km.Fingerprint()) {
      Violated("private PEM does not re-import to the same key");
    }
  }
}

std::string WrapDer(uint8_t selector, absl::string_view der) {
  static const char* const kLabels[] = {
      "PRIVATE KEY",           "PUBLIC KEY",     "RSA PRIVATE KEY",
      "RSA PUBLIC KEY",        "EC PRIVATE KEY", "CERTIFICATE",
      "ENCRYPTED PRIVATE KEY", "EC PARAMETERS"};
  const char* label = kLabels[selector % 8];
  std::string b64 = absl::Base64Escape(der);
  std::string pem = absl::StrCat("-----BEGIN ", label, "-----\n");
  for (size_t i = 0; i < b64.size(); i += 64) {
    absl::StrAppend(&pem, b64.substr(i, 64), "\n");
  }
  absl::StrAppend(&pem, "-----END ", label, "-----\n");
  return pem;
}

}  // namespace
}  // namespace jwtauth::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace jwtauth;
  using namespace jwtauth::fuzz;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<crypto::KeyMaterial> pem = crypto::KeyMaterial::FromPem(input);
  if (pem.ok()) {
    CheckKey(*pem);
    KeyOptions hs256;
    hs256.alg = Algorithm::kHs256;
    if (ImportSecret(input, hs256).ok()) {
      Violated("PEM key text accepted as an HMAC secret");
    }
  }
  KeyOptions with_kid;
  with_kid.kid = "fz";
  (void)ImportPem(input, with_kid);
  if (size > 0) {
    const absl::string_view der = input.substr(1);
    absl::StatusOr<crypto::KeyMaterial> wrapped =
        crypto::KeyMaterial::FromPem(WrapDer(data[0], der));
    if (wrapped.ok()) {
      CheckKey(*wrapped);
      if (!crypto::IsDerKeyEncoding(der)) {
        Violated("DER that imports is not recognised by IsDerKeyEncoding");
      }
    }
  }
  return 0;
}
