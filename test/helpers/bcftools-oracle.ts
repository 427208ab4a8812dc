/**
 * The bcftools oracle for exports (docs/vcz-export.md, "Cohort-level INFO"
 * and "Selecting samples and regions"): what `bcftools view -s SAMPLES -r
 * REGIONS` writes for the source VCF, with AF refilled from the genotypes by
 * `bcftools +fill-tags -- -t AF` (bcftools view leaves AF; our export
 * recomputes it on purpose).
 *
 * One adjustment, for a limit of VCZ: a record with no GT at all (no FORMAT
 * GT key, or no sample) is left alone by bcftools, but in VCZ its calls are
 * missing genotypes like `./.`, which bcftools counts as AN=0, AC=0. Such
 * records get AN=0, AC=0,…, AF=.,… here, as our export writes them.
 */
import { execFileSync } from 'node:child_process';
import { run } from './interop.ts';

/** Options of {@link bcftoolsReference}. */
export interface ReferenceOptions {
  /** `-s` list (bcftools syntax; `^` excludes); default every sample. */
  readonly samples?: string;
  /** `-r` list; needs an index next to the source. */
  readonly regions?: string;
}

/** The header's INFO/FORMAT declarations the oracle depends on. */
function declared(source: string): { ac: boolean; an: boolean; af: boolean; gt: boolean; samples: string[] } {
  const header = run('bcftools', ['view', '-h', source]).stdout;
  const has = (kind: string, id: string): boolean => new RegExp(`^##${kind}=<ID=${id},`, 'm').test(header);
  const samples = run('bcftools', ['query', '-l', source]).stdout.split('\n').filter(Boolean);
  return { ac: has('INFO', 'AC'), an: has('INFO', 'AN'), af: has('INFO', 'AF'), gt: has('FORMAT', 'GT'), samples };
}

/**
 * VCF text of the oracle: `bcftools view --no-version [-s] [-r] SOURCE`
 * (AC/AN recomputed by bcftools when the header declares them and GT; with
 * `--no-update` otherwise, so that bcftools does not add AC/AN the variant
 * set lacks), then `+fill-tags -t AF` when AF and GT are declared, then the
 * no-GT adjustment above.
 */
export function bcftoolsReference(source: string, options: ReferenceOptions = {}): string {
  const d = declared(source);
  const samples = options.samples ?? d.samples.join(',');
  const update = d.gt && d.ac && d.an;
  const args = ['view', '--no-version', ...(samples ? ['-s', samples] : []), ...(update ? [] : ['--no-update']), ...(options.regions ? ['-r', options.regions] : []), source];
  let text = run('bcftools', args).stdout;
  if (d.gt && d.af) text = execFileSync('bcftools', ['+fill-tags', '--no-version', '-', '--', '-t', 'AF'], { input: text, maxBuffer: 1 << 30 }).toString('utf8');
  if (!d.gt) return text;
  return text
    .split('\n')
    .map((line) => {
      if (line === '' || line.startsWith('#')) return line;
      const cols = line.split('\t');
      if (cols.length > 9 && cols[8]!.split(':').includes('GT')) return line;
      const nAlt = cols[4] === '.' ? 0 : cols[4]!.split(',').length;
      const drop = (key: string): boolean => (update && (key === 'AC' || key === 'AN')) || (d.af && key === 'AF');
      const info = (cols[7] === '.' ? [] : cols[7]!.split(';')).filter((kv) => !drop(kv.split('=')[0]!));
      if (update) info.push('AN=0');
      if (update && nAlt > 0) info.push(`AC=${Array(nAlt).fill(0).join(',')}`);
      if (d.af && nAlt > 0) info.push(`AF=${Array(nAlt).fill('.').join(',')}`);
      cols[7] = info.length ? info.join(';') : '.';
      return cols.join('\t');
    })
    .join('\n');
}

/**
 * `raw` (a VCF's text) with each record's AC/AN/AF replaced by those of the
 * same record in `updated` (a {@link bcftoolsReference} of every sample, no
 * regions): the header stays byte for byte, so `vcf2zarr convert` of the
 * result differs from that of the raw file only in these fields.
 *
 * @throws Error when the two do not hold the same records (CHROM, POS) in order.
 */
export function withUpdatedInfo(raw: string, updated: string): string {
  const records = (t: string) => t.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  const newer = records(updated);
  let i = 0;
  return raw
    .split('\n')
    .map((line) => {
      if (line === '' || line.startsWith('#')) return line;
      const cols = line.split('\t');
      const ref = newer[i++]?.split('\t');
      if (!ref || ref[0] !== cols[0] || ref[1] !== cols[1]) throw new Error(`record ${i} differs: ${cols.slice(0, 2).join(':')} vs ${ref?.slice(0, 2).join(':')}`);
      const pick = (info: string) => (info === '.' ? [] : info.split(';'));
      const kept = pick(cols[7]!).filter((kv) => !/^(AC|AN|AF)(=|$)/.test(kv));
      const fresh = pick(ref[7]!).filter((kv) => /^(AC|AN|AF)(=|$)/.test(kv));
      const info = [...kept, ...fresh];
      cols[7] = info.length ? info.join(';') : '.';
      return cols.join('\t');
    })
    .join('\n');
}
