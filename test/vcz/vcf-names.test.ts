/**
 * INFO/FORMAT IDs that VCF (htslib) allows but that are not plain
 * identifiers — `GERP++_RS`, `Pathway(BioCarta)_short`, `1000Gp3_AF`, from a
 * real 1000 Genomes annotation file — import, and export (Zarr formats 2
 * and 3) under the names `vcf2zarr convert` gives them (`variant_GERP++_RS`);
 * `vcztools view` of the export equals `bcftools view` of the source. An
 * ID that cannot name a Zarr array (`/`, `\`, longer than a file name, a
 * fixed VCZ array's name) is refused at import with a VcfFieldNameError
 * naming the file, the header line and the ID, and the depot is unchanged.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Depot, addFiles, createFromFile } from '../../src/index.ts';
import { depotExportSource } from '../../src/io/index.ts';
import { isVczError } from '../../src/vcf/index.ts';
import { exportVcz } from '../../src/vcz/index.ts';
import { bcftoolsView, repoRoot, run, venvBin } from '../helpers/interop.ts';
import { useTempDir } from '../helpers/tmp.ts';

const dir = useTempDir('names');

const ODD_INFO = ['GERP++_RS', 'Pathway(BioCarta)_short', '1000Gp3_AF'];

function header(info: string[], format: string[]): string[] {
  return [
    '##fileformat=VCFv4.2',
    '##contig=<ID=1,length=100000>',
    ...info,
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    ...format,
    '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2',
  ];
}

/** A VCF using INFO and FORMAT IDs that are valid for htslib but not identifiers. */
function oddNamesVcf(): string {
  const lines = [
    ...header(
      [
        '##INFO=<ID=GERP++_RS,Number=1,Type=Float,Description="GERP++ RS score">',
        '##INFO=<ID=Pathway(BioCarta)_short,Number=.,Type=String,Description="BioCarta pathways">',
        '##INFO=<ID=1000Gp3_AF,Number=A,Type=Float,Description="1000 Genomes phase 3 AF">',
        '##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">',
      ],
      [
        '##FORMAT=<ID=A+B,Number=1,Type=Integer,Description="a plus b">',
        '##FORMAT=<ID=X(y).z,Number=2,Type=Float,Description="x of y dot z">',
      ],
    ),
    '1\t100\trs1\tA\tG\t50\tPASS\tGERP++_RS=1.5;Pathway(BioCarta)_short=a,b;1000Gp3_AF=0.25;DP=9\tGT:A+B:X(y).z\t0/1:3:1.5,2\t1|1:.:4',
    '1\t200\t.\tC\tT,G\t.\t.\t1000Gp3_AF=0.1,0.2\tGT:A+B\t0/2:7\t./.:1',
    '1\t300\t.\tG\tA\t12.5\tPASS\tGERP++_RS=-0.75;DP=4\tGT:X(y).z\t1/1:.,0.5\t0/0:2,3',
  ];
  const path = join(dir(), 'odd-names.vcf');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** Array names of a Zarr store directory (format 2: `.zarray`; format 3: `zarr.json` with node_type array). */
function arrayNames(store: string): string[] {
  return readdirSync(store, { withFileTypes: true })
    .filter((e) => e.isDirectory() && (existsSync(join(store, e.name, '.zarray')) || existsSync(join(store, e.name, 'zarr.json'))))
    .map((e) => e.name)
    .sort();
}

describe('INFO/FORMAT IDs that are valid VCF but not identifiers', () => {
  it('import, export as vcf2zarr names them, and read back like bcftools reads the source', async () => {
    const source = oddNamesVcf();
    const { depot } = await createFromFile(join(dir(), 'odd.depot'), source);
    try {
      const reference = join(dir(), 'odd.ref.vcf');
      writeFileSync(reference, bcftoolsView(['--no-version', source]));
      for (const fmt of [2, 3] as const) {
        const ours = (await exportVcz(depotExportSource(depot), join(dir(), `odd.v${fmt}.vcz`), { zarrFormat: fmt })).path;
        const theirs = join(dir(), `odd.bio2zarr.v${fmt}.vcz`);
        run(venvBin('vcf2zarr'), ['convert', '-Q', '--zarr-format', String(fmt), source, theirs]);
        const names = arrayNames(ours);
        expect(names).toEqual(arrayNames(theirs));
        for (const id of ODD_INFO) expect(names).toContain(`variant_${id}`);
        expect(names).toContain('call_A+B');
        expect(names).toContain('call_X(y).z');
        // zarr-python opens every array of ours
        const py = `import sys, zarr\ng = zarr.open_group(sys.argv[1], mode='r')\nprint('\\n'.join(sorted(k for k, _ in g.arrays())))`;
        expect(run(venvBin('python'), ['-c', py, ours]).stdout.split('\n').filter(Boolean).sort()).toEqual(names);
        const viewed = join(dir(), `odd.v${fmt}.ours.vcf`);
        writeFileSync(viewed, run(venvBin('vcztools'), ['view', '--no-version', ours]).stdout);
        const cmp = run(venvBin('python'), [join(repoRoot, 'test', 'helpers', 'compare_vcfs.py'), reference, viewed], { allowFailure: true });
        expect(cmp.status, cmp.stderr).toBe(0);
      }
    } finally {
      depot.close();
    }
  });

  const GOOD_RECORD = '1\t100\t.\tA\tG\t50\tPASS\t.\tGT\t0/1\t1|1';
  const BAD: { label: string; info: string[]; format: string[]; kind: 'INFO' | 'FORMAT'; id: string }[] = [
    { label: "'/' in an INFO ID", info: ['##INFO=<ID=a/b,Number=1,Type=Integer,Description="slash">'], format: [], kind: 'INFO', id: 'a/b' },
    { label: "'\\' in a FORMAT ID", info: [], format: ['##FORMAT=<ID=b\\c,Number=1,Type=Integer,Description="backslash">'], kind: 'FORMAT', id: 'b\\c' },
    { label: 'an INFO ID longer than a file name', info: [`##INFO=<ID=${'L'.repeat(250)},Number=1,Type=Integer,Description="long">`], format: [], kind: 'INFO', id: 'L'.repeat(250) },
    { label: 'an INFO ID naming a fixed array', info: ['##INFO=<ID=position,Number=1,Type=Integer,Description="clash">'], format: [], kind: 'INFO', id: 'position' },
    { label: 'a FORMAT ID naming a fixed array', info: [], format: ['##FORMAT=<ID=genotype_mask,Number=1,Type=Integer,Description="clash">'], kind: 'FORMAT', id: 'genotype_mask' },
  ];
  for (const bad of BAD) {
    it(`refuses ${bad.label} at import; the depot is unchanged`, async () => {
      const lines = [...header(bad.info, bad.format), GOOD_RECORD];
      const file = join(dir(), `bad-${BAD.indexOf(bad)}.vcf`);
      writeFileSync(file, `${lines.join('\n')}\n`);
      const declared = lines.findIndex((l) => l.includes(`ID=${bad.id},`)) + 1;
      const check = (err: unknown): boolean => {
        expect(isVczError(err, 'vcf-field-name'), String(err)).toBe(true);
        const e = err as Error & { file: string; line: number; id: string; kind: string };
        expect([e.file, e.line, e.kind, e.id]).toEqual([file, declared, bad.kind, bad.id]);
        expect(e.message).toContain(`${file}:${declared}:`);
        expect(e.message).toContain(`${bad.kind}/${bad.id}`);
        return true;
      };
      // create --from: no depot is left behind
      const created = join(dir(), `bad-${BAD.indexOf(bad)}.depot`);
      await expect(createFromFile(created, file)).rejects.toSatisfy(check);
      expect(existsSync(created)).toBe(false);
      // append: the depot is exactly as it was
      const goodFile = join(dir(), `good-${BAD.indexOf(bad)}.vcf`);
      writeFileSync(goodFile, `${[...header([], []), GOOD_RECORD].join('\n')}\n`);
      const { depot } = await createFromFile(join(dir(), `good-${BAD.indexOf(bad)}.depot`), goodFile, { samples: false });
      try {
        const before = { version: depot.version(), samples: depot.samples(), log: depot.log().length };
        await expect(addFiles(depot, [file])).rejects.toSatisfy(check);
        expect({ version: depot.version(), samples: depot.samples(), log: depot.log().length }).toEqual(before);
      } finally {
        depot.close();
      }
      const reopened = Depot.open(join(dir(), `good-${BAD.indexOf(bad)}.depot`));
      expect(reopened.samples()).toEqual([]);
      reopened.close();
    });
  }
});
