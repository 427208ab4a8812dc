/**
 * The error family (src/errors.ts): every error class the public API exports
 * is a VczdepotError with a unique literal `code`, `isVczdepotError(err,
 * ...codes)` narrows and rejects, the area guards agree with it, and the CLI
 * reports any of them as `vczdepot: <message>` with exit code 1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import * as api from '../src/index.ts';
import {
  AmbiguousAtError,
  BcfFormatError,
  BloscFrameError,
  ChunkCorruptionError,
  ChunkFileHeaderError,
  ChunkFileVersionError,
  ChunkIOError,
  CodecUnavailableError,
  DepotExistsError,
  DepotIOError,
  ErasureIncompleteError,
  MergeRefMismatchError,
  MergeUnsortedError,
  isMergeError,
  DepotNotFoundError,
  DepotVersionError,
  DuplicateSampleError,
  ExportPartitionError,
  S3StoreError,
  ExportSelectionError,
  ExportSourceError,
  GvcfBlockEndError,
  GvcfOverlapError,
  GvcfRecordEndError,
  GvcfUnsortedError,
  ReferenceBlocksFormatError,
  ExportTargetError,
  ExportWriteError,
  IndexCorruptionError,
  InvalidArgumentError,
  isCodecError,
  isDepotError,
  isExportGuardError,
  isSchunkError,
  isVczdepotError,
  isVczError,
  isVczReadError,
  isVczWriteError,
  NotADepotError,
  ReadOnlyError,
  ReferenceMismatchError,
  RecordFormatError,
  RecordValidationError,
  TagExistsError,
  UnknownSampleError,
  UnknownTagError,
  UnknownVersionError,
  VariantSetMismatchError,
  VcfFieldCountError,
  VcfFieldNameError,
  VcfGenotypeError,
  VcfHeaderError,
  VcfSampleCountError,
  VcfShapeChangedError,
  VcfWorkerError,
  VcfSyntaxError,
  VcfTruncatedError,
  VcfUndeclaredError,
  VcfValueError,
  VczdepotError,
  VczInvalidError,
  VczNotAStoreError,
  VczTooLargeError,
  VczUnsafeZipEntryError,
  ZarrSpecError,
  ZarrStateError,
  type VczdepotErrorCode,
} from '../src/index.ts';
import { ZstdUnavailableError } from '../src/schunk/index.ts';
import { prepareExportTarget } from '../src/vcz/export-guard.ts';
import { runCli } from './helpers/cli.ts';

type Api = typeof api;
/** The names of the concrete (constructible) error classes src/index.ts exports. */
type ConcreteErrorName = {
  [K in keyof Api]: K extends `${string}Error` ? (Api[K] extends new (...args: never[]) => Error ? K : never) : never;
}[keyof Api];

const enoent = Object.assign(new Error("ENOENT: no such file or directory, open '/x'"), { code: 'ENOENT', syscall: 'open', path: '/x' });

