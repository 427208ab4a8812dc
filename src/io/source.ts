/**
 * Adapting a depot (through its public API only) to what the VCZ exporter
 * reads: the live samples at one version (or a selection of them, like
 * `bcftools view -s`), their widths, the variants of some regions (like
 * `bcftools view -r`), and block reads.
 */
import { readFileSync } from 'node:fs';
import { type ErrorsByCode, nameErrors, VczdepotError } from '../errors.ts';
import type { At, Depot, FieldStats } from '../depot/index.ts';
import { INT_FILL, INT_MISSING, RecordView, binomial, maxAlleles, type VariantSet } from '../codec/index.ts';
import { BlockCache, MergedReader, versionSites } from './cohort.ts';
import type { ExportSource } from '../vcz/index.ts';

/** Samples per getMany call when exporting: bounds the chunk buffers held at once. */
const READ_BATCH = 64;

/**
 * A sample or region selection that cannot be honoured: a sample not live at
 * the exported version, a sample listed twice, an unreadable samples file, a
 * region that does not parse. Nothing is written.
 */
export class ExportSelectionError extends VczdepotError {
  readonly code = 'export-selection' as const;
  /**
   * @param reason What is wrong and what to do.
   * @param sample The sample concerned, when one is.
   */
  constructor(readonly reason: string, readonly sample?: string) {
    super(reason);
  }
}

nameErrors({ ExportSelectionError });

declare module '../errors.ts' {
  interface VczdepotErrorMap extends ErrorsByCode<ExportSelectionError> {}
}

/**
 * Samples to export: ids in output order (`bcftools view -s A,B` writes A
 * then B), or `{ exclude }`: every live sample but these, in depot order
 * (`-s ^A,B`).
 */
export type SampleSelection = readonly string[] | { readonly exclude: readonly string[] };

/**
 * A genomic region, 1-based and inclusive at both ends as in `bcftools -r
 * chr:beg-end`; `start` absent = 1, `end` absent = the contig's end.
 */
export interface Region {
  readonly contig: string;
  readonly start?: number;
  readonly end?: number;
}

/** What {@link depotExportSource} exports: samples and regions (both default to all). */
export interface ExportSelection {
  readonly samples?: SampleSelection;
  /** Regions (or bcftools region strings, see {@link parseRegions}); a variant overlapping any is exported. */
  readonly regions?: readonly (Region | string)[];
  /**
   * `bcftools merge -0`: a sample whose own variant set lacks a site of the
   * version's merged set reads 0/0 (FORMAT missing) there instead of `./.`.
   * No effect on a version made of one set.
   */
  readonly missingToRef?: boolean;
}

/**
 * Parses a bcftools `-s` list: comma-separated ids; a leading `^` excludes
 * them instead (`^A,B` = every sample but A and B).
 */
export function parseSampleList(list: string): SampleSelection {
  const exclude = list.startsWith('^');
  const ids = (exclude ? list.slice(1) : list).split(',').filter((s) => s !== '');
  return exclude ? { exclude: ids } : ids;
}

/**
 * Reads a bcftools `-S` file: one sample id a line (trailing `\r` and blank
 * lines ignored); `^FILE` excludes them.
 *
 * @throws ExportSelectionError when the file cannot be read
 */
export function readSamplesFile(spec: string): SampleSelection {
  const exclude = spec.startsWith('^');
  const path = exclude ? spec.slice(1) : spec;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ExportSelectionError(`cannot read the samples file ${path}: ${(err as Error).message}; give a file with one sample id a line`);
  }
  const ids = text.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
  return exclude ? { exclude: ids } : ids;
}

/**
 * Parses a bcftools `-r` list: comma-separated `chr`, `chr:pos` (that one
 * position), `chr:beg-end` or `chr:beg-` (to the contig's end); positions
 * 1-based, inclusive. A contig id that itself contains `:` is taken whole
 * when `contigs` lists it.
 *
 * @throws ExportSelectionError for a region that does not parse
 */
export function parseRegions(list: string, contigs: readonly string[] = []): Region[] {
  const known = new Set(contigs);
  return list
    .split(',')
    .filter((r) => r !== '')
    .map((r): Region => {
      if (known.has(r)) return { contig: r };
      const m = /^(.+):([0-9]+)(-([0-9]*))?$/.exec(r);
      if (!m) {
        if (r.includes(':')) throw new ExportSelectionError(`region '${r}' does not parse: write chr, chr:pos, chr:beg-end or chr:beg- (1-based, inclusive)`);
        return { contig: r };
      }
      const start = Number(m[2]);
      if (m[3] === undefined) return { contig: m[1]!, start, end: start };
      return m[4] === '' ? { contig: m[1]!, start } : { contig: m[1]!, start, end: Number(m[4]) };
    });
}

