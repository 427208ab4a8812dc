/**
 * Test helpers for the VCZ exporter: build in-memory export sources from
 * sample calls (through the real record codec), and rebuild a variant set +
 * per-sample calls from a bio2zarr store's dump (`vcz_interop.py dump`), so
 * that exporting it again can be compared with bio2zarr's own output.
 */
import {
  binomial,
  encodeSampleRecords,
  maxAlleles,
  RecordView,
  type FieldValues,
  type FormatFieldDef,
  type InfoColumn,
  type InfoType,
  type SampleCalls,
  type VariantSet,
  type VcfNumber,
  type VcfType,
} from '../../src/codec/index.ts';
import type { ExportSource } from '../../src/vcz/index.ts';

/** `vcz_interop.py dump` output. */
export interface VczDump {
  attrs: Record<string, unknown>;
  zarr_format: 2 | 3;
  arrays: Record<string, { dtype: string; shape: number[]; chunks: number[]; dims: string[]; attrs: Record<string, unknown>; values: (number | string)[] }>;
}

/** An ExportSource over in-memory records, counting readBlock calls. */
export interface TestSource extends ExportSource {
  /** [sampleIds, block] of every readBlock call. */
  readonly reads: [readonly string[], number][];
}

/**
 * Encodes every sample's calls into records (block by block, via
 * `encodeSampleRecords`) and returns a source exporting `exportIds` (a
 * subset: samples left out play removed samples). fieldStats and maxPloidy
 * are computed from the exported samples' records, as the depot does.
 */
export function makeSource(vs: VariantSet, calls: ReadonlyMap<string, SampleCalls>, exportIds: readonly string[], blockSize: number, sourceName?: string): TestSource {
  const views = new Map<string, RecordView[]>();
  for (const [id, c] of calls) views.set(id, encodeSampleRecords(vs, blockSize, id, c).map((b) => new RecordView(b)));
  const fieldStats = new Map<string, { width: number; min?: number; max?: number }>();
  let maxPloidy = 0;
  for (const id of exportIds) {
    const c = calls.get(id)!;
    maxPloidy = Math.max(maxPloidy, c.ploidy);
    for (const f of c.fields) {
      const st = fieldStats.get(f.id) ?? { width: 0 };
      st.width = Math.max(st.width, f.width);
      if (!Array.isArray(f.values)) {
        const def = vs.format.find((d) => d.id === f.id)!;
        if (def.type === 'Integer') {
          for (const x of f.values as Iterable<number>) {
            st.min = Math.min(st.min ?? x, x);
            st.max = Math.max(st.max ?? x, x);
          }
        }
      }
      fieldStats.set(f.id, st);
    }
  }
  const reads: [readonly string[], number][] = [];
  return {
    variantSet: vs,
    sampleIds: exportIds,
    blockSize,
    maxPloidy,
    fieldStats,
    reads,
    ...(sourceName !== undefined ? { source: sourceName } : {}),
    readBlock(ids, block) {
      reads.push([ids, block]);
      return ids.map((id) => views.get(id)![block]!);
    },
  };
}

const FIXED = new Set(['variant_contig', 'variant_position', 'variant_length', 'variant_id', 'variant_id_mask', 'variant_allele', 'variant_quality', 'variant_filter']);

function typeOf(dtype: string): InfoType {
  if (dtype.startsWith('int')) return 'Integer';
  if (dtype === 'float32') return 'Float';
  if (dtype === 'bool') return 'Flag';
  if (dtype === '<U1') return 'Character';
  return 'String';
}

function numberOf(dims: string[], type: InfoType, declared: string | undefined): VcfNumber {
  if (declared !== undefined) return /^\d+$/.test(declared) ? Number(declared) : (declared as VcfNumber);
  const last = dims[dims.length - 1]!;
  if (last === 'variants' || last === 'samples') return type === 'Flag' ? 0 : 1;
  if (last === 'alt_alleles') return 'A';
  if (last === 'alleles') return 'R';
  if (last === 'genotypes') return 'G';
  return '.';
}

function floats(bits: (number | string)[]): Float32Array {
  return new Float32Array(Uint32Array.from(bits as number[]).buffer);
}

const FILL = { Integer: -2, Float: 0x7f800002, String: '', Character: '' } as const;
const MISSING = { Integer: -1, Float: 0x7f800001, String: '.', Character: '.' } as const;

/**
 * Rebuilds the variant set and each sample's calls from a bio2zarr store
 * dump. Per sample, ploidy and field widths are trimmed to what the sample
 * uses (trailing fill dropped), so the exporter must pad them back; a
 * FORMAT field that is missing everywhere for a sample is left out of its
 * calls (the exporter must write it as all missing).
 */
