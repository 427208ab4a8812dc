/**
 * A version's variant set and a sample's calls on it: the variant sets of
 * the version (Depot.variantSetAt: declared sets and the sets of its live
 * samples, in import order) merged as `bcftools merge` merges the files they
 * came from (src/merge), and each sample's records, stored over its own set,
 * remapped onto the merged sites one tile of variants at a time
 * (docs/growing-cohort.md).
 */
import {
  blockCount,
  blockRange,
  encodeBlockRecord,
  expectedWidth,
  FLOAT32_FILL_BITS,
  FLOAT32_MISSING_BITS,
  INT_FILL,
  INT_MISSING,
  STRING_FILL,
  STRING_MISSING,
  type FormatFieldDef,
  gatherCalls,
  maxAlleles,
  numericColumn,
  RecordView,
  subsetVariantSet,
  type SampleCalls,
  type VariantSet,
} from '../codec/index.ts';
import type { At, Depot, SampleView } from '../depot/index.ts';
import { identityMap, mergeVariantSets, remapCalls, type MergedVariantSet } from '../merge/index.ts';
import { coverScratch, coverSites, decodeReferenceBlocks, type CoverScratch, type ReferenceBlocks } from '../vcf/index.ts';

/** The variant set of one version of a depot. */
export interface VersionSites {
  /** The version (a number, `at` resolved). */
  readonly version: number;
  /** Ids of the stored sets it is made of, in merge (import) order. */
  readonly setIds: readonly number[];
  /** Their merge: `merged.variantSet` is the version's variant set; `inputs[k]` is set `setIds[k]`. */
  readonly merged: MergedVariantSet;
  /**
   * Every input's sites and alleles are the merged ones, in order (one file,
   * or files with the same sites): each sample's stored records are its
   * records over the merged set, read as they are (the fixed-site path).
   */
  readonly identity: boolean;
}

/** An empty variant set (a depot with no set yet: a `create` before its first import). */
function emptyVariantSet(): VariantSet {
  return {
    contigs: [],
    filters: [{ id: 'PASS', description: 'All filters passed' }],
    numVariants: 0,
    contig: new Int32Array(0),
    position: new Int32Array(0),
    id: [],
    alleles: [],
    quality: new Float32Array(0),
    filter: new Uint8Array(0),
    length: new Int32Array(0),
    info: [],
    format: [],
    hasGenotype: false,
    metaInformation: [],
  } as unknown as VariantSet;
}

const cache = new WeakMap<Depot, Map<string, VersionSites>>();

/**
 * The variant set of version `at` (default the head, pinned): its stored
 * sets merged by the depot's merge mode (`meta.merge`, `bcftools merge -m`).
 * A version made of one set is that set as stored (the fixed-site cohort of
 * one multi-sample file, an array batch, a VCZ: nothing is merged). Kept per
 * depot object and set list (stored sets never change).
 *
 * @throws UnknownTagError / UnknownVersionError / AmbiguousAtError for a bad `at`;
 *   MergeUnsortedError, MergeRefMismatchError when the sets cannot be merged (as bcftools exits).
 */
export function versionSites(depot: Depot, at?: At): VersionSites {
  const version = depot.resolveVersion(at);
  const setIds = depot.variantSetAt({ at: version });
  const key = setIds.join(',');
  let byKey = cache.get(depot);
  if (!byKey) cache.set(depot, (byKey = new Map()));
  const hit = byKey.get(key);
  if (hit) return { ...hit, version };
  const inputs = setIds.map((id) => depot.variantSet(id));
  const mode = depot.meta.merge ?? 'both';
  let merged: MergedVariantSet;
  if (inputs.length <= 1) {
    // One file: its sites as they are (bcftools merge needs two files).
    const vs = inputs[0] ?? emptyVariantSet();
    const alleleMap = Array.from({ length: vs.numVariants }, (_, v) => identityMap(vs.alleles[v]!.length));
    merged = { variantSet: vs, mode, inputs: [vs], siteMap: [identityMap(vs.numVariants)], alleleMap: [alleleMap] };
  } else if (inputs.every((vs) => vs === inputs[0])) {
    // Files of exactly the same content (a fixed-site cohort's batches).
    merged = mergeRepeated(inputs[0]!, inputs.length, mode);
  } else {
    merged = mergeVariantSets(inputs, { mode });
  }
  const identity = isIdentity(merged);
  const out: VersionSites = { version, setIds, merged, identity };
  byKey.set(key, out);
  return out;
}

