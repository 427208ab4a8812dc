/**
 * Test helper: runs our merge (src/merge) and `bcftools merge --no-version`
 * on the same VCF.gz files and compares the two outputs record by record.
 *
 * Our side: each file read with the project's reader (`readVcf`), the sets
 * merged with `mergeVariantSets`, every sample's calls moved with
 * `remapCalls`, then written as VCF body lines by {@link writeMergedVcf}
 * (AC/AN recomputed from the merged GT when the header declares them, as
 * bcftools' update_AN_AC does).
 *
 * Comparison ({@link normaliseRecord}): CHROM POS ID REF ALT exact; QUAL as
 * float32; FILTER as a set; INFO as a set of KEY=VALUE with all-missing
 * values dropped (INFO order is not part of the VCZ model); per sample and
 * FORMAT key (GT exact) the value with floats as float32 and an all-missing
 * vector written `.`, a key absent from a record counting as `.` (a VCZ has
 * one FORMAT list for all records).
 */
import { run } from '../helpers/interop.ts';
import { readVcf } from '../../src/vcf/index.ts';
import { mergeVariantSets, remapCalls, type MergeMode } from '../../src/merge/index.ts';
import {
  FLOAT32_FILL_BITS,
  FLOAT32_MISSING_BITS,
  INT_FILL,
  INT_MISSING,
  type SampleCalls,
  type VariantSet,
} from '../../src/codec/index.ts';

/** A record reduced to comparable text. */
export interface NormalRecord {
  readonly site: string;
  readonly filter: string;
  readonly info: string;
  readonly samples: string;
}

function num(tok: string): string {
  if (tok === '.' || tok === '') return '.';
  const x = Number(tok);
  if (!Number.isFinite(x)) return tok;
  return String(Math.fround(x));
}

/** A comma-separated value normalised: numbers as float32 text, all-missing → `.`. */
function normValue(v: string): string {
  const toks = v.split(',').map(num);
  return toks.every((t) => t === '.') ? '.' : toks.join(',');
}

/** Normalises one VCF body line (tab-separated, with FORMAT and samples). */
export function normaliseRecord(line: string): NormalRecord {
  const c = line.split('\t');
  const site = [c[0], c[1], c[2], c[3], c[4], num(c[5]!)].join(' ');
  const filter = c[6] === '.' ? '.' : c[6]!.split(';').sort().join(';');
  const info =
    c[7] === '.'
      ? ''
      : c[7]!
          .split(';')
          .map((kv) => {
            const i = kv.indexOf('=');
            if (i < 0) return kv;
            const v = normValue(kv.slice(i + 1));
            return v === '.' ? '' : `${kv.slice(0, i)}=${v}`;
          })
          .filter(Boolean)
          .sort()
          .join(';');
  const keys = (c[8] ?? '').split(':');
  const samples = c
    .slice(9)
    .map((s) => {
      const vals = s.split(':');
      const o: string[] = [];
      keys.forEach((k, i) => {
        const v = vals[i] ?? '.';
        if (k === 'GT') o.push(`GT=${v}`);
        else {
          const n = normValue(v);
          if (n !== '.') o.push(`${k}=${n}`);
        }
      });
      return o.sort().join(':');
    })
    .join('\t');
  return { site, filter, info, samples };
}

function cellText(values: ArrayLike<number> | readonly string[], i: number, float: boolean): string | undefined {
  if (Array.isArray(values)) {
    const s = (values as string[])[i]!;
    return s === '' ? undefined : s;
  }
  if (float) {
    const f = values as Float32Array;
    const bits = new Uint32Array(f.buffer, f.byteOffset + i * 4, 1)[0]!;
    if (bits === FLOAT32_FILL_BITS) return undefined;
    return bits === FLOAT32_MISSING_BITS ? '.' : String(Math.fround(f[i]!));
  }
  const x = (values as ArrayLike<number>)[i]!;
  return x === INT_FILL ? undefined : x === INT_MISSING ? '.' : String(x);
}

function vectorText(values: ArrayLike<number> | readonly string[], v: number, width: number, float: boolean): string {
  const out: string[] = [];
  for (let k = 0; k < width; k++) {
    const t = cellText(values, v * width + k, float);
    if (t === undefined) break;
    out.push(t);
  }
  return out.length ? out.join(',') : '.';
}

/**
 * VCF body lines of a merged variant set and the samples' remapped calls.
 * `carried[s][v]` is 1 when sample s's own set has merged site v: a sample
 * without the site prints the record's largest ploidy of missing (or, with
 * `missingToRef`, 0) alleles, as bcftools' merge_GT pads it.
 */
