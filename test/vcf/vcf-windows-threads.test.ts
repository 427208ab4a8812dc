/**
 * readVcfWindows with worker threads (`threads` 3: two workers and this
 * thread) against the one-thread read, for every fixture and edge case at
 * several window sizes: the same windows handed out (start, end, every
 * sample's calls), the same result (variant set, restart, shape), or the
 * same error (class, message, file, line) — including errors late in a
 * file whose earlier windows are still at a worker, a fixed-column error
 * after a sample-column error in the same window, a shape that narrows in
 * later windows (gathered again at the first window's shape), and a file
 * cut short.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxAlleles, type SampleCalls } from '../../src/codec/index.ts';
import { readVcf, readVcfWindows, type VcfCallShape } from '../../src/vcf/index.ts';
import { diffCalls } from '../helpers/synthetic.ts';
import { vcfInputs } from './edge-vcfs.ts';
import { useTempDir } from '../helpers/tmp.ts';

const tmp = useTempDir('windows-threads');
const inputs: string[] = [];

/** A VCF of `S` samples × `V` diploid records (GT:DP:AD), with `edit(lineIndex, fields)` applied to each data line. */
function synthetic(S: number, V: number, edit: (v: number, cols: string[]) => void = () => {}): string {
  const head = [
    '##fileformat=VCFv4.3',
    '##contig=<ID=chr1>',
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">',
    '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="AD">',
    `#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t${Array.from({ length: S }, (_, i) => `S${i}`).join('\t')}`,
  ];
  const lines: string[] = [];
  for (let v = 0; v < V; v++) {
    const cols = ['chr1', String(100 + v), '.', 'A', 'C', '.', 'PASS', '.', 'GT:DP:AD'];
    for (let s = 0; s < S; s++) cols.push(`${(v + s) % 2}/${(v * s) % 2}:${(v * 7 + s) % 300}:${v % 5},${s % 9}`);
    edit(v, cols);
    lines.push(cols.join('\t'));
  }
  return [...head, ...lines].join('\n') + '\n';
}

const bad: Record<string, string> = {};

beforeAll(() => {
  inputs.push(...vcfInputs(tmp()));
  const write = (name: string, text: string): string => {
    const p = join(tmp(), name);
    writeFileSync(p, text);
    return p;
  };
  inputs.push(write('plain.vcf', synthetic(23, 61)));
  // Ploidy 2 in the first window, then haploid calls only: later windows are gathered at ploidy 2.
  inputs.push(write('narrows.vcf', synthetic(5, 40, (v, c) => {
    if (v >= 10) for (let s = 9; s < c.length; s++) c[s] = c[s]!.replace(/^(\d)\/\d/, '$1');
  })));
  // Ploidy rises late: a restart.
  inputs.push(write('rises.vcf', synthetic(5, 40, (v, c) => {
    if (v === 33) c[9] = c[9]!.replace(/^(\d)\/(\d)/, '$1/$2/1');
  })));
  inputs.push(write('plain.vcf.gz', '') && join(tmp(), 'plain.vcf.gz'));
  writeFileSync(join(tmp(), 'plain.vcf.gz'), execFileSync('bgzip', ['-c', join(tmp(), 'plain.vcf')]));
  const bcf = join(tmp(), 'plain.bcf');
  execFileSync('bcftools', ['view', '-Ob', '-o', bcf, join(tmp(), 'plain.vcf')]);
  inputs.push(bcf);
  // Malformed files: the first error must be the one-thread read's.
  bad.lateGt = write('late-gt.vcf', synthetic(17, 90, (v, c) => {
    if (v === 83) c[12] = '0/7:1:1,1';
  }));
  bad.lateUndeclared = write('late-undeclared.vcf', synthetic(17, 90, (v, c) => {
    if (v === 71) c[8] = 'GT:DP:XX';
  }));
  // A sample error early in a window, then a bad POS later in the same window: the sample error comes first.
  bad.sampleThenPos = write('sample-then-pos.vcf', synthetic(17, 90, (v, c) => {
    if (v === 72) c[20] = '0/1:x:1,1';
    if (v === 75) c[1] = 'P';
  }));
  // A bad GT in an early window, a bad POS much later: the early one.
  bad.earlyThenPos = write('early-then-pos.vcf', synthetic(17, 90, (v, c) => {
    if (v === 12) c[10] = '0/1/:1:1,1';
    if (v === 80) c[1] = 'P';
  }));
  // Too few sample columns late.
  bad.lateCount = write('late-count.vcf', synthetic(17, 90, (v, c) => {
    if (v === 88) c.pop();
  }));
  // AD with more values than Number=R allows, late (a shape error at the window's turn).
  bad.lateFieldCount = write('late-field-count.vcf', synthetic(17, 90, (v, c) => {
    if (v === 66) c[9] = '0/1:3:1,2,3';
  }));
  // A bad GT, then the gzip stream cut short after it: the GT error.
  const gz = gzipSync(readFileSync(bad.lateGt));
  bad.truncated = join(tmp(), 'truncated.vcf.gz');
  writeFileSync(bad.truncated, gz.subarray(0, gz.length - 20));
  // Cut short with no bad line: the truncation error, after every window before it.
  const gz2 = gzipSync(readFileSync(join(tmp(), 'plain.vcf')));
  bad.truncatedOnly = join(tmp(), 'truncated-only.vcf.gz');
  writeFileSync(bad.truncatedOnly, gz2.subarray(0, gz2.length - 20));
});

