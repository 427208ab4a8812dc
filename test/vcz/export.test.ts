/**
 * VCZ export: stores built from in-memory sources (records through the real
 * codec) read by zarr-python (formats 2 and 3), xarray and vcztools, and
 * compared array by array with what bio2zarr 0.2.1 writes for the same data.
 */
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FLOAT32_FILL_BITS, FLOAT32_MISSING_BITS, type SampleCalls, type VariantSet } from '../../src/codec/index.ts';
import { minIntDtype, zarrGuessChunks } from '../../src/vcz/export-arrays.ts';
import { exportVcz, type ExportOptions } from '../../src/vcz/index.ts';
import { isVczWriteError } from '../../src/zarr/index.ts';
import { repoRoot, run, venvBin } from '../helpers/interop.ts';
import { bcftoolsReference, withUpdatedInfo } from '../helpers/bcftools-oracle.ts';
import { makeSource, modelFromDump, type VczDump } from './model.ts';
import { useTempDir } from '../helpers/tmp.ts';

const helper = join(repoRoot, 'test/vcz/vcz_interop.py');
const py = (...args: string[]): string => run(venvBin('python'), [helper, ...args]).stdout;
const dump = (store: string): VczDump => JSON.parse(py('dump', store)) as VczDump;

const tmp = useTempDir('vcz-export');

const f32bits = (...bits: number[]): Float32Array => new Float32Array(new Uint32Array(bits).buffer);
const f = (x: number): number => new Uint32Array(new Float32Array([x]).buffer)[0]!;
const M = FLOAT32_MISSING_BITS;
const F = FLOAT32_FILL_BITS;

// ----------------------------------------------------------------- hand-built

/**
 * 5 variants on 2 contigs (one triallelic, one REF-only), INFO Integer /
 * Float(A) / Flag / String, FORMAT DP (Integer), AD (R), GQ (Float), FT
 * (String), XS (String, Number=.). Samples: A diploid, B haploid, C diploid
 * without FT/GQ, R (removed: has records but is not exported).
 */
