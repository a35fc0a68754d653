// The documented policy differences between jwtauth and jose (listed in
// docs/SECURITY.md, "Differential testing"). Every one is a token that
// jwtauth REJECTS and jose's jwtVerify accepts, on purpose. A disagreement
// counts as one of these only if the class's predicate holds for the token
// itself (decoded independently here) AND jwtauth gave the class's reason;
// anything else is an unexplained disagreement and fails the test.

export const NOW = 1_700_000_000;
const SKEW = 60;
const MAX_NUMERIC_DATE = 253_402_300_799;  // 9999-12-31T23:59:59Z
const ALPHABET = /^[A-Za-z0-9_-]*$/;

function segments(token) {
  const parts = token.split('.');
  return parts.length === 3 ? parts : null;
}

function decodeText(segment) {
  return Buffer.from(segment, 'base64url').toString('utf8');
}

function json(segment) {
  try {
    return JSON.parse(decodeText(segment).replace(/^\ufeff/, ''));
  } catch {
    return undefined;
  }
}

// Strict base64url: alphabet only, no padding, canonical trailing bits.
function canonicalB64u(segment) {
  return ALPHABET.test(segment) &&
    Buffer.from(segment, 'base64url').toString('base64url') === segment;
}

// Duplicate member names in any object of a JSON text (a small scanner:
// JSON.parse keeps the last duplicate silently).
export function hasDuplicateMember(text) {
  let i = 0;
  const ws = () => { while (/\s/.test(text[i] ?? '')) ++i; };
  const str = () => {
    const start = i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    ++i;
    return JSON.parse(text.slice(start, i));
  };
  const value = () => {
    ws();
    if (text[i] === '{') {
      ++i;
      const seen = new Set();
      ws();
      if (text[i] === '}') { ++i; return false; }
      for (;;) {
        ws();
        const name = str();
        if (seen.has(name)) return true;
        seen.add(name);
        ws(); ++i;  // ':'
        if (value()) return true;
        ws();
        if (text[i++] === '}') return false;
      }
    }
    if (text[i] === '[') {
      ++i;
      ws();
      if (text[i] === ']') { ++i; return false; }
      for (;;) {
        if (value()) return true;
        ws();
        if (text[i++] === ']') return false;
      }
    }
    if (text[i] === '"') { str(); return false; }
    while (i < text.length && !/[,\]}\s]/.test(text[i])) ++i;
    return false;
  };
  try {
    return value();
  } catch {
    return false;
  }
}

function depth(v) {
  if (v === null || typeof v !== 'object') return 0;
  const kids = Array.isArray(v) ? v : Object.values(v);
  return 1 + Math.max(0, ...kids.map(depth));
}

const isNumericDateOutOfRange = (v) =>
  typeof v === 'number' && (v < 0 || v > MAX_NUMERIC_DATE);

export const POLICY_DIFFERENCES = [
  {
    name: 'non_canonical_base64url',
    reasons: ['MALFORMED'],
    why: 'RFC 7515 §2 base64url without padding, whitespace or non-zero trailing bits; jose (atob) tolerates them in the signature segment',
    applies: (t) => { const s = segments(t); return !s || !s.every(canonicalB64u); },
  },
  {
    name: 'duplicate_json_member',
    reasons: ['MALFORMED'],
    why: 'RFC 7515 §5.2 / RFC 8725 §3.7: a duplicate member is rejected, never last-wins (jose: JSON.parse keeps the last)',
    applies: (t) => { const s = segments(t); return !!s && (hasDuplicateMember(decodeText(s[0])) || hasDuplicateMember(decodeText(s[1]))); },
  },
  {
    name: 'utf8_bom',
    reasons: ['MALFORMED'],
    why: 'RFC 8259 §8.1: no byte order mark in JSON text (jose\'s TextDecoder strips it)',
    applies: (t) => { const s = segments(t); return !!s && (decodeText(s[0]).startsWith('\ufeff') || decodeText(s[1]).startsWith('\ufeff')); },
  },
  {
    name: 'token_too_large',
    reasons: ['TOKEN_TOO_LARGE'],
    why: 'tokens are bounded (8 KiB) before any parsing; jose has no size limit',
    applies: (t) => Buffer.byteLength(t) > 8192,
  },
  {
    name: 'payload_too_deep',
    reasons: ['MALFORMED'],
    why: 'the payload parse is bounded (depth 8, values, members); jose parses any JSON',
    applies: (t) => { const s = segments(t); const p = s && json(s[1]); return p !== undefined && p !== null && depth(p) > 8; },
  },
  {
    name: 'crit_header',
    reasons: ['HEADER_REJECTED'],
    why: 'jwtauth understands no crit extension, so any "crit" is rejected (RFC 7515 §4.1.11); jose accepts crit ["b64"] with b64 true',
    applies: (t) => { const s = segments(t); const h = s && json(s[0]); return !!h && typeof h === 'object' && 'crit' in h; },
  },
  {
    name: 'typ_not_allowed',
    reasons: ['HEADER_REJECTED'],
    why: 'explicit typing (RFC 8725 §3.11): typ must be JWT or at+jwt (allowed_typ); jose checks typ only when asked',
    applies: (t) => {
      const s = segments(t); const h = s && json(s[0]);
      if (!h || typeof h !== 'object' || !('typ' in h)) return false;
      if (typeof h.typ !== 'string') return true;
      const n = h.typ.toLowerCase().replace(/^application\//, '');
      return n !== 'jwt' && n !== 'at+jwt';
    },
  },
  {
    name: 'registered_claim_type',
    reasons: ['CLAIM_INVALID'],
    why: 'RFC 7519 §4.1: iss/sub are strings, aud a string or array of strings, checked whether or not a rule uses them; jose checks only what its options name',
    applies: (t) => {
      const s = segments(t); const p = s && json(s[1]);
      if (!p || typeof p !== 'object') return false;
      const badAud = Array.isArray(p.aud) && p.aud.some((a) => typeof a !== 'string');
      return badAud || ('sub' in p && typeof p.sub !== 'string') ||
        ('iss' in p && typeof p.iss !== 'string');
    },
  },
  {
    name: 'numeric_date_out_of_range',
    reasons: ['CLAIM_INVALID'],
    why: 'exp/nbf/iat must lie in [0, year 9999]; jose accepts any finite number',
    applies: (t) => {
      const s = segments(t); const p = s && json(s[1]);
      return !!p && typeof p === 'object' &&
        ['exp', 'nbf', 'iat'].some((c) => isNumericDateOutOfRange(p[c]));
    },
  },
  {
    name: 'iat_in_future',
    reasons: ['ISSUED_IN_FUTURE'],
    why: 'a token issued after now + leeway is rejected; jose checks iat only with maxTokenAge',
    applies: (t) => {
      const s = segments(t); const p = s && json(s[1]);
      return !!p && typeof p === 'object' && typeof p.iat === 'number' && p.iat > NOW + SKEW;
    },
  },
];

// The class explaining a disagreement, or null (unexplained).
export function explain(token, jwtauth, jose) {
  if (jwtauth.ok || !jose.ok) return null;  // only jwtauth-stricter is documented
  return POLICY_DIFFERENCES.find((d) =>
    d.reasons.includes(jwtauth.reason) && d.applies(token)) ?? null;
}
