/**
 * BCF input (src/vcf/bcf.ts): every VCF fixture in test/data/vcf, and the
 * generated edge cases, converted with `bcftools view -Ob` (BGZF) and `-Ou`
 * (uncompressed BCF), import exactly as the VCF does: the same variant set
 * and the same calls, bit for bit (NaN patterns included), through readVcf,
 * the windowed reader of streaming imports, createFromFile and addFiles.
 * A truncated or corrupt BCF is a typed error naming the file; the CLI's
 * `create --from x.bcf` and `append` take BCF.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { SampleCalls, VariantSet } from '../../src/codec/index.ts';
import { Depot, addFiles, createFromFile } from '../../src/index.ts';
import { depotExportSource } from '../../src/io/index.ts';
import { isVczError, readVcf, readVcfWindows, type VcfData } from '../../src/vcf/index.ts';
import { exportVcz } from '../../src/vcz/index.ts';
import { runCli } from '../helpers/cli.ts';
import { repoRoot, run, venvBin } from '../helpers/interop.ts';
import { GENERATED } from './edge-vcfs.ts';
import { useTempDir } from '../helpers/tmp.ts';

const dataDir = join(repoRoot, 'test', 'data', 'vcf');
const fixtures = readdirSync(dataDir)
  .filter((f) => f.endsWith('.vcf.gz'))
  .sort();

const tmp = useTempDir('bcf');

/**
 * `bcftools view -Ob` of `vcf` into the temp dir (BGZF), or that BCF
 * gunzipped (uncompressed BCF: bcftools infers BGZF from a `.bcf` output name
 * even with `-Ou`).
 */
function toBcf(vcf: string, compressed: boolean): string {
  const stem = join(tmp(), basename(vcf).replace(/\.vcf(\.gz)?$/, ''));
  const bgzf = `${stem}.bgzf.bcf`;
  run('bcftools', ['view', '--no-version', '-Ob', '-o', bgzf, vcf]);
  if (compressed) return bgzf;
  const raw = `${stem}.raw.bcf`;
  writeFileSync(raw, gunzipSync(readFileSync(bgzf)));
  expect(readFileSync(raw).subarray(0, 5)).toEqual(Buffer.from('BCF\x02\x02', 'latin1'));
  return raw;
}

/** A value with typed arrays as [dtype, values] and float32 as bit patterns, for exact comparison. */
function plain(x: unknown): unknown {
  if (x instanceof Float32Array) return ['float32', Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length))];
  if (ArrayBuffer.isView(x)) return [x.constructor.name, Array.from(x as unknown as ArrayLike<number>)];
  if (Array.isArray(x)) return x.map(plain);
  if (x !== null && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]));
  return x;
}

function variantSetOf(vs: VariantSet): unknown {
  return plain(vs);
}

function callsOf(data: VcfData): unknown[] {
  return data.sampleIds.map((_, i) => plain(data.calls(i) as SampleCalls));
}

async function expectSameImport(vcf: string): Promise<void> {
  const fromVcf = await readVcf(vcf);
  for (const compressed of [true, false]) {
    const bcf = toBcf(vcf, compressed);
    const fromBcf = await readVcf(bcf);
    expect(fromBcf.sampleIds, bcf).toEqual(fromVcf.sampleIds);
    expect(variantSetOf(fromBcf.variantSet), bcf).toEqual(variantSetOf(fromVcf.variantSet));
    expect(fromBcf.source).toBe(fromVcf.source);
    expect(callsOf(fromBcf), bcf).toEqual(callsOf(fromVcf));
  }
}

describe('a BCF imports exactly as its VCF', () => {
  for (const f of fixtures) {
    it(f, async () => {
      await expectSameImport(join(dataDir, f));
    });
  }
  for (const [name, lines] of Object.entries(GENERATED)) {
    it(`generated: ${name}`, async () => {
      const path = join(tmp(), `${name}.vcf`);
      writeFileSync(path, `${lines.join('\n')}\n`);
      await expectSameImport(path);
    });
  }

  it('the windowed reader (streaming imports) gives the same windows for BCF as for VCF', async () => {
    const vcf = join(dataDir, 'chr22.vcf.gz');
    const maxAlleles = Math.max(2, ...(await readVcf(vcf)).variantSet.alleles.map((a) => a.length));
    const collect = async (path: string): Promise<unknown[]> => {
      // A first pass measures the shape; the second, given it, hands out every window.
      const first = await readVcfWindows(path, { windowSize: 7, maxAlleles, onWindow: () => {} });
      const windows: unknown[] = [plain(first.window)];
      await readVcfWindows(path, {
        windowSize: 7,
        maxAlleles,
        shape: first.window.shape,
        onWindow: (w) => windows.push(plain({ start: w.start, end: w.end, variants: w.variants, calls: w.sampleIds.map((_, i) => w.calls(i)) })),
      });
      return windows;
    };
    const expected = await collect(vcf);
    expect(expected.length).toBeGreaterThan(3);
    expect(await collect(toBcf(vcf, true))).toEqual(expected);
  });
});