/**
 * The variants `bcftools view -r REGIONS` selects from an indexed VCF of
 * `vs`: those whose span POS..POS+variant_length−1 (END or the REF length)
 * overlaps a region (bcftools' default `--regions-overlap 1`), each once,
 * grouped by contig in the order the regions first name them and in variant
 * set order within a contig (position order for any indexable file). A
 * region on a contig the variant set does not have, or with start > end,
 * selects nothing (bcftools neither).
 *
 * @returns [selected] 0-based indices into `vs`.
 * @throws ExportSelectionError for a region string that does not parse
 */
export function selectVariants(vs: VariantSet, regions: readonly (Region | string)[]): Int32Array {
  const ids = vs.contigs.map((c) => c.id);
  const parsed = regions.flatMap((r) => (typeof r === 'string' ? parseRegions(r, ids) : [r]));
  const rank = new Map<string, number>();
  for (const r of parsed) if (!rank.has(r.contig)) rank.set(r.contig, rank.size);
  const byContig = ids.map((id) => parsed.filter((r) => r.contig === id));
  const picked: number[][] = Array.from({ length: rank.size }, () => []);
  for (let v = 0; v < vs.numVariants; v++) {
    const c = vs.contig[v]!;
    const rs = byContig[c];
    if (!rs || rs.length === 0) continue;
    const pos = vs.position[v]!;
    const last = pos + Math.max(1, vs.length[v]!) - 1;
    if (rs.some((r) => (r.start ?? 1) <= last && (r.end ?? Infinity) >= pos && (r.start ?? 1) <= (r.end ?? Infinity))) picked[rank.get(ids[c]!)!]!.push(v);
  }
  return Int32Array.from(picked.flat());
}

/**
 * The samples live at `at` (default: the head *as of now*, pinned to its
 * version number so that a concurrent writer cannot change what is
 * exported), or the `selection` of them, with per-field widths and Integer
 * ranges merged over the exported samples, and the variants of
 * `selection.regions`.
 *
 * Memory: `readBlock` returns copies of the records (the exporter keeps one
 * samples-chunk column of one variant block: samplesChunkSize × block record
 * bytes, at most twice that while whole chunks are kept; merged versions
 * read at most 64 samples' chunks at a time). A version that
 * merges several sets densifies gVCF samples (MergedReader): their decoded
 * reference blocks are kept in a {@link BlockCache} of 256 MiB (21 bytes a
 * block), so memory holds at most that plus one sample's blocks.
 *
 * @throws UnknownTagError / UnknownVersionError / AmbiguousAtError for a bad `at`.
 * @throws ExportSelectionError for a sample not live at that version or
 *   listed twice (bcftools errors too, short of `--force-samples`) and for a
 *   region that does not parse.
 */