/** One instance of every concrete exported error class (a missing one fails to compile, and the runtime check below). */
const make: { [K in ConcreteErrorName]: () => InstanceType<Api[K]> } = {
  AmbiguousAtError: () => new AmbiguousAtError('3', 3, 1, '/d'),
  MergeRefMismatchError: () => new MergeRefMismatchError(1, 0, 'chr1:10 AT>A', 'G', 'b.vcf'),
  MergeUnsortedError: () => new MergeUnsortedError(0, 1, 'chr1:5 A>C', 'comes after POS 10 on the same contig', 'b.vcf'),
  BcfFormatError: () => new BcfFormatError('a.bcf', 0, 'bad magic'),
  BloscFrameError: () => new BloscFrameError('short header'),
  ChunkCorruptionError: () => new ChunkCorruptionError({ file: 'f', offset: 16 }, 'checksum mismatch'),
  ChunkFileHeaderError: () => new ChunkFileHeaderError('f', 'bad magic', 'XXXX'),
  ChunkFileVersionError: () => new ChunkFileVersionError('f', 9, 1, 'too-new'),
  ChunkIOError: () => new ChunkIOError('f', 'open', undefined, enoent),
  CodecUnavailableError: () => new CodecUnavailableError(),
  DepotExistsError: () => new DepotExistsError('/d'),
  DepotIOError: () => new DepotIOError('/d', 'commit', { cause: enoent }),
  ErasureIncompleteError: () => new ErasureIncompleteError('/d', [{ sampleId: 'S1', file: 'index.mdb', offset: 4096, where: 'raw' }]),
  DepotNotFoundError: () => new DepotNotFoundError('/d'),
  DepotVersionError: () => new DepotVersionError('/d', 9, 1),
  DuplicateSampleError: () => new DuplicateSampleError('S1', '/d'),
  ExportPartitionError: () => new ExportPartitionError('/out', 'partition 2 of 3 is missing', [2]),
  S3StoreError: () => new S3StoreError('s3://bucket/out.vcz', 'it is not a store vczdepot made'),
  ExportSelectionError: () => new ExportSelectionError("sample 'S9' is not in the depot", 'S9'),
  ExportSourceError: () => new ExportSourceError('wrong record count', 'call_genotype'),
  ExportTargetError: () => new ExportTargetError('/out', 'it is a file'),
  ExportWriteError: () => new ExportWriteError('/out', '/out/x', 'write', 'ENOSPC', { cause: enoent }),
  GvcfBlockEndError: () => new GvcfBlockEndError('a.g.vcf', 9, 'chr1', 10, 5),
  GvcfOverlapError: () => new GvcfOverlapError('a.g.vcf', 10, 'S1', 'block-block', 'chr1', 15, 9),
  GvcfRecordEndError: () => new GvcfRecordEndError('a.g.vcf', 9, 'chr1', 10, 20, 1),
  GvcfUnsortedError: () => new GvcfUnsortedError('a.g.vcf', 9, 'chr1', 5, 'POS 5 comes after POS 10'),
  ReferenceBlocksFormatError: () => new ReferenceBlocksFormatError('blocks of S1', 'bad magic'),
  IndexCorruptionError: () => new IndexCorruptionError('/d', 'sample S1', 'wrong shape'),
  InvalidArgumentError: () => new InvalidArgumentError('block', 'out of range'),
  NotADepotError: () => new NotADepotError('/d', 'no data.mdb'),
  ReadOnlyError: () => new ReadOnlyError('/d', 'put'),
  ReferenceMismatchError: () => new ReferenceMismatchError('b.vcf', 'chr1', 10, 'G', 'A'),
  RecordFormatError: () => new RecordFormatError('bad identifier'),
  RecordValidationError: () => new RecordValidationError('S1', 'GT', 2, 'allele 5 of 2'),
  TagExistsError: () => new TagExistsError('t1', '/d', 2),
  UnknownSampleError: () => new UnknownSampleError('S1', '/d', 'head'),
  UnknownTagError: () => new UnknownTagError('t9', '/d', ['t1']),
  UnknownVersionError: () => new UnknownVersionError(9, 3, '/d'),
  VariantSetMismatchError: () => new VariantSetMismatchError('a.vcf', 'the position differs', 0),
  VcfFieldCountError: () => new VcfFieldCountError('a.vcf', 5, 'INFO/AC', 3, 1),
  VcfFieldNameError: () => new VcfFieldNameError('a.vcf', 3, 'INFO', 'a/b', 'variant_a/b', 'holds /'),
  VcfGenotypeError: () => new VcfGenotypeError('a.vcf', 5, 'S1', '0/5', 2),
  VcfHeaderError: () => new VcfHeaderError('a.vcf', 1, 'no #CHROM line'),
  VcfSampleCountError: () => new VcfSampleCountError('a.vcf', 5, 3, 2),
  VcfShapeChangedError: () => new VcfShapeChangedError('a.vcf', 100),
  VcfWorkerError: () => new VcfWorkerError('a.vcf', 'thread 0 stopped with exit code 1'),
  VcfSyntaxError: () => new VcfSyntaxError('a.vcf', 5, 'fewer than 8 columns'),
  VcfTruncatedError: () => new VcfTruncatedError('a.vcf.gz', 5, 'unexpected end of file'),
  VcfUndeclaredError: () => new VcfUndeclaredError('a.vcf', 5, 'INFO', 'XX'),
  VcfValueError: () => new VcfValueError('a.vcf', 5, 'INFO/DP', 'abc', 'an Integer'),
  VczInvalidError: () => new VczInvalidError('s.vcz', 'call_genotype', 'bad shape'),
  VczNotAStoreError: () => new VczNotAStoreError('s.vcz', ['sample_id'], 'no .zgroup'),
  VczUnsafeZipEntryError: () => new VczUnsafeZipEntryError('s.vcz.zip', '../x', 'a .. segment'),
  VczTooLargeError: () => new VczTooLargeError('s.vcz', 'sample_id', [2e9], 32e9, 8e9, 'heap'),
  ZarrSpecError: () => new ZarrSpecError('call_genotype', 'bad chunk shape'),
  ZarrStateError: () => new ZarrStateError('/out', 'already finished'),
};
/** Error classes the CLI and library throw that src/index.ts does not export. */
const internal = { ZstdUnavailableError: () => new ZstdUnavailableError('compress') };