export function writeMergedVcf(vs: VariantSet, calls: readonly SampleCalls[], carried: readonly Uint8Array[], missingToRef = false): string[] {
  const lines: string[] = [];
  const hasAC = vs.info.some((c) => c.def.id === 'AC');
  const hasAN = vs.info.some((c) => c.def.id === 'AN');
  const anyGt = calls.some((c) => c.ploidy > 0);
  for (let v = 0; v < vs.numVariants; v++) {
    const als = vs.alleles[v]!;
    const nF = vs.filters.length;
    const flt = vs.filters.filter((_, k) => vs.filter[v * nF + k]).map((f) => f.id);
    const qb = new Uint32Array(vs.quality.buffer, vs.quality.byteOffset + v * 4, 1)[0]!;
    const info: string[] = [];
    for (const col of vs.info) {
      if (col.def.id === 'AC' || col.def.id === 'AN') continue;
      if (col.def.type === 'Flag') {
        if ((col.values as Uint8Array)[v]) info.push(col.def.id);
        continue;
      }
      const t = vectorText(col.values as ArrayLike<number>, v, col.width, col.def.type === 'Float');
      if (t !== '.') info.push(`${col.def.id}=${t}`);
    }
    const gts: string[] = [];
    const ac = new Array<number>(als.length).fill(0);
    let an = 0;
    let nsize = 0;
    calls.forEach((c, s) => {
      if (!carried[s]![v] || c.ploidy === 0) return;
      let p = 0;
      while (p < c.ploidy && c.genotype![v * c.ploidy + p] !== INT_FILL) p++;
      nsize = Math.max(nsize, p);
    });
    nsize ||= 1;
    for (const [s, c] of calls.entries()) {
      if (c.ploidy === 0) {
        gts.push('.');
        continue;
      }
      if (!carried[s]![v]) {
        if (missingToRef) an += nsize;
        if (missingToRef) ac[0]! += nsize;
        gts.push(new Array<string>(nsize).fill(missingToRef ? '0' : '.').join('/'));
        continue;
      }
      const a: string[] = [];
      for (let p = 0; p < c.ploidy; p++) {
        const x = c.genotype![v * c.ploidy + p]!;
        if (x === INT_FILL) break;
        if (x >= 0) {
          an++;
          ac[x]!++;
        }
        a.push(x < 0 ? '.' : String(x));
      }
      gts.push(a.join(c.phased![v] ? '|' : '/'));
    }
    if (anyGt && hasAN) info.push(`AN=${an}`);
    if (anyGt && hasAC && als.length > 1) info.push(`AC=${ac.slice(1).join(',')}`);
    const keys = [...(anyGt ? ['GT'] : []), ...vs.format.map((d) => d.id)];
    const samples = calls.map((c, s) => {
      const parts: string[] = anyGt ? [gts[s]!] : [];
      for (const d of vs.format) {
        const f = c.fields.find((x) => x.id === d.id);
        parts.push(f ? vectorText(f.values as ArrayLike<number>, v, f.width, f.values instanceof Float32Array) : '.');
      }
      return parts.join(':');
    });
    lines.push(
      [
        vs.contigs[vs.contig[v]!]!.id,
        String(vs.position[v]),
        vs.id[v],
        als[0],
        als.length > 1 ? als.slice(1).join(',') : '.',
        qb === FLOAT32_MISSING_BITS ? '.' : String(vs.quality[v]),
        flt.length ? flt.join(';') : '.',
        info.length ? info.join(';') : '.',
        keys.join(':'),
        ...samples,
      ].join('\t'),
    );
  }
  return lines;
}

/** Our merge of `paths` (bgzipped VCFs) as VCF body lines, plus the merged set. */
export async function ourMerge(paths: readonly string[], mode: MergeMode, missingToRef = false): Promise<{ lines: string[]; merged: ReturnType<typeof mergeVariantSets> }> {
  const data = await Promise.all(paths.map((p) => readVcf(p)));
  const merged = mergeVariantSets(
    data.map((d) => d.variantSet),
    { mode },
  );
  const calls: SampleCalls[] = [];
  const carried: Uint8Array[] = [];
  data.forEach((d, i) => {
    const has = new Uint8Array(merged.variantSet.numVariants);
    for (const m of merged.siteMap[i]!) has[m] = 1;
    for (let s = 0; s < d.sampleIds.length; s++) {
      calls.push(remapCalls(merged, i, d.calls(s), d.variantSet.format, { missingToRef }));
      carried.push(has);
    }
  });
  return { lines: writeMergedVcf(merged.variantSet, calls, carried, missingToRef), merged };
}

/** `bcftools merge --no-version -m MODE [-0]` of `paths` as VCF body lines. */
export function bcftoolsMerge(paths: readonly string[], mode: MergeMode, missingToRef = false): string[] {
  const args = ['merge', '--no-version', '-m', mode, ...(missingToRef ? ['-0'] : []), ...paths];
  return run('bcftools', args).stdout.split('\n').filter((l) => l && !l.startsWith('#'));
}

/** The first difference between two outputs as text, or undefined when they agree. */
export function firstDifference(expected: readonly string[], actual: readonly string[]): string | undefined {
  const n = Math.max(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    const e = expected[i];
    const a = actual[i];
    if (e === undefined || a === undefined) return `record ${i}: bcftools ${e ?? '(none)'}\n  ours ${a ?? '(none)'}`;
    const ne = normaliseRecord(e);
    const na = normaliseRecord(a);
    for (const k of ['site', 'filter', 'info', 'samples'] as const)
      if (ne[k] !== na[k]) return `record ${i} ${k}:\n  bcftools ${ne[k]}\n  ours     ${na[k]}\n  (bcftools line: ${e})\n  (our line:      ${a})`;
  }
  return undefined;
}

/** Writes `text` as FILE.vcf, bgzips and indexes it; returns the .vcf.gz path. */
export function writeIndexedVcf(path: string, text: string, fs: { writeFileSync(p: string, t: string): void }): string {
  fs.writeFileSync(path, text);
  run('bgzip', ['-f', path]);
  run('bcftools', ['index', '-f', `${path}.gz`]);
  return `${path}.gz`;
}
