/**
 * The REF index (`refs` dbi) of format 3: zstd-compressed windows
 * (docs/depot-format.md). A depot written by format 2's code
 * (test/data/depot/format2-refs.tgz, made at commit ab6e4f6: its windows
 * uncompressed) opens with today's code, its REF index still refuses a
 * disagreeing REF (the depot unchanged), and the first import of a set
 * upgrades it to format 3 in place (the index indexed again from the stored
 * sets) without changing its samples, blocks or records; a fresh depot's
 * windows take well under format 2's ~5 bytes a SNP.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import { expect, it } from 'vitest';
import { Depot, addFiles, createFromFile, isDepotError } from '../../src/index.ts';
import { REF_WINDOW, parseRefWindow } from '../../src/depot/core.ts';
import { repoRoot } from '../helpers/interop.ts';
import { depotFingerprint } from '../helpers/fingerprint.ts';
import { useTempDir } from '../helpers/tmp.ts';

const dir = useTempDir('format2-refs');
const data = (f: string) => join(repoRoot, 'test', 'data', f);

/** Every refs dbi value of the depot at `path` (read with lmdb directly), by key. */
function refValues(path: string): Map<string, Uint8Array> {
  const env = open({ path: join(path, 'index.mdb'), noSubdir: true, readOnly: true });
  try {
    const db = env.openDB({ name: 'refs', encoding: 'msgpack' });
    const out = new Map<string, Uint8Array>();
    for (const { key, value } of db.getRange({})) out.set(JSON.stringify(key), value as Uint8Array);
    return out;
  } finally {
    env.close();
  }
}

/** A one-sample VCF of `sample` with one record per [chrom, pos, ref, alt]. */
function vcf(name: string, sample: string, contigs: readonly string[], recs: readonly (readonly [string, number, string, string])[]): string {
  const p = join(dir(), name);
  const head = ['##fileformat=VCFv4.3', ...contigs.map((c) => `##contig=<ID=${c}>`), '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">', `#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t${sample}`];
  writeFileSync(p, [...head, ...recs.map(([c, pos, r, a]) => `${c}\t${pos}\t.\t${r}\t${a}\t.\t.\t.\tGT\t0/1`)].join('\n') + '\n');
  return p;
}

const mismatch = (e: unknown) => isDepotError(e, 'reference-mismatch');

