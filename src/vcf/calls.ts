/**
 * Gathering the calls of one sample out of the [variants, samples, width]
 * columns the reader accumulates: `calls(i)` of `VcfData` and of each
 * `VcfWindow` (./types.ts), and the INFO columns of the variant set.
 */
import { type FieldValues, FLOAT32_MISSING_BITS, INT_FILL, INT_MISSING, type IntArray, type SampleCalls, STRING_FILL, STRING_MISSING } from '../codec/index.ts';
import { intStore, type FieldAcc, type IntStore } from './columns.ts';
import type { SampleReader } from './samples.ts';

/** Most samples gathered in one pass over the columns. */
const MAX_BATCH = 64;
/** Bytes of calls a batch of samples may take. */
const BATCH_BYTES = 64 * 2 ** 20;

/**
 * `calls(i)` over the V variant rows held in `samples`' columns, with
 * ploidy P (0 without GT) and the given FORMAT widths (formatAccs order):
 * fresh arrays, genotype [V, P] (fill past a call's ploidy, missing where
 * the record has no GT), phased [V], fields [V, width].
 *
 * Samples are gathered in batches of consecutive samples: one pass over the
 * rows serves the whole batch (each row's cells for the batch are adjacent),
 * instead of one cache-missing pass per sample. A batch is built when
 * samples are asked for in order (what imports do); any other index is
 * gathered alone. Throws RangeError for an index outside [0, samples).
 */
export function makeCalls(samples: SampleReader, V: number, ploidy: number, formatWidths: readonly number[]): (i: number) => SampleCalls {
  const S = samples.nSamples;
  const withGt = samples.gt !== undefined;
  const bytesPerSample = Math.max(1, V * ((withGt ? ploidy + 1 : 0) + formatWidths.reduce((t, w) => t + w, 0)));
  const batchSize = Math.max(1, Math.min(MAX_BATCH, Math.floor(BATCH_BYTES / bytesPerSample)));
  let pending = new Map<number, SampleCalls>();
  let last = -1;
  return (i: number): SampleCalls => {
    if (!Number.isInteger(i) || i < 0 || i >= S) {
      throw new RangeError(`sample index ${i} is outside [0, ${S})`);
    }
    let c = pending.get(i);
    if (!c) {
      pending = gatherBatch(samples, i, i === last + 1 ? Math.min(S, i + batchSize) : i + 1, V, ploidy, formatWidths);
      c = pending.get(i)!;
    }
    // Handed out once: the caller owns the arrays; asking again gathers afresh.
    pending.delete(i);
    last = i;
    return c;
  };
}

/** The calls of the consecutive samples [i0, i1), by sample index. */
function gatherBatch(samples: SampleReader, i0: number, i1: number, V: number, P: number, formatWidths: readonly number[]): Map<number, SampleCalls> {
  const B = i1 - i0;
  const formatAccs = samples.formatAccs;
  const perField = formatAccs.map((acc, k) => gatherSamples(acc, i0, i1, V, formatWidths[k]!));
  const gtCol = samples.gt;
  const out = new Map<number, SampleCalls>();
  const gts: IntStore[] = [];
  const phs: Uint8Array[] = [];
  for (let b = 0; b < B; b++) {
    const fields: FieldValues[] = formatAccs.map((acc, k) => {
      const width = formatWidths[k]!;
      const values = perField[k]![b]!;
      return Array.isArray(values) ? { id: acc.id, width, values } : { id: acc.id, width, values: values as IntArray | Float32Array };
    });
    if (!gtCol) {
      out.set(i0 + b, { ploidy: 0, fields });
      continue;
    }
    const genotype = intStore(gtCol.intBytes, V * P);
    const phased = new Uint8Array(V);
    gts.push(genotype);
    phs.push(phased);
    out.set(i0 + b, { ploidy: P, genotype, phased, fields });
  }
  if (!gtCol) return out;
  const S = samples.nSamples;
  const stored = gtCol.width;
  const n = Math.min(stored, P);
  const d = gtCol.data;
  const cap = gtCol.cap;
  // ByteVec contents read directly (ByteVec.get: 0 past the end).
  const absent = samples.gtAbsent.data;
  const plo = samples.recordPloidy.data;
  const phaseBits = samples.phaseBits;
  for (let v = 0; v < V; v++) {
    const o = v * P;
    if ((v < absent.length && absent[v] !== 0) || v >= cap) {
      for (let b = 0; b < B; b++) {
        gts[b]!.fill(INT_MISSING, o, o + P);
        phs[b]![v] = P === 1 ? 1 : 0;
      }
      continue;
    }
    const row = v * S;
    const phasedRow = P !== 1 && v < plo.length && plo[v]! >= 2;
    for (let b = 0; b < B; b++) {
      const genotype = gts[b]!;
      const src = (row + i0 + b) * stored;
      for (let j = 0; j < n; j++) genotype[o + j] = d[src + j]!;
      for (let j = n; j < P; j++) genotype[o + j] = INT_FILL;
      phs[b]![v] = P === 1 ? 1 : phasedRow ? phaseBits[row + i0 + b]! : 0;
    }
  }
  return out;
}

