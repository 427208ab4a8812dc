/**
 * Crash test: a child process appending samples (puts, putMany, and putBlocks
 * transactions that commit by renaming staging files) is SIGKILLed at random
 * moments (60 kills). After each kill the depot opens, every put whose call
 * had returned is present and intact, and nothing partial is visible: the
 * live samples are exactly S0..Sk in order, each complete, and `verify`
 * reports no error.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Depot, materializeCalls } from '../../src/index.ts';
import { diffCalls, rng, syntheticCalls, syntheticVariantSet } from '../helpers/synthetic.ts';
import { useTempDir } from '../helpers/tmp.ts';

const KILLS = 60;
const N_VARIANTS = 3000;
const dir = useTempDir('crash');
let bundle: string;

beforeAll(() => {
  // Inside the repo so the bundle's bare imports resolve to our node_modules.
  bundle = join(import.meta.dirname, '..', '..', 'node_modules', '.cache', 'vczdepot-test', `crash-writer-${process.pid}.mjs`);
  // One bundle so each child starts fast (no TypeScript loader per spawn).
  buildSync({
    entryPoints: [join(import.meta.dirname, 'crash-writer.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: bundle,
    packages: 'external',
    logLevel: 'error',
  });
});
afterAll(() => {
  rmSync(bundle, { force: true });
});

/** Runs the writer from `start`, kills it `delayMs` after its first ack; resolves with the acked indices. */
function runAndKill(path: string, start: number, delayMs: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, path, String(start), String(N_VARIANTS)], {
      cwd: process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked: number[] = [];
    let buf = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) if (l.startsWith('ack ')) acked.push(Number(l.slice(4)));
      timer ??= setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`writer exited with ${code}: ${stderr}`));
      else resolve(acked);
    });
    // If the child never acks, kill it anyway after a while.
    setTimeout(() => child.kill('SIGKILL'), 20_000).unref();
  });
}

describe('crash safety', () => {
  it(`survives ${KILLS} SIGKILLs during appends without losing or tearing a put`, async () => {
    const vs = syntheticVariantSet({ numVariants: N_VARIANTS, seed: 21 });
    const path = join(dir(), 'depot');
    Depot.create(path, vs, { blockSize: 700, chunkTargetBytes: 8192, segmentMaxBytes: 256 * 1024 }).close();
    const r = rng(99);
    let next = 0;
    let everAcked = -1;
    let kills = 0;
    for (let k = 0; k < KILLS; k++) {
      const acked = await runAndKill(path, next, Math.floor(r() * 120));
      kills++;
      if (acked.length) everAcked = Math.max(everAcked, ...acked);
      const d = Depot.open(path);
      try {
        const live = d.samples();
        // Nothing partial: exactly S0..S(k-1), in order.
        expect(live).toEqual(live.map((_, i) => `S${i}`));
        // Every acknowledged put is there.
        expect(live.length).toBeGreaterThan(everAcked);
        // The new ones (and a random older one) are intact.
        const check = live.slice(next);
        if (live.length) check.push(live[Math.floor(r() * live.length)]!);
        for (const id of check) {
          const seed = Number(id.slice(1));
          expect(diffCalls(syntheticCalls(vs, { seed }), materializeCalls(vs, d.get(id).records)), id).toBeUndefined();
        }
        expect(d.log().length).toBe(d.version() + 1);
        // verify is clean: at most harmless leftovers of the killed write
        const report = d.verify();
        expect(report.issues.filter((i) => i.severity === 'error'), JSON.stringify(report.issues)).toEqual([]);
        next = live.length;
      } finally {
        d.close();
      }
    }
    expect(kills).toBe(KILLS);
    expect(next).toBeGreaterThan(KILLS); // the writer made progress between kills
  }, 300_000);
});
