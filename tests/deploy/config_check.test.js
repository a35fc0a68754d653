'use strict';
// The config each overlay ships loads in the real server: the config.yaml
// of the rendered ConfigMap goes through `jwtauth-server --check-config`
// with the Secret files the Deployment would mount generated into a temp
// dir laid out like the pod (signing keys from `jwtauth keygen`, TLS
// certificates from testutil's TestCa via write_test_pki). A Secret file
// that is missing is reported with its path. Needs JWTAUTH_SERVER,
// JWTAUTH_CLI and JWTAUTH_WRITE_TEST_PKI (set by ctest).

const test = require('node:test');
const assert = require('node:assert/strict');
const {execFileSync, spawnSync} = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {OVERLAYS, render, deploymentOf, configOf, referencedFiles} = require('./deploy_lib');

const SERVER = process.env.JWTAUTH_SERVER;
const CLI = process.env.JWTAUTH_CLI;
const PKI = process.env.JWTAUTH_WRITE_TEST_PKI;

function requireBinaries() {
  for (const [name, bin] of [['JWTAUTH_SERVER', SERVER], ['JWTAUTH_CLI', CLI], ['JWTAUTH_WRITE_TEST_PKI', PKI]]) {
    assert.ok(bin && fs.existsSync(bin), `${name}=${bin}: binary not built`);
  }
}

// The private key PEM `jwtauth keygen` prints before the public JWK.
function keygenPem(alg, kid) {
  const out = execFileSync(CLI, ['keygen', '--alg', alg, '--kid', kid], {encoding: 'utf8'});
  const m = /-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----\n/.exec(out);
  assert.ok(m, `keygen --alg ${alg} printed no PEM`);
  return m[0];
}

// A CA and a server certificate it signed (what cert-manager would write),
// from write_test_pki (testutil's TestCa).
function makeTls(dir) {
  execFileSync(PKI, [dir], {stdio: ['ignore', 'ignore', 'pipe']});
  const read = (f) => fs.readFileSync(path.join(dir, f), 'utf8');
  return {tls_cert: read('server.pem'), tls_key: read('server.key'), ca: read('ca.pem')};
}

// Lays the pod's files out under `root`: every referenced key/TLS file at
// root + its path, and the config, with each mount path prefixed by root.
function layOut(overlay, root) {
  const objects = render(overlay);
  const {container} = deploymentOf(objects);
  const {configPath, text, config} = configOf(objects);
  let tls;
  for (const f of referencedFiles(config)) {
    let content;
    if (f.kind === 'private_key') content = keygenPem(f.alg, path.basename(f.path, '.pem'));
    else if (f.kind === 'secret') content = execFileSync(CLI, ['keygen', '--alg', f.alg], {encoding: 'utf8'});
    else if (['tls_cert', 'tls_key', 'ca'].includes(f.kind)) {
      tls = tls || makeTls(fs.mkdtempSync(path.join(root, 'ca-')));
      content = tls[f.kind];
    } else throw new Error(`no generator for ${f.kind} (${f.path})`);
    fs.mkdirSync(path.join(root, path.dirname(f.path)), {recursive: true});
    fs.writeFileSync(path.join(root, f.path), content, {mode: 0o600});
  }
  let rewritten = text;
  for (const m of container.volumeMounts) {
    rewritten = rewritten.split(m.mountPath + '/').join(root + m.mountPath + '/');
  }
  const file = path.join(root, configPath);
  fs.mkdirSync(path.dirname(file), {recursive: true});
  fs.writeFileSync(file, rewritten);
  return {file, config};
}

function checkConfig(file) {
  // A clean environment: no JWTAUTH_* override may change the outcome.
  return spawnSync(SERVER, ['--check-config', '--config', file],
      {encoding: 'utf8', env: {PATH: process.env.PATH}, timeout: 30000});
}

// base too: its config is what an overlay without its own config ships.
for (const overlay of ['base', ...OVERLAYS]) {
  test(`${overlay}: the ConfigMap's config passes jwtauth-server --check-config`, (t) => {
    requireBinaries();
    const root = fs.mkdtempSync(path.join(os.tmpdir(), `jwtauth-${overlay}-`));
    try {
      const {file, config} = layOut(overlay, root);
      const r = checkConfig(file);
      assert.equal(r.status, 0, `exit ${r.status}\n${r.stdout}${r.stderr}`);
      assert.match(r.stdout, new RegExp(`config OK: .* \\(${config.providers.length} providers\\)`));
      t.diagnostic(r.stdout.trim().replace(root, '<tmp>'));
    } finally {
      fs.rmSync(root, {recursive: true, force: true});
    }
  });

  test(`${overlay}: a missing Secret file is reported with its path`, (t) => {
    requireBinaries();
    const root = fs.mkdtempSync(path.join(os.tmpdir(), `jwtauth-${overlay}-`));
    try {
      const {file, config} = layOut(overlay, root);
      const missing = referencedFiles(config);  // every file a Secret supplies
      assert.ok(missing.length > 0);
      for (const f of missing) {
        const onDisk = path.join(root, f.path);
        const saved = fs.readFileSync(onDisk);
        fs.rmSync(onDisk);
        const r = checkConfig(file);
        assert.equal(r.status, 1, `${f.path} missing: exit ${r.status}\n${r.stderr}`);
        assert.ok(r.stderr.includes(onDisk), `${f.path} missing: the error names the file:\n${r.stderr}`);
        t.diagnostic(r.stderr.trim().split(root).join(""));
        assert.match(r.stderr, /No such file or directory|cannot read|not found/i);
        fs.writeFileSync(onDisk, saved);
      }
      assert.equal(checkConfig(file).status, 0, 'restored files load again');
    } finally {
      fs.rmSync(root, {recursive: true, force: true});
    }
  });
}