function handBuilt(): { vs: VariantSet; calls: Map<string, SampleCalls> } {
  const vs: VariantSet = {
    contigs: [{ id: 'chr1', length: 2000 }, { id: 'chr2', length: 3000 }],
    filters: [
      { id: 'PASS', description: 'All filters passed' },
      { id: 'q10', description: 'Quality below 10' },
    ],
    numVariants: 5,
    contig: Int32Array.from([0, 0, 0, 1, 1]),
    position: Int32Array.from([100, 150, 1500, 20, 300]),
    id: ['rs1', '.', 'rs3', '.', 'rs5'],
    alleles: [['A', 'C'], ['G', 'T', 'GA'], ['C'], ['T', 'A'], ['ACGT', 'A']],
    quality: f32bits(f(30), M, f(12.5), f(99), f(40)),
    filter: Uint8Array.from([1, 0, 0, 1, 0, 0, 1, 0, 0, 1]),
    length: Int32Array.from([1, 1, 1, 1, 4]),
    info: [
      { def: { id: 'DP', type: 'Integer', number: 1, description: 'Total Depth' }, width: 1, values: Int32Array.from([10, 5, -1, 7, 300]) },
      { def: { id: 'AF', type: 'Float', number: 'A', description: 'Allele Frequency' }, width: 2, values: f32bits(f(0.5), F, f(0.25), f(0.125), M, M, f(1), F, f(0.5), F) },
      { def: { id: 'DB', type: 'Flag', number: 0, description: 'dbSNP' }, width: 1, values: Uint8Array.from([1, 0, 0, 1, 0]) },
      { def: { id: 'AA', type: 'String', number: 1, description: 'Ancestral Allele' }, width: 1, values: ['A', '.', 'C', 'T', '.'] },
    ],
    format: [
      { id: 'DP', type: 'Integer', number: 1, description: 'Read Depth' },
      { id: 'AD', type: 'Integer', number: 'R', description: 'Allelic depths' },
      { id: 'GQ', type: 'Float', number: 1, description: 'Genotype Quality' },
      { id: 'FT', type: 'String', number: 1, description: 'Sample filter' },
      { id: 'XS', type: 'String', number: '.', description: 'Strings' },
    ],
    hasGenotype: true,
    metaInformation: [
      ['fileformat', 'VCFv4.3'],
      ['source', 'handmade'],
    ],
  };
  const calls = new Map<string, SampleCalls>();
  calls.set('A', {
    ploidy: 2,
    genotype: Int8Array.from([0, 1, 0, 2, 0, 0, 1, 0, 0, 1]),
    phased: Uint8Array.from([1, 0, 0, 1, 0]),
    fields: [
      { id: 'DP', width: 1, values: Int32Array.from([12, 8, 20, 9, 11]) },
      { id: 'AD', width: 3, values: Int32Array.from([5, 7, -2, 4, 0, 4, -1, -1, -1, 5, 4, -2, 7, 8, -2]) },
      { id: 'GQ', width: 1, values: f32bits(f(45.5), f(30), M, f(99), f(12.25)) },
      { id: 'FT', width: 1, values: ['PASS', 'q10', '.', 'PASS', 'PASS'] },
      { id: 'XS', width: 2, values: ['x', 'y', 'z', '', '.', '', 'uu', '', 'a', 'b'] },
    ],
  });
  calls.set('B', {
    ploidy: 1,
    genotype: Int8Array.from([1, 2, 0, -1, 1]),
    phased: Uint8Array.from([1, 1, 1, 1, 1]),
    fields: [
      { id: 'DP', width: 1, values: Int32Array.from([4, 7, 22, -1, 13]) },
      { id: 'AD', width: 3, values: Int32Array.from([1, 3, -2, 0, 0, 7, -1, -1, -1, -1, -2, -2, 2, 2, -2]) },
      { id: 'GQ', width: 1, values: f32bits(f(1.5), f(2.5), f(3.5), M, f(5)) },
      { id: 'FT', width: 1, values: ['PASS', 'PASS', 'PASS', '.', 'PASS'] },
      { id: 'XS', width: 1, values: ['s', 't', 'u', 'v', 'w'] },
    ],
  });
  calls.set('C', {
    ploidy: 2,
    genotype: Int8Array.from([1, 1, -1, -1, 0, 0, 0, 1, 0, 0]),
    phased: Uint8Array.from([0, 0, 1, 0, 0]),
    fields: [
      { id: 'DP', width: 1, values: Int32Array.from([300, -1, 21, 10, 12]) },
      { id: 'AD', width: 3, values: Int32Array.from([0, 300, -2, -1, -1, -1, -1, -1, -1, 5, 5, -2, 9, 9, -2]) },
      { id: 'XS', width: 1, values: ['.', '.', '.', '.', 'q'] },
    ],
  });
  calls.set('R', {
    ploidy: 3,
    genotype: Int8Array.from([0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0]),
    phased: new Uint8Array(5),
    fields: [
      { id: 'DP', width: 1, values: Int32Array.from([30000, 1, 1, 1, 1]) },
      { id: 'XS', width: 4, values: Array.from({ length: 20 }, () => 'r') },
    ],
  });
  return { vs, calls };
}

const EXPORT_IDS = ['A', 'B', 'C'];

/** Expected call arrays of the hand-built set (variants × samples × width, C order). */
const expectedCalls = {
  call_genotype: [0, 1, 1, -2, 1, 1, 0, 2, 2, -2, -1, -1, 0, 0, 0, -2, 0, 0, 1, 0, -1, -2, 0, 1, 0, 1, 1, -2, 0, 0],
  call_genotype_phased: [1, 1, 0, 0, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 0],
  call_genotype_mask: [0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0],
  call_DP: [12, 4, 300, 8, 7, -1, 20, 22, 21, 9, -1, 10, 11, 13, 12],
  call_AD: [5, 7, -2, 1, 3, -2, 0, 300, -2, 4, 0, 4, 0, 0, 7, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 5, 4, -2, -1, -2, -2, 5, 5, -2, 7, 8, -2, 2, 2, -2, 9, 9, -2],
  call_GQ: [f(45.5), f(1.5), M, f(30), f(2.5), M, M, f(3.5), M, f(99), M, M, f(12.25), f(5), M],
  call_FT: ['PASS', 'PASS', '.', 'q10', 'PASS', '.', '.', 'PASS', '.', 'PASS', '.', '.', 'PASS', 'PASS', '.'],
  call_XS: ['x', 'y', 's', '', '.', '', 'z', '', 't', '', '.', '', '.', '', 'u', '', '.', '', 'uu', '', 'v', '', '.', '', 'a', 'b', 'w', '', 'q', ''],
};

