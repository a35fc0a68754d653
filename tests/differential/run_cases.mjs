// Runs one differential batch: mints the cases (mutations.mjs), asks
// jwtauth (differential_driver, the production TokenVerifier) and jose
// (jwtVerify) for their verdicts on the same keys and policy, and pairs
// them up. Used by differential.test.mjs.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importJWK, jwtVerify } from 'jose';

import { ALGS, makeKey, prng } from './mint.mjs';
import { MUTATIONS } from './mutations.mjs';
import { NOW } from './policy_differences.mjs';

export const POLICY = {
  issuer: 'https://diff.test',
  audience: 'api://diff',
  now: NOW,
  clockSkewSeconds: 60,
};

export function makeKeys() {
  const keys = {};
  const wrong = {};
  for (const alg of ALGS) {
    keys[alg] = makeKey(alg, `k-${alg}`);
    wrong[alg] = makeKey(alg, `k-${alg}`);  // same kid, other material
  }
  return { keys, wrong };
}

// Case i: algorithm ALGS[i % 13], mutation number floor(i / 13), so every
// (algorithm, mutation) pair comes up once per 13 × |MUTATIONS| cases;
// later rounds repeat them with fresh random positions.
export function makeCases(count, seed, { keys, wrong }) {
  const rng = prng(seed);
  const cases = [];
  for (let i = 0; i < count; ++i) {
    const alg = ALGS[i % ALGS.length];
    const m = MUTATIONS[Math.floor(i / ALGS.length) % MUTATIONS.length];
    const ctx = {
      alg, key: keys[alg], wrongKey: wrong[alg], keys, rng,
      now: POLICY.now,
      header: { alg, kid: keys[alg].kid, typ: 'JWT' },
      claims: {
        iss: POLICY.issuer, sub: `user-${i}`, aud: POLICY.audience,
        iat: POLICY.now - 30, exp: POLICY.now + 600, jti: `case-${i}`,
      },
    };
    cases.push({ index: i, alg, family: m.family, mutation: m.name, token: m.make(ctx) });
  }
  return cases;
}

// jwtauth's verdicts: "OK" or "<REASON> <detail>", one per case.
export function jwtauthVerdicts(driver, keys, cases) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jwtauth-diff-'));
  try {
    const config = path.join(dir, 'config.json');
    fs.writeFileSync(config, JSON.stringify({
      keys: Object.values(keys).map((k) => k.pubJwk),
      issuer: POLICY.issuer, audience: POLICY.audience, now: POLICY.now,
      clock_skew_seconds: POLICY.clockSkewSeconds,
    }));
    const input = cases.map((c) => JSON.stringify(c.token)).join('\n') + '\n';
    const r = spawnSync(driver, [config], { input, maxBuffer: 1 << 28 });
    if (r.status !== 0) {
      throw new Error(`differential_driver exited ${r.status}: ${r.stderr}`);
    }
    const lines = r.stdout.toString().split('\n').slice(0, cases.length);
    if (lines.length !== cases.length) throw new Error('driver output too short');
    return lines.map((l) => ({ ok: l === 'OK', reason: l.split(' ')[0], detail: l }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// jose's key resolution mirrors jwtauth's: a key serves only its JWK "alg";
// with a kid, only keys of that kid.
function joseResolver(keys) {
  const imported = new Map();
  return async (header) => {
    const match = Object.values(keys).filter((k) =>
      k.pubJwk.alg === header.alg && (header.kid === undefined || k.kid === header.kid));
    if (match.length !== 1) throw new Error(`no key for ${header.alg}/${header.kid}`);
    const k = match[0];
    if (!imported.has(k.kid)) imported.set(k.kid, await importJWK(k.pubJwk, k.alg));
    return imported.get(k.kid);
  };
}

export async function joseVerdicts(keys, cases) {
  const resolver = joseResolver(keys);
  const options = {
    issuer: POLICY.issuer,
    audience: POLICY.audience,
    clockTolerance: POLICY.clockSkewSeconds,
    currentDate: new Date(POLICY.now * 1000),
    requiredClaims: ['exp'],
    algorithms: ALGS,
  };
  const out = [];
  for (const c of cases) {
    try {
      await jwtVerify(c.token, resolver, options);
      out.push({ ok: true, reason: 'OK', detail: 'OK' });
    } catch (e) {
      out.push({ ok: false, reason: e.code ?? e.name, detail: e.message });
    }
  }
  return out;
}