export function depotExportSource(depot: Depot, at?: At, source = 'vczdepot', selection: ExportSelection = {}): ExportSource & { version: number } {
  // The depot resolves `at` (typed errors for an unknown or ambiguous one).
  const pinned = depot.resolveVersion(at);
  const live = depot.sampleInfo({ at: pinned });
  const info = selectSamples(live, selection.samples, pinned);
  const sites = versionSites(depot, pinned);
  const variantSet = sites.merged.variantSet;
  const fieldStats = new Map<string, { width: number; min?: number; max?: number }>();
  let maxPloidy = 0;
  for (const s of info) {
    maxPloidy = Math.max(maxPloidy, s.ploidy);
    for (const [id, st] of Object.entries(s.fields) as [string, FieldStats][]) {
      const cur = fieldStats.get(id);
      if (!cur) fieldStats.set(id, { ...st });
      else {
        cur.width = Math.max(cur.width, st.width);
        if (st.min !== undefined) cur.min = Math.min(cur.min ?? st.min, st.min);
        if (st.max !== undefined) cur.max = Math.max(cur.max ?? st.max, st.max);
      }
    }
  }
  if (!sites.identity) {
    // Calls remapped onto the merged sites: Number=A/R/G fields take the
    // merged set's widths, and missing/fill cells appear where a sample's
    // set lacks a site or an allele.
    const A = maxAlleles(variantSet);
    for (const def of variantSet.format) {
      const st = fieldStats.get(def.id);
      if (!st) continue;
      if (def.number === 'A') st.width = A - 1;
      else if (def.number === 'R') st.width = A;
      else if (def.number === 'G') st.width = maxPloidy === 1 ? A : binomial(A + 1, 2);
      if (st.min !== undefined) st.min = Math.min(st.min, INT_FILL);
    }
  }
  const blockCache = new BlockCache();
  if (!sites.identity) {
    // gVCF samples are densified (0/0 under their reference blocks, with
    // the blocks' MIN_DP as DP and GQ): DP and GQ, when the version declares
    // them, take the blocks' values into their ranges (dtype), and every
    // sample carries them.
    const declared = variantSet.format.filter((d) => (d.id === 'DP' || d.id === 'GQ') && d.type === 'Integer').map((d) => d.id);
    for (const s of info) {
      if (!s.hasReferenceBlocks || declared.length === 0) continue;
      const blocks = blockCache.get(depot, s.sampleId, pinned);
      if (!blocks || blocks.start.length === 0) continue;
      for (const id of declared) {
        const col = id === 'DP' ? blocks.minDp : blocks.gq;
        let min = INT_MISSING;
        let max = INT_MISSING;
        for (let i = 0; i < col.length; i++) {
          const x = col[i]!;
          if (x < min) min = x;
          if (x > max) max = x;
        }
        const cur = fieldStats.get(id);
        if (!cur) fieldStats.set(id, { width: 1, min: Math.min(min, INT_FILL), max });
        else {
          cur.min = Math.min(cur.min ?? min, min);
          cur.max = Math.max(cur.max ?? max, max);
        }
      }
    }
  }
  const blockSize = depot.meta.blockSize;
  const merged = sites.identity
    ? undefined
    : new MergedReader(depot, sites, blockSize, { missingToRef: selection.missingToRef ?? false, fields: [...fieldStats.keys()], padPloidy: maxPloidy, blockCache });
  const byId = new Map(info.map((s) => [s.sampleId, s]));
  const free: Uint8Array<ArrayBuffer>[] = [];
  return {
    version: pinned,
    variantSet,
    ...(selection.regions ? { variants: selectVariants(variantSet, selection.regions) } : {}),
    sampleIds: info.map((s) => s.sampleId),
    blockSize,
    maxPloidy,
    fieldStats,
    source,
    readBlock: (ids, block) => {
      // One read of the column's records of this block (Depot._readBlock):
      // memory holds at most twice those records, not every chunk they came
      // from (one-sample chunks hold all blocks of a sample). Merged sites
      // read in small batches.
      if (!merged) return depot._readBlock(ids, block, pinned, free.pop());
      const out: RecordView[] = [];
      for (let i = 0; i < ids.length; i += READ_BATCH) {
        const batch = ids.slice(i, i + READ_BATCH);
        out.push(...merged.readRecords(batch.map((id) => byId.get(id)!), block));
      }
      return out;
    },
    // A released block's buffer (when one buffer holds all its records) is
    // the next read's memory: the export allocates a few buffers, not one
    // per block (V8 collects garbage as external memory grows).
    releaseBlock: (recs) => {
      const ab = recs[0]?.bytes.buffer;
      if (merged || !ab || free.length >= 2 || !recs.every((r) => r.bytes.buffer === ab)) return;
      free.push(new Uint8Array(ab as ArrayBuffer));
    },
  };
}

/** The live samples' infos in the order `selection` asks for (bcftools view -s rules). */
/**
 * The sample ids a selection picks from `live` (ids live at `at`, in depot
 * order): the listed ids in their order, or every live id but the excluded.
 *
 * @throws ExportSelectionError for an id not live at `at` or listed twice
 */
export function resolveSampleSelection(live: readonly string[], selection: SampleSelection, at: number | string): string[] {
  return selectSamples(
    live.map((sampleId) => ({ sampleId })),
    selection,
    at,
  ).map((s) => s.sampleId);
}

function selectSamples<T extends { sampleId: string }>(live: readonly T[], selection: SampleSelection | undefined, version: number | string): T[] {
  if (selection === undefined) return [...live];
  const byId = new Map(live.map((s) => [s.sampleId, s]));
  const list = Array.isArray(selection) ? (selection as readonly string[]) : (selection as { exclude: readonly string[] }).exclude;
  const exclude = !Array.isArray(selection);
  const seen = new Set<string>();
  for (const id of list) {
    if (!byId.has(id)) {
      throw new ExportSelectionError(
        `sample '${id}' is not live in the depot at version ${version} (bcftools: "${exclude ? 'exclude' : 'subset'} called for sample that does not exist"); list the samples with \`vczdepot samples DEPOT --at ${version}\``,
        id,
      );
    }
    if (seen.has(id)) throw new ExportSelectionError(`sample '${id}' is listed twice; give each sample once`, id);
    seen.add(id);
  }
  return exclude ? live.filter((s) => !seen.has(s.sampleId)) : list.map((id) => byId.get(id)!);
}

/** What a worker's source must match of the main thread's (the job's `check`): variants in the set, exported variants, block size, max ploidy, samples. */
export function depotExportCheck(source: ExportSource): unknown {
  return { numVariants: source.variantSet.numVariants, exported: source.variants?.length ?? source.variantSet.numVariants, blockSize: source.blockSize, maxPloidy: source.maxPloidy, samples: source.sampleIds };
}
