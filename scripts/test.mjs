#!/usr/bin/env node
// Runs the whole vitest suite and ends with a plain closing line
// `N passed, N failed` (vitest's own summary is for humans). Extra arguments
// go to vitest (e.g. a path filter). Exit code: vitest's.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const dir = join('node_modules', '.cache', 'vczdepot-test');
mkdirSync(dir, { recursive: true });
const out = join(dir, `results-${process.pid}.json`);
const vitest = join('node_modules', 'vitest', 'vitest.mjs');
const r = spawnSync(process.execPath, [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile=${out}`, ...process.argv.slice(2)], {
  stdio: 'inherit',
});
let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const json = JSON.parse(readFileSync(out, 'utf8'));
  passed = json.numPassedTests;
  failed = json.numFailedTests + (json.numRuntimeErrorTestSuites ?? 0);
  skipped = json.numPendingTests + json.numTodoTests;
  for (const s of json.testResults ?? []) if (s.status === 'failed' && s.assertionResults?.length === 0) failed++;
  rmSync(out, { force: true });
} catch {
  failed = Math.max(failed, 1);
}
const code = r.status ?? 1;
if (code !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(code);
