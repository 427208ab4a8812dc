/**
 * Deterministic synthetic variant sets and sample calls, for tests and
 * benchmarks. Shaped like real calls: diploid by default, allele frequencies
 * skewed to rare, runs of missing calls, DP/GQ/AD like a caller writes them.
 */
import {
  FLOAT32_FILL_BITS,
  FLOAT32_MISSING_BITS,
  INT_FILL,
  INT_MISSING,
  type FieldValues,
  type FormatFieldDef,
  type SampleCalls,
  type VariantSet,
} from '../../src/index.ts';

/** A small, fast PRNG (mulberry32) so data are reproducible from a seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FORMAT fields of the full synthetic set: every Type and Number class. */
export const ALL_FORMAT: FormatFieldDef[] = [
  { id: 'DP', type: 'Integer', number: 1, description: 'Read depth' },
  { id: 'GQ', type: 'Integer', number: 1, description: 'Genotype quality' },
  { id: 'AD', type: 'Integer', number: 'R', description: 'Allelic depths' },
  { id: 'PL', type: 'Integer', number: 'G', description: 'Phred-scaled likelihoods' },
  { id: 'AO', type: 'Integer', number: 'A', description: 'Alt allele observations' },
  { id: 'SB', type: 'Integer', number: 4, description: 'Strand bias' },
  { id: 'HQ', type: 'Float', number: 2, description: 'Haplotype qualities' },
  { id: 'AB', type: 'Float', number: '.', description: 'Allele balance' },
  { id: 'FT', type: 'String', number: 1, description: 'Filter' },
  { id: 'NM', type: 'String', number: '.', description: 'Names' },
  { id: 'CH', type: 'Character', number: 1, description: 'A character' },
];

/** The benchmark's fields: GT + DP + GQ + AD. */
export const BENCH_FORMAT: FormatFieldDef[] = ALL_FORMAT.filter((f) => ['DP', 'GQ', 'AD'].includes(f.id));

export interface SyntheticSetOptions {
  numVariants: number;
  seed?: number;
  maxAlleles?: number;
  format?: FormatFieldDef[];
}

/** A variant set over two contigs with 2..maxAlleles alleles per variant. */
export function syntheticVariantSet(o: SyntheticSetOptions): VariantSet {
  const r = rng(o.seed ?? 1);
  const n = o.numVariants;
  const maxAlleles = o.maxAlleles ?? 3;
  const contig = new Int32Array(n);
  const position = new Int32Array(n);
  const alleles: string[][] = [];
  const bases = ['A', 'C', 'G', 'T'];
  let pos = 0;
  for (let v = 0; v < n; v++) {
    contig[v] = v < n / 2 ? 0 : 1;
    if (v === Math.ceil(n / 2)) pos = 0;
    pos += 1 + Math.floor(r() * 50);
    position[v] = pos;
    const k = r() < 0.9 ? 2 : 2 + Math.floor(r() * (maxAlleles - 1));
    const a = [bases[Math.floor(r() * 4)]!];
    for (let i = 1; i < k; i++) a.push(bases[(bases.indexOf(a[0]!) + i) % 4]!.repeat(i));
    alleles.push(a);
  }
  const quality = new Float32Array(n).map(() => Math.round(r() * 1000) / 10);
  return {
    contigs: [{ id: 'chr1', length: 1_000_000_000 }, { id: 'chr2' }],
    filters: [{ id: 'PASS', description: 'All filters passed' }, { id: 'q10', description: 'Quality below 10' }],
    numVariants: n,
    contig,
    position,
    id: Array.from({ length: n }, (_, v) => (v % 3 === 0 ? `rs${v}` : '.')),
    alleles,
    quality,
    filter: new Uint8Array(n * 2).map((_, i) => (i % 2 === 0 ? 1 : 0)),
    length: new Int32Array(n).map((_, v) => alleles[v]![0]!.length),
    info: [],
    format: o.format ?? ALL_FORMAT,
    hasGenotype: true,
    metaInformation: [['fileformat', 'VCFv4.3']],
  };
}

export interface SyntheticCallsOptions {
  seed: number;
  ploidy?: number;
  /** Fraction of variants in runs of missing calls. */
  missing?: number;
  /** Only these FORMAT ids (default: all of the variant set's). */
  fields?: string[];
}

