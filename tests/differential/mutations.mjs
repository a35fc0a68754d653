// The case generator of the differential test: a valid token per algorithm
// and systematic mutations of it. Each mutation is
//   {family, name, make(ctx) → token string}
// where ctx = {alg, key, wrongKey, keys, header, claims, now, rng}.
// `family` groups the report (docs/SECURITY.md); `name` identifies the exact
// mutation in a failure message.

import { ALGS, b64u, highS, signBytes, signJson, signRaw, toDer } from './mint.mjs';

const seg = (token) => token.split('.');
const join = (parts) => parts.join('.');
const resign = (ctx, header, claims) =>
  signJson(ctx.alg, ctx.key.priv, header, claims);
const withClaims = (ctx, patch) => resign(ctx, ctx.header, { ...ctx.claims, ...patch });
const withHeader = (ctx, patch) => resign(ctx, { ...ctx.header, ...patch }, ctx.claims);
const without = (obj, name) => {
  const copy = { ...obj };
  delete copy[name];
  return copy;
};
const valid = (ctx) => resign(ctx, ctx.header, ctx.claims);
const sigOf = (token) => Buffer.from(seg(token)[2], 'base64url');
const withSig = (token, sig) => {
  const p = seg(token);
  return join([p[0], p[1], b64u(sig)]);
};

// Flips one bit of one decoded segment (0 header, 1 payload, 2 signature)
// and re-encodes it: the token stays well-formed base64url.
function flipDecoded(ctx, which) {
  const p = seg(valid(ctx));
  const bytes = Buffer.from(p[which], 'base64url');
  if (bytes.length === 0) return join(p);
  const i = ctx.rng.int(bytes.length);
  bytes[i] ^= 1 << ctx.rng.int(8);
  p[which] = b64u(bytes);
  return join(p);
}

// Flips one bit of one character of the compact text (any result byte).
function flipChar(ctx) {
  const t = Buffer.from(valid(ctx));
  const i = ctx.rng.int(t.length);
  t[i] ^= 1 << ctx.rng.int(7);
  return t.toString('latin1');
}

const otherAlg = (ctx, family) => {
  const same = ALGS.filter((a) => a !== ctx.alg && a.startsWith(family));
  return same.length ? ctx.rng.pick(same) : 'HS256';
};

