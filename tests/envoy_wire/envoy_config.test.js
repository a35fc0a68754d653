'use strict';
// deploy/envoy/envoy.yaml must be a valid Envoy bootstrap: decoded against
// Envoy's real envoy.config.bootstrap.v3.Bootstrap (from @grpc/grpc-js-xds)
// with unknown-field rejection, following every typed_config "@type".

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const yaml = require('js-yaml');
const {loadSync} = require('./envoy_protos');
const {strictCheck} = require('./strict_check');

const REPO = path.resolve(__dirname, '..', '..');
const ENVOY_YAML = path.join(REPO, 'deploy', 'envoy', 'envoy.yaml');
const BOOTSTRAP = 'envoy.config.bootstrap.v3.Bootstrap';

let root;
function bootstrapRoot() {
  if (!root) root = loadSync(['envoy/config/bootstrap/v3/bootstrap.proto']);
  return root;
}

function loadConfig() {
  // YAML → JSON text → object: exactly what `envoy -c envoy.yaml` sees.
  return JSON.parse(JSON.stringify(yaml.load(fs.readFileSync(ENVOY_YAML, 'utf8'))));
}

function findFilter(config, name) {
  const hcm = config.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
  return {hcm, filter: hcm.http_filters.find((f) => f.name === name)};
}

test('envoy.yaml decodes as a Bootstrap with no unknown fields', () => {
  const errors = strictCheck(bootstrapRoot(), BOOTSTRAP, loadConfig());
  assert.deepEqual(errors, []);
});

test('envoy.yaml uses jwtauth as a fail-closed gRPC ext_authz server', () => {
  const config = loadConfig();
  const {hcm, filter} = findFilter(config, 'envoy.filters.http.ext_authz');
  assert.ok(filter, 'ext_authz filter present');
  const ext = filter.typed_config;
  assert.equal(ext['@type'],
      'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz');
  assert.equal(ext.failure_mode_allow, false);
  assert.equal(ext.with_request_body, undefined);
  assert.equal(ext.transport_api_version, 'V3');
  assert.match(ext.grpc_service.timeout, /^\d+(\.\d+)?s$/);
  const cluster = ext.grpc_service.envoy_grpc.cluster_name;
  const c = config.static_resources.clusters.find((x) => x.name === cluster);
  assert.ok(c, `cluster ${cluster} exists`);
  // gRPC needs HTTP/2 to the cluster.
  const opts = c.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
  assert.ok(opts.explicit_http_config.http2_protocol_options);
  // ext_authz runs before the router, which is last.
  const names = hcm.http_filters.map((f) => f.name);
  assert.equal(names[names.length - 1], 'envoy.filters.http.router');
  assert.ok(names.indexOf('envoy.filters.http.ext_authz') < names.length - 1);
  // Every route with per-route settings names a jwtauth route.
  const routes = hcm.route_config.virtual_hosts[0].routes;
  const named = routes.filter((r) => r.typed_per_filter_config)
      .map((r) => r.typed_per_filter_config['envoy.filters.http.ext_authz']
          .check_settings.context_extensions.jwtauth_route);
  assert.deepEqual(named, ['public', 'orders']);
});

test('the checker rejects unknown fields, bad types and unknown @types', () => {
  const r = bootstrapRoot();
  const typo = loadConfig();
  findFilter(typo, 'envoy.filters.http.ext_authz').filter.typed_config.failure_mode_alow = false;
  assert.match(strictCheck(r, BOOTSTRAP, typo).join('\n'),
      /failure_mode_alow: unknown field of \.envoy\.extensions\.filters\.http\.ext_authz\.v3\.ExtAuthz/);

  const badType = loadConfig();
  findFilter(badType, 'envoy.filters.http.ext_authz').filter.typed_config.grpc_service.timeout = '250ms';
  assert.match(strictCheck(r, BOOTSTRAP, badType).join('\n'), /timeout: expected a duration/);

  const badEnum = loadConfig();
  findFilter(badEnum, 'envoy.filters.http.ext_authz').filter.typed_config.transport_api_version = 'V4';
  assert.match(strictCheck(r, BOOTSTRAP, badEnum).join('\n'), /"V4" is not a value/);

  const badAny = loadConfig();
  findFilter(badAny, 'envoy.filters.http.router').filter.typed_config['@type'] =
      'type.googleapis.com/envoy.extensions.filters.http.nope.v3.Nope';
  assert.match(strictCheck(r, BOOTSTRAP, badAny).join('\n'), /unknown type/);

  const topLevel = loadConfig();
  topLevel.static_resource = {};
  assert.match(strictCheck(r, BOOTSTRAP, topLevel).join('\n'), /Bootstrap\.static_resource: unknown field/);
});