/**
 * Copies the cells of the consecutive samples [s0, s1) out of a [variants,
 * samples, width] column, in one pass over the rows: element b is sample
 * s0 + b's [V, width] values (narrower cells padded with fill; a variant
 * without the field, or past the column, all missing). INFO columns are
 * one "sample" wide.
 */
export function gatherSamples(acc: FieldAcc, s0: number, s1: number, V: number, width: number): (IntArray | Float32Array | string[])[] {
  const B = s1 - s0;
  if (acc.str) {
    const col = acc.str;
    const outs = Array.from({ length: B }, () => new Array<string>(V * width));
    const W = col.width;
    const n = Math.min(W, width);
    const S = col.samples;
    for (let v = 0; v < V; v++) {
      const o = v * width;
      if (acc.absent.get(v) || v >= col.cap) {
        for (const out of outs) out.fill(STRING_MISSING, o, o + width);
        continue;
      }
      for (let b = 0; b < B; b++) {
        const out = outs[b]!;
        const src = (v * S + s0 + b) * W;
        for (let j = 0; j < n; j++) out[o + j] = col.data[src + j]!;
        for (let j = n; j < width; j++) out[o + j] = STRING_FILL;
      }
    }
    return outs;
  }
  const col = acc.num!;
  const results: (IntArray | Float32Array)[] = [];
  // Float columns hold bit patterns: copy them through a Uint32Array view.
  const outs: (IntStore | Uint32Array)[] = [];
  for (let b = 0; b < B; b++) {
    if (col.float) {
      const f = new Float32Array(V * width);
      results.push(f);
      outs.push(new Uint32Array(f.buffer));
    } else {
      const x = intStore(col.intBytes, V * width);
      results.push(x);
      outs.push(x);
    }
  }
  const missing = col.float ? FLOAT32_MISSING_BITS : INT_MISSING;
  const fill = col.fill;
  const W = col.width;
  const n = Math.min(W, width);
  const d = col.data;
  const absent = acc.absent.data;
  const cap = col.cap;
  const S = col.samples;
  for (let v = 0; v < V; v++) {
    const o = v * width;
    if ((v < absent.length && absent[v] !== 0) || v >= cap) {
      for (const out of outs) out.fill(missing, o, o + width);
      continue;
    }
    const row = (v * S + s0) * W;
    for (let b = 0; b < B; b++) {
      const out = outs[b]!;
      const src = row + b * W;
      for (let j = 0; j < n; j++) out[o + j] = d[src + j]!;
      for (let j = n; j < width; j++) out[o + j] = fill;
    }
  }
  return results;
}
