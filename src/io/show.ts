/**
 * Samples' calls as VCF text (VCF 4.3 §1.6) or JSON: for `vczdepot show`.
 * One header block, then one line per variant with INFO from the variant set
 * and one column per sample.
 */
import { FLOAT32_FILL_BITS, FLOAT32_MISSING_BITS, type InfoColumn, INT_FILL, INT_MISSING, materializeCalls, type SampleCalls, type VariantSet } from '../codec/index.ts';
import type { SampleView } from '../depot/index.ts';

/** Shortest decimal that reads back as the same float32 (VCF writers' convention). */
export function formatFloat32(x: number): string {
  if (Number.isNaN(x)) return '.';
  const f = Math.fround(x);
  for (let p = 1; p <= 9; p++) {
    const s = Number(f.toPrecision(p));
    if (Math.fround(s) === f) return String(s);
  }
  return String(f);
}

/** One value of a column: a string, a number, or null for missing; undefined = fill (end of the vector). */
type Cell = string | number | null | undefined;

/** Value `i` of a numeric or string column with VCZ's sentinels decoded. */
function cell(values: ArrayLike<number> | readonly string[], i: number): Cell {
  if (Array.isArray(values)) {
    const s = (values as string[])[i]!;
    return s === '' ? undefined : s === '.' ? null : s;
  }
  if (values instanceof Float32Array) {
    const bits = new Uint32Array(values.buffer, values.byteOffset + i * 4, 1)[0]!;
    if (bits === FLOAT32_FILL_BITS) return undefined;
    return bits === FLOAT32_MISSING_BITS ? null : Math.fround(values[i]!);
  }
  const x = (values as ArrayLike<number>)[i]!;
  return x === INT_FILL ? undefined : x === INT_MISSING ? null : x;
}

/** The values of one variant's vector (`width` values from `v × width`), fill dropped. */
function vector(values: ArrayLike<number> | readonly string[], v: number, width: number): (string | number | null)[] {
  const out: (string | number | null)[] = [];
  for (let k = 0; k < width; k++) {
    const c = cell(values, v * width + k);
    if (c === undefined) break;
    out.push(c);
  }
  return out;
}

function text(x: string | number | null, float: boolean): string {
  if (x === null) return '.';
  return float && typeof x === 'number' ? formatFloat32(x) : String(x);
}

/** INFO of variant `v` as VCF text (`KEY=v1,v2;FLAG`), `.` when nothing is set. */
function infoText(vs: VariantSet, v: number): string {
  const parts: string[] = [];
  for (const col of vs.info) {
    if (col.def.type === 'Flag') {
      if ((col.values as Uint8Array)[v]) parts.push(col.def.id);
      continue;
    }
    const vals = vector(col.values, v, col.width);
    if (vals.length === 0 || vals.every((x) => x === null)) continue;
    parts.push(`${col.def.id}=${vals.map((x) => text(x, col.def.type === 'Float')).join(',')}`);
  }
  return parts.length ? parts.join(';') : '.';
}

/** INFO of variant `v` as JSON: Flags true, single values unwrapped, missing values null. */
function infoJson(vs: VariantSet, v: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const col of vs.info as InfoColumn[]) {
    if (col.def.type === 'Flag') {
      if ((col.values as Uint8Array)[v]) o[col.def.id] = true;
      continue;
    }
    const vals = vector(col.values, v, col.width);
    if (vals.length === 0 || vals.every((x) => x === null)) continue;
    o[col.def.id] = col.def.number === 1 && vals.length === 1 ? vals[0] : vals;
  }
  return o;
}

/** A sample's genotype at `v` as VCF text (`0/1`, `1|0`, `.`); undefined without GT. */
function genotypeText(calls: SampleCalls, v: number): string | undefined {
  if (calls.ploidy === 0) return undefined;
  const gt: string[] = [];
  for (let p = 0; p < calls.ploidy; p++) {
    const a = calls.genotype![v * calls.ploidy + p]!;
    if (a === INT_FILL) break;
    gt.push(a === INT_MISSING ? '.' : String(a));
  }
  return gt.join(calls.phased?.[v] ? '|' : '/') || '.';
}

/** What {@link formatSampleVcf} and {@link sampleCallsJson} print. */
export interface ShowOptions {
  /**
   * Variant indices to print (0-based, increasing); default every variant.
   * For `-r/--regions`.
   */
  readonly variants?: ArrayLike<number>;
}

function variantIndices(vs: VariantSet, options: ShowOptions): ArrayLike<number> {
  if (options.variants) return options.variants;
  const all = new Int32Array(vs.numVariants);
  for (let v = 0; v < all.length; v++) all[v] = v;
  return all;
}

/**
 * The calls of one or more samples as a VCF: a header (contigs, FILTERs,
 * INFO and FORMAT definitions), then one line per variant with INFO from the
 * variant set and one column per sample, in the order of `views`.
 *
 * @returns the lines, without line breaks; missing values print as `.`, fill
 *   values end a vector (they are never printed); a FORMAT field missing in
 *   every sample at a variant is left out of that line (as vcztools view).
 * @throws RangeError when a view does not hold every block of its sample.
 */
