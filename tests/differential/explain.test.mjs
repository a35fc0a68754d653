// Unit tests of the documented-difference predicates: each class recognises
// its own kind of token and not a plain valid one.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { b64u } from './mint.mjs';
import { NOW, POLICY_DIFFERENCES, explain, hasDuplicateMember } from './policy_differences.mjs';

const tok = (header, payload, sig = 'c2ln') =>
  `${b64u(typeof header === 'string' ? header : JSON.stringify(header))}.` +
  `${b64u(typeof payload === 'string' ? payload : JSON.stringify(payload))}.${sig}`;
const plain = { iss: 'https://diff.test', aud: 'api://diff', sub: 'u', exp: NOW + 600, iat: NOW };
const HDR = { alg: 'HS256', typ: 'JWT' };
const ok = { ok: true, reason: 'OK' };
const rejected = (reason) => ({ ok: false, reason });
const cls = (name) => POLICY_DIFFERENCES.find((d) => d.name === name);

test('a plain valid token matches no class', () => {
  for (const d of POLICY_DIFFERENCES) assert.equal(d.applies(tok(HDR, plain)), false, d.name);
});

test('each class recognises its token', () => {
  assert.ok(cls('non_canonical_base64url').applies(`${tok(HDR, plain)}==`));
  assert.ok(cls('duplicate_json_member').applies(tok(HDR, '{"sub":"a","sub":"b"}')));
  assert.ok(cls('utf8_bom').applies(tok(HDR, `\ufeff${JSON.stringify(plain)}`)));
  assert.ok(cls('token_too_large').applies(tok(HDR, { ...plain, pad: 'x'.repeat(9000) })));
  assert.ok(cls('payload_too_deep').applies(tok(HDR, { ...plain, d: [[[[[[[[[]]]]]]]]] })));
  assert.ok(cls('crit_header').applies(tok({ ...HDR, crit: ['b64'], b64: true }, plain)));
  assert.ok(cls('typ_not_allowed').applies(tok({ ...HDR, typ: 'dpop+jwt' }, plain)));
  assert.equal(cls('typ_not_allowed').applies(tok({ ...HDR, typ: 'application/AT+JWT' }, plain)), false);
  assert.ok(cls('registered_claim_type').applies(tok(HDR, { ...plain, aud: ['api://diff', 5] })));
  assert.ok(cls('numeric_date_out_of_range').applies(tok(HDR, { ...plain, exp: 1e13 })));
  assert.ok(cls('iat_in_future').applies(tok(HDR, { ...plain, iat: NOW + 61 })));
  assert.equal(cls('iat_in_future').applies(tok(HDR, { ...plain, iat: NOW + 60 })), false);
});

test('only jwtauth-stricter disagreements with the class reason are explained', () => {
  const dup = tok(HDR, '{"sub":"a","sub":"b"}');
  assert.equal(explain(dup, rejected('MALFORMED'), ok).name, 'duplicate_json_member');
  assert.equal(explain(dup, rejected('SIGNATURE_INVALID'), ok), null);
  assert.equal(explain(dup, ok, rejected('ERR_JWS_INVALID')), null);
});

test('the duplicate scanner looks into nested objects and ignores arrays', () => {
  assert.ok(hasDuplicateMember('{"a":{"x":1,"x":2}}'));
  assert.ok(hasDuplicateMember('{"a":[{"k":"v","k":"w"}]}'));
  assert.equal(hasDuplicateMember('{"a":{"x":1},"b":{"x":2},"c":["x","x"]}'), false);
  assert.equal(hasDuplicateMember('{"a":"}\\"a\\":1"}'), false);
});
