/**
 * Turning a sample's block records back into whole-sample calls: the slow,
 * obvious path used by `Depot.get` callers, `vczdepot show` and tests.
 */
import type { RecordView } from './record.ts';
import { FLOAT32_FILL_BITS, FLOAT32_MISSING_BITS, INT_FILL, INT_MISSING, STRING_MISSING } from './sentinels.ts';
import type { FieldValues, SampleCalls, VariantSet } from './types.ts';

/**
 * A numeric FORMAT column of `length` cells (values per variant × variants),
 * every cell `sentinel` ('missing': INT_MISSING / the Float missing NaN bits;
 * 'fill': INT_FILL / the Float fill NaN bits): an Int32Array, or for
 * `float` a Float32Array, and `bits`, the view float bits are copied
 * through (Uint32Array over the same buffer; the Int32Array itself).
 */
export function numericColumn(float: boolean, length: number, sentinel: 'missing' | 'fill'): { values: Float32Array | Int32Array; bits: Uint32Array | Int32Array } {
  const values = float ? new Float32Array(length) : new Int32Array(length);
  const bits = float ? new Uint32Array(values.buffer) : (values as Int32Array);
  bits.fill(sentinel === 'missing' ? (float ? FLOAT32_MISSING_BITS : INT_MISSING) : float ? FLOAT32_FILL_BITS : INT_FILL);
  return { values, bits };
}

/**
 * Concatenates a sample's records (all blocks, block order) into
 * {@link SampleCalls} over the whole variant set. Integer fields come back as
 * Int32Array, genotypes as Int16Array when any block is int16 else Int8Array;
 * a FORMAT field absent from every record comes back as all missing with
 * width 1 (or the width other blocks have).
 *
 * @throws RangeError when `records` do not cover the variant set in order.
 */
export function materializeCalls(vs: VariantSet, records: readonly RecordView[]): SampleCalls {
  let next = 0;
  for (const r of records) {
    if (r.variantStart !== next) throw new RangeError(`records must cover the variant set in block order; expected a block starting at ${next}, found ${r.variantStart}`);
    next += r.variantCount;
  }
  if (next !== vs.numVariants) throw new RangeError(`records cover ${next} variants; the variant set has ${vs.numVariants}`);
  const n = vs.numVariants;
  const ploidy = records[0]?.ploidy ?? 0;
  let genotype: Int8Array | Int16Array | undefined;
  let phased: Uint8Array | undefined;
  if (ploidy > 0) {
    genotype = records.some((r) => r.genotype instanceof Int16Array) ? new Int16Array(n * ploidy) : new Int8Array(n * ploidy);
    phased = new Uint8Array(n);
    for (const r of records) {
      genotype.set(r.genotype!, r.variantStart * ploidy);
      phased.set(r.phased!, r.variantStart);
    }
  }
  const fields: FieldValues[] = [];
  for (const def of vs.format) {
    const present = records.map((r) => r.field(def.id));
    if (present.every((f) => f === undefined)) continue;
    const width = Math.max(...present.map((f) => f?.width ?? 0));
    if (def.type === 'String' || def.type === 'Character') {
      const values = new Array<string>(n * width).fill(STRING_MISSING);
      records.forEach((r, i) => {
        const f = present[i];
        if (f) f.strings().forEach((s, k) => (values[(r.variantStart + Math.floor(k / f.width)) * width + (k % f.width)] = s));
      });
      fields.push({ id: def.id, width, values });
    } else {
      const float = def.type === 'Float';
      const { values, bits } = numericColumn(float, n * width, 'missing');
      records.forEach((r, i) => {
        const f = present[i];
        if (!f) return;
        const src = float ? new Uint32Array(f.values!.buffer, f.values!.byteOffset, f.values!.length) : f.values!;
        for (let v = 0; v < r.variantCount; v++) {
          for (let k = 0; k < f.width; k++) bits[(r.variantStart + v) * width + k] = src[v * f.width + k]!;
        }
      });
      fields.push({ id: def.id, width, values });
    }
  }
  return { ploidy, ...(genotype ? { genotype, phased } : {}), fields };
}

/**
 * The calls of the variants [start, end) of `calls` (0-based, half-open), in
 * fresh arrays of the same types: what a depot's BlockWriter.add takes for a
 * block when a caller holds whole samples.
 *
 * @throws RangeError when [start, end) is not inside the calls' variants.
 */
