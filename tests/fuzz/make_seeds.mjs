// Writes the seed corpora of the whole-path fuzz targets (verify,
// ext_authz, jwks, key_import, config) into tests/fuzz/corpus/<target>/.
// Tokens are signed with the fixed fuzz keys (keys/fuzz_keys.jwks.json) so
// the fuzzers start past the signature check; CheckRequests are encoded by
// `protoc --encode` from text format. Re-run after changing the keys or the
// fuzzers' input formats:
//   node tests/fuzz/make_seeds.mjs
// Only node:crypto and protoc are needed. Existing seeds of other names
// (e.g. minimised crash inputs) are left alone.

import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { b64u, signRaw } from '../differential/mint.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const jwks = JSON.parse(fs.readFileSync(path.join(here, 'keys/fuzz_keys.jwks.json')));
const T0 = 1_700_000_000;

const priv = {};
const pubJwk = {};
for (const jwk of jwks.keys) {
  priv[jwk.alg] = jwk.kty === 'oct' ? Buffer.from(jwk.k, 'base64url')
                                    : crypto.createPrivateKey({ key: jwk, format: 'jwk' });
  const { d, p, q, dp, dq, qi, ...pub } = jwk;
  pubJwk[jwk.alg] = pub;
}
const ALGS = Object.keys(priv);

function write(target, name, data) {
  const dir = path.join(here, 'corpus', target);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, name), data);
}

const sign = (alg, header, claims) =>
  signRaw(alg, priv[alg], JSON.stringify(header), JSON.stringify(claims));
const mainClaims = (extra = {}) => ({
  iss: 'https://fuzz.test', aud: 'api://fuzz', sub: 'user-1',
  iat: T0 - 10, exp: T0 + 600, ...extra,
});
const altClaims = {
  iss: 'https://alt.fuzz', aud: 'api://alt', sub: 'user-7', iat: T0 - 10,
  exp: T0 + 1800, scope: 'read write',
  'https://ns.fuzz/claims': { tenant: 'acme', owner: 'alice', roles: ['admin'] },
};

// --- verify: option byte + token (see verify_fuzzer.cc) -------------------
function verifySeeds() {
  for (const alg of ALGS) {
    const kid = `fz-${alg.toLowerCase()}`;
    const t = sign(alg, { alg, kid, typ: 'JWT' }, mainClaims());
    write('verify', `main_${alg.toLowerCase()}`, Buffer.concat([Buffer.from([0x01]), Buffer.from(t)]));
  }
  const alt = sign('ES256', { alg: 'ES256', typ: 'JWT' }, altClaims);
  write('verify', 'alt_es256_context', Buffer.concat([Buffer.from([0x42 | 0x08]), Buffer.from(alt)]));
  const altHs = sign('HS256', { alg: 'HS256', typ: 'at+jwt' }, altClaims);
  write('verify', 'alt_hs256_any_of', Buffer.concat([Buffer.from([0xc0]), Buffer.from(altHs)]));
  const kidLookup = sign('EdDSA', { alg: 'EdDSA', kid: 'fz-eddsa', typ: 'JWT' },
                         { ...altClaims, iss: 'https://unknown.fuzz' });
  write('verify', 'kid_lookup_unknown_issuer', Buffer.concat([Buffer.from([0x00]), Buffer.from(kidLookup)]));
  const aud = sign('RS256', { alg: 'RS256', kid: 'fz-rs256' }, mainClaims({ aud: ['x', 'api://custom'] }));
  write('verify', 'audience_option', `\x0capi://custom\n${aud}`);
  write('verify', 'expired_clock_10y', Buffer.concat([Buffer.from([0x31]), Buffer.from(sign('PS256', { alg: 'PS256', kid: 'fz-ps256' }, mainClaims()))]));
  write('verify', 'nbf_clock_minus_1h', Buffer.concat([Buffer.from([0x21]), Buffer.from(sign('ES384', { alg: 'ES384', kid: 'fz-es384' }, mainClaims({ nbf: T0 - 5 })))]));
  write('verify', 'garbage', '\x05not.a.token');
  write('verify', 'crit_header', Buffer.concat([Buffer.from([0x01]), Buffer.from(sign('HS384', { alg: 'HS384', kid: 'fz-hs384', crit: ['exp'], exp: 1 }, mainClaims()))]));
  write('verify', 'unknown_provider', Buffer.concat([Buffer.from([0x03]), Buffer.from(sign('HS512', { alg: 'HS512', kid: 'fz-hs512' }, mainClaims()))]));
}

// --- ext_authz: serialized CheckRequests -----------------------------------
function encodeCheckRequest(text) {
  return execFileSync('protoc', [
    '--encode=envoy.service.auth.v3.CheckRequest', `-I${root}/proto`,
    'envoy/service/auth/v3/external_auth.proto'], { input: text, cwd: root });
}

