'use strict';
// deploy/envoy/gateway.yaml and sidecar.yaml must be valid Envoy
// bootstraps: decoded against Envoy's real envoy.config.bootstrap.v3.Bootstrap
// (from @grpc/grpc-js-xds) with unknown-field rejection, following every
// typed_config "@type". Both use jwtauth as a fail-closed ext_authz server
// over (m)TLS through the headless Service. (tests/deploy checks them
// against the Kubernetes manifests: Service name, port, route names.)

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const yaml = require('js-yaml');
const {loadSync} = require('./envoy_protos');
const {strictCheck} = require('./strict_check');

const REPO = path.resolve(__dirname, '..', '..');
const ENVOY_DIR = path.join(REPO, 'deploy', 'envoy');
const CONFIGS = ['gateway.yaml', 'sidecar.yaml'];
const BOOTSTRAP = 'envoy.config.bootstrap.v3.Bootstrap';
const TLS = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';

let root;
function bootstrapRoot() {
  if (!root) root = loadSync(['envoy/config/bootstrap/v3/bootstrap.proto']);
  return root;
}

function loadConfig(file = CONFIGS[0]) {
  // YAML → JSON text → object: exactly what `envoy -c FILE` sees.
  return JSON.parse(JSON.stringify(yaml.load(fs.readFileSync(path.join(ENVOY_DIR, file), 'utf8'))));
}

function findFilter(config, name) {
  const hcm = config.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
  return {hcm, filter: hcm.http_filters.find((f) => f.name === name)};
}

test('deploy/envoy holds exactly the gateway and sidecar examples', () => {
  assert.deepEqual(fs.readdirSync(ENVOY_DIR).filter((f) => f.endsWith('.yaml')).sort(), CONFIGS);
});

for (const file of CONFIGS) {
  test(`${file} decodes as a Bootstrap with no unknown fields`, () => {
    const errors = strictCheck(bootstrapRoot(), BOOTSTRAP, loadConfig(file));
    assert.deepEqual(errors, []);
  });

  test(`${file} uses jwtauth as a fail-closed gRPC ext_authz server`, () => {
    const config = loadConfig(file);
    const {hcm, filter} = findFilter(config, 'envoy.filters.http.ext_authz');
    assert.ok(filter, 'ext_authz filter present');
    const ext = filter.typed_config;
    assert.equal(ext['@type'],
        'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz');
    assert.equal(ext.failure_mode_allow, false);
    assert.equal(ext.with_request_body, undefined);
    assert.equal(ext.transport_api_version, 'V3');
    const timeout = /^(\d+(?:\.\d+)?)s$/.exec(ext.grpc_service.timeout);
    assert.ok(timeout && Number(timeout[1]) > 0 && Number(timeout[1]) <= 1, `timeout ${ext.grpc_service.timeout}`);
    // Canonical paths before jwtauth's path rules see them.
    assert.equal(hcm.normalize_path, true);
    assert.equal(hcm.merge_slashes, true);
    assert.equal(hcm.path_with_escaped_slashes_action, 'REJECT_REQUEST');
    // ext_authz runs before the router, which is last.
    const names = hcm.http_filters.map((f) => f.name);
    assert.equal(names[names.length - 1], 'envoy.filters.http.router');
    assert.ok(names.indexOf('envoy.filters.http.ext_authz') < names.length - 1);
    // Per-route settings name jwtauth routes.
    const routes = hcm.route_config.virtual_hosts[0].routes;
    const named = routes.filter((r) => r.typed_per_filter_config)
        .map((r) => r.typed_per_filter_config['envoy.filters.http.ext_authz']
            .check_settings.context_extensions.jwtauth_route);
    assert.ok(named.includes('public') && named.includes('orders'), `routes ${named}`);
  });

  test(`${file}: the jwtauth cluster balances over the headless Service with HTTP/2 and mTLS`, () => {
    const config = loadConfig(file);
    const ext = findFilter(config, 'envoy.filters.http.ext_authz').filter.typed_config;
    const c = config.static_resources.clusters.find((x) => x.name === ext.grpc_service.envoy_grpc.cluster_name);
    assert.ok(c, 'cluster exists');
    assert.ok(['STRICT_DNS', 'LOGICAL_DNS'].includes(c.type), c.type);
    assert.equal(c.type, 'STRICT_DNS', 'every pod an endpoint (LOGICAL_DNS would pin one)');
    const addr = c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address;
    assert.match(addr.address, /^jwtauth-headless\./, 'the headless Service');
    const opts = c.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
    assert.ok(opts.explicit_http_config.http2_protocol_options, 'gRPC needs HTTP/2');
    assert.ok(c.health_checks[0].grpc_health_check, 'grpc.health.v1 health checks');
    const tls = c.transport_socket.typed_config;
    assert.equal(tls['@type'], TLS);
    assert.ok(tls.common_tls_context.validation_context.trusted_ca.filename, 'verifies the server');
    assert.ok(tls.common_tls_context.validation_context.match_typed_subject_alt_names.length > 0, 'checks the name');
    assert.deepEqual(tls.common_tls_context.alpn_protocols, ['h2']);
    assert.equal(tls.common_tls_context.tls_certificates.length, 1, 'client certificate (mTLS)');
  });
}

test('the server-only TLS variant (no client certificate) is a valid Bootstrap too', () => {
  for (const file of CONFIGS) {
    const config = loadConfig(file);
    const c = config.static_resources.clusters.find((x) => x.name === 'jwtauth');
    delete c.transport_socket.typed_config.common_tls_context.tls_certificates;
    assert.deepEqual(strictCheck(bootstrapRoot(), BOOTSTRAP, config), [], file);
  }
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
