/**
 * VCZ import (`readVcz`): every fixture store in test/data/vcz (bio2zarr
 * 0.2.0; sample.vcz3.zip is Zarr v3) is read and compared, bit for bit, with
 * what zarr-python reads (test/helpers/dump_vcz_arrays.py run by the repo's
 * .venv python) and with the matching VCF fixture (records, samples, header
 * definitions). Also: directory stores, absent chunks, null samples, unsafe
 * zip entries and non-VCZ inputs. Fails (never skips) when .venv is missing.
 */
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InfoType, SampleCalls, VcfNumber } from '../../src/codec/types.ts';
import { VczInvalidError, VczNotAStoreError, VczUnsafeZipEntryError, isVczReadError } from '../../src/vcz/vcz-errors.ts';
import { readVcz, type VczData } from '../../src/vcz/vcz-read.ts';
import { VlenUtf8Decoder } from '../../src/vcz/read-arrays.ts';
import { repoRoot, run, venvBin } from '../helpers/interop.ts';

const dataDir = join(repoRoot, 'test', 'data');
const dumpScript = join(repoRoot, 'test', 'helpers', 'dump_vcz_arrays.py');

interface DumpArray {
  dtype: string;
  kind: 'int' | 'float' | 'bool' | 'str';
  shape: number[];
  dims: string[];
  values: (number | string)[];
  attrs: Record<string, unknown>;
}
interface Dump {
  format: 2 | 3;
  attrs: Record<string, unknown>;
  arrays: Record<string, DumpArray>;
}

const python = (args: string[]): string => run(venvBin('python'), args).stdout;
const dump = (store: string): Dump => JSON.parse(python([dumpScript, store])) as Dump;

const tmpDirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'vcz-read-'));
  tmpDirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

/** Extracts a zip with python's zipfile into a fresh directory. */
function unzipTo(zip: string): string {
  const dir = tmp();
  python(['-c', 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])', zip, dir]);
  return dir;
}

/** Values of a typed or string array as a plain list; floats as IEEE bit patterns. */
function bitsOf(values: ArrayLike<unknown> | readonly string[]): (number | string)[] {
  if (values instanceof Float32Array) return Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));
  return Array.from(values as ArrayLike<number | string>);
}

const TYPED_CLASS: Record<string, string> = {
  int8: 'Int8Array',
  int16: 'Int16Array',
  int32: 'Int32Array',
  int64: 'Int32Array',
  float32: 'Float32Array',
  bool: 'Uint8Array',
  str: 'Array',
  '<U1': 'Array',
};

/** The header definition vcztools derives from an array (docs/vcz-format.md, "What vcztools expects"). */
function expectedDef(a: DumpArray, baseRank: number): { type: InfoType; number: VcfNumber; description: string } {
  const type: InfoType =
    a.kind === 'bool' ? 'Flag' : a.kind === 'int' ? 'Integer' : a.kind === 'float' ? 'Float' : a.dtype === '<U1' ? 'Character' : 'String';
  let number: VcfNumber;
  if (a.shape.length === baseRank) number = type === 'Flag' ? 0 : 1;
  else {
    const dim = a.dims[baseRank]!;
    number = dim === 'alt_alleles' ? 'A' : dim === 'alleles' ? 'R' : dim === 'genotypes' ? 'G' : /_dim$/.test(dim) ? a.shape[baseRank]! : '.';
  }
  const description = typeof a.attrs.description === 'string' ? a.attrs.description : '';
  return { type, number, description };
}

const FIXED = new Set(['contig', 'position', 'length', 'id', 'id_mask', 'allele', 'quality', 'filter']);
const isInfo = (n: string): boolean => n.startsWith('variant_') && !FIXED.has(n.slice(8)) && !/_(mask|fill)$/.test(n);
const isFormat = (n: string): boolean =>
  n.startsWith('call_') && !['call_genotype', 'call_genotype_phased', 'call_genotype_mask'].includes(n) && !/_(mask|fill)$/.test(n);

/** Column `s` of a [variants, samples(, w)] dump array, flattened [variants, w]. */
function column(a: DumpArray, s: number): (number | string)[] {
  const [nv, ns] = a.shape as [number, number];
  const w = a.shape[2] ?? 1;
  const out: (number | string)[] = [];
  for (let v = 0; v < nv; v++) for (let k = 0; k < w; k++) out.push(a.values[(v * ns + s) * w + k]!);
  return out;
}