function extAuthzSeeds() {
  const orders = sign('ES256', { alg: 'ES256', kid: 'fz-es256', typ: 'JWT' },
                      mainClaims({ aud: 'api://orders', scope: 'orders.read orders.write', role: 'clerk', org: { id: 'o-42' } }));
  const any = sign('HS256', { alg: 'HS256', kid: 'fz-hs256' },
                   mainClaims({ roles: ['a', 'b'], role: 'admin', email_verified: true }));
  const req = ({ method = 'GET', path = '/', host = 'shop.fuzz.test', headers = {}, query = '', ext = {} }) => {
    const h = Object.entries(headers).map(([k, v]) => `headers { key: ${JSON.stringify(k)} value: ${JSON.stringify(v)} }`).join(' ');
    const e = Object.entries(ext).map(([k, v]) => `context_extensions { key: ${JSON.stringify(k)} value: ${JSON.stringify(v)} }`).join(' ');
    return `attributes { request { http { method: ${JSON.stringify(method)} path: ${JSON.stringify(path)} host: ${JSON.stringify(host)} query: ${JSON.stringify(query)} ${h} } } ${e} }`;
  };
  const seeds = {
    bearer_default: req({ headers: { authorization: `Bearer ${any}` } }),
    orders_get_bearer: req({ path: '/orders/1', headers: { authorization: `Bearer ${orders}` }, ext: { jwtauth_route: 'orders' } }),
    orders_post_cookie: req({ method: 'POST', path: '/orders', headers: { cookie: `a=1; session=${orders}; b=2` } }),
    orders_query: req({ path: `/orders/7?access_token=${orders}&x=1`, query: `access_token=${orders}&x=1` }),
    orders_api_token: req({ path: '/orders/7', headers: { 'x-api-token': orders, 'x-user': 'smuggled' } }),
    orders_health: req({ path: '/orders/health/live' }),
    orders_dotdot: req({ path: '/orders/health/../admin', headers: { authorization: `bearer ${orders}` } }),
    public_route: req({ ext: { jwtauth_route: 'public' } }),
    unknown_route: req({ ext: { jwtauth_route: 'nope' } }),
    admin_regex: req({ path: '/admin/users', host: 'ops.fuzz.test:443', headers: { authorization: `Bearer ${any}` }, ext: { area: 'admin' } }),
    admin_exact: req({ path: '/admin', host: 'x.fuzz.test', headers: { authorization: `Bearer ${any}` }, ext: { area: 'admin' } }),
    no_token: req({ path: '/x' }),
    basic_auth: req({ headers: { authorization: 'Basic dXNlcjpwYXNz' } }),
    malformed_token: req({ headers: { authorization: 'Bearer a.b.c' } }),
  };
  for (const [name, text] of Object.entries(seeds)) write('ext_authz', name, encodeCheckRequest(text));
}

// --- jwks: responses as the refresher receives them -------------------------
function jwksSeeds() {
  const asym = Object.values(pubJwk).filter((k) => k.kty !== 'oct');
  const doc = (keys) => JSON.stringify({ keys });
  const seeds = {
    ok_max_age: `200\ncache-control: public, max-age=300\netag: "v1"\n\n${doc(asym)}`,
    ok_s_maxage_age: `200\nCache-Control: max-age=60, s-maxage=7200\nAge: 100\n\n${doc(asym.slice(0, 3))}`,
    ok_expires_date: `200\nexpires: Tue, 14 Nov 2023 23:13:20 GMT\ndate: Tue, 14 Nov 2023 22:13:20 GMT\nlast-modified: Mon, 13 Nov 2023 00:00:00 GMT\n\n${doc([pubJwk.ES256])}`,
    no_store: `200\ncache-control: no-store, no-cache\n\n${doc([pubJwk.EdDSA])}`,
    not_modified_then_500: `304\netag: "v1"\n\n\n--next--\n500\n\nboom`,
    oct_only: `200\n\n${doc([pubJwk.HS256])}`,
    mixed_and_bad: `200\ncache-control: max-age="abc"\n\n${JSON.stringify({ keys: [pubJwk.RS256, { kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' }, { kty: 'RSA', n: 'AQAB', e: 'AQAB', alg: 'RS256' }, pubJwk.RS256] })}`,
    garbage_then_good: `200\n\nnot json\n--next--\n200\ncache-control: max-age=31536000\n\n${doc(asym)}\n--next--\n404\n\n`,
    three_failures_drop: `503\n\n\n--next--\n200\n\n{"keys":[]}\n--next--\n200\n\n{"keys":`,
    single_jwk: `200\nexpires: Sun, 06 Nov 1994 08:49:37 GMT\n\n${JSON.stringify(pubJwk.ES512)}`,
    asctime_date: `200\ndate: Sun Nov  6 08:49:37 1994\nexpires: Sunday, 06-Nov-94 08:49:37 GMT\n\n${doc([pubJwk.PS384])}`,
  };
  for (const [name, text] of Object.entries(seeds)) write('jwks', name, text);
}