export const MUTATIONS = [
  // --- valid tokens, several encodings of the same claims --------------
  { family: 'valid', name: 'plain', make: valid },
  { family: 'valid', name: 'no_typ', make: (c) => resign(c, without(c.header, 'typ'), c.claims) },
  { family: 'valid', name: 'no_kid', make: (c) => resign(c, without(c.header, 'kid'), c.claims) },
  { family: 'valid', name: 'aud_array', make: (c) => withClaims(c, { aud: ['api://other', c.claims.aud] }) },
  { family: 'valid', name: 'float_exp', make: (c) => withClaims(c, { exp: c.now + 300.5 }) },
  { family: 'valid', name: 'unicode_claim', make: (c) => withClaims(c, { name: 'Zoë 🦊 \u2028' }) },
  { family: 'valid', name: 'typ_at_jwt', make: (c) => withHeader(c, { typ: 'at+jwt' }) },
  { family: 'valid', name: 'typ_application_jwt', make: (c) => withHeader(c, { typ: 'application/JWT' }) },

  // --- flipped bits -------------------------------------------------
  { family: 'flipped_bits', name: 'header_bit', make: (c) => flipDecoded(c, 0) },
  { family: 'flipped_bits', name: 'payload_bit', make: (c) => flipDecoded(c, 1) },
  { family: 'flipped_bits', name: 'signature_bit', make: (c) => flipDecoded(c, 2) },
  { family: 'flipped_bits', name: 'char_bit', make: flipChar },

  // --- swapped / damaged segments -------------------------------------
  { family: 'segments', name: 'swap_header_payload', make: (c) => { const p = seg(valid(c)); return join([p[1], p[0], p[2]]); } },
  { family: 'segments', name: 'foreign_signature', make: (c) => { const p = seg(valid(c)); const q = seg(withClaims(c, { sub: 'mallory' })); return join([p[0], p[1], q[2]]); } },
  { family: 'segments', name: 'foreign_payload', make: (c) => { const p = seg(valid(c)); const q = seg(withClaims(c, { sub: 'mallory' })); return join([p[0], q[1], p[2]]); } },
  { family: 'segments', name: 'empty_signature', make: (c) => { const p = seg(valid(c)); return `${p[0]}.${p[1]}.`; } },
  { family: 'segments', name: 'two_segments', make: (c) => { const p = seg(valid(c)); return `${p[0]}.${p[1]}`; } },
  { family: 'segments', name: 'four_segments', make: (c) => `${valid(c)}.` },
  { family: 'segments', name: 'truncated_signature', make: (c) => { const s = sigOf(valid(c)); return withSig(valid(c), s.subarray(0, s.length - 1)); } },
  { family: 'segments', name: 'extended_signature', make: (c) => { const t = valid(c); return withSig(t, Buffer.concat([sigOf(t), Buffer.from([0])])); } },
  { family: 'segments', name: 'leading_zero_signature', make: (c) => { const t = valid(c); return withSig(t, Buffer.concat([Buffer.from([0]), sigOf(t)])); } },
  { family: 'segments', name: 'empty_payload', make: (c) => signRaw(c.alg, c.key.priv, JSON.stringify(c.header), '') },
  { family: 'segments', name: 'padded_signature', make: (c) => `${valid(c)}==` },
  { family: 'segments', name: 'space_in_signature', make: (c) => { const t = valid(c); return `${t.slice(0, -4)} ${t.slice(-4)}`; } },
  { family: 'segments', name: 'trailing_bits', make: (c) => {
    // Non-canonical last character: same decoded bytes, different text.
    const t = valid(c);
    const p = seg(t);
    const last = p[2].slice(-1);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const idx = alphabet.indexOf(last);
    const rem = p[2].length % 4;
    if (rem === 0) return t;  // no spare bits in a full quantum
    const spare = rem === 2 ? 15 : 3;  // low bits the decoder ignores
    p[2] = p[2].slice(0, -1) + alphabet[(idx & ~spare) | (1 + c.rng.int(spare))];
    return join(p);
  } },

  // --- re-encoded JSON (signed correctly) --------------------------------
  { family: 'reencoded_json', name: 'pretty', make: (c) => signRaw(c.alg, c.key.priv, JSON.stringify(c.header, null, 2), JSON.stringify(c.claims, null, 1)) },
  { family: 'reencoded_json', name: 'reordered', make: (c) => signRaw(c.alg, c.key.priv, JSON.stringify(Object.fromEntries(Object.entries(c.header).reverse())), JSON.stringify(Object.fromEntries(Object.entries(c.claims).reverse()))) },
  { family: 'reencoded_json', name: 'escaped', make: (c) => signRaw(c.alg, c.key.priv, JSON.stringify(c.header), JSON.stringify(c.claims).replace(/"iss"/, '"\\u0069ss"').replace(/https/, 'http\\u0073')) },
  { family: 'reencoded_json', name: 'duplicate_claim', make: (c) => signRaw(c.alg, c.key.priv, JSON.stringify(c.header), JSON.stringify(c.claims).replace(/^\{/, '{"sub":"admin",')) },
  { family: 'reencoded_json', name: 'duplicate_header', make: (c) => signRaw(c.alg, c.key.priv, JSON.stringify(c.header).replace(/^\{/, `{"alg":"${c.alg}",`), JSON.stringify(c.claims)) },
  { family: 'reencoded_json', name: 'bom_payload', make: (c) => signRaw(c.alg, c.key.priv, JSON.stringify(c.header), `\ufeff${JSON.stringify(c.claims)}`) },
  { family: 'reencoded_json', name: 'trailing_garbage', make: (c) => signRaw(c.alg, c.key.priv, JSON.stringify(c.header), `${JSON.stringify(c.claims)}x`) },
  { family: 'reencoded_json', name: 'payload_array', make: (c) => signRaw(c.alg, c.key.priv, JSON.stringify(c.header), JSON.stringify([c.claims])) },
  { family: 'reencoded_json', name: 'payload_not_json', make: (c) => signRaw(c.alg, c.key.priv, JSON.stringify(c.header), 'hello') },
  { family: 'reencoded_json', name: 'big_payload', make: (c) => withClaims(c, { pad: 'x'.repeat(7000) }) },
  { family: 'reencoded_json', name: 'deep_payload', make: (c) => withClaims(c, { deep: JSON.parse('['.repeat(20) + ']'.repeat(20)) }) },

  // --- altered headers -----------------------------------------------
  { family: 'header', name: 'alg_same_family', make: (c) => withHeader(c, { alg: otherAlg(c, c.alg.slice(0, 2)) }) },
  { family: 'header', name: 'alg_relabel_unsigned', make: (c) => { const p = seg(valid(c)); p[0] = b64u(JSON.stringify({ ...c.header, alg: otherAlg(c, c.alg.slice(0, 2)) })); return join(p); } },
  { family: 'header', name: 'alg_none', make: (c) => { const p = seg(valid(c)); p[0] = b64u(JSON.stringify({ ...c.header, alg: 'none' })); return `${p[0]}.${p[1]}.`; } },
  { family: 'header', name: 'alg_lowercase', make: (c) => withHeader(c, { alg: c.alg.toLowerCase() }) },
  { family: 'header', name: 'alg_missing', make: (c) => resign(c, without(c.header, 'alg'), c.claims) },
  { family: 'header', name: 'alg_ed25519', make: (c) => withHeader(c, { alg: 'Ed25519' }) },
  { family: 'header', name: 'kid_unknown', make: (c) => withHeader(c, { kid: 'nope' }) },
  { family: 'header', name: 'kid_of_other_alg', make: (c) => withHeader(c, { kid: `k-${otherAlg(c, '')}` }) },
  { family: 'header', name: 'kid_number', make: (c) => withHeader(c, { kid: 7 }) },
  { family: 'header', name: 'crit_exp', make: (c) => withHeader(c, { crit: ['exp'], exp: c.now + 600 }) },
  { family: 'header', name: 'crit_empty', make: (c) => withHeader(c, { crit: [] }) },
  { family: 'header', name: 'crit_b64', make: (c) => withHeader(c, { crit: ['b64'], b64: true }) },
  { family: 'header', name: 'b64_false', make: (c) => withHeader(c, { crit: ['b64'], b64: false }) },
  { family: 'header', name: 'b64_true_no_crit', make: (c) => withHeader(c, { b64: true }) },
  { family: 'header', name: 'typ_dpop', make: (c) => withHeader(c, { typ: 'dpop+jwt' }) },
  { family: 'header', name: 'typ_jose', make: (c) => withHeader(c, { typ: 'JOSE' }) },
  { family: 'header', name: 'typ_number', make: (c) => withHeader(c, { typ: 5 }) },
  { family: 'header', name: 'jku_jwk_x5u', make: (c) => withHeader(c, { jku: 'https://evil.test/jwks', x5u: 'https://evil.test/x5u', jwk: c.wrongKey.pubJwk }) },
  { family: 'header', name: 'header_array', make: (c) => signRaw(c.alg, c.key.priv, JSON.stringify([c.header]), JSON.stringify(c.claims)) },
  { family: 'header', name: 'zip_def', make: (c) => withHeader(c, { zip: 'DEF' }) },

  // --- changed claims (signed correctly) -------------------------------
  { family: 'claims', name: 'iss_wrong', make: (c) => withClaims(c, { iss: 'https://evil.test' }) },
  { family: 'claims', name: 'iss_missing', make: (c) => resign(c, c.header, without(c.claims, 'iss')) },
  { family: 'claims', name: 'iss_number', make: (c) => withClaims(c, { iss: 42 }) },
  { family: 'claims', name: 'iss_array', make: (c) => withClaims(c, { iss: [c.claims.iss] }) },
  { family: 'claims', name: 'aud_wrong', make: (c) => withClaims(c, { aud: 'api://other' }) },
  { family: 'claims', name: 'aud_missing', make: (c) => resign(c, c.header, without(c.claims, 'aud')) },
  { family: 'claims', name: 'aud_empty_array', make: (c) => withClaims(c, { aud: [] }) },
  { family: 'claims', name: 'aud_with_number', make: (c) => withClaims(c, { aud: [c.claims.aud, 5] }) },
  { family: 'claims', name: 'aud_case', make: (c) => withClaims(c, { aud: c.claims.aud.toUpperCase() }) },
  { family: 'claims', name: 'sub_number', make: (c) => withClaims(c, { sub: 12 }) },
  { family: 'claims', name: 'exp_missing', make: (c) => resign(c, c.header, without(c.claims, 'exp')) },
  { family: 'claims', name: 'exp_string', make: (c) => withClaims(c, { exp: String(c.now + 600) }) },
  { family: 'claims', name: 'exp_null', make: (c) => withClaims(c, { exp: null }) },
  { family: 'claims', name: 'exp_huge', make: (c) => withClaims(c, { exp: 1e13 }) },
  { family: 'claims', name: 'exp_negative_nbf', make: (c) => withClaims(c, { nbf: -5 }) },
  { family: 'claims', name: 'iat_string', make: (c) => withClaims(c, { iat: 'yesterday' }) },
  { family: 'claims', name: 'iat_future', make: (c) => withClaims(c, { iat: c.now + 3600 }) },
  { family: 'claims', name: 'unsigned_claim_change', make: (c) => { const p = seg(valid(c)); p[1] = b64u(JSON.stringify({ ...c.claims, sub: 'admin' })); return join(p); } },

  // --- time: expired / not yet valid around the 60 s leeway ------------
  { family: 'time', name: 'expired_long_ago', make: (c) => withClaims(c, { exp: c.now - 3600, iat: c.now - 7200 }) },
  { family: 'time', name: 'expired_beyond_leeway', make: (c) => withClaims(c, { exp: c.now - 61 }) },
  { family: 'time', name: 'expired_at_leeway', make: (c) => withClaims(c, { exp: c.now - 60 }) },
  { family: 'time', name: 'expired_within_leeway', make: (c) => withClaims(c, { exp: c.now - 59 }) },
  { family: 'time', name: 'nbf_beyond_leeway', make: (c) => withClaims(c, { nbf: c.now + 61 }) },
  { family: 'time', name: 'nbf_at_leeway', make: (c) => withClaims(c, { nbf: c.now + 60 }) },
  { family: 'time', name: 'nbf_within_leeway', make: (c) => withClaims(c, { nbf: c.now + 59 }) },
  { family: 'time', name: 'nbf_string', make: (c) => withClaims(c, { nbf: 'now' }) },

  // --- wrong keys ----------------------------------------------------
  { family: 'wrong_key', name: 'same_kid_other_key', make: (c) => signJson(c.alg, c.wrongKey.priv, c.header, c.claims) },
  { family: 'wrong_key', name: 'no_kid_other_key', make: (c) => signJson(c.alg, c.wrongKey.priv, without(c.header, 'kid'), c.claims) },
  { family: 'wrong_key', name: 'hmac_with_public_key', make: (c) => {
    // Key confusion: HS256 keyed with the public key's JWK / PEM text.
    const pub = c.key.alg.startsWith('HS') ? c.keys.RS256 : c.key;
    const secret = Buffer.from(JSON.stringify(pub.pubJwk));
    return signJson('HS256', secret, { alg: 'HS256', kid: pub.kid }, c.claims);
  } },
  { family: 'wrong_key', name: 'key_of_other_alg', make: (c) => {
    const a = otherAlg(c, '');
    return signJson(a, c.keys[a].priv, { ...c.header, alg: a }, c.claims);
  } },

  // --- signature encodings -------------------------------------------
  { family: 'signature', name: 'ecdsa_high_s', make: (c) => {
    if (!c.alg.startsWith('ES')) return flipDecoded(c, 2);
    const t = valid(c);
    return withSig(t, highS(c.alg, sigOf(t)));
  } },
  { family: 'signature', name: 'ecdsa_der', make: (c) => {
    if (!c.alg.startsWith('ES')) return flipDecoded(c, 2);
    const t = valid(c);
    return withSig(t, toDer(sigOf(t)));
  } },
  { family: 'signature', name: 'signature_of_other_input', make: (c) => {
    const t = valid(c);
    return withSig(t, signBytes(c.alg, c.key.priv, seg(t)[1]));
  } },
];
