/**
 * A FILTER key the header does not declare: bcftools 1.16 reads the file
 * with a warning (`[W::vcf_parse_filter] FILTER 'x' is not defined in the
 * header`, once per key) and htslib adds `##FILTER=<ID=x,Description="Dummy">`
 * to the header it holds. We read it the same way: the import succeeds, each
 * key is warned about once (file, line, key), and the filter joins
 * `filter_id` / `variant_filter`. The oracle for the header is htslib's own
 * (cyvcf2's header after reading every record), for the records `bcftools
 * view`; `vcztools view` of our export must equal them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Depot, createFromFile, readVcf, type VcfWarning } from '../../src/index.ts';
import { depotExportSource } from '../../src/io/index.ts';
import { exportVcz } from '../../src/vcz/index.ts';
import { runCli } from '../helpers/cli.ts';
import { repoRoot, run, venvBin } from '../helpers/interop.ts';
import { useTempDir } from '../helpers/tmp.ts';

const dir = useTempDir('filter');

const LINES = [
  '##fileformat=VCFv4.2',
  '##FILTER=<ID=q10,Description="Quality below 10">',
  '##contig=<ID=1,length=1000>',
  '##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">',
  '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
  '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2',
  '1\t10\t.\tA\tG\t50\tPASS\tDP=3\tGT\t0/1\t1/1',
  '1\t20\t.\tA\tG\t5\tq10;lowQ\tDP=3\tGT\t0/1\t0|0',
  '1\t30\t.\tA\tG\t50\tlowQ;zed;lowQ\tDP=3\tGT\t0/1\t./.',
  '1\t40\t.\tC\tT\t50\tzed\t.\tGT\t1/1\t0/1',
  '1\t50\t.\tC\tT\t.\t.\t.\tGT\t1/1\t0/1',
];

function writeSource(name: string): string {
  const path = join(dir(), name);
  writeFileSync(path, `${LINES.join('\n')}\n`);
  return path;
}

/** bcftools' warnings about undeclared FILTER keys, as [key] in order. */
function bcftoolsWarnings(path: string): string[] {
  const r = run('bcftools', ['view', '--no-version', path]);
  return [...r.stderr.matchAll(/\[W::vcf_parse_filter\] FILTER '([^']*)' is not defined in the header/g)].map((m) => m[1]!);
}

/** htslib's header after reading every record (cyvcf2), then `bcftools view`'s records. */
function htslibView(path: string): string {
  const py = ['import sys, cyvcf2', 'v = cyvcf2.VCF(sys.argv[1])', 'for _ in v: pass', 'sys.stdout.write(v.raw_header)'].join('\n');
  const header = run(venvBin('python'), ['-c', py, path]).stdout;
  const body = run('bcftools', ['view', '--no-version', '-H', path]).stdout;
  return header + body;
}

