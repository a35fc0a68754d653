'use strict';
// Shared helpers of the deploy/ checks: rendering the kustomize overlays with
// the real `kubectl kustomize`, and reading what the rendered objects say
// (the Deployment's container, the config in its ConfigMap, durations).

const {execFileSync} = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const yaml = require('js-yaml');

const REPO = path.resolve(__dirname, '..', '..');
const K8S = path.join(REPO, 'deploy', 'k8s');
const OVERLAYS = ['dev', 'production'];
const MONITORING = path.join(K8S, 'components', 'monitoring');

function kustomize(dir) {
  const out = execFileSync('kubectl', ['kustomize', dir],
      {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20});
  return yaml.loadAll(out).filter((o) => o != null);
}

// The overlay as rendered by `kubectl kustomize`; with `monitoring`, as if
// the overlay listed `components: [../../components/monitoring]` (a
// wrapper kustomization with the overlay's namespace, in a temp dir).
// `base` renders deploy/k8s/base itself.
function render(overlay, {monitoring = false} = {}) {
  const dir = overlay === 'base' ? path.join(K8S, 'base') : path.join(K8S, 'overlays', overlay);
  if (!monitoring) return kustomize(dir);
  const own = yaml.load(fs.readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8'));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jwtauth-kustomize-'));
  try {
    fs.writeFileSync(path.join(tmp, 'kustomization.yaml'), yaml.dump({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      namespace: own.namespace,
      resources: [path.relative(tmp, dir)],
      components: [path.relative(tmp, MONITORING)],
    }));
    return kustomize(tmp);
  } finally {
    fs.rmSync(tmp, {recursive: true, force: true});
  }
}

function find(objects, kind, name) {
  return objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
}

function one(objects, kind, name) {
  const found = find(objects, kind, name);
  if (found.length !== 1) {
    throw new Error(`expected exactly one ${kind}${name ? ' ' + name : ''}, found ${found.length}`);
  }
  return found[0];
}

function deploymentOf(objects) {
  const d = one(objects, 'Deployment', 'jwtauth');
  const c = d.spec.template.spec.containers.find((x) => x.name === 'jwtauth');
  if (!c) throw new Error('Deployment jwtauth has no container "jwtauth"');
  return {deployment: d, pod: d.spec.template.spec, container: c};
}

// The ConfigMap mounted as the config volume, and the config file the
// container's --config names, parsed.
function configOf(objects) {
  const {pod, container} = deploymentOf(objects);
  const i = container.args.indexOf('--config');
  if (i < 0) throw new Error('container args have no --config');
  const configPath = container.args[i + 1];
  const mount = container.volumeMounts.find((m) => configPath.startsWith(m.mountPath + '/'));
  if (!mount) throw new Error(`${configPath} is under no volumeMount`);
  const volume = pod.volumes.find((v) => v.name === mount.name);
  if (!volume || !volume.configMap) throw new Error(`${configPath} is not on a ConfigMap volume`);
  const cm = one(objects, 'ConfigMap', volume.configMap.name);
  const file = path.posix.relative(mount.mountPath, configPath);
  const item = (volume.configMap.items || []).find((it) => it.path === file);
  const key = item ? item.key : file;
  if (!(key in cm.data)) throw new Error(`ConfigMap ${cm.metadata.name} has no key ${key}`);
  return {configPath, text: cm.data[key], config: yaml.load(cm.data[key]), configMap: cm};
}

// "1h30m", "90s", "500ms", "0" → seconds (the server's duration syntax).
function durationSeconds(text) {
  if (text === undefined) return undefined;
  if (String(text) === '0') return 0;
  const units = {ms: 0.001, s: 1, m: 60, h: 3600};
  let total = 0;
  let rest = String(text);
  const re = /^(\d+(?:\.\d+)?)(ms|s|m|h)/;
  while (rest.length > 0) {
    const m = re.exec(rest);
    if (!m) throw new Error(`bad duration ${text}`);
    total += Number(m[1]) * units[m[2]];
    rest = rest.slice(m[0].length);
  }
  return total;
}

// "512Mi", "1Gi", "134217728" → bytes.
function quantityBytes(q) {
  const m = /^(\d+)(Ki|Mi|Gi|k|M|G)?$/.exec(String(q));
  if (!m) throw new Error(`bad memory quantity ${q}`);
  const mult = {undefined: 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, k: 1e3, M: 1e6, G: 1e9};
  return Number(m[1]) * mult[m[2]];
}

function portOf(listen) {
  const m = /:(\d+)$/.exec(listen || '');
  return m ? Number(m[1]) : undefined;
}

// Every file the config names (key material, TLS), with what it must hold:
// {path, kind: 'private_key'|'secret'|'tls_cert'|'tls_key'|'ca', alg}.
function referencedFiles(config) {
  const files = [];
  const keyEntry = (k) => {
    if (k.private_key_file) files.push({path: k.private_key_file, kind: 'private_key', alg: k.alg});
    if (k.secret_file) files.push({path: k.secret_file, kind: 'secret', alg: k.alg});
    for (const f of ['public_key_file', 'certificate_file', 'jwk_file', 'jwks_file']) {
      if (k[f]) files.push({path: k[f], kind: f, alg: k.alg});
    }
  };
  for (const k of (config.signing && config.signing.keys) || []) keyEntry(k);
  if (config.signing && config.signing.private_key_file) keyEntry(config.signing);
  for (const p of config.providers || []) {
    for (const k of p.keys || []) keyEntry(k);
    for (const u of p.jwks_urls || []) if (u.ca_file) files.push({path: u.ca_file, kind: 'ca'});
  }
  const tls = config.server && config.server.tls;
  if (tls) {
    files.push({path: tls.cert_file, kind: 'tls_cert'});
    files.push({path: tls.key_file, kind: 'tls_key'});
    if (tls.client_ca_file) files.push({path: tls.client_ca_file, kind: 'ca'});
  }
  return files;
}

module.exports = {
  REPO, K8S, OVERLAYS, render, find, one, deploymentOf, configOf,
  durationSeconds, quantityBytes, portOf, referencedFiles,
};