/** Whether every input maps onto the merged set site for site and allele for allele. */
function isIdentity(m: MergedVariantSet): boolean {
  const n = m.variantSet.numVariants;
  for (let k = 0; k < m.inputs.length; k++) {
    if (m.inputs[k]!.numVariants !== n) return false;
    const sm = m.siteMap[k]!;
    const am = m.alleleMap[k]!;
    for (let v = 0; v < n; v++) {
      if (sm[v] !== v) return false;
      const a = am[v]!;
      if (a.length !== m.variantSet.alleles[v]!.length) return false;
      for (let i = 0; i < a.length; i++) if (a[i] !== i) return false;
    }
  }
  return true;
}

/**
 * `bcftools merge` of `k` ≥ 2 files of exactly the same content, without
 * k passes: the merge of two copies (sites, alleles, ID, QUAL, FILTER and
 * INFO as for k copies: each rule keeps the first or the union of equal
 * values), with INFO/DP and DP4 summed over k copies instead of two
 * (`info_rules_merge_sum`: a missing value counts 0, a Float sum rounds to
 * float32 at every step).
 */
function mergeRepeated(vs: VariantSet, k: number, mode: 'both' | 'none'): MergedVariantSet {
  const two = mergeVariantSets([vs, vs], { mode });
  const out = two.variantSet;
  const info = out.info.map((col) => {
    if ((col.def.id !== 'DP' && col.def.id !== 'DP4') || Array.isArray(col.values) || ['A', 'R', 'G'].includes(String(col.def.number))) return col;
    if (col.values instanceof Float32Array) {
      // Twice a float32 is exact: halve, then add k times in float32.
      const v = col.values;
      const bits = new Uint32Array(v.buffer, v.byteOffset, v.length);
      const next = new Float32Array(v.length);
      const nb = new Uint32Array(next.buffer);
      for (let i = 0; i < v.length; i++) {
        if (bits[i] === FLOAT32_MISSING_BITS || bits[i] === FLOAT32_FILL_BITS) {
          nb[i] = bits[i]!;
          continue;
        }
        const one = Math.fround(v[i]! / 2);
        let acc = 0;
        for (let j = 0; j < k; j++) acc = Math.fround(acc + one);
        next[i] = acc;
      }
      return { ...col, values: next };
    }
    const v = col.values as Int32Array;
    const next = Int32Array.from(v, (x) => (x === INT_MISSING || x === INT_FILL ? x : (x / 2) * k));
    return { ...col, values: next };
  });
  return {
    variantSet: { ...out, info },
    mode,
    inputs: Array.from({ length: k }, () => vs),
    siteMap: Array.from({ length: k }, () => two.siteMap[0]!),
    alleleMap: Array.from({ length: k }, () => two.alleleMap[0]!),
  };
}

/** A sample as {@link MergedReader} reads it (Depot.sampleInfo has these). */
export interface MergedSample {
  readonly sampleId: string;
  readonly variantSet: number;
  readonly ploidy: number;
  /** A gVCF sample: densified from its reference blocks at the sites its set lacks. */
  readonly hasReferenceBlocks?: boolean;
  /** FORMAT ids it carries: each read has them all, missing where absent (default: the reader's `fields`). */
  readonly fieldIds?: readonly string[];
}

/** Bytes a decoded {@link ReferenceBlocks} takes: five Int32 columns and a Uint8 one, 21 bytes a block. */
function decodedBytes(b: ReferenceBlocks): number {
  return b.start.length * 21 + b.contigs.reduce((s, c) => s + 16 + c.length, 0);
}

/**
 * gVCF samples' reference blocks, decoded (`decodeReferenceBlocks`) from
 * the depot on first use and kept, least recently used first out, within
 * `budgetBytes` (default 256 MiB, 21 bytes a block): an export decodes
 * each sample's blocks once when they all fit, and holds at most the budget
 * plus one sample's blocks otherwise (a sample evicted is decoded again at
 * its next tile).
 */