describe('an undeclared FILTER key is read as bcftools reads it', () => {
  it('readVcf warns once per key (file, line) and adds the filter as htslib does', async () => {
    const source = writeSource('undeclared.vcf');
    const warnings: VcfWarning[] = [];
    const data = await readVcf(source, { onWarning: (w) => warnings.push(w) });
    expect(warnings.map((w) => w.key)).toEqual(bcftoolsWarnings(source));
    expect(warnings.map((w) => [w.file, w.line, w.kind])).toEqual([
      [source, 8, 'undeclared-filter'],
      [source, 9, 'undeclared-filter'],
    ]);
    expect(warnings[0]!.message).toContain(`${source}:8:`);
    expect(warnings[0]!.message).toContain("FILTER 'lowQ'");
    // htslib's header after the read lists the filters in this order, lowQ and zed "Dummy"
    const hdr = htslibView(source).split('\n').filter((l) => l.startsWith('##FILTER='));
    const ids = hdr.map((l) => /ID=([^,>]+)/.exec(l)![1]);
    expect(data.variantSet.filters.map((f) => f.id)).toEqual(ids);
    expect(data.variantSet.filters.find((f) => f.id === 'lowQ')!.description).toBe(/Description="([^"]*)"/.exec(hdr[ids.indexOf('lowQ')]!)![1]);
    const F = data.variantSet.filters.length;
    const rows = Array.from({ length: data.variantSet.numVariants }, (_, v) =>
      data.variantSet.filters.filter((_, f) => data.variantSet.filter[v * F + f] === 1).map((f) => f.id),
    );
    const bcf = run('bcftools', ['query', '-f', '%FILTER\\n', source]).stdout.trim().split('\n');
    expect(rows.map((r) => (r.length ? r.join(';') : '.'))).toEqual(bcf.map((f) => [...new Set(f.split(';'))].join(';')));
  });

  it('create → export (formats 2 and 3) → vcztools view equals bcftools; filter_id holds the added keys', async () => {
    const source = writeSource('undeclared-export.vcf');
    for (const streamFromBytes of [undefined, 0]) {
      const warnings: VcfWarning[] = [];
      const path = join(dir(), `u${streamFromBytes ?? ''}.depot`);
      const { depot } = await createFromFile(path, source, { onWarning: (w) => warnings.push(w), ...(streamFromBytes !== undefined ? { streamFromBytes } : {}) });
      try {
        // the streaming import reads the file twice; each warning is still given once
        expect(warnings.map((w) => w.key)).toEqual(['lowQ', 'zed']);
        const reference = join(dir(), 'undeclared.ref.vcf');
        writeFileSync(reference, htslibView(source));
        for (const fmt of [2, 3] as const) {
          const store = (await exportVcz(depotExportSource(depot), join(dir(), `u${streamFromBytes ?? ''}.v${fmt}.vcz`), { zarrFormat: fmt })).path;
          const ours = join(dir(), `u.v${fmt}.ours.vcf`);
          writeFileSync(ours, run(venvBin('vcztools'), ['view', '--no-version', store]).stdout);
          const cmp = run(venvBin('python'), [join(repoRoot, 'test', 'helpers', 'compare_vcfs.py'), reference, ours], { allowFailure: true });
          expect(cmp.status, cmp.stderr).toBe(0);
          const py = 'import sys, zarr, json\ng = zarr.open_group(sys.argv[1], mode="r")\nprint(json.dumps([list(map(str, g["filter_id"][:])), g["variant_filter"][:].astype(int).tolist()]))';
          const [filterId, variantFilter] = JSON.parse(run(venvBin('python'), ['-c', py, store]).stdout) as [string[], number[][]];
          expect(filterId).toEqual(depot.variantSet().filters.map((f) => f.id));
          expect(filterId).toEqual(expect.arrayContaining(['lowQ', 'zed']));
          const bcf = run('bcftools', ['query', '-f', '%FILTER\\n', source]).stdout.trim().split('\n');
          expect(variantFilter).toEqual(bcf.map((f) => filterId.map((id) => (f.split(';').includes(id) ? 1 : 0))));
        }
      } finally {
        depot.close();
      }
    }
  });

  it('the CLI imports it and prints the warnings on stderr', async () => {
    const source = writeSource('undeclared-cli.vcf');
    const depotPath = join(dir(), 'cli.depot');
    const r = await runCli('create', depotPath, '--from', source);
    expect(r.code, r.err).toBe(0);
    const warnings = r.err.split('\n').filter((l) => l.startsWith('vczdepot: warning: '));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain(`${source}:8: FILTER 'lowQ'`);
    expect(warnings[1]).toContain(`${source}:9: FILTER 'zed'`);
    const depot = Depot.open(depotPath);
    expect(depot.variantSet().filters.map((f) => f.id)).toEqual(['PASS', 'q10', 'lowQ', 'zed']);
    expect(depot.samples()).toEqual(['S1', 'S2']);
    depot.close();
  });
});