// --- key_import: PEM text, and selector byte + DER --------------------------
function keyImportSeeds() {
  const labels = { pkcs8: 0, spki: 1, pkcs1: 2, pkcs1pub: 3, sec1: 4 };
  const der = (buf, sel) => Buffer.concat([Buffer.from([sel]), buf]);
  for (const alg of ['RS256', 'ES256', 'ES384', 'ES512', 'EdDSA']) {
    const k = priv[alg];
    const pub = crypto.createPublicKey(k);
    const n = alg.toLowerCase();
    write('key_import', `${n}_pkcs8.pem`, k.export({ type: 'pkcs8', format: 'pem' }));
    write('key_import', `${n}_spki.pem`, pub.export({ type: 'spki', format: 'pem' }));
    write('key_import', `${n}_pkcs8.der`, der(k.export({ type: 'pkcs8', format: 'der' }), labels.pkcs8));
    write('key_import', `${n}_spki.der`, der(pub.export({ type: 'spki', format: 'der' }), labels.spki));
    if (alg === 'RS256') {
      write('key_import', `${n}_pkcs1.pem`, k.export({ type: 'pkcs1', format: 'pem' }));
      write('key_import', `${n}_pkcs1.der`, der(k.export({ type: 'pkcs1', format: 'der' }), labels.pkcs1));
      write('key_import', `${n}_pkcs1pub.der`, der(pub.export({ type: 'pkcs1', format: 'der' }), labels.pkcs1pub));
    }
    if (alg.startsWith('ES')) {
      write('key_import', `${n}_sec1.pem`, k.export({ type: 'sec1', format: 'pem' }));
      write('key_import', `${n}_sec1.der`, der(k.export({ type: 'sec1', format: 'der' }), labels.sec1));
    }
  }
  write('key_import', 'rsa1024_weak.der', der(crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'der' }), 0));
  write('key_import', 'two_blocks.pem', priv.ES256.export({ type: 'pkcs8', format: 'pem' }) + crypto.createPublicKey(priv.ES256).export({ type: 'spki', format: 'pem' }));
  write('key_import', 'secret_text', 'this-is-a-long-enough-hmac-secret-0123456789');
  write('key_import', 'ssh_public_key', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHkZ4y0fQk0lJz8ZQ1x1Zs3a0dYtW7Z0m9Qm9k3yqL0y fuzz@test');
}

// --- config: example configs ------------------------------------------------
function configSeeds() {
  const cm = fs.readFileSync(path.join(root, 'deploy/k8s/configmap.yaml'), 'utf8');
  const body = cm.split('config.yaml: |\n')[1].split('\n').map((l) => l.slice(4)).join('\n');
  write('config', 'k8s_configmap.yaml', body);
  const hs = pubJwk.HS256;
  write('config', 'env_and_ext_authz.yaml', `providers:
  - name: main
    issuers: ["\${FUZZ_ISS}"]
    audiences: [api://fuzz, api://orders]
    keys:
      - {kid: k1, alg: HS256, secret_env: FUZZ_SECRET}
      - {jwk: '${JSON.stringify(pubJwk.ES256)}'}
    clock_skew: 30s
    required_claims: [sub]
    claims:
      - {claim: scope, contains: read}
    subject: {prefix: user-}
    metadata:
      - {path: org.id, field: org_id}
cache: {enabled: true, max_entries: 1000}
log: {level: "\${FUZZ_EMPTY}info"}
ext_authz:
  route_key: jwtauth_route
  dynamic_metadata: true
  forward_claims: [{claim: sub, header: x-user}]
  routes:
    - name: orders
      provider: main
      match: {path_prefix: /orders, methods: [GET], hosts: ["*.fuzz.test"]}
      token_sources: [{header: authorization, prefix: "Bearer "}, {cookie: session}, {query: access_token}]
      rules:
        - {path_regex: "/orders/[0-9]+", claims: [{claim: role, in: [admin, clerk]}]}
        - {path_exact: /orders, authenticated: true}
        - {deny: true}
`);
  write('config', 'json_form.json', JSON.stringify({
    server: { listen: '127.0.0.1:0', admin_listen: '' },
    providers: [{ name: 'p', issuers: ['https://i'], audiences: ['a'], keys: [{ kid: 'k', alg: 'HS256', secret: b64u(crypto.randomBytes(32)) }] }],
  }));
  write('config', 'invalid_yes_bool.yaml', 'providers:\n  - name: p\n    issuers: [x]\n    require_exp: yes\n');
  write('config', 'invalid_missing_env.yaml', 'providers:\n  - name: "${NOPE}"\n');
  write('config', 'invalid_tab.yaml', 'providers:\n\t- name: p\n');
  write('config', 'signing_exchange.yaml', `signing:
  issuer: https://fuzz.test
  default_ttl: 15m
  keys: [{kid: s1, alg: HS256, secret: "${hs.k}${hs.k}"}]
issue:
  exchange: {enabled: true, allowed_providers: [main], allowed_audiences: [api://fuzz], max_ttl: 10m}
providers:
  - name: main
    issuers: [https://fuzz.test]
    audiences: [api://fuzz]
    jwks_urls: [{url: "http://127.0.0.1:1/jwks", refresh: {default: 10m, min: 30s, max: 1h}}]
`);
}

verifySeeds();
extAuthzSeeds();
jwksSeeds();
keyImportSeeds();
configSeeds();
console.log('seeds written under', path.join(here, 'corpus'));