export class BlockCache {
  readonly #entries = new Map<string, { blocks: ReferenceBlocks | undefined; bytes: number }>();
  #bytes = 0;
  constructor(readonly budgetBytes = 256 * 1024 * 1024) {}

  /**
   * Sample `sampleId`'s blocks as live at `version`, or undefined when it has none.
   *
   * @throws the errors of Depot.referenceBlocks; ReferenceBlocksFormatError for bytes that do not decode.
   */
  get(depot: Depot, sampleId: string, version: number): ReferenceBlocks | undefined {
    const key = `${version}\t${sampleId}`;
    const hit = this.#entries.get(key);
    if (hit) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit.blocks;
    }
    const bytes = depot.referenceBlocks(sampleId, { at: version });
    const blocks = bytes === undefined ? undefined : decodeReferenceBlocks(bytes, `the reference blocks of sample '${sampleId}' in ${depot.path}`);
    const size = blocks ? decodedBytes(blocks) : 64;
    for (const [k, e] of this.#entries) {
      if (this.#bytes + size <= this.budgetBytes) break;
      this.#entries.delete(k);
      this.#bytes -= e.bytes;
    }
    this.#entries.set(key, { blocks, bytes: size });
    this.#bytes += size;
    return blocks;
  }
}

/** Per input set: its sites in the order of the merged sites they map to (and those targets). */
interface SetOrder {
  /** [own sites] own site indices sorted by their merged site. */
  readonly own: Int32Array;
  /** [own sites] the merged site of `own[i]`, ascending. */
  readonly target: Int32Array;
}

function setOrder(siteMap: Int32Array): SetOrder {
  const n = siteMap.length;
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) if (siteMap[i]! < siteMap[i - 1]!) sorted = false;
  if (sorted) return { own: identityMap(n), target: siteMap };
  // A set whose contigs come in another order than the merge walks them.
  const own = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => siteMap[a]! - siteMap[b]!);
  return { own, target: Int32Array.from(own, (s) => siteMap[s]!) };
}

