/**
 * Micro-benchmark of the merge engine (src/merge `mergeVariantSets`) on
 * deterministic synthetic variant sets (a seeded xorshift32 PRNG; no files
 * read or written, nothing but the timings printed):
 *
 * - `snp`: 1,000 sets × 5,000 biallelic SNP sites on one contig, drawn from a
 *   pool of 8,500 positions (a core of 3,000 every set carries, the other
 *   2,000 per set at random); at 3% of the positions the population has a
 *   second ALT (a set carries it 1 time in 5), so those merged records are
 *   multi-allelic and go through the rounds. INFO DP (Integer, 1, summed)
 *   and AF (Float, A, re-indexed), ID, QUAL, FILTER PASS/q10.
 * - `indel`: 200 sets × 2,000 positions over one random reference, every
 *   position carrying a mix of SNPs, multi-allelic SNPs, insertions and
 *   deletions with REFs of 1–3 bases (REF extension), sometimes a SNP and an
 *   indel record at one POS in one set: every position goes through the
 *   vcfmerge.c rounds (position.ts), not the same-alleles fast path.
 *
 * Each case: 5 timed runs, each printed (wall clock by `performance.now()`,
 * and the process's CPU time, user + system, which a loaded machine disturbs
 * less), then the medians and the minimum in ms and the merged site count. Run: `npm run bench:merge`
 * (options: --runs N, --case snp|indel).
 */
import { parseArgs } from 'node:util';
import { FLOAT32_MISSING_BITS, type InfoColumn, type VariantSet } from '../src/codec/index.ts';
import { mergeVariantSets } from '../src/merge/index.ts';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '5' }, case: { type: 'string' } } });
const RUNS = Number(args.runs);

/** xorshift32: deterministic, seedable. Returns a float in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

const BASES = 'ACGT';
const other = (b: string, k: number): string => BASES[(BASES.indexOf(b) + k) % 4]!;

interface Rec {
  pos: number;
  alleles: string[];
}

/** A VariantSet of one contig `chr1` from records sorted by POS, with ID, QUAL, FILTER, INFO DP and AF. */
function makeSet(recs: readonly Rec[], r: () => number): VariantSet {
  const n = recs.length;
  const maxAlt = Math.max(1, ...recs.map((x) => x.alleles.length - 1));
  const quality = new Float32Array(n);
  const qbits = new Uint32Array(quality.buffer);
  const filter = new Uint8Array(n * 2);
  const dp = new Int32Array(n);
  const af = new Float32Array(n * maxAlt);
  const afBits = new Uint32Array(af.buffer);
  afBits.fill(0x7f800002); // fill
  const id: string[] = [];
  recs.forEach((x, v) => {
    if (r() < 0.1) qbits[v] = FLOAT32_MISSING_BITS;
    else quality[v] = Math.fround(10 + r() * 90);
    filter[v * 2 + (r() < 0.05 ? 1 : 0)] = 1;
    dp[v] = r() < 0.05 ? -1 : Math.floor(r() * 60);
    for (let k = 1; k < x.alleles.length; k++) af[v * maxAlt + k - 1] = Math.fround(r());
    id.push(r() < 0.3 ? `rs${x.pos}` : '.');
  });
  const info: InfoColumn[] = [
    { def: { id: 'DP', type: 'Integer', number: 1, description: 'Depth' }, width: 1, values: dp },
    { def: { id: 'AF', type: 'Float', number: 'A', description: 'Allele frequency' }, width: maxAlt, values: af },
  ];
  return {
    contigs: [{ id: 'chr1', length: 100_000_000 }],
    filters: [
      { id: 'PASS', description: 'All filters passed' },
      { id: 'q10', description: 'Quality below 10' },
    ],
    numVariants: n,
    contig: new Int32Array(n),
    position: Int32Array.from(recs.map((x) => x.pos)),
    id,
    alleles: recs.map((x) => x.alleles),
    quality,
    filter,
    length: Int32Array.from(recs.map((x) => x.alleles[0]!.length)),
    info,
    format: [{ id: 'DP', type: 'Integer', number: 1, description: 'Depth' }],
    hasGenotype: true,
    metaInformation: [['fileformat', 'VCFv4.2']],
  };
}