export function formatSampleVcf(vs: VariantSet, views: SampleView | readonly SampleView[], options: ShowOptions = {}): string[] {
  const list = Array.isArray(views) ? (views as readonly SampleView[]) : [views as SampleView];
  const calls = list.map((view) => materializeCalls(vs, view.records));
  const hasGt = calls.some((c) => c.ploidy > 0);
  const defs = new Map(vs.format.map((d) => [d.id, d]));
  const fieldIds = vs.format.map((d) => d.id).filter((id) => calls.some((c) => c.fields.some((f) => f.id === id)));
  const lines = ['##fileformat=VCFv4.3'];
  for (const c of vs.contigs) lines.push(`##contig=<ID=${c.id}${c.length !== undefined ? `,length=${c.length}` : ''}>`);
  for (const f of vs.filters) lines.push(`##FILTER=<ID=${f.id},Description="${f.description}">`);
  for (const c of vs.info) lines.push(`##INFO=<ID=${c.def.id},Number=${c.def.number},Type=${c.def.type},Description="${c.def.description}">`);
  if (hasGt) lines.push('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">');
  for (const id of fieldIds) {
    const d = defs.get(id)!;
    lines.push(`##FORMAT=<ID=${d.id},Number=${d.number},Type=${d.type},Description="${d.description}">`);
  }
  lines.push(['#CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO', 'FORMAT', ...list.map((v) => v.sampleId)].join('\t'));
  const fieldOf = calls.map((c) => new Map(c.fields.map((f) => [f.id, f])));
  const idx = variantIndices(vs, options);
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i]!;
    // A FORMAT field missing in every sample at this variant is left out of
    // the line, as vcztools view does (a VCZ has one FORMAT list for all
    // records; a VCF record lists only its own).
    const values = fieldIds.map((id) =>
      calls.map((_, s) => {
        const f = fieldOf[s]!.get(id);
        return f ? vector(f.values as ArrayLike<number> | readonly string[], v, f.width) : [];
      }),
    );
    const shown = fieldIds.map((_, k) => values[k]!.some((vals) => vals.some((x) => x !== null)));
    const keys = [...(hasGt ? ['GT'] : []), ...fieldIds.filter((_, k) => shown[k])];
    const columns = calls.map((c, s) => {
      const sample: string[] = [];
      if (hasGt) sample.push(genotypeText(c, v) ?? '.');
      fieldIds.forEach((id, k) => {
        if (shown[k]) sample.push(values[k]![s]!.map((x) => text(x, defs.get(id)!.type === 'Float')).join(',') || '.');
      });
      return sample.join(':') || '.';
    });
    lines.push([...siteColumns(vs, v), infoText(vs, v), keys.join(':') || '.', ...columns].join('\t'));
  }
  return lines;
}

/** CHROM, POS, ID, REF, ALT, QUAL, FILTER of variant `v`. */
function siteColumns(vs: VariantSet, v: number): string[] {
  const alleles = vs.alleles[v]!;
  const filt: string[] = [];
  for (let k = 0; k < vs.filters.length; k++) if (vs.filter[v * vs.filters.length + k]) filt.push(vs.filters[k]!.id);
  const qbits = new Uint32Array(vs.quality.buffer, vs.quality.byteOffset + v * 4, 1)[0]!;
  return [
    vs.contigs[vs.contig[v]!]!.id,
    String(vs.position[v]),
    vs.id[v]!,
    alleles[0]!,
    alleles.length > 1 ? alleles.slice(1).join(',') : '.',
    qbits === FLOAT32_MISSING_BITS ? '.' : formatFloat32(vs.quality[v]!),
    filt.length ? filt.join(';') : '.',
  ];
}

/** One variant of {@link sampleCallsJson}. */
export interface ShownVariant {
  /** 0-based index in the variant set. */
  readonly variant: number;
  readonly chrom: string;
  /** 1-based POS. */
  readonly pos: number;
  /** `null` for `.`. */
  readonly id: string | null;
  readonly ref: string;
  readonly alt: string[];
  readonly qual: number | null;
  readonly filter: string[];
  readonly info: Record<string, unknown>;
  /** Per sample id: `GT` as VCF text and each FORMAT field (single values unwrapped, missing null). */
  readonly samples: Record<string, Record<string, unknown>>;
}

/**
 * The same content as {@link formatSampleVcf}, as objects for `show --json`.
 * @throws RangeError when a view does not hold every block of its sample.
 */
export function sampleCallsJson(vs: VariantSet, views: readonly SampleView[], options: ShowOptions = {}): ShownVariant[] {
  const calls = views.map((view) => materializeCalls(vs, view.records));
  const defs = new Map(vs.format.map((d) => [d.id, d]));
  const idx = variantIndices(vs, options);
  const out: ShownVariant[] = [];
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i]!;
    const [chrom, , id, ref, , , filter] = siteColumns(vs, v);
    const qbits = new Uint32Array(vs.quality.buffer, vs.quality.byteOffset + v * 4, 1)[0]!;
    const samples: Record<string, Record<string, unknown>> = {};
    views.forEach((view, s) => {
      const c = calls[s]!;
      const o: Record<string, unknown> = {};
      const gt = genotypeText(c, v);
      if (gt !== undefined) o.GT = gt;
      for (const f of c.fields) {
        const vals = vector(f.values as ArrayLike<number> | readonly string[], v, f.width);
        o[f.id] = defs.get(f.id)?.number === 1 && vals.length === 1 ? vals[0] : vals.length === 0 ? null : vals;
      }
      samples[view.sampleId] = o;
    });
    out.push({
      variant: v,
      chrom: chrom!,
      pos: vs.position[v]!,
      id: id === '.' ? null : id!,
      ref: ref!,
      alt: vs.alleles[v]!.slice(1),
      qual: qbits === FLOAT32_MISSING_BITS ? null : Math.fround(vs.quality[v]!),
      filter: filter === '.' ? [] : filter!.split(';'),
      info: infoJson(vs, v),
      samples,
    });
  }
  return out;
}
