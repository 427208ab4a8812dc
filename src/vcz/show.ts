/**
 * A sample's calls as VCF text (VCF 4.3 §1.6): for `vczdepot show`.
 * One header block, then one line per variant with the sample's column.
 */
import { FLOAT32_FILL_BITS, FLOAT32_MISSING_BITS, INT_FILL, INT_MISSING, materializeCalls, type VariantSet } from '../codec/index.ts';
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

/**
 * @returns header lines and one line per variant; missing values print as
 *   `.`, fill values end a vector (they are never printed).
 * @throws RangeError when `view` does not hold all blocks of the sample.
 */
export function formatSampleVcf(vs: VariantSet, view: SampleView): string[] {
  const calls = materializeCalls(vs, view.records);
  const lines = ['##fileformat=VCFv4.3'];
  for (const c of vs.contigs) lines.push(`##contig=<ID=${c.id}${c.length !== undefined ? `,length=${c.length}` : ''}>`);
  for (const f of vs.filters) lines.push(`##FILTER=<ID=${f.id},Description="${f.description}">`);
  if (calls.ploidy > 0) lines.push('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">');
  const fields = calls.fields;
  const defs = new Map(vs.format.map((d) => [d.id, d]));
  for (const f of fields) {
    const d = defs.get(f.id)!;
    lines.push(`##FORMAT=<ID=${d.id},Number=${d.number},Type=${d.type},Description="${d.description}">`);
  }
  lines.push(['#CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO', 'FORMAT', view.sampleId].join('\t'));
  const qbits = new Uint32Array(vs.quality.buffer, vs.quality.byteOffset, vs.quality.length);
  const keys = [...(calls.ploidy > 0 ? ['GT'] : []), ...fields.map((f) => f.id)];
  for (let v = 0; v < vs.numVariants; v++) {
    const alleles = vs.alleles[v]!;
    const filt: string[] = [];
    for (let k = 0; k < vs.filters.length; k++) if (vs.filter[v * vs.filters.length + k]) filt.push(vs.filters[k]!.id);
    const sample: string[] = [];
    if (calls.ploidy > 0) {
      const gt: string[] = [];
      for (let p = 0; p < calls.ploidy; p++) {
        const a = calls.genotype![v * calls.ploidy + p]!;
        if (a === INT_FILL) break;
        gt.push(a === INT_MISSING ? '.' : String(a));
      }
      sample.push(gt.join(calls.phased?.[v] ? '|' : '/') || '.');
    }
    for (const f of fields) {
      const out: string[] = [];
      for (let k = 0; k < f.width; k++) {
        const i = v * f.width + k;
        if (Array.isArray(f.values)) {
          const s = (f.values as string[])[i]!;
          if (s === '') break;
          out.push(s);
        } else if (f.values instanceof Float32Array) {
          const bits = new Uint32Array(f.values.buffer, f.values.byteOffset + i * 4, 1)[0]!;
          if (bits === FLOAT32_FILL_BITS) break;
          out.push(bits === FLOAT32_MISSING_BITS ? '.' : formatFloat32(f.values[i]!));
        } else {
          const x = (f.values as Int32Array)[i]!;
          if (x === INT_FILL) break;
          out.push(x === INT_MISSING ? '.' : String(x));
        }
      }
      sample.push(out.join(',') || '.');
    }
    lines.push(
      [
        vs.contigs[vs.contig[v]!]!.id,
        vs.position[v],
        vs.id[v],
        alleles[0],
        alleles.length > 1 ? alleles.slice(1).join(',') : '.',
        qbits[v] === FLOAT32_MISSING_BITS ? '.' : formatFloat32(vs.quality[v]!),
        filt.length ? filt.join(';') : '.',
        '.',
        keys.join(':') || '.',
        sample.join(':') || '.',
      ].join('\t'),
    );
  }
  return lines;
}