describe('minIntDtype / zarrGuessChunks', () => {
  it('picks the narrowest int like bio2zarr core.min_int_dtype', () => {
    expect(minIntDtype(-2, 127)).toBe('int8');
    expect(minIntDtype(-2, 128)).toBe('int16');
    expect(minIntDtype(-40000, 0)).toBe('int32');
    expect(minIntDtype(0, 2 ** 40)).toBe('int64');
    expect(() => minIntDtype(1, 0)).toThrow(RangeError);
  });
  it('guesses chunks like zarr-python', () => {
    expect(zarrGuessChunks([1000], 1)).toEqual([1000]);
    expect(zarrGuessChunks([100000], 1)).toEqual([100000]);
    expect(zarrGuessChunks([1000000], 1)).toEqual([250000]);
    expect(zarrGuessChunks([100000], 8)).toEqual([25000]);
    expect(zarrGuessChunks([0], 8)).toEqual([1]);
  });
});

describe('exportVcz (hand-built source)', () => {
  const opts: ExportOptions = { variantsChunkSize: 2, samplesChunkSize: 2 };

  for (const fmt of [2, 3] as const) {
    it(`writes every array with bio2zarr's dtypes, dims, chunks and values (format ${fmt}); removed samples are not exported`, async () => {
      const { vs, calls } = handBuilt();
      const src = makeSource(vs, calls, EXPORT_IDS, 3, 'vczdepot-test');
      const progress: [number, number][] = [];
      const out = join(tmp(), `hand${fmt}.vcz`);
      const summary = await exportVcz(src, out, { ...opts, zarrFormat: fmt, onProgress: (d, t) => progress.push([d, t]) });
      expect(summary.path).toBe(out);
      expect(summary.seconds).toBeGreaterThan(0);
      expect(progress.length).toBe(summary.chunks);
      expect(progress[progress.length - 1]).toEqual([summary.chunks, summary.chunks]);
      // Each block is read once per samples-chunk column: 2 columns × 2 blocks.
      expect(src.reads.map(([ids, b]) => `${ids.join('')}:${b}`)).toEqual(['AB:0', 'AB:1', 'C:0', 'C:1']);
      expect(readdirSync(tmp()).filter((n) => n.includes('.tmp-'))).toEqual([]);

      const d = dump(out);
      expect(d.zarr_format).toBe(fmt);
      expect(d.attrs).toEqual({ vcf_zarr_version: '0.5', source: 'vczdepot-test', vcf_meta_information: [['fileformat', 'VCFv4.3'], ['source', 'handmade']] });
      const A = d.arrays;
      expect(Object.keys(A).sort()).toEqual(
        [
          'call_AD', 'call_DP', 'call_FT', 'call_GQ', 'call_XS', 'call_genotype', 'call_genotype_mask', 'call_genotype_phased',
          'contig_id', 'contig_length', 'filter_description', 'filter_id', 'region_index', 'sample_id',
          'variant_AA', 'variant_AF', 'variant_DB', 'variant_DP', 'variant_allele', 'variant_contig', 'variant_filter',
          'variant_id', 'variant_id_mask', 'variant_length', 'variant_position', 'variant_quality',
        ].sort(),
      );
      const meta = (name: string) => ({ dtype: A[name]!.dtype, shape: A[name]!.shape, chunks: A[name]!.chunks, dims: A[name]!.dims });
      const str = fmt === 2 ? 'StringDType()' : 'StringDType()';
      expect(meta('sample_id')).toEqual({ dtype: str, shape: [3], chunks: [2], dims: ['samples'] });
      expect(A.sample_id!.values).toEqual(['A', 'B', 'C']);
      expect(A.contig_id!.values).toEqual(['chr1', 'chr2']);
      expect(A.contig_length!.values).toEqual([2000, 3000]);
      expect(meta('contig_length')).toEqual({ dtype: 'int64', shape: [2], chunks: [2], dims: ['contigs'] });
      expect(A.filter_id!.values).toEqual(['PASS', 'q10']);
      expect(A.filter_description!.values).toEqual(['All filters passed', 'Quality below 10']);
      expect(meta('variant_position')).toEqual({ dtype: 'int16', shape: [5], chunks: [2], dims: ['variants'] });
      expect(A.variant_position!.values).toEqual([100, 150, 1500, 20, 300]);
      expect(meta('variant_contig')).toEqual({ dtype: 'int8', shape: [5], chunks: [2], dims: ['variants'] });
      expect(A.variant_length!.dtype).toBe('int8');
      expect(A.variant_length!.values).toEqual([1, 1, 1, 1, 4]);
      expect(A.variant_id!.values).toEqual(['rs1', '.', 'rs3', '.', 'rs5']);
      expect(A.variant_id_mask!.values).toEqual([0, 1, 0, 1, 0]);
      expect(meta('variant_allele')).toEqual({ dtype: str, shape: [5, 3], chunks: [2, 3], dims: ['variants', 'alleles'] });
      expect(A.variant_allele!.values).toEqual(['A', 'C', '', 'G', 'T', 'GA', 'C', '', '', 'T', 'A', '', 'ACGT', 'A', '']);
      expect(A.variant_quality!.values).toEqual([f(30), M, f(12.5), f(99), f(40)]);
      expect(meta('variant_filter')).toEqual({ dtype: 'bool', shape: [5, 2], chunks: [2, 2], dims: ['variants', 'filters'] });
      expect(A.variant_filter!.values).toEqual([1, 0, 0, 1, 0, 0, 1, 0, 0, 1]);
      expect(meta('variant_DP')).toEqual({ dtype: 'int16', shape: [5], chunks: [2], dims: ['variants'] });
      expect(A.variant_DP!.values).toEqual([10, 5, -1, 7, 300]);
      expect(meta('variant_AF')).toEqual({ dtype: 'float32', shape: [5, 2], chunks: [2, 2], dims: ['variants', 'alt_alleles'] });
      // AF recomputed from A, B, C's genotypes (R is not exported): AC/AN per ALT,
      // missing without ALT (variant 2), fill past the ALTs.
      expect(A.variant_AF!.values).toEqual([f(4 / 5), F, f(0), f(2 / 3), M, M, f(2 / 4), F, f(2 / 5), F]);
      expect(A.variant_DB!.dtype).toBe('bool');
      expect(A.variant_AA!.values).toEqual(['A', '.', 'C', 'T', '.']);
      expect(A.variant_AA!.attrs).toEqual({ description: 'Ancestral Allele' });
      expect(A.variant_position!.attrs).toEqual({ description: 'The reference position' });
      expect(A.variant_id_mask!.attrs).toEqual({ description: '' });
      expect(A.sample_id!.attrs).toEqual({});

      expect(meta('call_genotype')).toEqual({ dtype: 'int8', shape: [5, 3, 2], chunks: [2, 2, 2], dims: ['variants', 'samples', 'ploidy'] });
      expect(meta('call_DP')).toEqual({ dtype: 'int16', shape: [5, 3], chunks: [2, 2], dims: ['variants', 'samples'] });
      expect(meta('call_AD')).toEqual({ dtype: 'int16', shape: [5, 3, 3], chunks: [2, 2, 3], dims: ['variants', 'samples', 'alleles'] });
      expect(meta('call_XS')).toEqual({ dtype: str, shape: [5, 3, 2], chunks: [2, 2, 2], dims: ['variants', 'samples', 'FORMAT_XS_dim'] });
      expect(A.call_GQ!.dtype).toBe('float32');
      for (const [name, want] of Object.entries(expectedCalls)) expect(A[name]!.values, name).toEqual(want);
      expect(A.call_DP!.attrs).toEqual({ description: 'Read Depth' });
      expect(A.call_genotype!.attrs).toEqual({ description: '' });

      // region_index (docs/vcz-format.md, "region_index"): per variant chunk, runs of one contig.
      expect(meta('region_index')).toEqual({ dtype: 'int16', shape: [4, 6], chunks: [4, 6], dims: ['region_index_values', 'region_index_fields'] });
      expect(A.region_index!.values).toEqual([0, 0, 100, 150, 150, 2, 1, 0, 1500, 1500, 1500, 1, 1, 1, 20, 20, 20, 1, 2, 1, 300, 300, 303, 1]);
    });
  }

  it('xarray (as sgkit opens it) reads the format 2 store with consistent dims and no CF masking', async () => {
    const { vs, calls } = handBuilt();
    const out = join(tmp(), 'xarray.vcz');
    await exportVcz(makeSource(vs, calls, EXPORT_IDS, 3), out, opts);
    const x = JSON.parse(py('xarray', out)) as { dims: Record<string, number>; vars: Record<string, { dims: string[]; dtype: string; values: unknown[] }> };
    expect(x.dims).toMatchObject({ variants: 5, samples: 3, ploidy: 2, alleles: 3, alt_alleles: 2, filters: 2, contigs: 2, FORMAT_XS_dim: 2 });
    expect(x.vars.call_genotype!.dtype).toBe('int8');
    expect(x.vars.call_genotype!.values).toEqual(expectedCalls.call_genotype);
    expect(x.vars.call_DP!.dtype).toBe('int16');
    expect(x.vars.call_GQ!.values).toEqual(expectedCalls.call_GQ);
    expect(x.vars.variant_position!.values).toEqual([100, 150, 1500, 20, 300]);
    expect(x.vars.sample_id!.values).toEqual(['A', 'B', 'C']);
  });

  it('vcztools view reads the store (directory, format 3 and zip)', async () => {
    const { vs, calls } = handBuilt();
    const stores = [join(tmp(), 'view2.vcz'), join(tmp(), 'view3.vcz'), join(tmp(), 'view.vcz.zip')];
    for (const [i, store] of stores.entries()) await exportVcz(makeSource(vs, calls, EXPORT_IDS, 3, 'vczdepot-test'), store, { ...opts, zarrFormat: i === 1 ? 3 : 2 });
    for (const store of stores) {
      const vcf = run(venvBin('vcztools'), ['view', '--no-version', store]).stdout;
      const lines = vcf.trimEnd().split('\n');
      expect(lines).toContain('##source=vczdepot-test');
      expect(lines).toContain('##contig=<ID=chr1,length=2000>');
      expect(lines).toContain('##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">');
      expect(lines).toContain('##INFO=<ID=AF,Number=A,Type=Float,Description="Allele Frequency">');
      const body = lines.filter((l) => !l.startsWith('#'));
      expect(lines.find((l) => l.startsWith('#CHROM'))!.split('\t').slice(9)).toEqual(['A', 'B', 'C']);
      expect(body.map((l) => l.split('\t').slice(0, 7).join(' '))).toEqual([
        'chr1 100 rs1 A C 30 PASS',
        'chr1 150 . G T,GA . q10',
        'chr1 1500 rs3 C . 12.5 .',
        'chr2 20 . T A 99 PASS',
        'chr2 300 rs5 ACGT A 40 q10',
      ]);
      // vcztools sorts INFO and FORMAT keys (GT first).
      expect(body[0]!.split('\t').slice(7)).toEqual(['AA=A;AF=0.8;DB;DP=10', 'GT:AD:DP:FT:GQ:XS', '0|1:5,7:12:PASS:45.5:x,y', '1:1,3:4:PASS:1.5:s', '1/1:0,300:300:.:.:.']);
      expect(body[3]!.split('\t').slice(7)).toEqual(['AA=T;AF=0.5;DB;DP=7', 'GT:AD:DP:FT:GQ:XS', '1|0:5,4:9:PASS:99:uu', '.:.:.:.:.:v', '0/1:5,5:10:.:.:.']);
    }
  });

  it('writes plain zstd chunks when asked; zarr-python reads them', async () => {
    const { vs, calls } = handBuilt();
    for (const fmt of [2, 3] as const) {
      const out = join(tmp(), `zstd${fmt}.vcz`);
      await exportVcz(makeSource(vs, calls, EXPORT_IDS, 3), out, { ...opts, zarrFormat: fmt, compressor: 'zstd', zstdLevel: 5 });
      const d = dump(out);
      for (const [name, want] of Object.entries(expectedCalls)) expect(d.arrays[name]!.values, name).toEqual(want);
      expect((d.attrs.source as string).startsWith('vczdepot-')).toBe(true);
    }
  });

  it('uses default chunk sizes, bigger blocks than chunks and a fast Blosc level consistently', async () => {
    const { vs, calls } = handBuilt();
    const src = makeSource(vs, calls, EXPORT_IDS, 100);
    const out = join(tmp(), 'defaults.vcz');
    const s = await exportVcz(src, out, { bloscZstdLevel: 1 });
    expect(src.reads.length).toBe(1);
    const d = dump(out);
    expect(d.arrays.call_genotype!.chunks).toEqual([5, 3, 2]);
    expect(d.arrays.sample_id!.chunks).toEqual([3]);
    for (const [name, want] of Object.entries(expectedCalls)) expect(d.arrays[name]!.values, name).toEqual(want);
    expect(s.arrays).toBe(26);
    // one samples-chunk column with 1-variant chunks: each block read once
    const src2 = makeSource(vs, calls, EXPORT_IDS, 2);
    await exportVcz(src2, join(tmp(), 'v1.vcz'), { variantsChunkSize: 1 });
    expect(src2.reads.map(([, b]) => b)).toEqual([0, 1, 2]);
  });

  it('fails with typed errors and leaves nothing behind', async () => {
    const { vs, calls } = handBuilt();
    const out = join(tmp(), 'bad.vcz');
    const expectError = async (p: Promise<unknown>, tag: 'export-source' | 'zarr-state') => {
      let err: unknown;
      try {
        await p;
      } catch (e) {
        err = e;
      }
      expect(isVczWriteError(err, tag), String(err)).toBe(true);
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(tmp()).filter((n) => n.includes('.tmp-'))).toEqual([]);
    };
    const narrow = makeSource(vs, calls, EXPORT_IDS, 3);
    (narrow.fieldStats as Map<string, { width: number }>).set('XS', { width: 1 });
    await expectError(exportVcz(narrow, out), 'export-source');
    const smallInt = makeSource(vs, calls, EXPORT_IDS, 3);
    (smallInt.fieldStats as Map<string, { width: number; min?: number; max?: number }>).set('DP', { width: 1, min: -1, max: 100 });
    await expectError(exportVcz(smallInt, out), 'export-source');
    const short = makeSource(vs, calls, EXPORT_IDS, 3);
    const read = short.readBlock.bind(short);
    short.readBlock = (ids, b) => read(ids, b).slice(1);
    await expectError(exportVcz(short, out), 'export-source');
    const lowPloidy = { ...makeSource(vs, calls, EXPORT_IDS, 3), maxPloidy: 1 };
    await expectError(exportVcz(lowPloidy, out), 'export-source');
    writeFileSync(out, '');
    let err: unknown;
    try {
      await exportVcz(makeSource(vs, calls, EXPORT_IDS, 3), out);
    } catch (e) {
      err = e;
    }
    expect(isVczWriteError(err, 'zarr-state')).toBe(true);
    rmSync(out);
    await expect(exportVcz(makeSource(vs, calls, EXPORT_IDS, 3), out, { variantsChunkSize: 0 })).rejects.toThrow(RangeError);
  });
});

