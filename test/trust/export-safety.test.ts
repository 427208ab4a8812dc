/**
 * Export safety: an export never writes into a non-empty directory (or a
 * file) that is not a VCZ store vczdepot made, unless forced; a failed or
 * killed export leaves no store at `out` (and the guard removes its
 * temporary files); a replaced store is swapped in only once the new one is
 * complete.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Depot } from '../../src/depot/index.ts';
import { depotExportSource } from '../../src/io/index.ts';
import { exportVcz, ExportTargetError, guardedExport, isExportGuardError, isVczdepotStore, prepareExportTarget, readVcz, type ExportSource } from '../../src/vcz/index.ts';
import { isVczWriteError } from '../../src/zarr/index.ts';
import { rng } from '../helpers/synthetic.ts';
import { REPO, SampleData, bundle, chr22DataFile, diffTrees, loadChr22, readTree, scratchDir } from './common.ts';

let dir: string;
let depot: string;
let dataFile: string;
let child: string;
let n = 0;
const fresh = () => join(dir, `o${n++}`);

beforeAll(async () => {
  dir = scratchDir('vczdepot-export-safety-');
  dataFile = await chr22DataFile();
  const data = new SampleData(loadChr22(dataFile), 30);
  depot = join(dir, 'depot');
  const d = Depot.create(depot, data.variantSet, { blockSize: 30 });
  d.putMany(data.data.sampleIds.slice(0, 40).map((s) => ({ sampleId: s, calls: data.calls(s) })));
  d.tag('t40');
  d.putMany(data.data.sampleIds.slice(40).map((s) => ({ sampleId: s, calls: data.calls(s) })));
  d.tag('t100');
  d.close();
  child = bundle(join(import.meta.dirname, 'io-child.ts'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function exportTag(out: string, tag: string, force = false, zip = false): Promise<void> {
  const d = Depot.open(depot, { readOnly: true });
  try {
    await guardedExport(out, { force }, (p) => exportVcz(depotExportSource(d, tag), p, { zip }));
  } finally {
    d.close();
  }
}

const siblings = (p: string) => readdirSync(join(p, '..')).filter((f) => f.startsWith('.vczdepot-') || f.includes('.tmp-'));

describe('export target', () => {
  it('the exporter alone never writes over an existing path', async () => {
    const out = fresh();
    mkdirSync(out);
    const d = Depot.open(depot, { readOnly: true });
    try {
      await expect(exportVcz(depotExportSource(d, 't40'), out)).rejects.toSatisfy((e) => isVczWriteError(e, 'zarr-state'));
    } finally {
      d.close();
    }
  });

  it('a new path, an empty directory, or a store vczdepot made (directory or zip) is written; the replacement appears whole', async () => {
    for (const zip of [false, true]) {
      const out = fresh() + (zip ? '.vcz.zip' : '');
      await exportTag(out, 't40', false, zip);
      expect(isVczdepotStore(out)).toBe(true);
      expect((await readVcz(out)).sampleIds).toHaveLength(40);
      await exportTag(out, 't100', false, zip); // ours: replaced without force
      expect((await readVcz(out)).sampleIds).toHaveLength(100);
      expect(siblings(out)).toEqual([]);
    }
    const empty = fresh();
    mkdirSync(empty);
    await exportTag(empty, 't40');
    expect((await readVcz(empty)).sampleIds).toHaveLength(40);
  });

  it('a non-empty directory, a file, or a VCZ store another tool made is refused (ExportTargetError) and left untouched; --force replaces it', async () => {
    const notOurs = fresh();
    mkdirSync(notOurs);
    writeFileSync(join(notOurs, 'thesis.tex'), 'years of work');
    const file = fresh();
    writeFileSync(file, 'precious');
    const bio2zarr = fresh() + '.vcz.zip';
    copyFileSync(join(REPO, 'test', 'data', 'vcz', 'chr22.vcz.zip'), bio2zarr);
    for (const out of [notOurs, file, bio2zarr]) {
      const before = readTreeOrFile(out);
      let err: unknown;
      try {
        await exportTag(out, 't40');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ExportTargetError);
      expect(isExportGuardError(err, 'export-target')).toBe(true);
      expect((err as Error).message).toMatch(/--force/);
      expect(readTreeOrFile(out)).toEqual(before);
      expect(siblings(out)).toEqual([]);
      await exportTag(out, 't40', true);
      expect((await readVcz(out)).sampleIds).toHaveLength(40);
      expect(siblings(out)).toEqual([]);
    }
  });

  it('a missing parent directory is an ExportTargetError', () => {
    expect(() => prepareExportTarget(join(dir, 'no', 'such', 'out'))).toThrow(ExportTargetError);
  });
});

function readTreeOrFile(p: string): unknown {
  return statSync(p).isDirectory() ? [...readTree(p)].map(([k, v]) => [k, v.toString('base64')]) : readFileSync(p).toString('base64');
}

describe('failed exports', () => {
  /** A depot source whose readBlock throws at the k-th call. */
  function failingSource(d: Depot, k: number): ExportSource {
    const s = depotExportSource(d, 't100');
    let calls = 0;
    return {
      ...s,
      readBlock: (ids, block) => {
        if (++calls === k) throw new Error(`disk read failed (simulated) at call ${k}`);
        return s.readBlock(ids, block);
      },
    };
  }

  it('a source that throws mid-way: no `out`, no temporary files; an existing store at `out` stays byte-identical', async () => {
    const d = Depot.open(depot, { readOnly: true });
    try {
      for (const k of [1, 2, 4]) { // 100 variants in blocks of 30: 4 block reads per export
        // plain exporter: rejects, no out, its temporary directory removed
        const out = fresh();
        await expect(exportVcz(failingSource(d, k), out)).rejects.toThrow(/simulated/);
        expect(existsSync(out)).toBe(false);
        expect(siblings(out)).toEqual([]);
        // through the guard, over an existing store of ours
        const kept = fresh();
        await exportTag(kept, 't40');
        const before = readTree(kept);
        await expect(guardedExport(kept, {}, (p) => exportVcz(failingSource(d, k), p))).rejects.toThrow(/simulated/);
        expect([...readTree(kept)]).toEqual([...before]);
        expect(siblings(kept)).toEqual([]);
      }
    } finally {
      d.close();
    }
  });

  it('an export process killed at random instants never leaves a store at `out`; a finished one is complete', async () => {
    const reference = fresh();
    const d = Depot.open(depot, { readOnly: true });
    await exportVcz(depotExportSource(d, undefined, 'vczdepot-trust'), reference);
    d.close();
    const r = rng(12);
    let finished = 0;
    let killed = 0;
    for (let i = 0; i < 12; i++) {
      const out = fresh();
      const mode = i % 2 ? 'export' : 'guarded-export';
      const res = await new Promise<{ lines: string[] }>((resolve) => {
        const p = spawn(process.execPath, [child, mode, depot, dataFile, out], { stdio: ['ignore', 'pipe', 'inherit'] });
        let s = '';
        let timer: NodeJS.Timeout | undefined;
        p.stdout.on('data', (b: Buffer) => {
          s += b.toString();
          if (!timer && s.includes('start')) timer = setTimeout(() => p.kill('SIGKILL'), Math.floor(r() * 400));
        });
        p.on('close', () => {
          clearTimeout(timer);
          resolve({ lines: s.split('\n') });
        });
      });
      const done = res.lines.some((l) => l.startsWith('result {"ok":true'));
      if (done) {
        finished++;
        expect(diffTrees(reference, out)).toBeUndefined();
      } else {
        killed++;
        expect(existsSync(out), `${mode} killed: ${out} exists`).toBe(false);
        // only temporary names may remain (a kill cannot clean up); none of them is `out`
        for (const f of siblings(out)) rmSync(join(dir, f), { recursive: true, force: true });
      }
    }
    expect(killed).toBeGreaterThan(0);
    console.log(`export kills: ${killed} killed, ${finished} finished`);
  }, 120_000);
});