/** Asserts that `data` holds exactly what zarr-python reads from the store. */
function expectMatchesDump(data: VczData, d: Dump): void {
  const A = d.arrays;
  const vs = data.variantSet;
  const nv = A.variant_position!.shape[0]!;
  expect(vs.numVariants).toBe(nv);
  expect(data.source).toBe(d.attrs.source ?? '');
  expect(vs.metaInformation).toEqual(d.attrs.vcf_meta_information ?? []);

  const lengths = A.contig_length?.values;
  expect(vs.contigs).toEqual(A.contig_id!.values.map((id, i) => (lengths ? { id, length: lengths[i] } : { id })));
  expect(vs.filters).toEqual(A.filter_id!.values.map((id, i) => ({ id, description: A.filter_description!.values[i] })));

  for (const [field, name] of [['contig', 'variant_contig'], ['position', 'variant_position'], ['length', 'variant_length']] as const) {
    expect(vs[field]).toBeInstanceOf(Int32Array);
    expect(Array.from(vs[field])).toEqual(A[name]!.values);
  }
  expect(vs.id).toEqual(A.variant_id!.values.map((s) => (s === '' ? '.' : s)));
  const aw = A.variant_allele!.shape[1]!;
  const alleles = Array.from({ length: nv }, (_, v) => {
    const row = A.variant_allele!.values.slice(v * aw, (v + 1) * aw) as string[];
    while (row.length > 1 && row[row.length - 1] === '') row.pop();
    return row;
  });
  expect(vs.alleles).toEqual(alleles);
  expect(vs.quality).toBeInstanceOf(Float32Array);
  expect(bitsOf(vs.quality)).toEqual(A.variant_quality!.values);
  expect(vs.filter).toBeInstanceOf(Uint8Array);
  expect(Array.from(vs.filter)).toEqual(A.variant_filter!.values);

  const infoNames = Object.keys(A).filter(isInfo).sort();
  expect(vs.info.map((c) => `variant_${c.def.id}`)).toEqual(infoNames);
  for (const col of vs.info) {
    const a = A[`variant_${col.def.id}`]!;
    expect(col.def, col.def.id).toEqual({ id: col.def.id, ...expectedDef(a, 1) });
    expect(col.width, col.def.id).toBe(a.shape[1] ?? 1);
    expect(col.values.constructor.name, col.def.id).toBe(TYPED_CLASS[a.dtype]);
    expect(bitsOf(col.values), col.def.id).toEqual(a.values);
  }

  const formatNames = Object.keys(A).filter(isFormat).sort();
  expect(vs.format.map((f) => `call_${f.id}`)).toEqual(formatNames);
  for (const f of vs.format) {
    expect(f, f.id).toEqual({ id: f.id, ...expectedDef(A[`call_${f.id}`]!, 2) });
  }
  expect(vs.hasGenotype).toBe('call_genotype' in A);

  const storeSamples = A.sample_id!.values as string[];
  expect(data.sampleIds).toEqual(storeSamples.filter((s) => s !== ''));
  const cols = storeSamples.flatMap((s, i) => (s === '' ? [] : [i]));
  cols.forEach((s, i) => {
    const c = data.calls(i);
    const gt = A.call_genotype;
    if (gt) {
      expect(c.ploidy).toBe(gt.shape[2]);
      expect(c.genotype!.constructor.name).toBe(TYPED_CLASS[gt.dtype]);
      expect(Array.from(c.genotype!)).toEqual(column(gt, s));
      expect(c.phased).toBeInstanceOf(Uint8Array);
      expect(Array.from(c.phased!)).toEqual(column(A.call_genotype_phased!, s));
    } else {
      expect(c.ploidy).toBe(0);
      expect(c.genotype).toBeUndefined();
    }
    expect(c.fields.map((f) => `call_${f.id}`)).toEqual(formatNames);
    for (const f of c.fields) {
      const a = A[`call_${f.id}`]!;
      expect(f.width, f.id).toBe(a.shape[2] ?? 1);
      expect(f.values.constructor.name, f.id).toBe(TYPED_CLASS[a.dtype]);
      expect(bitsOf(f.values), `${f.id} of sample ${s}`).toEqual(column(a, s));
    }
  });
}

