/**
 * The data of the trust tests' samples, loadable by child processes without
 * the parent's tooling (no esbuild, no VCF reader): the chr22 fixture split
 * per sample (v8-serialized by the parent) and synthetic calls, keyed by
 * sample id.
 */
import { readFileSync } from 'node:fs';
import { deserialize } from 'node:v8';
import { encodeSampleRecords, type SampleCalls, type VariantSet } from '../../src/codec/index.ts';
import { syntheticCalls } from '../helpers/synthetic.ts';

/** The chr22 fixture split per sample, as written to a v8-serialized file for the children. */
export interface Chr22Data {
  readonly variantSet: VariantSet;
  readonly sampleIds: string[];
  readonly calls: SampleCalls[];
}

export function loadChr22(file: string): Chr22Data {
  return deserialize(readFileSync(file)) as Chr22Data;
}

/** The part of a sample id naming its data: `HG00096#g3.1` → `HG00096`. */
export function dataKey(id: string): string {
  const i = id.indexOf('#');
  return i >= 0 ? id.slice(0, i) : id;
}

/**
 * Sample ids written by the campaign carry their data's identity before `#`:
 * `HG00096#g3.1` holds chr22 sample HG00096's calls, `syn17#g3.2` holds
 * `syntheticCalls(vs, {seed: 17})`. The part after `#` makes the id unique.
 */
export class SampleData {
  private readonly byName = new Map<string, number>();
  private readonly cache = new Map<string, SampleCalls>();
  private readonly recCache = new Map<string, Uint8Array[]>();
  constructor(
    readonly data: Chr22Data,
    readonly blockSize: number,
  ) {
    data.sampleIds.forEach((s, i) => this.byName.set(s, i));
  }
  get variantSet(): VariantSet {
    return this.data.variantSet;
  }
  calls(id: string): SampleCalls {
    const key = dataKey(id);
    let c = this.cache.get(key);
    if (!c) {
      const i = this.byName.get(key);
      if (i !== undefined) c = this.data.calls[i]!;
      else if (/^syn\d+$/.test(key)) c = syntheticCalls(this.data.variantSet, { seed: Number(key.slice(3)) });
      else throw new Error(`no data for sample id ${id}`);
      this.cache.set(key, c);
    }
    return c;
  }
  /** The exact record bytes the depot must hold for `id` (one per block). */
  records(id: string): Uint8Array[] {
    let r = this.recCache.get(id);
    if (!r) {
      r = encodeSampleRecords(this.data.variantSet, this.blockSize, id, this.calls(id));
      this.recCache.set(id, r);
    }
    return r;
  }
}
