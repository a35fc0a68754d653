'use strict';
// The alerting rules (deploy/k8s/components/monitoring) and the Grafana
// dashboard (deploy/monitoring): every query parses with Prometheus' own
// PromQL grammar, reads the metrics it is about, and the error-ratio
// classification of jwtauth_rpc_total{result} is exactly the intended one.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const yaml = require('js-yaml');
const {REPO, K8S} = require('./deploy_lib');
const {promqlErrors, metricNames} = require('./promql');

const RULES = path.join(K8S, 'components', 'monitoring', 'prometheusrule.yaml');
const DASHBOARD = path.join(REPO, 'deploy', 'monitoring', 'jwtauth-dashboard.json');
const OPERATIONS = path.join(REPO, 'docs', 'operations.md');

// The result label vocabulary (server/metrics.cc): "OK", every FailureReason
// name (proto/jwtauth/v1/auth.proto), every gRPC status code name.
const GRPC_CODES = ['CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED',
  'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL',
  'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'];
function failureReasons() {
  const proto = fs.readFileSync(path.join(REPO, 'proto', 'jwtauth', 'v1', 'auth.proto'), 'utf8');
  const body = /enum FailureReason \{([^}]*)\}/.exec(proto)[1];
  return [...body.matchAll(/^\s*([A-Z_]+)\s*=\s*\d+;/gm)].map((m) => m[1]);
}
// Errors of the service: server-side gRPC codes, and KEYS_UNAVAILABLE (no
// key loaded to check a token with). Not errors: OK, the other failure
// reasons (invalid tokens), PERMISSION_DENIED (Check denied by an ext_authz
// rule; IssueToken caller refused), and caller errors.
const ERRORS = ['UNKNOWN', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION',
  'ABORTED', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'KEYS_UNAVAILABLE'];

function rules() {
  const doc = yaml.load(fs.readFileSync(RULES, 'utf8'));
  return doc.spec.groups.flatMap((g) => g.rules);
}

function slug(heading) {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
}
function docAnchors() {
  const text = fs.readFileSync(OPERATIONS, 'utf8');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1])));
}

function errorRegexOf(expr) {
  const m = /result=~"([^"]+)"/.exec(expr);
  assert.ok(m, `no result=~ matcher in ${expr}`);
  return m[1];
}

test('every alert expression parses as PromQL', () => {
  for (const r of rules()) {
    assert.deepEqual(promqlErrors(r.expr), [], r.alert);
  }
});

test('the required alerts exist and read the metrics they are about', () => {
  const byName = Object.fromEntries(rules().map((r) => [r.alert, r]));
  const want = {
    JwtauthJwksStale: ['jwtauth_jwks_last_success_timestamp_seconds', 'jwtauth_jwks_max_stale_seconds'],
    JwtauthConfigReloadRejected: ['jwtauth_config_last_reload_successful'],
    JwtauthErrorRatioHigh: ['jwtauth_rpc_total'],
    JwtauthLatencyP99High: ['jwtauth_rpc_latency_seconds_bucket'],
    JwtauthNoReadyReplicas: ['kube_deployment_status_replicas_available'],
  };
  for (const [alert, metrics] of Object.entries(want)) {
    assert.ok(byName[alert], `alert ${alert}`);
    const used = metricNames(byName[alert].expr);
    for (const m of metrics) assert.ok(used.has(m), `${alert} reads ${m} (reads ${[...used]})`);
  }
  assert.match(byName.JwtauthLatencyP99High.expr, /histogram_quantile\(0\.99,/);
  assert.match(byName.JwtauthJwksStale.expr, /> on\([^)]*\burl\b[^)]*\) jwtauth_jwks_max_stale_seconds/);
  assert.match(byName.JwtauthConfigReloadRejected.expr, /== 0\s*$/);
});

test('each alert has a severity, a pending period and a runbook section', () => {
  const anchors = docAnchors();
  for (const r of rules()) {
    assert.ok(['warning', 'critical'].includes(r.labels.severity), `${r.alert} severity`);
    assert.match(r.for, /^\d+[smh]$/, `${r.alert} for`);
    assert.ok(r.annotations.summary, `${r.alert} summary`);
    const [file, anchor] = r.annotations.runbook.split('#');
    assert.equal(file, 'docs/operations.md');
    assert.ok(anchors.has(anchor), `${r.alert}: docs/operations.md has no heading #${anchor}`);
  }
});

