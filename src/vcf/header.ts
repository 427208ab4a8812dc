/**
 * The VCF header (VCF 4.3 §1.4): the `##` meta-information lines and the
 * `#CHROM` line, read into the contigs, filters, INFO and FORMAT fields
 * (each with the column its values will accumulate in) and sample names
 * the data lines are parsed against. The structured lines' attributes are
 * parsed with @gmod/vcf; their IDs (and BCF's IDX) by
 * {@link structuredAttributes}.
 */
import { createRequire } from 'node:module';
import { type Filter, type InfoType, VCF_TYPES, type VcfNumber } from '../codec/index.ts';
import { makeAcc, type FieldAcc } from './columns.ts';
import { VcfFieldNameError, VcfHeaderError } from './errors.ts';
import type { FieldNameCheck } from './types.ts';

// @gmod/vcf ships an ES module build (its "import" condition) and a CommonJS
// one ("require") whose default export sits on `.default`. Loading it through
// require gives the same class under tsx, vitest and the CommonJS CLI bundle
// (dist/vczdepot.cjs), where a default import would resolve differently.
const { default: VCFParser } = createRequire(import.meta.url)('@gmod/vcf') as typeof import('@gmod/vcf');
type VCFParser = InstanceType<typeof VCFParser>;

/** A `##` line of the header and its 1-based line number. */
export interface MetaLine {
  readonly text: string;
  readonly line: number;
}

/**
 * What the header declares. `contigs` and `filters` (and their indexes)
 * grow as the data lines use contigs and FILTER keys it does not declare.
 */
export interface VcfHeader {
  /** Sample names of the `#CHROM` line, in column order (no two alike). */
  readonly sampleIds: string[];
  /** The value of the first `##source=` line, `''` when there is none. */
  readonly source: string;
  /** `##contig` lines in header order, first of each ID (with `length` when given). */
  readonly contigs: { id: string; length?: number }[];
  readonly contigIndex: Map<string, number>;
  /** PASS ("All filters passed", whatever the header says), then the `##FILTER` lines in header order. */
  readonly filters: Filter[];
  readonly filterIndex: Map<string, number>;
  /** `##INFO` fields in header order (first of each ID), with their columns one sample wide. */
  readonly infoAccs: FieldAcc[];
  readonly infoIndex: Map<string, number>;
  /** `##FORMAT` fields except GT, in header order, with their columns `sampleIds.length` wide. */
  readonly formatAccs: FieldAcc[];
  readonly formatIndex: Map<string, number>;
  /** The header declares FORMAT/GT. */
  readonly hasGenotype: boolean;
  /** `##key=value` lines other than contig/FILTER/INFO/FORMAT, in file order; value = text after the first `=`. */
  readonly metaInformation: [string, string][];
  /** Index into `infoAccs` of INFO/END when it is declared as an Integer, else -1. */
  readonly endInfo: number;
}

const CHROM_COLUMNS = ['#CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO'];

/**
 * Reads the header of `file` from its `##` lines and its `#CHROM` line.
 * `fieldName`, when given, refuses INFO/FORMAT IDs the VCZ writer cannot name.
 *
 * @throws VcfHeaderError (bad #CHROM columns, a structured line without an
 *   ID, an unknown Type or Number, a sample name given twice, a header
 *   @gmod/vcf cannot parse); VcfFieldNameError (an ID `fieldName` refuses).
 */