/** One sample's calls over `vs`, deterministic in `seed`. */
export function syntheticCalls(vs: VariantSet, o: SyntheticCallsOptions): SampleCalls {
  const r = rng(o.seed);
  const n = vs.numVariants;
  const ploidy = o.ploidy ?? 2;
  const missingRate = o.missing ?? 0.02;
  const maxA = Math.max(2, ...vs.alleles.map((a) => a.length));
  const genotype = new Int8Array(n * ploidy);
  const phased = new Uint8Array(n);
  const miss = new Uint8Array(n);
  for (let v = 0; v < n; ) {
    if (r() < missingRate / 10) {
      const run = 1 + Math.floor(r() * 20);
      miss.fill(1, v, Math.min(n, v + run));
      v += run;
    } else v++;
  }
  for (let v = 0; v < n; v++) {
    const k = vs.alleles[v]!.length;
    phased[v] = r() < 0.5 ? 1 : 0;
    for (let p = 0; p < ploidy; p++) {
      const i = v * ploidy + p;
      if (miss[v]) genotype[i] = INT_MISSING;
      else {
        const u = r();
        genotype[i] = u < 0.97 ? 0 : 1 + Math.floor(r() * (k - 1)); // rare alts
      }
    }
    if (ploidy > 1 && !miss[v] && r() < 0.01) genotype[v * ploidy + ploidy - 1] = INT_FILL; // a haploid call
  }
  const want = new Set(o.fields ?? vs.format.map((f) => f.id));
  const fields: FieldValues[] = [];
  for (const def of vs.format) {
    if (!want.has(def.id)) continue;
    const width =
      def.number === 'A' ? maxA - 1 : def.number === 'R' ? maxA : def.number === 'G' ? binom(maxA + ploidy - 1, ploidy) : def.number === '.' ? 3 : def.number;
    const size = n * width;
    if (def.type === 'Integer') {
      const values = new Int16Array(size);
      for (let v = 0; v < n; v++) {
        const k = vs.alleles[v]!.length;
        const real = def.number === 'R' ? k : def.number === 'A' ? k - 1 : def.number === 'G' ? binom(k + ploidy - 1, ploidy) : width;
        for (let j = 0; j < width; j++) {
          const i = v * width + j;
          if (miss[v]) values[i] = INT_MISSING;
          else if (j >= real) values[i] = INT_FILL;
          else values[i] = def.id === 'DP' ? 10 + Math.floor(r() * 40) : def.id === 'GQ' ? Math.floor(r() * 99) : Math.floor(r() * r() * 300);
        }
      }
      fields.push({ id: def.id, width, values });
    } else if (def.type === 'Float') {
      const values = new Float32Array(size);
      const bits = new Uint32Array(values.buffer);
      for (let i = 0; i < size; i++) {
        const v = Math.floor(i / width);
        if (miss[v]) bits[i] = FLOAT32_MISSING_BITS;
        else if (def.number === '.' && i % width === width - 1) bits[i] = FLOAT32_FILL_BITS;
        else values[i] = Math.round(r() * 1000) / 1000;
      }
      fields.push({ id: def.id, width, values });
    } else {
      const values: string[] = [];
      for (let i = 0; i < size; i++) {
        const v = Math.floor(i / width);
        if (miss[v]) values.push('.');
        else if (def.type === 'Character') values.push('ACGT'[Math.floor(r() * 4)]!);
        else if (def.number === '.' && i % width === width - 1) values.push('');
        else values.push(r() < 0.9 ? 'PASS' : `q${Math.floor(r() * 100)}é`);
      }
      fields.push({ id: def.id, width, values });
    }
  }
  return { ploidy, genotype, phased, fields };
}

function binom(n: number, k: number): number {
  let x = 1;
  for (let i = 1; i <= k; i++) x = (x * (n - k + i)) / i;
  return Math.round(x);
}

/** Compares calls the slow, obvious way; returns a description of the first difference or undefined. */
export function diffCalls(a: SampleCalls, b: SampleCalls): string | undefined {
  if (a.ploidy !== b.ploidy) return `ploidy ${a.ploidy} vs ${b.ploidy}`;
  if (a.ploidy > 0) {
    const ga = Array.from(a.genotype!);
    const gb = Array.from(b.genotype!);
    const i = ga.findIndex((x, k) => x !== gb[k]);
    if (i >= 0 || ga.length !== gb.length) return `genotype differs at ${i}`;
    const pa = Array.from(a.phased ?? new Uint8Array(ga.length / a.ploidy));
    const pb = Array.from(b.phased ?? new Uint8Array(gb.length / b.ploidy));
    if (pa.join() !== pb.join()) return 'phased differs';
  }
  const fb = new Map(b.fields.map((f) => [f.id, f]));
  if (a.fields.length !== b.fields.length) return `fields ${a.fields.map((f) => f.id)} vs ${b.fields.map((f) => f.id)}`;
  for (const f of a.fields) {
    const g = fb.get(f.id);
    if (!g) return `field ${f.id} missing`;
    if (f.width !== g.width) return `field ${f.id} width ${f.width} vs ${g.width}`;
    const norm = (x: FieldValues): unknown[] =>
      Array.isArray(x.values) ? [...x.values] : x.values instanceof Float32Array ? Array.from(new Uint32Array(x.values.buffer, x.values.byteOffset, x.values.length)) : Array.from(x.values as Int32Array);
    const va = norm(f);
    const vb = norm(g);
    const i = va.findIndex((x, k) => x !== vb[k]);
    if (i >= 0 || va.length !== vb.length) return `field ${f.id} differs at ${i}: ${String(va[i])} vs ${String(vb[i])}`;
  }
  return undefined;
}