test('the error ratio counts exactly the service errors among the result labels', () => {
  const vocabulary = ['OK', ...failureReasons(), ...GRPC_CODES];
  assert.ok(vocabulary.includes('KEYS_UNAVAILABLE') && vocabulary.includes('SIGNATURE_INVALID'));
  const ratioAlerts = rules().filter((r) => r.alert.startsWith('JwtauthErrorRatio'));
  assert.ok(ratioAlerts.length >= 1);
  const dashboard = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8'));
  const dashboardRegexes = dashboard.panels.flatMap((p) => p.targets || [])
      .filter((t) => /result=~/.test(t.expr)).map((t) => errorRegexOf(t.expr));
  assert.ok(dashboardRegexes.length >= 1, 'the dashboard shows the error ratio');
  for (const source of [...ratioAlerts.map((r) => errorRegexOf(r.expr)), ...dashboardRegexes]) {
    for (const alt of source.split('|')) {
      assert.ok(vocabulary.includes(alt), `"${alt}" is not a result label value`);
    }
    const re = new RegExp(`^(?:${source})$`);  // Prometheus anchors =~
    assert.deepEqual(vocabulary.filter((v) => re.test(v)).sort(), [...ERRORS].sort());
  }
  // Both sides of the ratio select Check and Verify only.
  for (const r of ratioAlerts) {
    assert.equal((r.expr.match(/method=~"Check\|Verify"/g) || []).length, 2, r.alert);
  }
});

function dashboardQueries() {
  const d = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8'));
  return {d, panels: d.panels.filter((p) => p.type !== 'row')};
}

test('dashboard: every panel queries the datasource variable with parseable PromQL', () => {
  const {d, panels} = dashboardQueries();
  assert.equal(d.uid, 'jwtauth-overview');
  assert.deepEqual(d.templating.list.map((v) => v.name), ['datasource', 'namespace', 'pod']);
  const ids = d.panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, 'unique panel ids');
  for (const p of panels) {
    assert.equal(p.datasource.uid, '${datasource}', p.title);
    assert.ok(p.targets.length > 0, p.title);
    for (const t of p.targets) {
      const expr = t.expr.replace(/\$__rate_interval/g, '5m').replace(/\$(namespace|pod)/g, '.*');
      assert.deepEqual(promqlErrors(expr), [], `${p.title}: ${t.expr}`);
      assert.match(t.expr, /namespace=~"\$namespace"/, `${p.title} follows the namespace variable`);
    }
  }
  // No two panels overlap on the grid.
  const boxes = d.panels.map((p) => ({t: p.title, ...p.gridPos}));
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i];
      const b = boxes[j];
      const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
      assert.ok(!overlap, `"${a.t}" overlaps "${b.t}"`);
    }
  }
});

test('dashboard: shows requests, failures, latency, cache, JWKS freshness, keys, reloads, process', () => {
  const {panels} = dashboardQueries();
  const exprs = panels.flatMap((p) => p.targets.map((t) => t.expr));
  const uses = (metric, pattern) => exprs.some((e) => metricNames(e.replace(/\$__rate_interval/g, '5m')).has(metric) &&
      (!pattern || pattern.test(e)));
  assert.ok(uses('jwtauth_rpc_total', /by \(method, result\)/), 'requests by method and result');
  assert.ok(uses('jwtauth_rpc_total', /result!="OK"/), 'failure reasons');
  for (const q of ['0.5', '0.9', '0.99']) {
    assert.ok(uses('jwtauth_rpc_latency_seconds_bucket', new RegExp(`histogram_quantile\\(${q.replace('.', '\\.')},`)), `p${q}`);
  }
  assert.ok(uses('jwtauth_cache_lookups_total', /result="hit"/), 'cache hit ratio');
  assert.ok(uses('jwtauth_jwks_last_success_timestamp_seconds', /by \(url\)/), 'JWKS freshness per source');
  assert.ok(uses('jwtauth_key_verifications_total', /by \(provider, kid\)/), 'key usage');
  assert.ok(uses('jwtauth_key_last_used_timestamp_seconds'), 'key last used');
  assert.ok(uses('jwtauth_config_last_reload_successful'), 'config reload state');
  assert.ok(uses('process_resident_memory_bytes'), 'RSS');
  assert.ok(uses('process_cpu_seconds_total', /rate\(/), 'CPU');
});