export function parseHeader(
  file: string,
  metaLines: readonly MetaLine[],
  chromLine: string,
  chromLineNo: number,
  fieldName?: FieldNameCheck,
): VcfHeader {
  const cols = chromLine.split('\t');
  if (cols.length < 8 || CHROM_COLUMNS.some((c, i) => cols[i] !== c)) {
    throw new VcfHeaderError(file, chromLineNo, `the #CHROM line must start with ${CHROM_COLUMNS.join('\\t')} (tab-separated)`);
  }
  if (cols.length > 8 && cols[8] !== 'FORMAT') {
    throw new VcfHeaderError(file, chromLineNo, `the 9th column of the #CHROM line must be FORMAT, not '${cols[8]}'`);
  }
  const usable = metaLines.filter((h) => /^##[^=]+=/.test(h.text));
  let parser: VCFParser;
  try {
    parser = new VCFParser({ header: [...usable.map((h) => h.text), chromLine].join('\n'), strict: false });
  } catch (err) {
    throw new VcfHeaderError(file, chromLineNo, (err as Error).message);
  }
  const sampleIds = cols.slice(9);
  const seenSamples = new Set<string>();
  for (const s of sampleIds) {
    if (seenSamples.has(s)) throw new VcfHeaderError(file, chromLineNo, `sample name '${s}' appears twice`);
    seenSamples.add(s);
  }

  const h = {
    sampleIds,
    source: '',
    contigs: [] as { id: string; length?: number }[],
    contigIndex: new Map<string, number>(),
    filters: [] as Filter[],
    filterIndex: new Map<string, number>(),
    infoAccs: [] as FieldAcc[],
    infoIndex: new Map<string, number>(),
    formatAccs: [] as FieldAcc[],
    formatIndex: new Map<string, number>(),
    hasGenotype: false,
    metaInformation: [] as [string, string][],
    endInfo: -1,
  };
  const metaOf = (section: string, id: string): Record<string, unknown> => {
    const m = parser.getMetadata(section, id);
    return m !== null && typeof m === 'object' ? (m as Record<string, unknown>) : {};
  };
  for (const { text, line } of metaLines) {
    const m = /^##([^=]+)=(.*)$/s.exec(text);
    if (!m) continue;
    const key = m[1]!;
    const value = m[2]!;
    if (key !== 'contig' && key !== 'FILTER' && key !== 'INFO' && key !== 'FORMAT') {
      h.metaInformation.push([key, value]);
      if (key === 'source' && h.source === '') h.source = value;
      continue;
    }
    if (!value.startsWith('<')) continue;
    const id = structuredAttributes(value).get('ID');
    if (id === undefined || id === '') {
      throw new VcfHeaderError(file, line, `a ##${key} line has no ID`);
    }
    const meta = metaOf(key, id);
    if (key === 'contig') {
      if (h.contigIndex.has(id)) continue;
      const len = meta['length'];
      const length = typeof len === 'string' && /^\d+$/.test(len) ? Number(len) : typeof len === 'number' ? len : undefined;
      h.contigIndex.set(id, h.contigs.length);
      h.contigs.push(length === undefined ? { id } : { id, length });
    } else if (key === 'FILTER') {
      const description = typeof meta['Description'] === 'string' ? (meta['Description'] as string) : '';
      // htslib (hence vcf2zarr) always describes PASS as "All filters passed",
      // whatever a ##FILTER=<ID=PASS> line says.
      if (id === 'PASS') continue;
      if (h.filterIndex.has(id)) continue;
      h.filterIndex.set(id, h.filters.length);
      h.filters.push({ id, description });
    } else {
      const isInfo = key === 'INFO';
      const index = isInfo ? h.infoIndex : h.formatIndex;
      if (index.has(id) || (!isInfo && id === 'GT' && h.hasGenotype)) continue;
      const type = meta['Type'];
      const known = typeof type === 'string' && ((VCF_TYPES as readonly string[]).includes(type) || (isInfo && type === 'Flag'));
      if (!known) {
        throw new VcfHeaderError(
          file,
          line,
          `${key}/${id} has Type '${String(type)}'; expected Integer, Float, String, Character${isInfo ? ' or Flag' : ''}`,
        );
      }
      const rawNumber = meta['Number'];
      let number: VcfNumber;
      if (typeof rawNumber === 'number' && Number.isInteger(rawNumber) && rawNumber >= 0) number = rawNumber;
      else if (rawNumber === 'A' || rawNumber === 'R' || rawNumber === 'G' || rawNumber === '.') number = rawNumber;
      else {
        throw new VcfHeaderError(file, line, `${key}/${id} has Number '${String(rawNumber)}'; expected an integer, A, R, G or .`);
      }
      const description = typeof meta['Description'] === 'string' ? (meta['Description'] as string) : '';
      if (!isInfo && id === 'GT') {
        h.hasGenotype = true;
        continue;
      }
      // What the exporter cannot write is refused here, not at export.
      const array = fieldName?.(key, id);
      if (array?.problem !== undefined) throw new VcfFieldNameError(file, line, key, id, array.name, array.problem);
      const accs = isInfo ? h.infoAccs : h.formatAccs;
      index.set(id, accs.length);
      accs.push(makeAcc(key, id, type as InfoType, number, description, isInfo ? 1 : sampleIds.length));
      if (isInfo && id === 'END' && type === 'Integer') h.endInfo = h.infoAccs.length - 1;
    }
  }
  h.filters.unshift({ id: 'PASS', description: 'All filters passed' });
  h.filterIndex = new Map(h.filters.map((f, i) => [f.id, i]));
  return h;
}

/**
 * The attributes of a structured header value `<ID=..,Key="..",...>`
 * (quote aware; `\` escapes inside quotes), first occurrence of each key
 * (as htslib's bcf_hrec_find_key finds it). Empty for a value without `<`.
 */
export function structuredAttributes(value: string): Map<string, string> {
  const out = new Map<string, string>();
  const open = value.indexOf('<');
  if (open < 0) return out;
  let i = open + 1;
  while (i < value.length) {
    const eq = value.indexOf('=', i);
    if (eq < 0) break;
    const key = value.slice(i, eq).trim();
    let j = eq + 1;
    let v: string;
    if (value[j] === '"') {
      let k = j + 1;
      while (k < value.length && value[k] !== '"') k += value[k] === '\\' ? 2 : 1;
      v = value.slice(j + 1, k);
      j = k + 1;
      while (j < value.length && value[j] !== ',' && value[j] !== '>') j++;
    } else {
      let k = j;
      while (k < value.length && value[k] !== ',' && value[k] !== '>') k++;
      v = value.slice(j, k);
      j = k;
    }
    if (!out.has(key)) out.set(key, v);
    i = j + 1;
  }
  return out;
}
