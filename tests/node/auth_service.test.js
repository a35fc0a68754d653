// Calls a running jwtauth AuthService from Node, using nothing but
// proto/jwtauth/v1/auth.proto: proves a non-C++ client works from the
// contract alone. Run by run_node_test.sh, which starts the server and sets
//   JWTAUTH_ADDR       host:port of the server (plaintext)
//   JWTAUTH_PROTO_DIR  the repo's proto/ directory
//   JWTAUTH_TOKEN      a valid token the server accepts (from the test server)
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run through run_node_test.sh)`);
  return v;
}

const protoDir = env('JWTAUTH_PROTO_DIR');
// google/protobuf/*.proto: proto-loader ships the well-known types; the
// system protobuf include dir is added when present.
const includeDirs = [protoDir];
if (fs.existsSync('/usr/include/google/protobuf/struct.proto')) {
  includeDirs.push('/usr/include');
}
const def = protoLoader.loadSync(path.join(protoDir, 'jwtauth/v1/auth.proto'), {
  includeDirs,
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
const pkg = grpc.loadPackageDefinition(def);
const client = new pkg.jwtauth.v1.AuthService(env('JWTAUTH_ADDR'),
  grpc.credentials.createInsecure());

function call(method, request, metadata = new grpc.Metadata()) {
  return new Promise((resolve, reject) => {
    const deadline = new Date(Date.now() + 10000);
    client[method](request, metadata, { deadline }, (err, resp) => {
      if (err) reject(err); else resolve(resp);
    });
  });
}

test.after(() => client.close());

test('Verify accepts a valid token and returns typed claims', async () => {
  const token = env('JWTAUTH_TOKEN');
  const r = await call('Verify', { token });
  assert.equal(r.valid, true, `detail: ${r.detail}`);
  assert.equal(r.reason, 'FAILURE_REASON_UNSPECIFIED');
  assert.ok(r.alg.length > 0);
  assert.ok(r.provider.length > 0);
  const claims = JSON.parse(r.claims_json);
  assert.equal(typeof claims.sub, 'string');
  // google.protobuf.Struct arrives as fields map of Values.
  assert.equal(r.claims.fields.sub.stringValue, claims.sub);
  assert.ok(r.expires_at, 'expires_at is set');
  assert.equal(Number(r.expires_at.seconds), claims.exp);
});

test('Verify accepts "Bearer <token>" with any scheme case', async () => {
  const r = await call('Verify', { token: `bEaReR ${env('JWTAUTH_TOKEN')}` });
  assert.equal(r.valid, true, `detail: ${r.detail}`);
});

test('Verify answers bad tokens in-band with a reason name', async () => {
  const missing = await call('Verify', { token: '' });
  assert.equal(missing.valid, false);
  assert.equal(missing.reason, 'TOKEN_MISSING');

  const malformed = await call('Verify', { token: 'not-a-jwt' });
  assert.equal(malformed.valid, false);
  assert.equal(malformed.reason, 'MALFORMED');

  const t = env('JWTAUTH_TOKEN');
  const parts = t.split('.');
  const sig = Buffer.from(parts[2], 'base64url');
  sig[0] ^= 1;
  const forged = [parts[0], parts[1], sig.toString('base64url')].join('.');
  const bad = await call('Verify', { token: forged });
  assert.equal(bad.valid, false);
  assert.equal(bad.reason, 'SIGNATURE_INVALID');
  assert.ok(!bad.detail.includes(parts[2]), 'detail never echoes the token');
});

test('Verify with an unknown provider is INVALID_ARGUMENT', async () => {
  await assert.rejects(call('Verify', { token: env('JWTAUTH_TOKEN'), provider: 'no-such-provider' }),
    (err) => err.code === grpc.status.INVALID_ARGUMENT);
});

test('ListKeys returns a public JWKS and key info without secrets', async () => {
  const r = await call('ListKeys', {});
  const jwks = JSON.parse(r.jwks_json);
  assert.ok(Array.isArray(jwks.keys));
  assert.ok(jwks.keys.length >= 1);
  for (const k of jwks.keys) {
    assert.ok(!('d' in k) && !('k' in k) && !('p' in k), `no private members in ${k.kid}`);
    assert.notEqual(k.kty, 'oct');
  }
  assert.ok(r.keys.length >= 1);
  assert.ok(r.keys.some((k) => k.primary), 'one key is primary');
  for (const k of r.keys) {
    assert.match(k.state, /^KEY_STATE_/);
  }
});

test('IssueToken direct mode is refused by default', async () => {
  await assert.rejects(call('IssueToken', { subject: 'mallory', claims: { fields: {} } }),
    (err) => err.code === grpc.status.PERMISSION_DENIED && /direct issuing is disabled/.test(err.details));
});

test('IssueToken exchange mode returns a token that verifies', async () => {
  const r = await call('IssueToken', {
    subject_token: env('JWTAUTH_TOKEN'),
    audiences: ['api://node'],
    ttl: { seconds: 60, nanos: 0 },
  });
  assert.equal(r.token.split('.').length, 3);
  assert.equal(r.mode, 'exchange');
  assert.ok(r.kid.length > 0);
  const v = await call('Verify', { token: r.token });
  assert.equal(v.valid, true, `detail: ${v.detail}`);
  assert.equal(v.kid, r.kid);
});
