// Differential test: jwtauth's TokenVerifier (through differential_driver)
// against jose's jwtVerify, on the same keys, tokens and policy (iss, aud,
// exp required, nbf, 60 s leeway, the 13 JWS algorithms). The tokens are
// valid ones for every algorithm and systematic mutations (mutations.mjs).
// Every disagreement must be a documented policy difference
// (policy_differences.mjs, docs/SECURITY.md); any other one fails the test
// and prints the token. Size: JWTAUTH_DIFF_TOKENS (default 5,000), seed:
// JWTAUTH_DIFF_SEED (default 1); JWTAUTH_DIFF_REPORT=file writes the
// counts as JSON.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';

import { ALGS } from './mint.mjs';
import { MUTATIONS } from './mutations.mjs';
import { POLICY_DIFFERENCES, explain } from './policy_differences.mjs';
import { joseVerdicts, jwtauthVerdicts, makeCases, makeKeys } from './run_cases.mjs';

const COUNT = Number(process.env.JWTAUTH_DIFF_TOKENS ?? 5000);
const SEED = Number(process.env.JWTAUTH_DIFF_SEED ?? 1);
const DRIVER = process.env.JWTAUTH_DIFF_DRIVER;

test(`jwtauth and jose agree on ${COUNT} tokens up to documented policy differences`, async () => {
  assert.ok(DRIVER, 'JWTAUTH_DIFF_DRIVER must name differential_driver');
  assert.ok(COUNT >= ALGS.length * MUTATIONS.length,
    `at least ${ALGS.length * MUTATIONS.length} tokens cover every (algorithm, mutation) pair`);
  const keys = makeKeys();
  const cases = makeCases(COUNT, SEED, keys);
  const ours = jwtauthVerdicts(DRIVER, keys.keys, cases);
  const theirs = await joseVerdicts(keys.keys, cases);

  const byFamily = {};
  const byClass = Object.fromEntries(POLICY_DIFFERENCES.map((d) => [d.name, 0]));
  const unexplained = [];
  const validAccepted = Object.fromEntries(ALGS.map((a) => [a, 0]));
  for (const c of cases) {
    const a = ours[c.index];
    const b = theirs[c.index];
    const f = (byFamily[c.family] ??= { cases: 0, both_accept: 0, both_reject: 0, differ: 0 });
    ++f.cases;
    if (a.ok === b.ok) {
      ++f[a.ok ? 'both_accept' : 'both_reject'];
      if (c.family === 'valid' && a.ok) ++validAccepted[c.alg];
      continue;
    }
    ++f.differ;
    const d = explain(c.token, a, b);
    if (d) {
      ++byClass[d.name];
    } else {
      unexplained.push({ index: c.index, alg: c.alg, mutation: `${c.family}/${c.mutation}`,
                         jwtauth: a.detail, jose: b.detail, token: c.token });
    }
  }
  const totals = {
    tokens: COUNT, seed: SEED,
    agree: COUNT - Object.values(byFamily).reduce((n, f) => n + f.differ, 0),
    documented_differences: byClass, unexplained: unexplained.length, families: byFamily,
  };
  console.log(JSON.stringify(totals, null, 1));
  if (process.env.JWTAUTH_DIFF_REPORT) {
    fs.writeFileSync(process.env.JWTAUTH_DIFF_REPORT, JSON.stringify(totals, null, 1));
  }

  assert.deepEqual(unexplained.slice(0, 5), [], `${unexplained.length} unexplained disagreements`);
  for (const alg of ALGS) {
    assert.ok(validAccepted[alg] > 0, `no valid ${alg} token accepted by both`);
  }
  assert.equal(byFamily.valid.differ, 0, 'a valid token was not accepted by both');
  assert.equal(byFamily.valid.both_reject, 0, 'a valid token was rejected by both');
  // Each documented difference still occurs: an explanation that no longer
  // matches any token is stale (the mutation list covers every class).
  for (const d of POLICY_DIFFERENCES) {
    assert.ok(byClass[d.name] > 0, `documented difference ${d.name} never occurred`);
  }
});
