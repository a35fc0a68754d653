#!/usr/bin/env python3
"""Writes a pre-framed gRPC VerifyRequest body for h2load to stdout.

  verify_body.py SECRET_FILE [--kid hs1] [--issuer https://bench]
                 [--audience api] [--ttl 3600]

The token is an HS256 JWT signed with the secret (the same shape the
load_generator signs). gRPC framing: 1 flag byte (0 = uncompressed), 4-byte
big-endian length, then VerifyRequest{token = 1} serialized by hand.
"""
import argparse
import base64
import hashlib
import hmac
import json
import struct
import sys
import time


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def hs256_token(secret, kid, issuer, audience, ttl):
    now = int(time.time())
    header = {"alg": "HS256", "typ": "JWT", "kid": kid}
    payload = {"iss": issuer, "aud": audience, "sub": "bench-user",
               "iat": now, "exp": now + ttl, "scope": "read"}
    signing_input = b".".join(
        b64url(json.dumps(x, separators=(",", ":")).encode())
        for x in (header, payload))
    sig = hmac.new(secret, signing_input, hashlib.sha256).digest()
    return signing_input + b"." + b64url(sig)


def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("secret_file")
    parser.add_argument("--kid", default="hs1")
    parser.add_argument("--issuer", default="https://bench")
    parser.add_argument("--audience", default="api")
    parser.add_argument("--ttl", type=int, default=3600)
    args = parser.parse_args()
    with open(args.secret_file, "rb") as f:
        secret = f.read()
    token = hs256_token(secret, args.kid, args.issuer, args.audience, args.ttl)
    message = b"\x0a" + varint(len(token)) + token  # field 1, wire type 2
    sys.stdout.buffer.write(b"\x00" + struct.pack(">I", len(message)) + message)


if __name__ == "__main__":
    main()