// ------------------------------------------------------------ bio2zarr parity

const HANDMADE_VCF = `##fileformat=VCFv4.3
##FILTER=<ID=PASS,Description="All filters passed">
##FILTER=<ID=q10,Description="Quality below 10">
##contig=<ID=chr1,length=1000000>
##contig=<ID=chr2,length=500000>
##source=handmade
##INFO=<ID=DP,Number=1,Type=Integer,Description="Total Depth">
##INFO=<ID=AF,Number=A,Type=Float,Description="Allele Frequency">
##INFO=<ID=DB,Number=0,Type=Flag,Description="dbSNP membership">
##INFO=<ID=AA,Number=1,Type=String,Description="Ancestral Allele">
##INFO=<ID=XI,Number=.,Type=Integer,Description="Varying ints">
##INFO=<ID=CH,Number=1,Type=Character,Description="A character">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read Depth">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">
##FORMAT=<ID=PL,Number=G,Type=Integer,Description="Phred-scaled genotype likelihoods">
##FORMAT=<ID=FT,Number=1,Type=String,Description="Sample filter">
##FORMAT=<ID=HQ,Number=2,Type=Integer,Description="Haplotype Quality">
##FORMAT=<ID=FC,Number=1,Type=Character,Description="A character">
##FORMAT=<ID=GQ,Number=1,Type=Float,Description="Genotype Quality">
#CHROM	POS	ID	REF	ALT	QUAL	FILTER	INFO	FORMAT	s1	s2	s3	s4
chr1	100	rs1	A	C	30	PASS	DP=10;AF=0.5;DB;AA=A;XI=1,2;CH=x	GT:DP:AD:PL:FT:HQ:FC:GQ	0|1:12:5,7:0,15,30:PASS:10,20:a:45.5	1/1:300:0,300:90,30,0:.:.,.:b:3	1:4:1,3:20,0:.:5,6:.:.	0/0:1:1,0:0,3,6:PASS:1,1:c:7.25
chr1	200	.	G	T,GA	.	q10	DP=5;AF=0.25,0.125;XI=3	GT:DP:AD:PL:HQ	0/2:8:4,0,4:1,2,3,4,5,6:1,2	./.:.:.,.,.:.,.,.,.,.,.:3,4	2:7:0,0,7:10,20,0:.,.	0|1:2:1,1,0:0,0,0,0,0,0:7,7
chr1	250	rs3;rs4	C	.	12.5	.	AA=C	GT:DP:PL	0/0:20:0	0|0:21:0	0:22:0	./.:.:.
chr2	50	.	T	A	99	PASS	DP=7;DB;CH=z	GT:DP:AD:PL:FT:FC	1|0:9:5,4:30,0,40:q10:d	0/1:10:5,5:20,0,20:PASS:e	.:.:.:.:.:.	1/1:30000:1,2:99,99,0:PASS:f
chr2	60	.	ACGT	A	40	PASS	.	GT:DP:HQ:PL	0/1:11:7,8:5,0,5	0/0:12:9,9:0,5,50	1:13:.,.:40,0	0/1:1:2,2:1,0,1
chr2	70	rs7	G	C,T	50	PASS	DP=.;AF=.,0.5;XI=4,5,6	GT:AD:PL	1/2:0,3,4:60,50,40,30,20,10	0/1:1,2,.:.,.,.,.,.,.	0:3,.,.:0,10,20	2/2:0,0,9:9,9,9,9,9,0
`;

