'use strict';
// Wire compatibility of jwtauth's ext_authz Check with ENVOY'S REAL protos:
// envoy/service/auth/v3/external_auth.proto from @grpc/grpc-js-xds
// (deps/envoy-api + its include roots), loaded with @grpc/proto-loader and
// called with @grpc/grpc-js the way Envoy's ext_authz filter calls it
// (lower-case header map, path with query, per-route context_extensions,
// peer addresses, metadata_context). The server is the C++
// ext_authz_test_server (ExtAuthzService over a fixed in-memory state), whose
// policy is:
//   forward_claims: sub → x-jwt-sub, org.id → x-org-id
//   routes: public (allow), orders (context_extensions service=orders:
//           GET needs scope orders.read, everything else denied),
//           parity (header/cookie/query sources, forward_payload_header
//           x-jwt-payload, allow_missing), keep (forward_token: true),
//           lenient (allow_missing_or_failed), internal
//           (issue_upstream_token x-internal-token, aud orders-svc)
//   otherwise: any provider, Authorization: Bearer; the verified token is
//   removed from the upstream request (forward_token defaults to false).

const test = require('node:test');
const assert = require('node:assert/strict');
const {spawn} = require('node:child_process');
const readline = require('node:readline');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const {INCLUDE_DIRS} = require('./envoy_protos');

const SERVER = process.env.JWTAUTH_EXT_AUTHZ_TEST_SERVER;