export function sliceCalls(calls: SampleCalls, start: number, end: number): SampleCalls {
  const n = calls.ploidy > 0 ? calls.genotype!.length / calls.ploidy : calls.fields[0] ? calls.fields[0].values.length / calls.fields[0].width : end;
  if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= n)) {
    throw new RangeError(`variant range [${start}, ${end}) is not inside the calls' ${n} variants`);
  }
  const fields: FieldValues[] = calls.fields.map((f) => {
    const a = start * f.width;
    const b = end * f.width;
    return Array.isArray(f.values)
      ? { id: f.id, width: f.width, values: (f.values as readonly string[]).slice(a, b) }
      : { id: f.id, width: f.width, values: (f.values as Exclude<FieldValues['values'], readonly string[]>).slice(a, b) };
  });
  return {
    ploidy: calls.ploidy,
    ...(calls.genotype ? { genotype: calls.genotype.slice(start * calls.ploidy, end * calls.ploidy) } : {}),
    ...(calls.phased ? { phased: calls.phased.slice(start, end) } : {}),
    fields,
  };
}

/**
 * A sample's calls at some of its variants: `sites` (0-based indices into
 * `vs`, any order) gathered from `records` (the sample's records of at least
 * the blocks holding them, any order), as {@link SampleCalls} over those
 * sites in the order given: genotype Int32Array [sites, ploidy], phased
 * [sites], Integer fields Int32Array, Float fields Float32Array (bit patterns
 * kept), strings string[]; a field's width is the widest among the records
 * holding it; a FORMAT field none of them has is left out (all missing).
 * What a merged export reads of a sample for one tile of the merged sites.
 *
 * @throws RangeError when a site is in none of `records`.
 */
export function gatherCalls(vs: VariantSet, records: readonly RecordView[], sites: ArrayLike<number>): SampleCalls {
  const n = sites.length;
  const recOf = new Array<RecordView>(n);
  for (let i = 0; i < n; i++) {
    const s = sites[i]!;
    const r = records.find((x) => s >= x.variantStart && s < x.variantStart + x.variantCount);
    if (!r) throw new RangeError(`variant ${s} is in none of the ${records.length} records given`);
    recOf[i] = r;
  }
  const ploidy = records[0]?.ploidy ?? 0;
  let genotype: Int32Array | undefined;
  let phased: Uint8Array | undefined;
  if (ploidy > 0) {
    genotype = new Int32Array(n * ploidy);
    phased = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const r = recOf[i]!;
      const v = sites[i]! - r.variantStart;
      const g = r.genotype!;
      for (let p = 0; p < ploidy; p++) genotype[i * ploidy + p] = g[v * ploidy + p]!;
      phased[i] = r.phased![v]!;
    }
  }
  const fields: FieldValues[] = [];
  for (const def of vs.format) {
    let width = 0;
    for (const r of records) width = Math.max(width, r.field(def.id)?.width ?? 0);
    if (width === 0) continue;
    if (def.type === 'String' || def.type === 'Character') {
      const values = new Array<string>(n * width).fill(STRING_MISSING);
      const cache = new Map<RecordView, string[] | undefined>();
      for (let i = 0; i < n; i++) {
        const r = recOf[i]!;
        const f = r.field(def.id);
        if (!f) continue;
        let strs = cache.get(r);
        if (!cache.has(r)) cache.set(r, (strs = f.strings()));
        const v = sites[i]! - r.variantStart;
        for (let k = 0; k < f.width; k++) values[i * width + k] = strs![v * f.width + k]!;
      }
      fields.push({ id: def.id, width, values });
    } else {
      const float = def.type === 'Float';
      const { values, bits } = numericColumn(float, n * width, 'missing');
      for (let i = 0; i < n; i++) {
        const r = recOf[i]!;
        const f = r.field(def.id);
        if (!f) continue;
        const src = float ? new Uint32Array(f.values!.buffer, f.values!.byteOffset, f.values!.length) : f.values!;
        const v = sites[i]! - r.variantStart;
        for (let k = 0; k < f.width; k++) bits[i * width + k] = src[v * f.width + k]!;
        // Cells past the record's width are fill in a narrower record.
        for (let k = f.width; k < width; k++) bits[i * width + k] = float ? FLOAT32_FILL_BITS : INT_FILL;
      }
      fields.push({ id: def.id, width, values });
    }
  }
  return { ploidy, ...(genotype ? { genotype, phased } : {}), fields };
}