/** The parts of a VCF fixture the store must agree with. */
interface VcfFacts {
  samples: string[];
  records: { chrom: string; pos: number; id: string; alleles: string[] }[];
  defs: Map<string, { number: string; type: string; description: string }>;
}
function readVcfFacts(file: string): VcfFacts {
  const text = gunzipSync(readFileSync(file)).toString('utf8');
  const facts: VcfFacts = { samples: [], records: [], defs: new Map() };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const m = /^##(INFO|FORMAT)=<(.*)>$/.exec(line);
    if (m) {
      const body = m[2]!;
      const get = (k: string): string => new RegExp(`(?:^|,)${k}=("(?:[^"\\\\]|\\\\.)*"|[^,]*)`).exec(body)![1]!.replace(/^"|"$/g, '');
      facts.defs.set(`${m[1]}/${get('ID')}`, { number: get('Number'), type: get('Type'), description: get('Description') });
    } else if (line.startsWith('#CHROM')) {
      facts.samples = line.split('\t').slice(9);
    } else if (!line.startsWith('#')) {
      const f = line.split('\t');
      facts.records.push({ chrom: f[0]!, pos: Number(f[1]), id: f[2]!, alleles: [f[3]!, ...(f[4] === '.' ? [] : f[4]!.split(','))] });
    }
  }
  return facts;
}

/** Asserts that `data` agrees with the VCF it was converted from. */
function expectMatchesVcf(data: VczData, vcf: VcfFacts): void {
  const vs = data.variantSet;
  expect(data.sampleIds).toEqual(vcf.samples);
  expect(vs.numVariants).toBe(vcf.records.length);
  vcf.records.forEach((r, v) => {
    expect({ chrom: vs.contigs[vs.contig[v]!]!.id, pos: vs.position[v], id: vs.id[v], alleles: vs.alleles[v] }).toEqual(r);
  });
  const defs = [...vs.info.map((c) => ['INFO', c.def] as const), ...vs.format.map((f) => ['FORMAT', f] as const)];
  const declared = [...vcf.defs.keys()].filter((k) => k !== 'FORMAT/GT').sort();
  expect(defs.map(([kind, def]) => `${kind}/${def.id}`).sort()).toEqual(declared);
  expect(vs.hasGenotype).toBe(vcf.defs.has('FORMAT/GT'));
  for (const [kind, def] of defs) {
    const h = vcf.defs.get(`${kind}/${def.id}`)!;
    const what = `${kind}/${def.id}`;
    expect(def.type, what).toBe(h.type);
    expect(def.description, what).toBe(h.description);
    // Number=. becomes the stored width; a fixed Number stays; A/R/G stay.
    if (h.number === '.') expect(typeof def.number, what).toBe('number');
    else expect(String(def.number), what).toBe(h.number);
  }
}

const FIXTURES = [
  ['sample.vcz.zip', 'sample.vcf.gz'],
  ['sample.vcz3.zip', 'sample.vcf.gz'],
  ['field_type_combos.vcz.zip', 'field_type_combos.vcf.gz'],
  ['msprime_diploid.vcz.zip', 'msprime_diploid.vcf.gz'],
  ['1kg_2020_chrM.vcz.zip', '1kg_2020_chrM.vcf.gz'],
  ['chr22.vcz.zip', 'chr22.vcf.gz'],
] as const;

describe.each(FIXTURES)('readVcz(%s)', (store, vcfName) => {
  const path = join(dataDir, 'vcz', store);
  let data: VczData;
  let d: Dump;
  beforeAll(async () => {
    d = dump(path);
    data = await readVcz(path);
  });

  it('reads every array as zarr-python does, bit for bit, with vcztools-derived defs', () => {
    expect(d.format).toBe(store.endsWith('vcz3.zip') ? 3 : 2);
    expectMatchesDump(data, d);
  });

  it(`agrees with ${vcfName} (samples, records, header definitions)`, () => {
    expectMatchesVcf(data, readVcfFacts(join(dataDir, 'vcf', vcfName)));
  });

  it('keeps float NaN payloads (missing 0x7F800001, fill 0x7F800002) where the store has them', () => {
    const stored = new Set(
      Object.values(d.arrays)
        .filter((a) => a.kind === 'float')
        .flatMap((a) => a.values as number[]),
    );
    const ours = new Set<number | string>(bitsOf(data.variantSet.quality));
    for (const c of data.variantSet.info) if (c.values instanceof Float32Array) for (const b of bitsOf(c.values)) ours.add(b);
    for (let i = 0; i < data.sampleIds.length; i++) {
      for (const f of data.calls(i).fields) if (f.values instanceof Float32Array) for (const b of bitsOf(f.values)) ours.add(b);
    }
    for (const nan of [0x7f800001, 0x7f800002]) expect(ours.has(nan)).toBe(stored.has(nan));
  });

  it('rejects sample indices out of range', () => {
    expect(() => data.calls(data.sampleIds.length)).toThrow(RangeError);
    expect(() => data.calls(-1)).toThrow(RangeError);
  });
});

