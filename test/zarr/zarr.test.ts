/**
 * The Zarr writer's building blocks: Blosc frames (checked byte for byte
 * against numcodecs), vlen-utf8, metadata JSON for Zarr 2 and 3, and the
 * store itself read back by zarr-python.
 */
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BloscEncoder,
  bitShuffle,
  bitUnshuffle,
  bloscBlocksize,
  bloscDecode,
  bloscEncode,
  bloscHeader,
  byteShuffle,
  byteUnshuffle,
  isVczWriteError,
  arrayMetadata,
  chunkKey,
  groupMetadata,
  pythonJson,
  ZarrStoreWriter,
  type ZarrArraySpec,
  vlenUtf8Decode,
  vlenUtf8Encode,
} from '../../src/zarr/index.ts';
import { repoRoot, run, venvBin } from '../helpers/interop.ts';
import { useTempDir } from '../helpers/tmp.ts';

const helper = join(repoRoot, 'test/vcz/vcz_interop.py');
const py = (...args: string[]): string => run(venvBin('python'), [helper, ...args]).stdout;

const tmp = useTempDir('vcz-zarr');

/** Byte equality without vitest's slow element-wise deep equality on big typed arrays. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function rand(n: number, seed: number): Uint8Array {
  const a = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    a[i] = x & 0xff;
  }
  return a;
}

describe('shuffles', () => {
  it('byte shuffle transposes bytes and round trips, leftover bytes copied', () => {
    const src = Uint8Array.from([1, 2, 3, 4, 5, 6, 7]);
    const dst = new Uint8Array(7);
    byteShuffle(src, dst, 2);
    expect([...dst]).toEqual([1, 3, 5, 2, 4, 6, 7]);
    for (const ts of [1, 2, 3, 4, 8, 16]) {
      const s = rand(1000 + ts, ts);
      const d = new Uint8Array(s.length);
      const back = new Uint8Array(s.length);
      byteShuffle(s, d, ts);
      byteUnshuffle(d, back, ts);
      expect(sameBytes(back, s)).toBe(true);
    }
  });

  it('bit shuffle of bytes puts bit k of element e into row k', () => {
    // 16 one-byte elements: element 0 = 0b00000001, element 9 = 0b10000000
    const src = new Uint8Array(16);
    src[0] = 0x01;
    src[9] = 0x80;
    const dst = new Uint8Array(16);
    bitShuffle(src, dst, 1);
    // rows of 2 bytes: row 0 (bit 0) holds element 0 → byte 0 bit 0; row 7 holds element 9 → byte 1 bit 1
    const want = new Uint8Array(16);
    want[0] = 0x01;
    want[7 * 2 + 1] = 0x02;
    expect(dst).toEqual(want);
  });

  it('bit shuffle round trips for every typesize; blocks of n % 8 != 0 elements are copied', () => {
    for (const ts of [1, 2, 4, 8]) {
      for (const n of [8, 64, 1000, 1003, 4096]) {
        const s = rand(n * ts, n + ts);
        const d = new Uint8Array(s.length);
        const back = new Uint8Array(s.length);
        bitShuffle(s, d, ts);
        bitUnshuffle(d, back, ts);
        expect(sameBytes(back, s)).toBe(true);
        if (n % 8 !== 0) expect(sameBytes(d, s)).toBe(true);
      }
    }
  });
});

describe('blosc', () => {
  it('computes c-blosc block sizes for zstd', () => {
    expect(bloscBlocksize(100, 1, 7)).toBe(100);
    expect(bloscBlocksize(4_000_000, 1, 7)).toBe(524288);
    expect(bloscBlocksize(4_000_000, 1, 9)).toBe(1048576);
    expect(bloscBlocksize(70001, 1, 5)).toBe(70001);
    expect(bloscBlocksize(560008, 8, 1)).toBe(32768);
    expect(bloscBlocksize(100, 4, 7)).toBe(100);
    expect(bloscBlocksize(3, 4, 7)).toBe(1);
  });

  it('writes the Blosc-1 header: zstd, no split, shuffle flags, memcpy for small buffers', () => {
    const small = bloscEncode(new Uint8Array(100), { typesize: 1, clevel: 7, shuffle: 2 });
    expect(bloscHeader(small)).toEqual({ version: 2, versionlz: 1, flags: 0x96, typesize: 1, nbytes: 100, blocksize: 100, cbytes: 116 });
    const big = bloscEncode(new Uint8Array(new Int32Array(100_000).fill(7).buffer), { typesize: 4, clevel: 7, shuffle: 1 });
    const h = bloscHeader(big);
    expect(h.flags).toBe(0x91);
    expect(h.typesize).toBe(4);
    expect(h.nbytes).toBe(400_000);
    expect(h.blocksize).toBe(400_000);
    expect(h.cbytes).toBe(big.length);
    expect(big.length).toBeLessThan(200);
  });

  it('round trips through our decoder for every shuffle, typesize and size, including incompressible data', () => {
    const enc = new BloscEncoder();
    for (const ts of [1, 2, 4, 8]) {
      for (const shuffle of [0, 1, 2] as const) {
        for (const n of [0, 1, 127, 128, 1000, 70_000, 1_200_000]) {
          const nbytes = n * ts;
          const structured = new Uint8Array(nbytes);
          for (let i = 0; i < nbytes; i++) structured[i] = (i % 13 === 0 ? 3 : 0) + (i % ts);
          for (const src of [structured, rand(nbytes, n + ts)]) {
            const frame = enc.encode(src, { typesize: ts, clevel: 7, shuffle, zstdLevel: 3 });
            expect(bloscHeader(frame).cbytes).toBe(frame.length);
            expect(frame.length).toBeLessThanOrEqual(nbytes + 16);
            expect(sameBytes(bloscDecode(frame), src)).toBe(true);
          }
        }
      }
    }
  });

  it('rejects malformed frames with BloscFrameError', () => {
    const frame = bloscEncode(new Uint8Array(5000).fill(1), { typesize: 1, clevel: 7, shuffle: 1 });
    const bad = (f: Uint8Array): unknown => {
      try {
        bloscDecode(f);
      } catch (err) {
        return err;
      }
      return undefined;
    };
    expect(isVczWriteError(bad(frame.subarray(0, 10)), 'blosc-frame')).toBe(true);
    expect(isVczWriteError(bad(frame.subarray(0, frame.length - 1)), 'blosc-frame')).toBe(true);
    const lz4 = frame.slice();
    lz4[2] = (lz4[2]! & 0x1f) | (1 << 5);
    expect(isVczWriteError(bad(lz4), 'blosc-frame')).toBe(true);
    const corrupt = frame.slice();
    corrupt[corrupt.length - 3] ^= 0xff;
    corrupt[30] ^= 0xff;
    expect(isVczWriteError(bad(corrupt), 'blosc-frame')).toBe(true);
  });

  it('matches numcodecs: decodes its frames exactly, writes the same frames, and numcodecs decodes ours', () => {
    const dir = join(tmp(), 'blosc');
    run('mkdir', ['-p', dir]);
    py('blosc-gen', dir);
    const cases = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as { name: string; typesize: number; shuffle: 0 | 1 | 2; clevel: number; nbytes: number }[];
    expect(cases.length).toBeGreaterThan(200);
    const enc = new BloscEncoder();
    let identical = 0;
    const headerDiffs: string[] = [];
    for (const c of cases) {
      const raw = new Uint8Array(readFileSync(join(dir, `${c.name}.raw`)));
      const theirs = new Uint8Array(readFileSync(join(dir, `${c.name}.blosc`)));
      expect(sameBytes(bloscDecode(theirs), raw), c.name).toBe(true);
      const ours = enc.encode(raw, { typesize: c.typesize, clevel: c.clevel, shuffle: c.shuffle });
      writeFileSync(join(dir, `${c.name}.ours`), ours);
      if (Buffer.compare(Buffer.from(ours), Buffer.from(theirs)) === 0) identical++;
      // header fields other than cbytes always agree; sizes may differ by zstd version (1.5.7 vs numcodecs' bundled one)
      const ho = bloscHeader(ours);
      const ht = bloscHeader(theirs);
      if (ho.flags !== ht.flags || ho.blocksize !== ht.blocksize || ho.nbytes !== ht.nbytes || ho.typesize !== ht.typesize) headerDiffs.push(c.name);
      expect(Math.abs(ours.length - theirs.length) / Math.max(theirs.length, 64), c.name).toBeLessThan(0.05);
    }
    expect(headerDiffs).toEqual([]);
    // Nearly all frames are byte-identical; the rest differ only inside zstd streams.
    expect(identical / cases.length).toBeGreaterThan(0.9);
    const report = JSON.parse(py('blosc-check', dir)) as { ok: number; bad: unknown[] };
    expect(report.bad).toEqual([]);
    expect(report.ok).toBe(cases.length);
  });
});

describe('vlen-utf8', () => {
  it('encodes count, then length + UTF-8 bytes per item', () => {
    const b = vlenUtf8Encode(['a', '', 'é']);
    expect([...b]).toEqual([3, 0, 0, 0, 1, 0, 0, 0, 0x61, 0, 0, 0, 0, 2, 0, 0, 0, 0xc3, 0xa9]);
    expect(vlenUtf8Decode(b)).toEqual(['a', '', 'é']);
    expect(() => vlenUtf8Decode(b.subarray(0, 10))).toThrow(RangeError);
  });

  it('produces the same bytes as numcodecs VLenUTF8, which decodes ours', () => {
    const items = ['rs1', '.', '', 'ACGT'.repeat(40), 'naïve', '日本', '😀x', 'a,b'];
    const inp = join(tmp(), 'vlen.json');
    const out = join(tmp(), 'vlen.bin');
    writeFileSync(inp, JSON.stringify(items));
    const ours = vlenUtf8Encode(items);
    writeFileSync(out + '.ours', ours);
    const report = JSON.parse(py('vlen', inp, out)) as { decoded: string[] };
    expect(report.decoded).toEqual(items);
    expect(Buffer.from(ours).equals(readFileSync(out))).toBe(true);
  });
});

describe('metadata JSON', () => {
  const callDP: ZarrArraySpec = {
    name: 'call_DP',
    dtype: 'int8',
    shape: [9, 3],
    chunks: [9, 3],
    dimensionNames: ['variants', 'samples'],
    attributes: { description: 'Read Depth' },
    fillValue: 'null',
    compressor: { id: 'blosc', cname: 'zstd', clevel: 7, shuffle: 1 },
  };

  it('pythonJson matches json.dumps(indent=2): escapes, empty containers, floats', () => {
    expect(pythonJson({ a: [], b: {}, c: 'é\u007f"', d: [1, 2.5], e: null })).toBe(
      '{\n  "a": [],\n  "b": {},\n  "c": "\\u00e9\\u007f\\"",\n  "d": [\n    1,\n    2.5\n  ],\n  "e": null\n}',
    );
  });

  it('writes v2 .zarray/.zattrs exactly as bio2zarr 0.2.1 (zarr-python 3.1) does', () => {
    const m = arrayMetadata(callDP, 2);
    expect(m.get('.zarray')).toBe(
      `{
  "shape": [
    9,
    3
  ],
  "chunks": [
    9,
    3
  ],
  "dtype": "|i1",
  "fill_value": null,
  "order": "C",
  "filters": null,
  "dimension_separator": ".",
  "compressor": {
    "id": "blosc",
    "cname": "zstd",
    "clevel": 7,
    "shuffle": 1,
    "blocksize": 0
  },
  "zarr_format": 2
}`,
    );
    expect(m.get('.zattrs')).toBe(`{
  "_ARRAY_DIMENSIONS": [
    "variants",
    "samples"
  ],
  "description": "Read Depth"
}`);
    const sid = arrayMetadata({ ...callDP, name: 'sample_id', dtype: 'str', shape: [3], chunks: [3], dimensionNames: ['samples'], attributes: undefined, fillValue: 'default' }, 2);
    expect(JSON.parse(sid.get('.zarray')!)).toMatchObject({ dtype: '|O', fill_value: '', filters: [{ id: 'vlen-utf8' }] });
    expect(sid.get('.zattrs')).toBe('{\n  "_ARRAY_DIMENSIONS": [\n    "samples"\n  ]\n}');
    expect(JSON.parse(arrayMetadata({ ...callDP, dtype: 'char' }, 2).get('.zarray')!).dtype).toBe('<U1');
    expect(JSON.parse(arrayMetadata({ ...callDP, compressor: { id: 'zstd', level: 5 } }, 2).get('.zarray')!).compressor).toEqual({ id: 'zstd', level: 5 });
    expect(groupMetadata({}, 2)).toEqual(new Map([['.zgroup', '{\n  "zarr_format": 2\n}'], ['.zattrs', '{}']]));
  });

  it('writes v3 zarr.json exactly as bio2zarr 0.2.1 (zarr-python 3.1) does', () => {
    const m = arrayMetadata({ ...callDP, name: 'variant_AF', dtype: 'float32', dimensionNames: ['variants', 'INFO_AF_dim'], shape: [9, 2], chunks: [9, 2], attributes: { description: 'Allele Frequency' } }, 3);
    expect(m.get('zarr.json')).toBe(`{
  "shape": [
    9,
    2
  ],
  "data_type": "float32",
  "chunk_grid": {
    "name": "regular",
    "configuration": {
      "chunk_shape": [
        9,
        2
      ]
    }
  },
  "chunk_key_encoding": {
    "name": "default",
    "configuration": {
      "separator": "/"
    }
  },
  "fill_value": 0.0,
  "codecs": [
    {
      "name": "bytes",
      "configuration": {
        "endian": "little"
      }
    },
    {
      "name": "blosc",
      "configuration": {
        "typesize": 4,
        "cname": "zstd",
        "clevel": 7,
        "shuffle": "shuffle",
        "blocksize": 0
      }
    }
  ],
  "attributes": {
    "description": "Allele Frequency"
  },
  "dimension_names": [
    "variants",
    "INFO_AF_dim"
  ],
  "zarr_format": 3,
  "node_type": "array",
  "storage_transformers": []
}`);
    const gt = JSON.parse(arrayMetadata({ ...callDP, name: 'call_genotype', compressor: { id: 'blosc', cname: 'zstd', clevel: 7, shuffle: 2 } }, 3).get('zarr.json')!);
    expect(gt.codecs).toEqual([{ name: 'bytes' }, { name: 'blosc', configuration: { typesize: 1, cname: 'zstd', clevel: 7, shuffle: 'bitshuffle', blocksize: 0 } }]);
    expect(gt.fill_value).toBe(0);
    const s = JSON.parse(arrayMetadata({ ...callDP, dtype: 'str' }, 3).get('zarr.json')!);
    expect(s.data_type).toBe('string');
    expect(s.fill_value).toBe('');
    expect(s.codecs[0]).toEqual({ name: 'vlen-utf8', configuration: {} });
    expect(s.codecs[1].configuration.typesize).toBe(1);
    const z = JSON.parse(arrayMetadata({ ...callDP, dtype: 'int32', compressor: { id: 'zstd', level: 3 } }, 3).get('zarr.json')!);
    expect(z.codecs[1]).toEqual({ name: 'zstd', configuration: { level: 3, checksum: false } });
    const ch = JSON.parse(arrayMetadata({ ...callDP, dtype: 'char' }, 3).get('zarr.json')!);
    expect(ch.data_type).toEqual({ name: 'fixed_length_utf32', configuration: { length_bytes: 4 } });
    expect(groupMetadata({ a: 1 }, 3).get('zarr.json')).toBe('{\n  "attributes": {\n    "a": 1\n  },\n  "zarr_format": 3,\n  "node_type": "group"\n}');
    expect(chunkKey('a', [0, 1, 2], 2)).toBe('a/0.1.2');
    expect(chunkKey('a', [0, 1, 2], 3)).toBe('a/c/0/1/2');
  });
});

describe('ZarrStoreWriter', () => {
  function writeAll(out: string, zarrFormat: 2 | 3, zip = false, compressor: 'blosc' | 'zstd' = 'blosc'): ZarrStoreWriter {
    const w = ZarrStoreWriter.create(out, { zarrFormat, zip });
    const comp = (shuffle: 0 | 1 | 2) => (compressor === 'zstd' ? ({ id: 'zstd', level: 3 } as const) : ({ id: 'blosc', cname: 'zstd', clevel: 7, shuffle } as const));
    w.setRootAttributes({ vcf_zarr_version: '0.5', source: 'test', vcf_meta_information: [['fileformat', 'VCFv4.3']] });
    const base = { fillValue: 'null' as const, attributes: { description: 'x' } };
    const i16 = w.createArray({ ...base, name: 'i16', dtype: 'int16', shape: [5, 3], chunks: [2, 2], dimensionNames: ['variants', 'samples'], compressor: comp(1) });
    for (let a = 0; a < 3; a++) {
      for (let b = 0; b < 2; b++) {
        const t = new Int16Array(4);
        for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) t[i * 2 + j] = (a * 2 + i) * 100 + b * 2 + j;
        w.writeChunk(i16, [a, b], t);
      }
    }
    const f = w.createArray({ ...base, name: 'f32', dtype: 'float32', shape: [3], chunks: [3], dimensionNames: ['variants'], compressor: comp(1) });
    w.writeChunk(f, [0], new Float32Array(new Uint32Array([0x3fc00000, 0x7f800001, 0x7f800002]).buffer));
    const b = w.createArray({ ...base, name: 'b', dtype: 'bool', shape: [1000], chunks: [1000], dimensionNames: ['variants'], compressor: comp(2) });
    w.writeChunk(b, [0], Uint8Array.from({ length: 1000 }, (_, i) => (i % 3 === 0 ? 1 : 0)));
    const s = w.createArray({ name: 's', dtype: 'str', shape: [3], chunks: [2], dimensionNames: ['samples'], fillValue: 'default', compressor: comp(1) });
    w.writeChunk(s, [0], ['NA1', 'ü']);
    w.writeChunk(s, [1], ['NA3', '']);
    const c = w.createArray({ ...base, name: 'c', dtype: 'char', shape: [3], chunks: [3], dimensionNames: ['variants'], compressor: comp(1) });
    w.writeChunk(c, [0], ['x', '.', '']);
    const l = w.createArray({ name: 'l', dtype: 'int64', shape: [2], chunks: [2], dimensionNames: ['contigs'], fillValue: 'default', compressor: comp(1) });
    w.writeChunk(l, [0], new BigInt64Array([248956422n, 1n << 40n]));
    return w;
  }

  const expected = {
    i16: [0, 1, 2, 100, 101, 102, 200, 201, 202, 300, 301, 302, 400, 401, 402],
    f32: [0x3fc00000, 0x7f800001, 0x7f800002],
    s: ['NA1', 'ü', 'NA3'],
    c: ['x', '.', ''],
    l: [248956422, 2 ** 40],
  };

  for (const fmt of [2, 3] as const) {
    for (const compressor of ['blosc', 'zstd'] as const) {
      it(`writes a format ${fmt} store (${compressor}) that zarr-python reads`, async () => {
        const out = join(tmp(), `store${fmt}-${compressor}.zarr`);
        const w = writeAll(out, fmt, false, compressor);
        expect(existsSync(w.tmpPath)).toBe(true);
        expect(existsSync(out)).toBe(false);
        const summary = await w.finish();
        expect(summary).toMatchObject({ path: out, arrays: 6, chunks: 12 });
        expect(existsSync(w.tmpPath)).toBe(false);
        expect(readdirSync(out).sort()).toEqual(fmt === 2 ? ['.zattrs', '.zgroup', 'b', 'c', 'f32', 'i16', 'l', 's'] : ['b', 'c', 'f32', 'i16', 'l', 's', 'zarr.json']);
        const dump = JSON.parse(py('dump', out)) as { attrs: Record<string, unknown>; arrays: Record<string, { values: unknown[]; dims: string[]; dtype: string; attrs: Record<string, unknown> }> };
        expect(dump.attrs).toEqual({ vcf_zarr_version: '0.5', source: 'test', vcf_meta_information: [['fileformat', 'VCFv4.3']] });
        for (const [k, v] of Object.entries(expected)) expect(dump.arrays[k]!.values, k).toEqual(v);
        expect(dump.arrays.b!.values).toEqual(Array.from({ length: 1000 }, (_, i) => (i % 3 === 0 ? 1 : 0)));
        expect(dump.arrays.i16!.dims).toEqual(['variants', 'samples']);
        expect(dump.arrays.i16!.attrs).toEqual({ description: 'x' });
        expect(dump.arrays.c!.dtype).toBe('<U1');
      });
    }
  }

  it('zips the store (stored entries, relative keys, files only) and zarr-python opens the zip', async () => {
    const out = join(tmp(), 'store.vcz.zip');
    const summary = await writeAll(out, 2, true).finish();
    expect(summary.bytes).toBe(readFileSync(out).length);
    const listing = run('unzip', ['-v', out]).stdout;
    expect(listing).toMatch(/\.zgroup/);
    expect(listing).toMatch(/i16\/0\.0/);
    expect(listing).not.toMatch(/Defl/);
    const names = run('unzip', ['-Z1', out]).stdout.trim().split('\n');
    expect(names.length).toBe(26);
    expect(names.every((n) => !n.endsWith('/') && !n.startsWith('/') && !n.includes('tmp'))).toBe(true);
    expect(names.slice(0, 3)).toEqual(['.zattrs', '.zgroup', 'b/.zarray']);
    const dump = JSON.parse(py('dump', out)) as { arrays: Record<string, { values: unknown[] }> };
    expect(dump.arrays.i16!.values).toEqual(expected.i16);
    expect(dump.arrays.s!.values).toEqual(expected.s);
    expect(readdirSync(tmp()).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('refuses an existing output, bad specs and bad chunks; abort removes the temporary directory', () => {
    const out = join(tmp(), 'exists');
    writeFileSync(out, 'x');
    expect(() => ZarrStoreWriter.create(out)).toThrow(/already exists/);
    expect(() => ZarrStoreWriter.create(join(tmp(), 'no/such/dir/x.zarr'))).toThrow(/parent directory/);
    const w = ZarrStoreWriter.create(join(tmp(), 'aborted.zarr'));
    const spec: ZarrArraySpec = { name: 'a', dtype: 'int8', shape: [4], chunks: [2], dimensionNames: ['variants'], fillValue: 'null', compressor: { id: 'blosc', cname: 'zstd', clevel: 7, shuffle: 1 } };
    const expectSpecError = (fn: () => unknown): void => {
      let err: unknown;
      try {
        fn();
      } catch (e) {
        err = e;
      }
      expect(isVczWriteError(err, 'zarr-spec'), String(err)).toBe(true);
    };
    expectSpecError(() => w.createArray({ ...spec, name: '../evil' }));
    expectSpecError(() => w.createArray({ ...spec, chunks: [0] }));
    expectSpecError(() => w.createArray({ ...spec, dimensionNames: [] }));
    const a = w.createArray(spec);
    expectSpecError(() => w.createArray(spec));
    expectSpecError(() => w.writeChunk(a, [2], new Int8Array(2)));
    expectSpecError(() => w.writeChunk(a, [0], new Int8Array(3)));
    expectSpecError(() => w.writeChunk(a, [0], new Int16Array(2)));
    const c = w.createArray({ ...spec, name: 'c', dtype: 'char' });
    expectSpecError(() => w.writeChunk(c, [0], ['ab', 'c']));
    w.writeChunk(a, [0], new Int8Array(2));
    w.abort();
    expect(existsSync(w.tmpPath)).toBe(false);
    expect(existsSync(join(tmp(), 'aborted.zarr'))).toBe(false);
    expect(() => w.writeChunk(a, [1], new Int8Array(2))).toThrow(/aborted/);
  });
});
