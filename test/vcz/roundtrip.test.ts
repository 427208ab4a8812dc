/**
 * Round trip through VCZ: import each test/data/vcz/*.vcz.zip (bio2zarr's
 * output), put it in a depot, export it, and compare array by array with
 * zarr-python: same arrays, dims, dtypes and values bit for bit. The
 * fixtures' variant arrays were re-chunked by vcztools' test builder, so
 * chunk shapes are not compared here (test/vcz/export.test.ts compares
 * chunking and metadata bytes against a fresh vcf2zarr convert). INFO/AC,
 * AN and AF are exported as stored (`updateInfo: false`).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Depot, addSamplesFromFiles, readInput } from '../../src/index.ts';
import { depotExportSource } from '../../src/io/index.ts';
import { exportVcz } from '../../src/vcz/index.ts';
import { repoRoot, run, venvBin } from '../helpers/interop.ts';
import { useTempDir } from '../helpers/tmp.ts';

const vczDir = join(repoRoot, 'test', 'data', 'vcz');
const dir = useTempDir('roundtrip');

interface Dumped {
  attrs: Record<string, unknown>;
  arrays: Record<string, { dtype: string; kind: string; shape: number[]; dims: string[] | null; values: unknown[] }>;
}
const dump = (store: string): Dumped => JSON.parse(run(venvBin('python'), [join(repoRoot, 'test', 'helpers', 'dump_vcz.py'), store]).stdout);

describe('VCZ → depot → VCZ', () => {
  for (const file of readdirSync(vczDir).filter((f) => f.endsWith('.zip')).sort()) {
    it(file, async () => {
      const source = join(vczDir, file);
      const data = await readInput(source);
      const depot = Depot.create(join(dir(), `${file}.depot`), data.variantSet);
      try {
        if (data.sampleIds.length) addSamplesFromFiles(depot, [{ file, data }]);
        const fmt = file.includes('vcz3') ? 3 : 2;
        // updateInfo false: the stored INFO/AC, AN, AF round-trip as they are (an
        // export recomputes them by default: test/vcz/export-select.test.ts).
        const { path } = await exportVcz(depotExportSource(depot), join(dir(), `${file}.out.vcz`), { zarrFormat: fmt, updateInfo: false });
        const theirs = dump(source);
        const ours = dump(path);
        const names = (d: Dumped) => Object.keys(d.arrays).sort();
        expect(names(ours)).toEqual(names(theirs));
        for (const name of names(theirs)) {
          // region_index depends on the variants chunk size, which differs (see above)
          if (name === 'region_index') continue;
          const a = ours.arrays[name]!;
          const b = theirs.arrays[name]!;
          expect([name, a.dims, a.shape], name).toEqual([name, b.dims, b.shape]);
          expect([name, a.dtype], name).toEqual([name, b.dtype]);
          expect(a.values, name).toEqual(b.values);
        }
        expect(ours.attrs.vcf_meta_information).toEqual(theirs.attrs.vcf_meta_information);
      } finally {
        depot.close();
      }
    });
  }
});