export function modelFromDump(d: VczDump, numbers: ReadonlyMap<string, string> = new Map()): { vs: VariantSet; calls: Map<string, SampleCalls>; sampleIds: string[] } {
  const A = d.arrays;
  const nV = A.variant_position!.shape[0]!;
  const allele = A.variant_allele!;
  const nA = allele.shape[1]!;
  const alleles: string[][] = [];
  for (let v = 0; v < nV; v++) {
    const row = (allele.values.slice(v * nA, (v + 1) * nA) as string[]).filter((s) => s !== '');
    alleles.push(row);
  }
  const info: InfoColumn[] = [];
  const format: FormatFieldDef[] = [];
  for (const [name, a] of Object.entries(A)) {
    if (name.startsWith('variant_') && !FIXED.has(name)) {
      const type = typeOf(a.dtype);
      const width = a.shape[1] ?? 1;
      let values: InfoColumn['values'];
      if (type === 'Integer') values = Int32Array.from(a.values as number[]);
      else if (type === 'Float') values = floats(a.values);
      else if (type === 'Flag') values = Uint8Array.from(a.values as number[]);
      else values = a.values as string[];
      info.push({ def: { id: name.slice(8), type, number: numberOf(a.dims, type, numbers.get(`INFO/${name.slice(8)}`)), description: String(a.attrs.description ?? '') }, width, values });
    } else if (name.startsWith('call_') && !name.startsWith('call_genotype')) {
      const type = typeOf(a.dtype) as VcfType;
      format.push({ id: name.slice(5), type, number: numberOf(a.dims, type, numbers.get(`FORMAT/${name.slice(5)}`)), description: String(a.attrs.description ?? '') });
    }
  }
  const hasGenotype = 'call_genotype' in A;
  const filterIds = A.filter_id!.values as string[];
  const vs: VariantSet = {
    contigs: (A.contig_id!.values as string[]).map((id, i) => (A.contig_length ? { id, length: A.contig_length.values[i] as number } : { id })),
    filters: filterIds.map((id, i) => ({ id, description: A.filter_description!.values[i] as string })),
    numVariants: nV,
    contig: Int32Array.from(A.variant_contig!.values as number[]),
    position: Int32Array.from(A.variant_position!.values as number[]),
    id: A.variant_id!.values as string[],
    alleles,
    quality: floats(A.variant_quality!.values),
    filter: Uint8Array.from(A.variant_filter!.values as number[]),
    length: Int32Array.from(A.variant_length!.values as number[]),
    info,
    format,
    hasGenotype,
    metaInformation: (d.attrs.vcf_meta_information as [string, string][]).map(([k, v]) => [k, v] as const),
  };
  const sampleIds = A.sample_id!.values as string[];
  const nS = sampleIds.length;
  const calls = new Map<string, SampleCalls>();
  const maxA = maxAlleles(vs);
  sampleIds.forEach((sid, s) => {
    let ploidy = 0;
    let genotype: Int8Array | undefined;
    let phased: Uint8Array | undefined;
    if (hasGenotype) {
      const g = A.call_genotype!;
      const P = g.shape[2]!;
      for (let v = 0; v < nV; v++) {
        for (let p = P; p > 0; p--) {
          if (g.values[(v * nS + s) * P + p - 1] !== -2) {
            ploidy = Math.max(ploidy, p);
            break;
          }
        }
      }
      genotype = new Int8Array(nV * ploidy);
      phased = new Uint8Array(nV);
      for (let v = 0; v < nV; v++) {
        for (let p = 0; p < ploidy; p++) genotype[v * ploidy + p] = g.values[(v * nS + s) * P + p] as number;
        phased[v] = A.call_genotype_phased!.values[v * nS + s] as number;
      }
    }
    const fields: FieldValues[] = [];
    for (const def of format) {
      const a = A[`call_${def.id}`]!;
      const W = a.shape[2] ?? 1;
      const fill = FILL[def.type];
      const missing = MISSING[def.type];
      let used = 1;
      let allMissing = true;
      for (let v = 0; v < nV; v++) {
        for (let k = 0; k < W; k++) {
          const x = a.values[(v * nS + s) * W + k];
          if (x !== fill) used = Math.max(used, k + 1);
          if (x !== missing) allMissing = false;
        }
      }
      if (allMissing) continue;
      let width = used;
      if (typeof def.number === 'number') width = Math.max(used, def.number);
      if (def.number === 'A' || def.number === 'R') width = W;
      else if (def.number === 'G' && ploidy > 0) width = binomial(maxA + ploidy - 1, ploidy);
      const flat: (number | string)[] = [];
      for (let v = 0; v < nV; v++) for (let k = 0; k < width; k++) flat.push(a.values[(v * nS + s) * W + k]!);
      if (def.type === 'Integer') fields.push({ id: def.id, width, values: Int32Array.from(flat as number[]) });
      else if (def.type === 'Float') fields.push({ id: def.id, width, values: floats(flat) });
      else fields.push({ id: def.id, width, values: flat as string[] });
    }
    calls.set(sid, { ploidy, ...(genotype ? { genotype, phased } : {}), fields });
  });
  return { vs, calls, sampleIds };
}