describe('depots from BCF', () => {
  it('createFromFile (whole and streamed) and addFiles take BCF; the export equals the VCF one', async () => {
    const vcf = join(dataDir, 'sample.vcf.gz');
    const bcf = toBcf(vcf, true);
    const a = await createFromFile(join(tmp(), 'from-vcf.depot'), vcf);
    const b = await createFromFile(join(tmp(), 'from-bcf.depot'), bcf, { streamFromBytes: 0 });
    try {
      expect(b.depot.samples()).toEqual(a.depot.samples());
      const ea = await exportVcz(depotExportSource(a.depot), join(tmp(), 'from-vcf.vcz'));
      const eb = await exportVcz(depotExportSource(b.depot), join(tmp(), 'from-bcf.vcz'));
      const report = JSON.parse(run(venvBin('python'), [join(repoRoot, 'test', 'vcz', 'vcz_interop.py'), 'compare', eb.path, ea.path]).stdout) as { problems: unknown[] };
      expect(report.problems).toEqual([]);
    } finally {
      a.depot.close();
      b.depot.close();
    }
    // append: part1 from VCF, part2 as BCF (streamed and whole)
    for (const streamFromBytes of [0, undefined]) {
      const { depot } = await createFromFile(join(tmp(), `parts${streamFromBytes ?? ''}.depot`), join(dataDir, 'sample-part1.vcf.gz'));
      try {
        await addFiles(depot, [toBcf(join(dataDir, 'sample-part2.vcf.gz'), true)], streamFromBytes !== undefined ? { streamFromBytes } : {});
        const whole = await readVcf(vcf);
        expect(depot.samples()).toEqual(whole.sampleIds);
      } finally {
        depot.close();
      }
    }
  });

  it('the CLI: create --from x.bcf and append y.bcf', async () => {
    const depotPath = join(tmp(), 'cli.depot');
    const r = await runCli('create', depotPath, '--from', toBcf(join(dataDir, 'sample-part1.vcf.gz'), true), '--json');
    expect(r.code, r.err).toBe(0);
    const r2 = await runCli('append', depotPath, toBcf(join(dataDir, 'sample-part2.vcf.gz'), false), '--json');
    expect(r2.code, r2.err).toBe(0);
    const depot = Depot.open(depotPath);
    expect(depot.samples()).toEqual((await readVcf(join(dataDir, 'sample.vcf.gz'))).sampleIds);
    depot.close();
  });
});

describe('broken BCF is a typed error naming the file', () => {
  const whole = (): Buffer => readFileSync(toBcf(join(dataDir, 'chr22.vcf.gz'), false));

  it('uncompressed BCF cut inside a record: bcf-format, with the record line', async () => {
    const path = join(tmp(), 'cut.bcf');
    const b = whole();
    writeFileSync(path, b.subarray(0, b.length - 10));
    expect(run('bcftools', ['view', path], { allowFailure: true }).status).not.toBe(0);
    const err = await readVcf(path).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isVczError(err, 'bcf-format'), String(err)).toBe(true);
    expect((err as { file: string }).file).toBe(path);
    expect((err as Error).message).toContain(path);
    expect((err as { line: number }).line).toBeGreaterThan(0);
  });

  it('uncompressed BCF cut inside the header', async () => {
    const path = join(tmp(), 'cut-header.bcf');
    writeFileSync(path, whole().subarray(0, 100));
    await expect(readVcf(path)).rejects.toSatisfy((e) => isVczError(e, 'bcf-format') && (e as Error).message.includes(path));
  });

  it('a BGZF BCF cut short: vcf-truncated', async () => {
    const path = join(tmp(), 'cut.bgzf.bcf');
    const b = readFileSync(toBcf(join(dataDir, 'chr22.vcf.gz'), true));
    writeFileSync(path, b.subarray(0, Math.floor(b.length / 2)));
    await expect(readVcf(path)).rejects.toSatisfy((e) => isVczError(e, 'vcf-truncated') && (e as Error).message.includes(path));
  });

  it('a corrupt record (a CHROM index the header lacks): bcf-format; a bad version: bcf-format', async () => {
    const b = whole();
    const lText = b.readUInt32LE(5);
    const first = 9 + lText; // first record: l_shared, l_indiv, CHROM
    const bad = Buffer.from(b);
    bad.writeInt32LE(99999, first + 8);
    const path = join(tmp(), 'chrom.bcf');
    writeFileSync(path, bad);
    await expect(readVcf(path)).rejects.toSatisfy((e) => isVczError(e, 'bcf-format') && /CHROM index 99999/.test((e as Error).message));
    const v = Buffer.from(b);
    v[3] = 3;
    const path2 = join(tmp(), 'version.bcf');
    writeFileSync(path2, v);
    await expect(readVcf(path2)).rejects.toSatisfy((e) => isVczError(e, 'bcf-format') && /version 3/.test((e as Error).message));
    // nothing is left behind by a failed create
    await expect(createFromFile(join(tmp(), 'bad.depot'), path)).rejects.toSatisfy((e) => isVczError(e, 'bcf-format'));
    expect(existsSync(join(tmp(), 'bad.depot'))).toBe(false);
  });

  it('mutated BCF bytes (uncompressed and BGZF): a typed error or a usable result, never a crash', async () => {
    const raw = readFileSync(toBcf(join(dataDir, 'sample.vcf.gz'), false));
    const lText = raw.readUInt32LE(5);
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const outcomes = { ok: 0, typed: 0 };
    for (let k = 0; k < 150; k++) {
      const b = Buffer.from(raw);
      // flip 1-4 bytes, most of them in the records (after the header text)
      for (let j = 0, n = 1 + rand(4); j < n; j++) {
        const at = rand(10) < 8 ? 9 + lText + rand(b.length - 9 - lText) : rand(b.length);
        b[at] = rand(256);
      }
      const path = join(tmp(), `mutated-${k}.bcf`);
      writeFileSync(path, k % 3 === 2 ? gzipSync(b) : b);
      try {
        const data = await readVcf(path);
        for (let i = 0; i < data.sampleIds.length; i++) data.calls(i);
        outcomes.ok++;
      } catch (err) {
        expect(isVczError(err), `case ${k}: ${String(err)}`).toBe(true);
        expect((err as Error).message).toContain(path);
        outcomes.typed++;
      }
    }
    expect(outcomes.typed).toBeGreaterThan(10);
  });
});