it('a format 2 depot (uncompressed REF windows) opens, still checks REFs, and is upgraded to format 3 by its next import', async () => {
  execFileSync('tar', ['xzf', data('depot/format2-refs.tgz'), '-C', dir()]);
  const path = join(dir(), 'd');
  const old = refValues(path);
  // Format 2's windows: u16 offset, u16 length, REF (chr2:3 G → offset 3, length 1, 'G').
  expect([...old.get(JSON.stringify(['chr2', 0]))!]).toEqual([3, 0, 1, 0, 0x47]);
  const d = Depot.open(path);
  try {
    expect(d.meta.version).toBe(2);
    expect(d.samples()).toEqual(['a', 'NA00001', 'NA00002']);
    expect(d.verify().ok).toBe(true);
    const before = depotFingerprint(d);
    // 20:14370 holds G (sample-part1): a T there is another reference, refused; nothing changes.
    await expect(addFiles(d, [vcf('bad1.vcf', 'B1', ['20'], [['20', 14370, 'T', 'A']])])).rejects.toSatisfy(mismatch);
    expect(depotFingerprint(d)).toBe(before);
    expect(d.meta.version).toBe(2);
    // A consistent import: the depot becomes format 3.
    await addFiles(d, [data('vcf/sample-part2.vcf.gz')]);
    expect(d.samples()).toEqual(['a', 'NA00001', 'NA00002', 'NA00003']);
    expect(d.samples({ at: 'v1' })).toEqual(['a', 'NA00001', 'NA00002']);
    expect(d.referenceBlocks('a', { at: 'v1' })).toBeDefined();
    expect(d.verify().ok).toBe(true);
    // The rebuilt index still holds both sets' REFs: the gVCF's chr2:3 G and the VCF's 20:14370 G.
    await expect(addFiles(d, [vcf('bad2.vcf', 'B2', ['chr2'], [['chr2', 3, 'A', 'C']])])).rejects.toSatisfy(mismatch);
    await expect(addFiles(d, [vcf('bad3.vcf', 'B3', ['20'], [['20', 14370, 'T', 'A']])])).rejects.toSatisfy(mismatch);
    // A longer REF that extends the held one is fine (bcftools merge_alleles).
    await addFiles(d, [vcf('ok.vcf', 'B4', ['20'], [['20', 14370, 'GTT', 'G']])]);
  } finally {
    d.close();
  }
  const r = Depot.open(path, { readOnly: true });
  try {
    expect(r.meta.version).toBe(3);
  } finally {
    r.close();
  }
  // Every REF the format 2 index held is in the format 3 one (2^20-base windows now), with the longer 20:14370.
  const sites = (values: Map<string, Uint8Array>, win: number, parse: (v: Uint8Array) => [number, string][]) => {
    const out: string[] = [];
    for (const [k, v] of values) {
      const [c, w] = JSON.parse(k) as [string, number];
      for (const [o, r] of parse(v)) out.push(`${c}:${w * win + o}:${r}`);
    }
    return out.sort();
  };
  const parse2 = (v: Uint8Array): [number, string][] => {
    const out: [number, string][] = [];
    for (let i = 0; i < v.length; i += 4 + (v[i + 2]! | (v[i + 3]! << 8))) out.push([v[i]! | (v[i + 1]! << 8), Buffer.from(v.subarray(i + 4, i + 4 + (v[i + 2]! | (v[i + 3]! << 8)))).toString('latin1')]);
    return out;
  };
  const now = refValues(path);
  for (const [k, v] of now) expect(v[0], k).toBe(1); // format 3's encoding byte
  expect(sites(now, REF_WINDOW, (v) => [...parseRefWindow(v)])).toEqual(sites(old, 65536, parse2).map((x) => x.replace('20:14370:G', '20:14370:GTT')).sort());
}, 60_000);

it('format 3 keeps a window of SNPs in under 2.5 bytes a SNP (format 2: ~5), and long REFs whole', async () => {
  // 3,000 SNPs a random 1–160 bases apart (one in ~80, as the gVCF benchmark's genome), and one 70,000-base deletion.
  let x = 12345;
  const rand = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const recs: [string, number, string, string][] = [];
  const bases = 'ACGT';
  for (let i = 0, pos = 1; i < 3000; i++) {
    pos += 1 + Math.floor(rand() * 160);
    const ref = bases[Math.floor(rand() * 4)]!;
    recs.push(['1', pos, ref, ref === 'A' ? 'C' : 'A']);
  }
  const long = 'A'.repeat(70_000);
  recs.push(['1', 300_000, long, 'A']);
  const path = join(dir(), 'snps');
  const { depot } = await createFromFile(path, vcf('snps.vcf', 'S', ['1'], recs));
  depot.close();
  const values = refValues(path);
  let bytes = 0;
  const held = new Map<number, string>();
  for (const [k, v] of values) {
    bytes += v.length;
    const win = (JSON.parse(k) as [string, number])[1];
    for (const [off, ref] of parseRefWindow(v)) held.set(win * REF_WINDOW + off, ref);
  }
  expect(held.size).toBe(recs.length);
  for (const [, pos, ref] of recs) expect(held.get(pos)).toBe(ref);
  expect(bytes / recs.length).toBeLessThan(2.5);
  // A damaged window is an IndexCorruptionError naming it when an import reads it.
  const env = open({ path: join(path, 'index.mdb'), noSubdir: true });
  const db = env.openDB({ name: 'refs', encoding: 'msgpack' });
  await db.put(['1', 0], Uint8Array.of(1, 200, 1, 0, 0));
  await env.close();
  const d = Depot.open(path);
  try {
    const before = depotFingerprint(d);
    await expect(addFiles(d, [vcf('more.vcf', 'T', ['1'], [['1', 5, 'A', 'C']])])).rejects.toSatisfy((e: unknown) => isDepotError(e, 'index-corrupt') && /refs\[\["1",0\]\]/.test((e as Error).message));
    expect(depotFingerprint(d)).toBe(before);
  } finally {
    d.close();
  }
}, 60_000);