/** 1,000 sets × 5,000 SNP sites from a pool of 8,500 positions (3,000 shared by all). */
function snpCase(): VariantSet[] {
  const r = rng(20261201);
  const POOL = 8_500;
  const CORE = 3_000;
  const PER_SET = 5_000;
  const pos = Array.from({ length: POOL }, (_, k) => 1_000 + 37 * k);
  const ref = pos.map(() => BASES[Math.floor(r() * 4)]!);
  const multi = pos.map(() => r() < 0.03);
  const sets: VariantSet[] = [];
  const rest = Array.from({ length: POOL - CORE }, (_, k) => CORE + k);
  for (let s = 0; s < 1_000; s++) {
    // Partial Fisher–Yates: PER_SET − CORE of the non-core pool.
    for (let k = 0; k < PER_SET - CORE; k++) {
      const j = k + Math.floor(r() * (rest.length - k));
      [rest[k], rest[j]] = [rest[j]!, rest[k]!];
    }
    const picked = [...Array.from({ length: CORE }, (_, k) => k), ...rest.slice(0, PER_SET - CORE)].sort((a, b) => a - b);
    const recs = picked.map((p) => ({ pos: pos[p]!, alleles: [ref[p]!, other(ref[p]!, multi[p] && r() < 0.2 ? 2 : 1)] }));
    sets.push(makeSet(recs, r));
  }
  return sets;
}

/** 200 sets × 2,000 positions with SNPs, multi-allelics and indels at shared positions. */
function indelCase(): VariantSet[] {
  const r = rng(424242);
  const POSITIONS = 2_000;
  const seq = Array.from({ length: POSITIONS * 10 + 20 }, () => BASES[Math.floor(r() * 4)]!).join('');
  const sets: VariantSet[] = [];
  for (let s = 0; s < 200; s++) {
    const recs: Rec[] = [];
    for (let p = 0; p < POSITIONS; p++) {
      const pos = 10 + 10 * p;
      const kind = r();
      const snp = (): string[] => {
        const b = seq[pos - 1]!;
        const alts = r() < 0.3 ? [other(b, 1), other(b, 2 + Math.floor(r() * 2))] : [other(b, 1 + Math.floor(r() * 3))];
        return [b, ...new Set(alts)];
      };
      const indel = (): string[] => {
        const refLen = 1 + Math.floor(r() * 3);
        const refA = seq.slice(pos - 1, pos - 1 + refLen);
        const alts = [refLen > 1 ? refA.slice(0, refLen - 1) : refA + 'T'];
        if (r() < 0.3) alts.push(refA + 'AG');
        return [refA, ...alts];
      };
      if (kind < 0.45) recs.push({ pos, alleles: snp() });
      else if (kind < 0.8) recs.push({ pos, alleles: indel() });
      else if (kind < 0.95) recs.push({ pos, alleles: snp() }, { pos, alleles: indel() });
    }
    sets.push(makeSet(recs, r));
  }
  return sets;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const cases: [string, () => VariantSet[]][] = [
  ['snp 1000 x 5000', snpCase],
  ['indel 200 x 2000', indelCase],
];
for (const [name, make] of cases) {
  if (args.case && !name.startsWith(args.case)) continue;
  const sets = make();
  const inputSites = sets.reduce((a, s) => a + s.numVariants, 0);
  const times: number[] = [];
  const cpu: number[] = [];
  let merged = 0;
  for (let k = 0; k < RUNS; k++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const m = mergeVariantSets(sets, { mode: 'both' });
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    merged = m.variantSet.numVariants;
    console.log(`${name} run ${k + 1}: ${times[k]!.toFixed(0)} ms (cpu ${cpu[k]!.toFixed(0)} ms)`);
  }
  console.log(`${name}: ${inputSites} input sites → ${merged} merged; median ${median(times).toFixed(0)} ms (cpu ${median(cpu).toFixed(0)} ms), min ${Math.min(...times).toFixed(0)} ms`);
}