interface ParityCase {
  readonly label: string;
  /** VCF path (indexed if multi-contig), or 'handmade'. */
  readonly vcf: string;
  readonly zarrFormat: 2 | 3;
  readonly chunks?: [number, number];
  /** Samples of the VCF exported (others act as removed); bio2zarr converts a bcftools subset. */
  readonly blockSize: number;
}

describe('parity with bio2zarr 0.2.1 vcf2zarr convert', () => {
  const data = join(repoRoot, 'test/data/vcf');
  const cases: ParityCase[] = [
    { label: 'handmade (Character, Flag, G, fixed, mixed ploidy), v2, 4×2 chunks', vcf: 'handmade', zarrFormat: 2, chunks: [4, 2], blockSize: 3 },
    { label: 'handmade, v3, 2×3 chunks', vcf: 'handmade', zarrFormat: 3, chunks: [2, 3], blockSize: 4 },
    { label: 'sample.vcf.gz, v2, default chunks', vcf: join(data, 'sample.vcf.gz'), zarrFormat: 2, blockSize: 4 },
    { label: 'sample.vcf.gz, v3, 4×2 chunks', vcf: join(data, 'sample.vcf.gz'), zarrFormat: 3, chunks: [4, 2], blockSize: 2 },
    { label: '1kg_2020_chrM.vcf.gz, v2, 5×2 chunks', vcf: join(data, '1kg_2020_chrM.vcf.gz'), zarrFormat: 2, chunks: [5, 2], blockSize: 7 },
    { label: 'mixed_ploidy.vcf.gz, v3', vcf: join(data, 'mixed_ploidy.vcf.gz'), zarrFormat: 3, blockSize: 2 },
    { label: 'field_type_combos.vcf.gz (every Type × Number, no GT), v2, 50×1 chunks', vcf: join(data, 'field_type_combos.vcf.gz'), zarrFormat: 2, chunks: [50, 1], blockSize: 64 },
  ];

  function prepareVcf(c: ParityCase, dir: string): string {
    const name = c.vcf === 'handmade' ? 'handmade.vcf.gz' : c.vcf.split('/').pop()!;
    const dst = join(dir, name);
    if (c.vcf === 'handmade') {
      writeFileSync(join(dir, 'handmade.vcf'), HANDMADE_VCF);
      run('bash', ['-c', `bgzip -c "${join(dir, 'handmade.vcf')}" > "${dst}"`]);
    } else {
      run('cp', [c.vcf, dst]);
    }
    run('bcftools', ['index', '-f', dst]);
    // The export recomputes AC/AN/AF: vcf2zarr converts the VCF with those of bcftools (bcftools-oracle.ts).
    const updated = join(dir, `updated-${name}`);
    writeFileSync(join(dir, 'updated.vcf'), withUpdatedInfo(run('bash', ['-c', `zcat "${dst}"`]).stdout, bcftoolsReference(dst)));
    run('bash', ['-c', `bgzip -c "${join(dir, 'updated.vcf')}" > "${updated}"`]);
    run('bcftools', ['index', '-f', updated]);
    return updated;
  }

  for (const [i, c] of cases.entries()) {
    it(`${c.label}: same arrays, metadata bytes and chunk contents`, async () => {
      const dir = join(tmp(), `parity${i}`);
      run('mkdir', ['-p', dir]);
      const vcf = prepareVcf(c, dir);
      const theirs = join(dir, 'bio2zarr.vcz');
      const chunkArgs = c.chunks ? ['-l', String(c.chunks[0]), '-w', String(c.chunks[1])] : [];
      run(venvBin('vcf2zarr'), ['convert', '-Q', '--zarr-format', String(c.zarrFormat), ...chunkArgs, vcf, theirs]);
      const header = run('bcftools', ['view', '-h', vcf]).stdout;
      const numbers = new Map<string, string>();
      for (const m of header.matchAll(/^##(INFO|FORMAT)=<ID=([^,]+),Number=([^,]+),/gm)) numbers.set(`${m[1]}/${m[2]}`, m[3]!);
      const model = modelFromDump(dump(theirs), numbers);
      // A removed sample: has records, is not exported.
      const calls = new Map(model.calls);
      calls.set('removed-sample', model.calls.get(model.sampleIds[0]!)!);
      const src = makeSource(model.vs, calls, model.sampleIds, c.blockSize, 'bio2zarr-0.2.1');
      const ours = join(dir, 'ours.vcz');
      await exportVcz(src, ours, { zarrFormat: c.zarrFormat, bloscZstdLevel: 'c-blosc', ...(c.chunks ? { variantsChunkSize: c.chunks[0], samplesChunkSize: c.chunks[1] } : {}) });
      const report = JSON.parse(py('compare', ours, theirs)) as { stats: { arrays: number; chunks: number; identical_chunk_files: number }; problems: unknown[] };
      // variant_AF: bcftools prints 6 digits; checked against the genotypes instead.
      const isAf = (p: unknown) => /^chunk variant_AF\//.test((p as { what?: string }).what ?? '');
      expect(report.problems.filter((p) => !isAf(p))).toEqual([]);
      if (report.problems.some(isAf)) expect((JSON.parse(py('check-af', ours, theirs)) as { problems: unknown[] }).problems).toEqual([]);
      expect(report.stats.arrays).toBeGreaterThan(10);
      // Chunk files are mostly byte-identical too (zstd versions differ slightly; bio2zarr omits all-zero chunks).
      expect(report.stats.identical_chunk_files).toBeGreaterThan(report.stats.chunks * 0.5);
    });
  }
});