type Outcome = { error: { name: string; message: string; code?: string; line?: number } } | { windows: { start: number; end: number; index: number; calls: SampleCalls[] }[]; result: unknown; workerWindows: number };

async function read(path: string, windowSize: number, threads: number, mAlleles: number, shape?: VcfCallShape): Promise<Outcome> {
  const windows: { start: number; end: number; index: number; calls: SampleCalls[] }[] = [];
  try {
    const r = await readVcfWindows(path, {
      windowSize,
      maxAlleles: mAlleles,
      threads,
      ...(shape ? { shape } : {}),
      onWindow: (w) => windows.push({ start: w.start, end: w.end, index: w.index, calls: Array.from({ length: w.sampleIds.length }, (_, i) => w.calls(i)) }),
    });
    const { workerWindows, ...window } = r.window;
    return { windows, result: { variantSet: r.variantSet, sampleIds: r.sampleIds, window }, workerWindows: workerWindows ?? 0 };
  } catch (err) {
    const e = err as { name: string; message: string; code?: string; line?: number };
    return { error: { name: e.name, message: e.message, ...(e.code ? { code: e.code } : {}), ...(e.line !== undefined ? { line: e.line } : {}) } };
  }
}

function expectSame(a: Outcome, b: Outcome, what: string): void {
  if ('error' in a || 'error' in b) {
    expect(b, what).toEqual(a);
    return;
  }
  expect(b.result, what).toEqual(a.result);
  expect(b.windows.map((w) => [w.index, w.start, w.end]), what).toEqual(a.windows.map((w) => [w.index, w.start, w.end]));
  a.windows.forEach((w, k) => {
    w.calls.forEach((c, i) => {
      const d = b.windows[k]!.calls[i]!;
      expect(diffCalls(c, d), `${what} window ${w.index} sample ${i}`).toBeUndefined();
      // Integer dtypes may differ (a column widens as values need it, from what that thread parsed before); the values may not.
    });
  });
}

describe('readVcfWindows on worker threads', () => {
  let workerWindows = 0;
  let restarts = 0;
  afterAll(() => {
    // Workers did parse windows, and the restart path ran threaded.
    expect(workerWindows).toBeGreaterThan(50);
    expect(restarts).toBeGreaterThan(0);
  });

  for (const windowSize of [3, 7, 1000]) {
    it(`hands out the one-thread read's windows and result (${windowSize} variants)`, async () => {
      for (const path of inputs) {
        let full;
        try {
          full = await readVcf(path);
        } catch {
          continue;
        }
        const m = maxAlleles(full.variantSet);
        const one = await read(path, windowSize, 1, m);
        const three = await read(path, windowSize, 3, m);
        expectSame(one, three, `${path} (${windowSize})`);
        if ('workerWindows' in three) workerWindows += three.workerWindows;
        if ('result' in one && (one.result as { window: { restartNeeded: boolean; shape: VcfCallShape } }).window.restartNeeded) {
          restarts++;
          const shape = (one.result as { window: { shape: VcfCallShape } }).window.shape;
          expectSame(await read(path, windowSize, 1, m, shape), await read(path, windowSize, 3, m, shape), `${path} (${windowSize}, second read)`);
        }
      }
    }, 120_000);
  }

  it('throws the one-thread read\'s first error (file, line), whichever thread finds it', async () => {
    const want: Record<string, [string, number]> = {
      lateGt: ['vcf-genotype', 90],
      lateUndeclared: ['vcf-undeclared', 78],
      sampleThenPos: ['vcf-value', 79],
      earlyThenPos: ['vcf-genotype', 19],
      lateCount: ['vcf-sample-count', 95],
      lateFieldCount: ['vcf-field-count', 73],
      truncated: ['vcf-genotype', 90],
      truncatedOnly: ['vcf-truncated', -1],
    };
    for (const [name, path] of Object.entries(bad)) {
      for (const windowSize of [1, 7, 1000]) {
        const one = await read(path, windowSize, 1, 2);
        const three = await read(path, windowSize, 3, 2);
        expect('error' in one, name).toBe(true);
        expect(three, `${name} (${windowSize})`).toEqual(one);
        const e = (one as { error: { code?: string; line?: number } }).error;
        expect(e.code, name).toBe(want[name]![0]);
        if (want[name]![1] >= 0) expect(e.line, name).toBe(want[name]![1]);
      }
    }
  }, 120_000);
});
