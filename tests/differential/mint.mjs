// Keys and raw JWS minting for the differential test, with node:crypto only,
// so neither implementation under test (jwtauth, jose) mints the tokens.
// signRaw() signs any header/payload TEXT, so tests can produce duplicate
// members, odd whitespace or invalid JSON that a JWT library would refuse
// to emit.

import crypto from 'node:crypto';

export const ALGS = [
  'HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA',
];

const CURVE = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };
const ORDER = {  // ECDSA group orders, for high-S signatures
  ES256: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  ES384: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  ES512: 0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
};

export function digestOf(alg) {
  return alg === 'EdDSA' ? null : `sha${alg.slice(2)}`;
}

export const b64u = (buf) => Buffer.from(buf).toString('base64url');

// One key for `alg` with kid: {alg, kid, priv (KeyObject or secret Buffer),
// pubJwk (what the verifiers get: public JWK, or the oct JWK)}.
export function makeKey(alg, kid) {
  if (alg.startsWith('HS')) {
    const secret = crypto.randomBytes(Number(alg.slice(2)) / 8);
    return { alg, kid, priv: secret,
             pubJwk: { kty: 'oct', k: b64u(secret), kid, alg } };
  }
  let pair;
  if (alg.startsWith('RS') || alg.startsWith('PS')) {
    pair = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  } else if (alg === 'EdDSA') {
    pair = crypto.generateKeyPairSync('ed25519');
  } else {
    pair = crypto.generateKeyPairSync('ec', { namedCurve: CURVE[alg] });
  }
  const pubJwk = { ...pair.publicKey.export({ format: 'jwk' }), kid, alg };
  return { alg, kid, priv: pair.privateKey, pubJwk };
}

// Signature over `input` (a string) with `key` as algorithm `alg`.
export function signBytes(alg, key, input) {
  const data = Buffer.from(input);
  if (alg.startsWith('HS')) {
    return crypto.createHmac(digestOf(alg), key).update(data).digest();
  }
  if (alg === 'EdDSA') return crypto.sign(null, data, key);
  if (alg.startsWith('RS')) return crypto.sign(digestOf(alg), data, key);
  if (alg.startsWith('PS')) {
    return crypto.sign(digestOf(alg), data, {
      key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING,
      saltLength: Number(alg.slice(2)) / 8,
    });
  }
  return crypto.sign(digestOf(alg), data, { key, dsaEncoding: 'ieee-p1363' });
}

// Compact JWS of exact header and payload texts.
export function signRaw(alg, key, headerText, payloadText) {
  const input = `${b64u(headerText)}.${b64u(payloadText)}`;
  return `${input}.${b64u(signBytes(alg, key, input))}`;
}

export function signJson(alg, key, header, payload) {
  return signRaw(alg, key, JSON.stringify(header), JSON.stringify(payload));
}

// ECDSA (r, s) → (r, n - s): the other valid signature of the same message.
export function highS(alg, sig) {
  const half = sig.length / 2;
  const s = BigInt(`0x${sig.subarray(half).toString('hex')}`);
  const other = (ORDER[alg] - s).toString(16).padStart(half * 2, '0');
  return Buffer.concat([sig.subarray(0, half), Buffer.from(other, 'hex')]);
}

// ECDSA P1363 (r || s) → ASN.1 DER, the encoding JWS forbids.
export function toDer(sig) {
  const half = sig.length / 2;
  const int = (b) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) ++i;
    let v = b.subarray(i);
    if (v[0] & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
    return Buffer.concat([Buffer.from([0x02, v.length]), v]);
  };
  const body = Buffer.concat([int(sig.subarray(0, half)), int(sig.subarray(half))]);
  const len = body.length < 128 ? Buffer.from([body.length])
                                 : Buffer.from([0x81, body.length]);
  return Buffer.concat([Buffer.from([0x30]), len, body]);
}

// A deterministic PRNG (mulberry32), so a case list is reproducible from
// its seed.
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (list) => list[Math.floor(next() * list.length)],
  };
}