/** A comparable snapshot of everything readVcz returns (float bits explicit). */
function snapshot(data: VczData): unknown {
  const vs = data.variantSet;
  const plain = (c: SampleCalls) => ({
    ...c,
    genotype: c.genotype && bitsOf(c.genotype),
    phased: c.phased && bitsOf(c.phased),
    fields: c.fields.map((f) => ({ ...f, values: bitsOf(f.values), cls: f.values.constructor.name })),
  });
  return {
    ...data,
    calls: data.sampleIds.map((_, i) => plain(data.calls(i))),
    variantSet: {
      ...vs,
      quality: bitsOf(vs.quality),
      info: vs.info.map((c) => ({ ...c, values: bitsOf(c.values), cls: c.values.constructor.name })),
    },
  };
}

describe('readVcz on directory stores', () => {
  it.each(['sample.vcz.zip', 'sample.vcz3.zip', 'field_type_combos.vcz.zip'])('a directory unzipped from %s reads the same', async (name) => {
    const zip = join(dataDir, 'vcz', name);
    const dir = unzipTo(zip);
    expect(snapshot(await readVcz(dir))).toEqual(snapshot(await readVcz(zip)));
  });

  it('reads absent chunks as the fill value (0, 0.0, false, ""), as zarr-python does (v2)', async () => {
    const dir = unzipTo(join(dataDir, 'vcz', 'field_type_combos.vcz.zip'));
    // One absent chunk per kind; <U1 with fill_value null is what crashes zarrita's own fill.
    for (const key of ['call_FC1/1.0', 'call_FS2/0.0.0', 'call_FF1/1.0', 'call_FI2/0.0.0', 'variant_II1/0', 'variant_IB0/0', 'variant_ICD/0.0', 'variant_quality/0']) {
      unlinkSync(join(dir, key));
    }
    const data = await readVcz(dir);
    const d = dump(dir);
    expectMatchesDump(data, d);
    expect(data.calls(0).fields.find((f) => f.id === 'FC1')!.values.slice(100, 102)).toEqual(['', '']);
    expect(bitsOf(data.variantSet.info.find((c) => c.def.id === 'II1')!.values).slice(0, 3)).toEqual([0, 0, 0]);
  });

  it('reads absent chunks as the fill value (v3)', async () => {
    const dir = unzipTo(join(dataDir, 'vcz', 'sample.vcz3.zip'));
    for (const key of ['call_DP/c/0/0', 'call_genotype/c/1/0/0', 'variant_AA/c/0', 'variant_AF/c/1/0']) unlinkSync(join(dir, key));
    const data = await readVcz(dir);
    expectMatchesDump(data, dump(dir));
    expect(Array.from(data.calls(1).genotype!.slice(8, 10))).toEqual([0, 0]);
  });

  it('skips null samples ("" in sample_id) and indexes the others', async () => {
    const zip = join(dataDir, 'vcz', 'sample.vcz.zip');
    const dir = unzipTo(zip);
    python(['-c', 'import sys, zarr; g = zarr.open_group(sys.argv[1], mode="r+"); g["sample_id"][1] = ""', dir]);
    const orig = await readVcz(zip);
    const data = await readVcz(dir);
    expect(data.sampleIds).toEqual(['NA00001', 'NA00003']);
    expect(snapshot({ ...data, sampleIds: ['x'], calls: (i) => data.calls(i + 1) })).toEqual(
      snapshot({ ...orig, sampleIds: ['x'], calls: (i) => orig.calls(i + 2) }),
    );
    expectMatchesDump(data, dump(dir));
  });
});

