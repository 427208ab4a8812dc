/**
 * `createFromFile` / `addFiles` with `threads` (docs/scale.md, "Import on
 * every core"): a depot made with 3 threads is byte for byte the one made
 * with 1 — every chunk file, and every LMDB value but commit and creation
 * times — for a bgzipped, a plain and a BCF multi-sample file, a one-sample
 * file, a file whose ploidy varies (read twice), a gVCF (read on one
 * thread) and an append; and a malformed line late in an appended file
 * gives the one-thread typed error (file, line) and leaves the depot as it
 * was.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { open } from 'lmdb';
import { describe, expect, it } from 'vitest';
import { DBI } from '../../src/depot/layout.ts';
import { Depot } from '../../src/depot/index.ts';
import { addFiles, createFromFile } from '../../src/io/index.ts';
import { fileTree } from '../helpers/files.ts';
import { useTempDir } from '../helpers/tmp.ts';

const data = join(import.meta.dirname, '..', 'data');
const vcf = join(data, 'vcf');
const dir = useTempDir('import-threads');

/** Every value of every dbi of a depot's LMDB index, commit and creation times left out. */
function indexDump(depot: string): string {
  const env = open({ path: join(depot, 'index.mdb'), readOnly: true, noSubdir: true });
  const out: Record<string, unknown[]> = {};
  try {
    for (const name of Object.values(DBI)) {
      const db = env.openDB({ name, encoding: name === DBI.refBlocks ? 'binary' : 'msgpack' });
      out[name] = [...db.getRange()].map(({ key, value }) => [key, value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value]);
    }
  } finally {
    env.close();
  }
  return JSON.stringify(out, (k, v: unknown) => (k === 'time' || k === 'created' ? undefined : v));
}

/** A depot's files: chunk files by bytes, the index by its values. */
function depotFiles(depot: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const [k, v] of fileTree(depot)) if (!k.startsWith('index.mdb')) m.set(k, v.toString('base64'));
  m.set('index.mdb (values)', indexDump(depot));
  return m;
}

/** Windows parsed by worker threads in the depots made so far. */
let workerWindows = 0;

async function made(name: string, from: string, threads: number, append: readonly string[] = []): Promise<Map<string, string>> {
  const path = join(dir(), `${name}-${threads}.depot`);
  const { depot, commit } = await createFromFile(path, from, { threads, streamFromBytes: 0, blockSize: 16, message: 'm' });
  try {
    if (commit && 'workerWindows' in commit) workerWindows += commit.workerWindows;
    if (append.length > 0) workerWindows += (await addFiles(depot, append, { threads, streamFromBytes: 0, message: 'a' })).workerWindows;
  } finally {
    depot.close();
  }
  return depotFiles(path);
}

describe('import on worker threads', () => {
  it('makes the same depot with 1 and 3 threads (VCF, bgzip, BCF, one sample, mixed ploidy, gVCF, append)', async () => {
    const plain = join(dir(), 'chr22.vcf');
    writeFileSync(plain, gunzipSync(readFileSync(join(vcf, 'chr22.vcf.gz'))));
    const bcf = join(dir(), 'chr22.bcf');
    execFileSync('bcftools', ['view', '-Ob', '-o', bcf, join(vcf, 'chr22.vcf.gz')]);
    const cases: [string, string, string[]][] = [
      ['bgzip', join(vcf, 'chr22.vcf.gz'), []],
      ['plain', plain, []],
      ['bcf', bcf, []],
      ['one-sample', join(vcf, 'per-sample', 'HG00096.vcf.gz'), []],
      ['mixed-ploidy', join(vcf, 'mixed_ploidy.vcf.gz'), []],
      ['gvcf', join(data, 'gvcf', 'bcftools-mpileup.6.g.vcf'), []],
      ['append', join(vcf, 'chr22-part1.vcf.gz'), [join(vcf, 'chr22-part2.vcf.gz')]],
    ];
    for (const [name, from, append] of cases) {
      const one = await made(name, from, 1, append);
      const three = await made(name, from, 3, append);
      expect([...three.keys()].sort(), name).toEqual([...one.keys()].sort());
      expect([...one.keys()].some((k) => k.startsWith('chunks/')), name).toBe(true);
      for (const [k, v] of one) expect(three.get(k) === v, `${name}: ${k}`).toBe(true);
    }
    // The threaded depots' sample columns were parsed by workers (most of chr22's 7 blocks a file).
    expect(workerWindows).toBeGreaterThan(10);
  }, 180_000);

  it('refuses a malformed line late in a file with the one-thread error, and leaves the depot as it was', async () => {
    // chr22-part2 with a GT naming allele 7 in the 95th of its 100 records.
    const lines = gunzipSync(readFileSync(join(vcf, 'chr22-part2.vcf.gz'))).toString('utf8').split('\n');
    const header = lines.findIndex((l) => l.startsWith('#CHROM'));
    const at = header + 95;
    const cols = lines[at]!.split('\t');
    cols[12] = cols[12]!.replace(/^[^:]+/, '0/7');
    lines[at] = cols.join('\t');
    const badFile = join(dir(), 'part2-bad.vcf');
    writeFileSync(badFile, lines.join('\n'));
    const path = join(dir(), 'bad.depot');
    const { depot } = await createFromFile(path, join(vcf, 'chr22-part1.vcf.gz'), { threads: 3, streamFromBytes: 0, blockSize: 8 });
    const before = depotFiles(path);
    const errors: unknown[] = [];
    try {
      for (const threads of [1, 3]) {
        const e = await addFiles(depot, [badFile], { threads, streamFromBytes: 0 }).then(() => undefined, (err: unknown) => err);
        errors.push(e);
        expect(depotFiles(path), `threads ${threads}`).toEqual(before);
      }
    } finally {
      depot.close();
    }
    const [one, three] = errors as { name: string; code: string; file: string; line: number; message: string }[];
    expect(one!.code).toBe('vcf-genotype');
    expect(one!.line).toBe(at + 1);
    expect(one!.file).toBe(badFile);
    expect([three!.name, three!.code, three!.file, three!.line, three!.message]).toEqual([one!.name, one!.code, one!.file, one!.line, one!.message]);
    expect(Depot.open(path).version()).toBe(1);
  }, 60_000);
});