/** First index i of ascending `a` with a[i] >= x. */
function lowerBound(a: Int32Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** What remapping one tile of merged sites needs of one input set (shared by its samples). */
interface TilePlan {
  /** The input set's sites in the tile (0-based own indices), in merged order. */
  readonly sites: Int32Array;
  /** The blocks of the input set holding them. */
  readonly blocks: number[];
  /** A MergedVariantSet of the tile: one input (those sites), `variantSet` the tile's merged sites. */
  readonly sub: MergedVariantSet;
}

/**
 * Reads samples' calls over a version's merged variant set, one tile (a
 * block of the merged sites) at a time: each sample's records of the blocks
 * of its own set that hold the tile's sites, gathered, remapped
 * (`remapCalls`: alleles, Number=A/R/G fields, missing where the sample's
 * set lacks a site, or 0/0 with `missingToRef`) and encoded as one record
 * over the merged set. Memory: the records of one tile (the plans of the
 * current tile are kept, per input set).
 */
export class MergedReader {
  readonly #depot: Depot;
  readonly #sites: VersionSites;
  readonly #version: number;
  readonly #blockSize: number;
  readonly #missingToRef: boolean;
  readonly #maxAlleles: number;
  readonly #padPloidy: number;
  readonly #fields: readonly FormatFieldDef[];
  readonly #setIndex = new Map<number, number>();
  readonly #orders: (SetOrder | undefined)[];
  #planBlock = -1;
  #plans = new Map<number, TilePlan>();
  #tile: VariantSet | undefined;
  /** The merged set's contig IDs (what the tile's `contig` indexes). */
  readonly #contigIds: readonly string[];
  /** gVCF samples' decoded reference blocks, kept within a budget. */
  readonly #blocks: BlockCache;
  /** coverSites' output, reused tile after tile and sample after sample. */
  #cover: CoverScratch = coverScratch(0);

  /**
   * @param sites the version's variant set ({@link versionSites}).
   * @param blockSize merged sites per tile (the depot's block size).
   * @param options.fields FORMAT ids every remapped sample carries (a field
   *   its own set lacks: the first value missing, the rest fill, as
   *   vcf2zarr reads bcftools merge's `.` for it); default none.
   * @param options.padPloidy the ploidy given to a sample of no known
   *   ploidy (0: its file had no site) at sites it lacks (bcftools merge
   *   writes `./.` there); default 0.
   * @param options.blockCache where gVCF samples' decoded reference blocks
   *   are kept between tiles (default: a new {@link BlockCache}).
   */
  constructor(depot: Depot, sites: VersionSites, blockSize: number, options: { missingToRef?: boolean; fields?: readonly string[]; padPloidy?: number; blockCache?: BlockCache } = {}) {
    this.#depot = depot;
    this.#sites = sites;
    this.#version = sites.version;
    this.#blockSize = blockSize;
    this.#missingToRef = options.missingToRef ?? false;
    this.#maxAlleles = maxAlleles(sites.merged.variantSet);
    this.#padPloidy = options.padPloidy ?? 0;
    const want = new Set(options.fields ?? []);
    this.#fields = sites.merged.variantSet.format.filter((d) => want.has(d.id));
    sites.setIds.forEach((id, k) => this.#setIndex.set(id, k));
    this.#orders = sites.setIds.map(() => undefined);
    this.#contigIds = sites.merged.variantSet.contigs.map((c) => c.id);
    this.#blocks = options.blockCache ?? new BlockCache();
  }

  /** The plan of input set `k` for merged block `block`. */
  #plan(k: number, block: number): TilePlan {
    if (block !== this.#planBlock) {
      this.#planBlock = block;
      this.#plans = new Map();
      const merged = this.#sites.merged.variantSet;
      const [m0, m1] = blockRange(merged.numVariants, this.#blockSize, block);
      this.#tile = subsetVariantSet(merged, identityMap(m1 - m0).map((i) => i + m0));
    }
    let plan = this.#plans.get(k);
    if (plan) return plan;
    const { merged } = this.#sites;
    const order = (this.#orders[k] ??= setOrder(merged.siteMap[k]!));
    const [m0, m1] = blockRange(merged.variantSet.numVariants, this.#blockSize, block);
    const lo = lowerBound(order.target, m0);
    const hi = lowerBound(order.target, m1);
    const sites = order.own.slice(lo, hi);
    const bs = this.#blockSize;
    const seen = new Set<number>();
    for (let i = 0; i < sites.length; i++) seen.add(Math.floor(sites[i]! / bs));
    const blocks = [...seen].sort((a, b) => a - b);
    const input = merged.inputs[k]!;
    const alleleMap = merged.alleleMap[k]!;
    const siteMap = new Int32Array(sites.length);
    const maps = new Array<Int32Array>(sites.length);
    for (let i = 0; i < sites.length; i++) {
      siteMap[i] = order.target[lo + i]! - m0;
      maps[i] = alleleMap[sites[i]!]!;
    }
    const sub: MergedVariantSet = {
      variantSet: this.#tile!,
      mode: merged.mode,
      // remapCalls reads an input's variant count and FORMAT definitions only:
      // the input set itself, counted down to the tile's sites (no copy of its columns).
      inputs: [{ ...input, numVariants: sites.length }],
      siteMap: [siteMap],
      alleleMap: [maps],
    };
    plan = { sites, blocks, sub };
    this.#plans.set(k, plan);
    return plan;
  }

  /**
   * Each sample's calls over the merged sites of block `block`
   * ([block·blockSize, …) of the merged set), as {@link SampleCalls}, in the
   * order of `samples`.
   *
   * @param samples ids, with their variant set and ploidy (Depot.sampleInfo).
   */
  readCalls(samples: readonly MergedSample[], block: number): SampleCalls[] {
    const out = new Array<SampleCalls>(samples.length);
    /** Per sample: the tile's sites (0-based in the tile) its own set has. */
    const own = new Array<Int32Array>(samples.length);
    // Group by input set: one getMany per set.
    const bySet = new Map<number, number[]>();
    samples.forEach((s, i) => {
      const k = this.#setIndex.get(s.variantSet);
      if (k === undefined) throw new RangeError(`sample '${s.sampleId}' is over variant set ${s.variantSet}, which version ${this.#version} is not made of`);
      const list = bySet.get(k);
      if (list) list.push(i);
      else bySet.set(k, [i]);
    });
    for (const [k, idx] of bySet) {
      const plan = this.#plan(k, block);
      const formatDefs = this.#sites.merged.inputs[k]!.format;
      const opts = { missingToRef: this.#missingToRef, maxAlleles: this.#maxAlleles };
      if (plan.sites.length === 0) {
        for (const i of idx) {
          // A file with no site tells no ploidy: pad to the export's (bcftools writes `./.`).
          const P = this.#sites.merged.inputs[k]!.numVariants === 0 && this.#padPloidy > 0 ? this.#padPloidy : samples[i]!.ploidy;
          const none: SampleCalls = P > 0 ? { ploidy: P, genotype: new Int32Array(0), phased: new Uint8Array(0), fields: [] } : { ploidy: 0, fields: [] };
          out[i] = remapCalls(plan.sub, 0, none, formatDefs, opts);
          own[i] = plan.sub.siteMap[0]!;
        }
        continue;
      }
      const ids = idx.map((i) => samples[i]!.sampleId);
      const views = this.#depot.getMany(ids, { blocks: plan.blocks, at: this.#version });
      views.forEach((v, j) => {
        const calls = gatherCalls(this.#sites.merged.inputs[k]!, v.records, plan.sites);
        out[idx[j]!] = remapCalls(plan.sub, 0, calls, formatDefs, opts);
        own[idx[j]!] = plan.sub.siteMap[0]!;
      });
    }
    const filled = out.map((c, i) => {
      const ids = samples[i]!.fieldIds;
      const want = ids ? this.#sites.merged.variantSet.format.filter((d) => ids.includes(d.id) || this.#fields.includes(d)) : this.#fields;
      return want.length === 0 ? c : this.#withFields(c, block, want);
    });
    return filled.map((c, i) => (samples[i]!.hasReferenceBlocks ? this.#densify(samples[i]!, c, own[i]!) : c));
  }

  /**
   * A gVCF sample's calls over the tile, densified (docs/gvcf.md,
   * "Import, storage and export"): at each site of the tile its own set lacks, when
   * its reference blocks cover the site's whole REF span (`coverSites`),
   * GT = 0 at each of the block's ploidy alleles (the sample's ploidy when
   * the block has none; fill past it), unphased, FORMAT DP = the blocks'
   * MIN_DP (their DP when they have none) and GQ = their GQ (the minimum
   * over the blocks the span crosses), every other field as remapCalls left
   * it (missing). DP and GQ are written only when the version's FORMAT
   * declares them; GT only when the sample has GT (ploidy > 0).
   */
  #densify(sample: MergedSample, calls: SampleCalls, ownSites: Int32Array): SampleCalls {
    const blocks = this.#blocks.get(this.#depot, sample.sampleId, this.#version);
    if (!blocks || blocks.start.length === 0) return calls;
    const tile = this.#tile!;
    const n = tile.numVariants;
    if (this.#cover.block.length < n) this.#cover = coverScratch(n);
    const cover = coverSites(blocks, this.#contigIds, tile, this.#cover);
    // block[v] ≥ 0 marks a site to densify: the sample's own sites are not.
    const dense = cover.block;
    for (const s of ownSites) dense[s] = -1;
    let any = false;
    for (let v = 0; v < n && !any; v++) if (dense[v]! >= 0) any = true;
    if (!any) return calls;
    // calls are readCalls' own (remapCalls allocates every array): changed in place.
    const P = calls.ploidy;
    let genotype = calls.genotype;
    let phased = calls.phased;
    if (P > 0 && genotype) {
      phased ??= new Uint8Array(n);
      for (let v = 0; v < n; v++) {
        if (dense[v]! < 0) continue;
        const bp = cover.ploidy[v]! > 0 ? Math.min(cover.ploidy[v]!, P) : P;
        for (let a = 0; a < P; a++) genotype[v * P + a] = a < bp ? 0 : INT_FILL;
        phased[v] = 0;
      }
    }
    const fields = calls.fields.map((f) => {
      if ((f.id !== 'DP' && f.id !== 'GQ') || Array.isArray(f.values) || f.values instanceof Float32Array) return f;
      const from = f.id === 'DP' ? cover.minDp : cover.gq;
      const values = f.values instanceof Int32Array ? f.values : Int32Array.from(f.values as ArrayLike<number>);
      const w = f.width;
      for (let v = 0; v < n; v++) {
        if (dense[v]! < 0) continue;
        values[v * w] = from[v]!;
        for (let j = 1; j < w; j++) values[v * w + j] = INT_FILL;
      }
      return values === f.values ? f : { ...f, values };
    });
    return { ...calls, ...(genotype ? { genotype } : {}), ...(phased ? { phased } : {}), fields };
  }

  /** `calls` with every field of `options.fields` it lacks, missing (first value) and fill (the rest). */
  #withFields(calls: SampleCalls, block: number, want: readonly FormatFieldDef[]): SampleCalls {
    const have = new Set(calls.fields.map((f) => f.id));
    if (want.every((d) => have.has(d.id))) return calls;
    const [m0, m1] = blockRange(this.#sites.merged.variantSet.numVariants, this.#blockSize, block);
    const n = m1 - m0;
    const A = this.#maxAlleles;
    const P = calls.ploidy;
    const fields = [...calls.fields];
    for (const def of want) {
      if (have.has(def.id)) continue;
      const w = expectedWidth(def.number, A, P);
      const width = 'exact' in w ? w.exact : w.min;
      if (def.type === 'String' || def.type === 'Character') {
        const values = new Array<string>(n * width).fill(STRING_FILL);
        for (let v = 0; v < n; v++) values[v * width] = STRING_MISSING;
        fields.push({ id: def.id, width, values });
      } else {
        const float = def.type === 'Float';
        const { values, bits } = numericColumn(float, n * width, 'fill');
        for (let v = 0; v < n; v++) bits[v * width] = float ? FLOAT32_MISSING_BITS : INT_MISSING;
        fields.push({ id: def.id, width, values });
      }
    }
    // The record lists fields in the variant set's order.
    const order = new Map(this.#sites.merged.variantSet.format.map((d, i) => [d.id, i]));
    fields.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    return { ...calls, fields };
  }

  /** As {@link readCalls}, each encoded as the sample's record of merged block `block` (what the VCZ exporter reads). */
  readRecords(samples: readonly MergedSample[], block: number): RecordView[] {
    const merged = this.#sites.merged.variantSet;
    return this.readCalls(samples, block).map((c, i) => new RecordView(encodeBlockRecord(merged, this.#blockSize, samples[i]!.sampleId, block, c)));
  }
}

/**
 * Samples' records over the variant set of version `at` (default the head):
 * for a version made of one set the records as stored, else each sample's
 * calls remapped onto the merged sites, block by block of the merged set
 * (what `vczdepot show` prints and `getMany` gives over a sample's own set).
 *
 * @returns the version's variant set and one view per id (all blocks of the merged set).
 * @throws UnknownSampleError and the errors of {@link versionSites}.
 */
export function readSampleViews(depot: Depot, sampleIds: readonly string[], at?: At, options: { missingToRef?: boolean } = {}): { variantSet: VariantSet; views: SampleView[] } {
  const sites = versionSites(depot, at);
  const variantSet = sites.merged.variantSet;
  if (sites.identity) return { variantSet, views: depot.getMany(sampleIds, { at: sites.version }) };
  const info = new Map(depot.sampleInfo({ at: sites.version }).map((s) => [s.sampleId, s]));
  // Unknown ids: let getMany throw its typed error.
  const missing = sampleIds.filter((id) => !info.has(id));
  if (missing.length > 0) depot.getMany(missing, { at: sites.version });
  const samples = sampleIds.map((id) => {
    const s = info.get(id)!;
    return { ...s, fieldIds: Object.keys(s.fields) };
  });
  const fields = samples.some((s) => s.hasReferenceBlocks) ? sites.merged.variantSet.format.filter((d) => d.id === 'DP' || d.id === 'GQ').map((d) => d.id) : [];
  const reader = new MergedReader(depot, sites, depot.meta.blockSize, { ...options, ...(fields.length > 0 ? { fields } : {}) });
  const n = blockCount(variantSet.numVariants, depot.meta.blockSize);
  const records = samples.map(() => new Array<RecordView>(n));
  for (let b = 0; b < n; b++) reader.readRecords(samples, b).forEach((r, i) => (records[i]![b] = r));
  const blocks = Array.from({ length: n }, (_, b) => b);
  return { variantSet, views: samples.map((s, i) => ({ sampleId: s.sampleId, ploidy: s.ploidy, variantSet: -1, blocks, records: records[i]! })) };
}