const exportedErrorNames = Object.keys(api).filter((k) => /^[A-Z]\w*Error$/.test(k));
const all = Object.entries({ ...make, ...internal }).map(([name, f]) => ({ name, err: f() as VczdepotError }));

describe('the error family', () => {
  it('lists every exported error class: the concrete ones above, the rest abstract bases of them', () => {
    const classes = api as unknown as Record<string, new (...args: never[]) => Error>;
    const concrete = Object.keys(make).sort();
    const bases = exportedErrorNames.filter((k) => !concrete.includes(k));
    expect(concrete.filter((k) => !exportedErrorNames.includes(k))).toEqual([]);
    for (const b of bases) {
      expect(
        all.some(({ err }) => err instanceof classes[b]!),
        `${b} is exported but is neither in the table nor the base of a class in it`,
      ).toBe(true);
    }
    expect(bases.sort()).toEqual(['CodecError', 'DepotError', 'MergeError', 'VcfError', 'VczError', 'VczReadError', 'VczWriteError', 'VczdepotError']);
  });

  it('every error is a VczdepotError with a unique, non-empty kebab-case code, its class name and a message', () => {
    const codes = new Map<string, string>();
    for (const { name, err } of all) {
      expect(err, name).toBeInstanceOf(VczdepotError);
      expect(err, name).toBeInstanceOf(Error);
      expect(err.code, name).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
      expect(codes.get(err.code), `${name} and ${codes.get(err.code)} share code ${err.code}`).toBeUndefined();
      codes.set(err.code, name);
      expect(err.name).toBe(name);
      expect(String(err)).toBe(`${name}: ${err.message}`);
      expect(err.stack?.split('\n')[0]).toBe(`${name}: ${err.message.split('\n')[0]}`);
      expect(err.message.length, name).toBeGreaterThan(10);
    }
    expect(codes.size).toBe(all.length);
  });

  it('isVczdepotError recognises every error, by its own code and no other', () => {
    for (const { name, err } of all) {
      expect(isVczdepotError(err), name).toBe(true);
      expect(isVczdepotError(err, err.code), name).toBe(true);
      expect(isVczdepotError(err, 'duplicate-sample', err.code), name).toBe(true);
      const other: VczdepotErrorCode = err.code === 'tag-exists' ? 'unknown-tag' : 'tag-exists';
      expect(isVczdepotError(err, other), name).toBe(false);
    }
  });

  it('isVczdepotError rejects plain errors, look-alikes and non-errors', () => {
    const lookAlike = Object.assign(new Error("sample 'S1' is already in depot /d"), { code: 'duplicate-sample', name: 'DuplicateSampleError' });
    for (const x of [new Error('x'), enoent, lookAlike, { code: 'duplicate-sample', message: 'x' }, 'duplicate-sample', null, undefined, 0]) {
      expect(isVczdepotError(x), String(x)).toBe(false);
      expect(isVczdepotError(x, 'duplicate-sample'), String(x)).toBe(false);
    }
  });

  it('isVczdepotError narrows to the classes with the codes given', () => {
    const err: unknown = make.DuplicateSampleError();
    if (isVczdepotError(err, 'duplicate-sample')) {
      expectTypeOf(err).toEqualTypeOf<DuplicateSampleError>();
      expect(err.sampleId).toBe('S1');
    } else expect.unreachable();
    const other: unknown = make.UnknownTagError();
    if (isVczdepotError(other, 'duplicate-sample', 'unknown-tag')) {
      expectTypeOf(other).toEqualTypeOf<DuplicateSampleError | UnknownTagError>();
      expect(other.depot).toBe('/d');
    } else expect.unreachable();
    const any: unknown = make.VcfSyntaxError();
    if (isVczdepotError(any)) expectTypeOf(any.code).toEqualTypeOf<VczdepotErrorCode>();
    // @ts-expect-error not a code
    expect(isVczdepotError(any, 'no-such-code')).toBe(false);
  });

  it('the area guards accept their own classes only, and narrow by code', () => {
    const guards = { isCodecError, isDepotError, isSchunkError, isVczError, isVczReadError, isVczWriteError, isExportGuardError, isMergeError };
    const owner: Record<string, keyof typeof guards | undefined> = {};
    for (const { name, err } of all) {
      const accepting = Object.entries(guards).filter(([, g]) => (g as (e: unknown) => boolean)(err));
      expect(accepting.length, `${name}: ${accepting.map(([g]) => g)}`).toBeLessThanOrEqual(1);
      owner[name] = accepting[0]?.[0] as keyof typeof guards | undefined;
      if (accepting[0]) expect((accepting[0][1] as (e: unknown, c: string) => boolean)(err, err.code)).toBe(true);
    }
    expect(owner).toMatchObject({
      DuplicateSampleError: 'isDepotError',
      RecordValidationError: 'isCodecError',
      ChunkIOError: 'isSchunkError',
      ZstdUnavailableError: 'isSchunkError',
      VcfSyntaxError: 'isVczError',
      GvcfOverlapError: 'isVczError',
      VczInvalidError: 'isVczReadError',
      ZarrStateError: 'isVczWriteError',
      ExportWriteError: 'isExportGuardError',
      ExportPartitionError: 'isExportGuardError',
      VariantSetMismatchError: undefined,
      ExportSelectionError: undefined,
    });
    const e: unknown = make.ChunkIOError();
    if (isSchunkError(e, 'chunk-io')) expectTypeOf(e).toEqualTypeOf<ChunkIOError>();
    expect(isDepotError(make.DuplicateSampleError(), 'unknown-sample')).toBe(false);
  });

  it("Node's system error code is `errno`, not `code` (the family's)", () => {
    const io = make.ChunkIOError();
    expect([io.code, io.errno]).toEqual(['chunk-io', 'ENOENT']);
    const w = make.ExportWriteError();
    expect([w.code, w.errno]).toEqual(['export-write', 'ENOSPC']);
    expect(w.message).toContain('free disk space');
  });

  it("an export target's fail() wraps system errors as ExportWriteError and passes the family's own errors through", () => {
    const dir = mkdtempSync(join(tmpdir(), 'vczdepot-errors-'));
    try {
      const zarr = new ZarrStateError(join(dir, 'out.vcz'), 'already finished');
      expect(prepareExportTarget(join(dir, 'out.vcz')).fail(zarr)).toBe(zarr);
      const wrapped = prepareExportTarget(join(dir, 'out.vcz')).fail(Object.assign(new Error('ENOSPC: no space left'), { code: 'ENOSPC', syscall: 'write', path: join(dir, 'x') }));
      expect(isExportGuardError(wrapped, 'export-write') && [wrapped.errno, wrapped.step, wrapped.file]).toEqual(['ENOSPC', 'write', join(dir, 'x')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the CLI reports a family error as `vczdepot: <message>`, exit code 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vczdepot-errors-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('a depot that does not exist: DepotNotFoundError', async () => {
    const path = join(dir, 'missing.depot');
    const r = await runCli('samples', path);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toBe(`vczdepot: ${new DepotNotFoundError(path).message}\n`);
  });
});