describe('readVcz errors', () => {
  /** Writes a zip with python: every entry of `base` (if given) plus `extra` {name: text}. */
  function makeZip(base: string | undefined, extra: Record<string, string>): string {
    const out = join(tmp(), 'store.vcz.zip');
    const code = [
      'import json, sys, zipfile',
      'base, out, extra = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])',
      'with zipfile.ZipFile(out, "w") as z:',
      '    if base:',
      '        with zipfile.ZipFile(base) as b:',
      '            for i in b.infolist(): z.writestr(i.filename, b.read(i))',
      '    for name, text in extra.items(): z.writestr(zipfile.ZipInfo(name), text)',
    ].join('\n');
    python(['-c', code, base ?? '', out, JSON.stringify(extra)]);
    return out;
  }

  async function rejection(p: Promise<unknown>): Promise<unknown> {
    try {
      await p;
    } catch (err) {
      return err;
    }
    throw new Error('expected a rejection');
  }

  it.each(['../evil', 'call_DP/../../evil', '/abs/evil', 'C:/evil', '..\\evil'])('rejects a zip with the entry %j', async (entry) => {
    const zip = makeZip(join(dataDir, 'vcz', 'sample.vcz.zip'), { [entry]: 'x' });
    const err = await rejection(readVcz(zip));
    expect(err).toBeInstanceOf(VczUnsafeZipEntryError);
    expect(isVczReadError(err, 'vcz-unsafe-zip-entry')).toBe(true);
    if (!isVczReadError(err, 'vcz-unsafe-zip-entry')) return;
    expect(err.entry).toBe(entry);
    expect(err.path).toBe(zip);
    expect(err.message).toContain(entry);
  });

  it('checks entry names before reading any entry (garbage metadata never parsed)', async () => {
    const zip = makeZip(undefined, { '.zgroup': 'not json', '../evil': 'x' });
    expect(isVczReadError(await rejection(readVcz(zip)), 'vcz-unsafe-zip-entry')).toBe(true);
  });

  it('a directory that is not a VCZ store gives VczNotAStoreError listing what is missing', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'README'), 'hello');
    const err = await rejection(readVcz(dir));
    expect(err).toBeInstanceOf(VczNotAStoreError);
    if (!isVczReadError(err, 'vcz-not-a-store')) throw err;
    expect(err.path).toBe(dir);
    expect(err.missing).toEqual([
      'Zarr group metadata (.zgroup or zarr.json)',
      'variant_position',
      'sample_id',
      'contig_id',
      'variant_contig',
      'variant_allele',
    ]);
    expect(err.message).toContain(dir);
    expect(err.message).toContain('variant_position');
  });

  it('a Zarr group without the VCZ arrays names the missing arrays', async () => {
    const dir = unzipTo(join(dataDir, 'vcz', 'sample.vcz.zip'));
    rmSync(join(dir, 'sample_id'), { recursive: true });
    rmSync(join(dir, 'variant_position'), { recursive: true });
    const err = await rejection(readVcz(dir));
    if (!isVczReadError(err, 'vcz-not-a-store')) throw err;
    expect(err.missing).toEqual(['variant_position', 'sample_id']);
  });

  it('a missing path or a non-zip file gives VczNotAStoreError', async () => {
    const missing = join(tmp(), 'nope.vcz');
    const e1 = await rejection(readVcz(missing));
    expect(isVczReadError(e1, 'vcz-not-a-store')).toBe(true);
    const e2 = await rejection(readVcz(join(dataDir, 'vcf', 'sample.vcf.gz')));
    expect(isVczReadError(e2, 'vcz-not-a-store')).toBe(true);
    if (isVczReadError(e2, 'vcz-not-a-store')) expect(e2.detail).toMatch(/not a zip archive/);
  });

  it('a corrupt chunk gives VczInvalidError naming the array', async () => {
    const dir = unzipTo(join(dataDir, 'vcz', 'sample.vcz.zip'));
    writeFileSync(join(dir, 'call_DP', '0.0'), 'garbage');
    const err = await rejection(readVcz(dir));
    expect(err).toBeInstanceOf(VczInvalidError);
    if (!isVczReadError(err, 'vcz-invalid')) throw err;
    expect(err.array).toBe('call_DP');
  });
});

describe('VlenUtf8Decoder', () => {
  it('decodes a chunk that starts at a non-zero byteOffset (zarrita ignores it)', () => {
    const items = ['a', '', 'héllo'];
    const enc = new TextEncoder();
    const parts = items.map((s) => enc.encode(s));
    const body = new Uint8Array(4 + parts.reduce((n, p) => n + 4 + p.length, 0));
    const dv = new DataView(body.buffer);
    dv.setUint32(0, items.length, true);
    let pos = 4;
    for (const p of parts) {
      dv.setUint32(pos, p.length, true);
      body.set(p, pos + 4);
      pos += 4 + p.length;
    }
    const padded = new Uint8Array(body.length + 7);
    padded.set(body, 7);
    const dec = new VlenUtf8Decoder([3]);
    expect(dec.decode(padded.subarray(7)).data).toEqual(items);
    expect(() => dec.decode(padded.subarray(7, 7 + body.length - 1))).toThrow(/truncated/);
    expect(() => new VlenUtf8Decoder([4]).decode(body)).toThrow(/4/);
  });
});