function loadAuthorization() {
  const def = protoLoader.loadSync('envoy/service/auth/v3/external_auth.proto', {
    includeDirs: INCLUDE_DIRS,
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(def);
  return pkg.envoy.service.auth.v3.Authorization;
}

// google.protobuf.Struct/Value (proto-loader object form) → plain JS.
// protobufjs bundles struct.proto with camelCase field names, so accept both.
function pick(v, snake) {
  const camel = snake.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
  return v[snake] !== undefined ? v[snake] : v[camel];
}
function fromValue(v) {
  const kind = v.kind.replace(/([A-Z])/g, (c) => `_${c.toLowerCase()}`);
  switch (kind) {
    case 'null_value': return null;
    case 'number_value': return pick(v, 'number_value');
    case 'string_value': return pick(v, 'string_value');
    case 'bool_value': return pick(v, 'bool_value');
    case 'struct_value': return fromStruct(pick(v, 'struct_value'));
    case 'list_value': return pick(v, 'list_value').values.map(fromValue);
    default: throw new Error(`unknown Value kind ${v.kind}`);
  }
}
function fromStruct(s) {
  const out = {};
  for (const [k, v] of Object.entries((s && s.fields) || {})) out[k] = fromValue(v);
  return out;
}

function headerMap(options) {
  const out = {};
  for (const o of options) out[o.header.key] = o;
  return out;
}

let server;
let client;
let tokens;
let signingKid;

test.before(async () => {
  assert.ok(SERVER, 'JWTAUTH_EXT_AUTHZ_TEST_SERVER must name the ext_authz_test_server binary (run via ctest or run.sh)');
  server = spawn(SERVER, [], {stdio: ['pipe', 'pipe', 'inherit']});
  const line = await new Promise((resolve, reject) => {
    const rl = readline.createInterface({input: server.stdout});
    const timer = setTimeout(() => reject(new Error('test server did not start within 30 s')), 30000);
    rl.once('line', (l) => { clearTimeout(timer); rl.close(); resolve(l); });
    server.once('exit', (code) => { clearTimeout(timer); reject(new Error(`test server exited (${code})`)); });
    server.once('error', (err) => { clearTimeout(timer); reject(err); });
  });
  const info = JSON.parse(line);
  tokens = info.tokens;
  signingKid = info.signing_kid;
  const Authorization = loadAuthorization();
  client = new Authorization(`127.0.0.1:${info.port}`, grpc.credentials.createInsecure());
});

test.after(() => {
  if (client) client.close();
  if (server) server.stdin.end();  // the server exits on stdin EOF
});

// A CheckRequest shaped like the one Envoy's ext_authz filter sends.
function envoyRequest({method = 'GET', path = '/', headers = {}, contextExtensions = {}} = {}) {
  const lower = {};
  for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v;
  return {
    attributes: {
      source: {
        address: {socket_address: {address: '10.1.2.3', port_value: 53122}},
      },
      destination: {
        address: {socket_address: {address: '10.9.8.7', port_value: 8080}},
      },
      request: {
        time: {seconds: String(Math.floor(Date.now() / 1000)), nanos: 0},
        http: {
          id: '8f2b6c52-3a1d-4e0e-9c71-5f0c2e8d1a11',
          method,
          headers: {
            ':authority': 'api.example.com',
            ':method': method,
            ':path': path,
            ':scheme': 'https',
            'user-agent': 'curl/8.0',
            'x-forwarded-proto': 'https',
            'x-request-id': '8f2b6c52-3a1d-4e0e-9c71-5f0c2e8d1a11',
            ...lower,
          },
          path,
          host: 'api.example.com',
          scheme: 'https',
          protocol: 'HTTP/1.1',
          size: '0',
        },
      },
      context_extensions: contextExtensions,
      metadata_context: {filter_metadata: {}},
      tls_session: {sni: 'api.example.com'},
    },
  };
}

function check(request) {
  return new Promise((resolve, reject) => {
    const deadline = new Date(Date.now() + 10000);
    client.Check(request, {deadline}, (err, resp) => (err ? reject(err) : resolve(resp)));
  });
}

test('the service path is exactly Envoy\'s', () => {
  const Authorization = loadAuthorization();
  assert.equal(Authorization.service.Check.path, '/envoy.service.auth.v3.Authorization/Check');
});

test('valid bearer token → ok_response with overwritten claim headers and dynamic metadata', async () => {
  const resp = await check(envoyRequest({
    path: '/items?page=2',
    headers: {Authorization: `Bearer ${tokens.valid}`, 'X-Jwt-Sub': 'mallory'},
  }));
  assert.equal(resp.status.code, 0);
  assert.equal(resp.http_response, 'ok_response');
  assert.equal(resp.denied_response ?? null, null);
  const ok = resp.ok_response;
  const h = headerMap(ok.headers);
  assert.deepEqual(Object.keys(h).sort(), ['x-jwt-sub', 'x-org-id']);
  for (const [key, value] of [['x-jwt-sub', 'alice'], ['x-org-id', 'o-42']]) {
    assert.equal(h[key].header.value, value);
    assert.equal(h[key].append_action, 'OVERWRITE_IF_EXISTS_OR_ADD');
    assert.deepEqual(h[key].append, {value: false});
  }
  // Both names are set (overwriting incoming copies), so neither may be in
  // headers_to_remove: Envoy removes after setting. The verified token is
  // (forward_token: false, the default).
  assert.deepEqual(ok.headers_to_remove, ['authorization']);
  assert.deepEqual(ok.response_headers_to_add, []);
  const md = fromStruct(resp.dynamic_metadata);
  assert.equal(md.provider, 'default');
  assert.equal(md.kid, 'k-default');
  assert.equal(md.alg, 'HS256');
  assert.equal(md.claims.sub, 'alice');
  assert.equal(md.claims.iss, 'https://issuer.test');
  assert.deepEqual(md.claims.org, {id: 'o-42'});
});

test('no token → denied_response 401 with WWW-Authenticate invalid_token', async () => {
  const resp = await check(envoyRequest({path: '/items'}));
  assert.equal(resp.status.code, 16);  // UNAUTHENTICATED
  assert.equal(resp.http_response, 'denied_response');
  const denied = resp.denied_response;
  assert.equal(denied.status.code, 'Unauthorized');
  const h = headerMap(denied.headers);
  assert.equal(h['www-authenticate'].header.value,
      'Bearer error="invalid_token", error_description="missing token"');
  assert.equal(h['www-authenticate'].append_action, 'OVERWRITE_IF_EXISTS_OR_ADD');
  assert.equal(h['content-type'].header.value, 'application/json');
  assert.deepEqual(JSON.parse(denied.body),
      {error: 'invalid_token', error_description: 'missing token'});
  assert.equal(fromStruct(resp.dynamic_metadata).reason, 'TOKEN_MISSING');
});

test('expired token → 401 with the reason phrase, no token material', async () => {
  const resp = await check(envoyRequest({headers: {authorization: `Bearer ${tokens.expired}`}}));
  assert.equal(resp.status.code, 16);
  assert.equal(resp.denied_response.status.code, 'Unauthorized');
  assert.equal(headerMap(resp.denied_response.headers)['www-authenticate'].header.value,
      'Bearer error="invalid_token", error_description="token expired"');
  const everything = JSON.stringify(resp);
  for (const part of tokens.expired.split('.')) assert.ok(!everything.includes(part));
});

test('valid token failing a claim rule → 403 insufficient_scope', async () => {
  const resp = await check(envoyRequest({
    path: '/orders/7',
    headers: {authorization: `Bearer ${tokens.writer}`},
    contextExtensions: {service: 'orders'},
  }));
  assert.equal(resp.status.code, 7);  // PERMISSION_DENIED
  assert.equal(resp.denied_response.status.code, 'Forbidden');
  assert.match(headerMap(resp.denied_response.headers)['www-authenticate'].header.value,
      /^Bearer error="insufficient_scope", .*scope="orders\.read"$/);
  assert.equal(JSON.parse(resp.denied_response.body).error, 'insufficient_scope');
});

test('context_extensions select the route and its rules', async () => {
  const reader = await check(envoyRequest({
    path: '/orders/7',
    headers: {authorization: `Bearer ${tokens.reader}`},
    contextExtensions: {service: 'orders'},
  }));
  assert.equal(reader.status.code, 0);
  assert.equal(headerMap(reader.ok_response.headers)['x-jwt-sub'].header.value, 'bob');
  // bob has no org claim: incoming copies of x-org-id are removed, and the
  // verified token.
  assert.deepEqual(reader.ok_response.headers_to_remove, ['x-org-id', 'authorization']);

  const del = await check(envoyRequest({
    method: 'DELETE',
    path: '/orders/7',
    headers: {authorization: `Bearer ${tokens.reader}`},
    contextExtensions: {service: 'orders'},
  }));
  assert.equal(del.status.code, 7);
  assert.equal(del.denied_response.status.code, 'Forbidden');
});

test('allow route needs no token and strips forged claim headers', async () => {
  const resp = await check(envoyRequest({
    path: '/healthz',
    headers: {'x-jwt-sub': 'forged', 'x-org-id': 'forged'},
    contextExtensions: {jwtauth_route: 'public'},
  }));
  assert.equal(resp.status.code, 0);
  assert.deepEqual(resp.ok_response.headers, []);
  assert.deepEqual([...resp.ok_response.headers_to_remove].sort(), ['x-jwt-sub', 'x-org-id']);
});

test('default route accepts a token of any provider', async () => {
  const resp = await check(envoyRequest({headers: {authorization: `Bearer ${tokens.other_provider}`}}));
  assert.equal(resp.status.code, 0);
  assert.equal(fromStruct(resp.dynamic_metadata).provider, 'other');
});

test('raw header map (encode_raw_headers) is read too', async () => {
  const req = envoyRequest();
  req.attributes.request.http.headers = {};
  req.attributes.request.http.header_map = {
    headers: [
      {key: ':path', raw_value: Buffer.from('/')},
      {key: 'authorization', raw_value: Buffer.from(`Bearer ${tokens.valid}`)},
    ],
  };
  const resp = await check(req);
  assert.equal(resp.status.code, 0);
});

// ---- jwt_authn parity and upstream tokens --------------------------------

function b64urlJson(segment) {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
}

test('forward_token: true keeps the token; the default removes it', async () => {
  const keep = await check(envoyRequest({
    headers: {authorization: `Bearer ${tokens.valid}`},
    contextExtensions: {service: 'keep'},
  }));
  assert.equal(keep.status.code, 0);
  assert.deepEqual(keep.ok_response.headers_to_remove, []);
});

test('cookie token: the Cookie header is rewritten without it', async () => {
  const resp = await check(envoyRequest({
    headers: {cookie: `theme=dark; session=${tokens.valid}; lang=en`},
    contextExtensions: {service: 'parity'},
  }));
  assert.equal(resp.status.code, 0);
  const h = headerMap(resp.ok_response.headers);
  assert.equal(h.cookie.header.value, 'theme=dark; lang=en');
  assert.equal(h.cookie.append_action, 'OVERWRITE_IF_EXISTS_OR_ADD');
  assert.ok(!JSON.stringify(resp.ok_response).includes(tokens.valid));
});

test('query token: removed with query_parameters_to_remove', async () => {
  const resp = await check(envoyRequest({
    path: `/items?page=2&access_token=${tokens.valid}`,
    contextExtensions: {service: 'parity'},
  }));
  assert.equal(resp.status.code, 0);
  assert.deepEqual(resp.ok_response.query_parameters_to_remove, ['access_token']);
  assert.ok(!resp.ok_response.headers_to_remove.includes('authorization'));
});

test('forward_payload_header: the payload segment, base64url, overwriting', async () => {
  const resp = await check(envoyRequest({
    headers: {authorization: `Bearer ${tokens.valid}`, 'x-jwt-payload': 'forged'},
    contextExtensions: {service: 'parity'},
  }));
  const h = headerMap(resp.ok_response.headers);
  assert.equal(h['x-jwt-payload'].header.value, tokens.valid.split('.')[1]);
  assert.equal(h['x-jwt-payload'].append_action, 'OVERWRITE_IF_EXISTS_OR_ADD');
  assert.equal(b64urlJson(h['x-jwt-payload'].header.value).sub, 'alice');
  assert.deepEqual(resp.ok_response.headers_to_remove, ['authorization']);
});

test('allow_missing: no token passes without claims, forged headers stripped', async () => {
  const resp = await check(envoyRequest({
    headers: {'x-jwt-sub': 'forged', 'x-jwt-payload': 'forged'},
    contextExtensions: {service: 'parity'},
  }));
  assert.equal(resp.status.code, 0);
  assert.deepEqual(resp.ok_response.headers, []);
  assert.deepEqual([...resp.ok_response.headers_to_remove].sort(),
      ['x-jwt-payload', 'x-jwt-sub', 'x-org-id']);
  assert.equal(fromStruct(resp.dynamic_metadata).claims, undefined);
});

test('allow_missing: an invalid token is still denied, with failed_status', async () => {
  const resp = await check(envoyRequest({
    headers: {authorization: `Bearer ${tokens.expired}`},
    contextExtensions: {service: 'parity'},
  }));
  assert.equal(resp.status.code, 16);
  assert.equal(resp.denied_response.status.code, 'Unauthorized');
  const md = fromStruct(resp.dynamic_metadata);
  assert.deepEqual(md.failed_status, {code: 16, message: 'token expired', reason: 'EXPIRED'});
  assert.equal(md.route, 'parity');
});

test('allow_missing_or_failed: an invalid token passes, the failure in metadata', async () => {
  const resp = await check(envoyRequest({
    headers: {authorization: `Bearer ${tokens.expired}`},
    contextExtensions: {service: 'lenient'},
  }));
  assert.equal(resp.status.code, 0);
  assert.equal(resp.http_response, 'ok_response');
  assert.equal(fromStruct(resp.dynamic_metadata).failed_status.reason, 'EXPIRED');
});

test('issue_upstream_token: a token of this service for the upstream, cached', async () => {
  const req = envoyRequest({
    headers: {authorization: `Bearer ${tokens.reader}`},
    contextExtensions: {service: 'internal'},
  });
  const first = await check(req);
  assert.equal(first.status.code, 0);
  const h = headerMap(first.ok_response.headers);
  const minted = h['x-internal-token'].header.value;
  assert.equal(h['x-internal-token'].append_action, 'OVERWRITE_IF_EXISTS_OR_ADD');
  const [header, payload] = minted.split('.').map((s, i) => (i < 2 ? b64urlJson(s) : s));
  assert.equal(header.kid, signingKid);
  assert.equal(payload.iss, 'https://jwtauth.test');
  assert.equal(payload.aud, 'orders-svc');
  assert.equal(payload.sub, 'bob');
  assert.equal(payload.scope, 'orders.read');
  assert.equal(payload.src_iss, 'https://issuer.test');
  assert.equal(payload.src_sub, 'bob');
  assert.ok(payload.exp - payload.iat <= 60);
  assert.equal(typeof payload.jti, 'string');
  // The caller's token goes; the next Check of the same token reuses the
  // minted one.
  assert.deepEqual(first.ok_response.headers_to_remove, ['x-org-id', 'authorization']);
  const second = await check(req);
  assert.equal(headerMap(second.ok_response.headers)['x-internal-token'].header.value, minted);
});
