/**
 * Erasure under fire: a purge SIGKILLed at random instants (≥ 50 kills)
 * leaves the old depot or the purged one, never a depot that still holds the
 * id after the child reported `purged`; a reader in another process, reading
 * while the purge replaces the index file, sees the old or the new depot and
 * then no longer maps the old file. docs/trust.md, "Erasure".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Depot, findTraces } from '../../src/depot/index.ts';
import { rng, syntheticCalls, syntheticVariantSet } from '../helpers/synthetic.ts';
import { bundle, scratchDir } from './common.ts';
import { depotFingerprint } from '../helpers/fingerprint.ts';

const VICTIMS = ['Withdrawn-7Kq', 'consent-revoked-participant-000123'];
let scratch: string;
let template: string;
let child: string;
let reference: { old: string[]; new: string[]; records: Record<string, string> };

const fingerprint = depotFingerprint;

beforeAll(() => {
  scratch = scratchDir('vczdepot-erasure-');
  template = join(scratch, 'template');
  child = bundle(join(import.meta.dirname, 'erasure-child.ts'));
  const vs = syntheticVariantSet({ numVariants: 400, seed: 5 });
  const d = Depot.create(template, vs, { blockSize: 100, chunkTargetBytes: 8192, segmentMaxBytes: 96 * 1024 });
  const ids = Array.from({ length: 60 }, (_, i) => `P${String(i).padStart(3, '0')}`);
  d.putMany(ids.slice(0, 30).map((id, i) => ({ sampleId: id, calls: syntheticCalls(vs, { seed: i }) })));
  d.put(VICTIMS[0]!, syntheticCalls(vs, { seed: 900 }));
  d.tag('t1');
  d.putMany([VICTIMS[1]!, ...ids.slice(30)].map((id, i) => ({ sampleId: id, calls: syntheticCalls(vs, { seed: 100 + i }) })));
  d.compact();
  d.tag('t2');
  for (let i = 0; i < 5; i++) d.put(`Q${i}`, syntheticCalls(vs, { seed: 500 + i }));
  const old = d.samples();
  const records: Record<string, string> = {};
  for (const v of d.getMany(old)) records[v.sampleId] = Buffer.concat(v.records.map((r) => Buffer.from(r.bytes))).toString('base64');
  reference = { old, new: old.filter((s) => !VICTIMS.includes(s)), records };
  d.close();
}, 60_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Spawns the child; resolves its stdout lines as they come. */
function run(args: string[]): { p: ChildProcess; lines: string[]; line: (s: string) => Promise<void>; exit: Promise<{ code: number | null; signal: string | null }> } {
  const p = spawn(process.execPath, [child, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiters: { s: string; resolve: () => void }[] = [];
  let buf = '';
  p.stdout!.on('data', (b: Buffer) => {
    buf += b.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
      for (const w of waiters.filter((w) => lines.includes(w.s))) w.resolve();
    }
  });
  const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) => p.on('exit', (code, signal) => resolve({ code, signal })));
  const line = (s: string) => (lines.includes(s) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ s, resolve })));
  return { p, lines, line, exit };
}

describe('erasure under fire', () => {
  it('SIGKILL at random instants of a purge (>= 50 kills): the old depot or the purged one; after `purged`, no trace', async () => {
    const r = rng(20261201);
    const ref = Depot.open(template, { readOnly: true });
    const fpOld = fingerprint(ref, []);
    const fpOthers = fingerprint(ref, VICTIMS);
    ref.close();
    const seen = { kills: 0, old: 0, purgedSilently: 0, reported: 0, completed: 0 };
    for (let i = 0; seen.kills < 50 && i < 200; i++) {
      const path = join(scratch, `k${i}`);
      cpSync(template, path, { recursive: true });
      const c = run(['purge', path, VICTIMS.join(',')]);
      await c.line('ready');
      // A purge of this depot takes ~150-350 ms (its copying child ~150 ms): kill anywhere in it, and sometimes just after.
      await new Promise((res) => setTimeout(res, r() < 0.1 ? r() * 3 : r() * 320));
      c.p.kill('SIGKILL');
      const { signal } = await c.exit;
      if (signal === 'SIGKILL') seen.kills++;
      else seen.completed++;
      const reported = c.lines.includes('purged');
      const d = Depot.open(path);
      const v = d.verify();
      expect(v.issues.filter((x) => x.severity === 'error'), `kill ${i}`).toEqual([]);
      const samples = d.samples();
      if (JSON.stringify(samples) === JSON.stringify(reference.old)) {
        expect(reported, `kill ${i}: reported purged, but the depot is the old one`).toBe(false);
        expect(fingerprint(d, [])).toBe(fpOld);
        seen.old++;
      } else {
        expect(samples, `kill ${i}`).toEqual(reference.new);
        expect(fingerprint(d, [])).toBe(fpOthers);
        if (reported) {
          seen.reported++;
          expect(findTraces(path, VICTIMS), `kill ${i}: purged was printed`).toEqual([]);
        } else {
          seen.purgedSilently++;
          d.purge([]); // finish the interrupted purge
          expect(findTraces(path, VICTIMS), `kill ${i}: after purge --finish`).toEqual([]);
          expect(fingerprint(d, [])).toBe(fpOthers);
        }
      }
      d.close();
      rmSync(path, { recursive: true, force: true });
    }
    console.log(`erasure kills: ${JSON.stringify(seen)}`);
    expect(seen.kills).toBeGreaterThanOrEqual(50);
    expect(seen.old).toBeGreaterThan(0);
    expect(seen.purgedSilently + seen.reported).toBeGreaterThan(0);
  }, 240_000);

  it('a reader in another process during the purge sees the old or the new depot, then no longer maps the old index file', async () => {
    const path = join(scratch, 'reader');
    cpSync(template, path, { recursive: true });
    const expected = join(scratch, 'expected.json');
    writeFileSync(expected, JSON.stringify(reference));
    const c = run(['reader', path, expected]);
    await c.line('ready');
    await c.line('state old');
    const d = Depot.open(path);
    d.purge(VICTIMS);
    d.close();
    await c.exit;
    expect(c.lines.filter((l) => l.startsWith('error'))).toEqual([]);
    expect(c.lines.filter((l) => l.startsWith('state'))).toEqual(['state old', 'state new']);
    expect(c.lines).toContain('maps clean');
    expect(findTraces(path, VICTIMS)).toEqual([]);
    rmSync(path, { recursive: true, force: true });
  }, 120_000);
});
