/**
 * Streaming export to S3 (moto on 127.0.0.1, test/s3/moto.ts), beyond what
 * test/s3/export.test.ts checks (readers over S3, SIGKILL mid-upload, foreign
 * prefixes, import):
 * - a directory store is streamed: chunks are on S3 before the exporter's
 *   last chunk and nothing is staged on local disk; every object is the
 *   local consolidated export's file, byte for byte (formats 2 and 3);
 * - a `.vcz.zip` object has the local zip's entries (order, stored, bytes)
 *   and is streamed from the zip writer (no local zip file);
 * - multipart upload: a stream over the part size is uploaded in parts and
 *   reads back equal; a part failing every retry aborts the upload (no
 *   object, no pending upload) and is an S3StoreError;
 * - re-exporting over its own store: no chunk PUT before the old objects are
 *   deleted (a slow DeleteObjects must not remove new chunks);
 * - PUTs failing with HTTP 503 SlowDown are retried and the store is equal;
 *   a chunk PUT failing every attempt is an S3StoreError naming it, and the
 *   prefix is left empty (nothing published);
 * - the upload's queue is bounded: ready() waits while more than
 *   S3_QUEUE_BYTES are queued.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { createFromFile, exportDepot, isVczdepotError } from '../../src/index.ts';
import { publishStoreToS3, s3Client, S3_MAX_ATTEMPTS, S3_PART_BYTES, S3_QUEUE_BYTES, S3StoreUpload, uploadStream } from '../../src/zarr/index.ts';
import { filePaths } from '../helpers/files.ts';
import { repoRoot, run, venvBin } from '../helpers/interop.ts';
import { useTempDir } from '../helpers/tmp.ts';
import { faultyClient } from './faults.ts';
import { listKeys, useMoto } from './moto.ts';

const BUCKET = 'vczdepot-stream';
const moto = useMoto([BUCKET]);
const dir = useTempDir('s3stream');
const vcf = (name: string) => join(repoRoot, 'test', 'data', 'vcf', `${name}.vcf.gz`);
const CHUNKS = { variantsChunkSize: 30, samplesChunkSize: 40 } as const;

const keys = (prefix: string): Promise<string[]> => listKeys(BUCKET, prefix);

async function get(key: string): Promise<Buffer> {
  const client = s3Client();
  try {
    const r = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return Buffer.from(await r.Body!.transformToByteArray());
  } finally {
    client.destroy();
  }
}

/** Every object under `prefix/` equals the file of the same key under `local`, byte for byte (and nothing else is there). */
async function expectSameObjects(prefix: string, local: string): Promise<void> {
  const objects = (await keys(`${prefix}/`)).map((k) => k.slice(prefix.length + 1));
  expect(objects).toEqual(filePaths(local));
  for (const k of objects) expect((await get(`${prefix}/${k}`)).equals(readFileSync(join(local, k))), k).toBe(true);
}

/** The entries of a zip in order (name, compress type, sha256), read by Python's zipfile. */
function zipEntries(file: string): unknown {
  const code = 'import sys, zipfile, json, hashlib\nz = zipfile.ZipFile(sys.argv[1])\nprint(json.dumps([[i.filename, i.compress_type, hashlib.sha256(z.read(i)).hexdigest()] for i in z.infolist()]))';
  return JSON.parse(run(venvBin('python'), ['-c', code, file]).stdout);
}

/** Runs `fn` with TMPDIR pointing at a fresh directory (os.tmpdir() reads it on each call). */
async function withTmpdir<T>(fn: (tmp: string) => Promise<T>): Promise<T> {
  const tmp = mkdtempSync(join(dir(), 'tmpdir-'));
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  try {
    return await fn(tmp);
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
}

describe('streamed export to s3://', () => {
  it.each([2, 3] as const)('format %i: chunks are PUT while the export runs, nothing is staged locally, every object is the local file byte for byte', async (fmt) => {
    const { depot } = await createFromFile(join(dir(), `stream${fmt}.depot`), vcf('chr22'));
    const prefix = `stream/f${fmt}.vcz`;
    const local = join(dir(), `stream${fmt}.vcz`);
    const { client, seen } = faultyClient(BUCKET, () => false);
    let putsBeforeLastChunk = -1;
    const staged: string[] = [];
    try {
      await withTmpdir(async (tmp) => {
        await exportDepot(depot, `s3://${BUCKET}/${prefix}`, {
          zarrFormat: fmt,
          ...CHUNKS,
          s3Client: client,
          onProgress: (done, total) => {
            // tsx's compile cache (tsx-<uid>, made by an encoder worker thread run through tsx) is not staging.
            staged.push(...readdirSync(tmp).filter((e) => !/^tsx-\d+$/.test(e)));
            if (done === total) putsBeforeLastChunk = seen.filter((r) => r.method === 'PUT' && r.key.startsWith(`${prefix}/`)).length;
          },
        });
      });
      await exportDepot(depot, local, { zarrFormat: fmt, ...CHUNKS, consolidated: true });
    } finally {
      depot.close();
      client.destroy();
    }
    expect(staged).toEqual([]);
    // Sent while the exporter still had chunks to write (before the streaming export: 0, the upload came after the export).
    expect(putsBeforeLastChunk).toBeGreaterThan(0);
    await expectSameObjects(prefix, local);
  }, 120_000);

  it('a .vcz.zip object has the local zip\'s entries in order, streamed from the zip writer (no local zip file)', async () => {
    const { depot } = await createFromFile(join(dir(), 'zip.depot'), vcf('chr22'));
    const key = 'stream/chr22.vcz.zip';
    const local = join(dir(), 'zip-local.vcz.zip');
    let zipsWhenUploading: string[] | undefined;
    const { client } = faultyClient(BUCKET, () => false, async (r) => {
      if (r.key === key && zipsWhenUploading === undefined) {
        const tmp = process.env.TMPDIR!;
        zipsWhenUploading = readdirSync(tmp).flatMap((d) => (statSync(join(tmp, d)).isDirectory() ? readdirSync(join(tmp, d)) : [d])).filter((f) => f.endsWith('.zip'));
      }
    });
    try {
      await withTmpdir(async () => {
        const r = await exportDepot(depot, `s3://${BUCKET}/${key}`, { ...CHUNKS, s3Client: client });
        expect(r.path).toBe(`s3://${BUCKET}/${key}`);
      });
      await exportDepot(depot, local, { ...CHUNKS, consolidated: true });
    } finally {
      depot.close();
      client.destroy();
    }
    expect(zipsWhenUploading).toEqual([]);
    expect(await keys('stream/chr22.vcz.zip')).toEqual([key]);
    const got = join(dir(), 'zip-from-s3.vcz.zip');
    writeFileSync(got, await get(key));
    expect(zipEntries(got)).toEqual(zipEntries(local));
  }, 120_000);

  it('re-exporting over its own store: no chunk PUT starts before the old objects are deleted (a slow DeleteObjects loses nothing)', async () => {
    const { depot } = await createFromFile(join(dir(), 'again.depot'), vcf('chr22'));
    const prefix = 'again/chr22.vcz';
    const local = join(dir(), 'again.vcz');
    const { client, seen } = faultyClient(BUCKET, () => false, async (r) => {
      if (r.method === 'POST' && 'delete' in r.query) await new Promise((res) => setTimeout(res, 500));
    });
    try {
      await exportDepot(depot, `s3://${BUCKET}/${prefix}`, { ...CHUNKS, s3Client: client });
      const before = seen.length;
      await exportDepot(depot, `s3://${BUCKET}/${prefix}`, { ...CHUNKS, s3Client: client });
      const second = seen.slice(before);
      const del = second.findIndex((r) => r.method === 'POST' && 'delete' in r.query);
      const firstChunk = second.findIndex((r) => r.method === 'PUT' && r.key.includes('/call_'));
      expect(del).toBeGreaterThanOrEqual(0);
      expect(firstChunk).toBeGreaterThan(del);
      await exportDepot(depot, local, { ...CHUNKS, consolidated: true });
    } finally {
      depot.close();
      client.destroy();
    }
    await expectSameObjects(prefix, local);
  }, 120_000);

  it('PUTs failing with HTTP 503 SlowDown are retried; the store is the local one byte for byte', async () => {
    const { depot } = await createFromFile(join(dir(), 'retry.depot'), vcf('chr22'));
    const prefix = 'retry/chr22.vcz';
    const local = join(dir(), 'retry.vcz');
    let n = 0;
    // The first attempt of every 10th chunk PUT, and of the root .zgroup, fails.
    const { client, seen } = faultyClient(BUCKET, (r) => r.method === 'PUT' && r.attempt === 1 && r.key.startsWith(`${prefix}/`) && (r.key.endsWith('/.zgroup') || n++ % 10 === 0));
    try {
      await exportDepot(depot, `s3://${BUCKET}/${prefix}`, { ...CHUNKS, s3Client: client });
      await exportDepot(depot, local, { ...CHUNKS, consolidated: true });
    } finally {
      depot.close();
      client.destroy();
    }
    const failed = seen.filter((r) => r.failed);
    expect(failed.length).toBeGreaterThan(20);
    expect(failed.map((r) => r.key)).toContain(`${prefix}/.zgroup`);
    // Each failed PUT was sent again and succeeded.
    for (const f of failed) expect(seen.some((r) => r.key === f.key && r.attempt === 2 && !r.failed), f.key).toBe(true);
    await expectSameObjects(prefix, local);
  }, 120_000);

  it('a chunk PUT failing every attempt is an S3StoreError naming it; nothing is published and the prefix is left empty', async () => {
    const { depot } = await createFromFile(join(dir(), 'exhaust.depot'), vcf('chr22'));
    const prefix = 'exhaust/chr22.vcz';
    const bad = `${prefix}/call_genotype/1.1.0`;
    const { client, seen } = faultyClient(BUCKET, (r) => r.method === 'PUT' && r.key === bad);
    try {
      await expect(exportDepot(depot, `s3://${BUCKET}/${prefix}`, { ...CHUNKS, s3Client: client })).rejects.toSatisfy(
        (e: unknown) => isVczdepotError(e, 's3-store') && (e as Error).message.includes(`PUT ${bad}`) && /HTTP 503/.test((e as Error).message) && (e as Error).message.includes(`s3://${BUCKET}/${prefix}`),
      );
    } finally {
      depot.close();
      client.destroy();
    }
    expect(seen.filter((r) => r.key === bad).length).toBe(S3_MAX_ATTEMPTS);
    // Chunks were PUT before the failure, and removed after it.
    expect(seen.filter((r) => r.method === 'PUT' && !r.failed && r.key.startsWith(`${prefix}/call_`)).length).toBeGreaterThan(0);
    expect(seen.some((r) => r.method === 'PUT' && /\/(\.zgroup|\.zattrs|\.zmetadata|zarr\.json)$/.test(r.key) && r.key.split('/').length === 3)).toBe(false);
    expect(await keys(`${prefix}/`)).toEqual([]);
    const missing = run(venvBin('python'), ['-W', 'ignore', join(repoRoot, 'test', 's3', 's3_check.py'), `s3://${BUCKET}/${prefix}`, '-', '--expect-missing'], { env: moto().env });
    expect(missing.stdout).toMatch(/^missing/);
  }, 120_000);

  it('the upload queue is bounded: ready() waits while more than S3_QUEUE_BYTES wait to be PUT', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { client } = faultyClient(BUCKET, () => false, async (r) => {
      if (r.method === 'PUT' && r.key.includes('/c/')) await gate;
    });
    const upload = await S3StoreUpload.open(`s3://${BUCKET}/bounded/out.vcz`, { client });
    const mib = Buffer.alloc(1 << 20, 7);
    const n = S3_QUEUE_BYTES / mib.length + 20; // 16 held in flight, the rest queued
    for (let i = 0; i < n; i++) upload.put(`a/c/${i}`, mib);
    let ready = false;
    const waiting = upload.ready().then(() => (ready = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(ready).toBe(false);
    release();
    await waiting;
    upload.put('zarr.json', '{}');
    await upload.commit();
    client.destroy();
    expect((await keys('bounded/out.vcz/')).length).toBe(n + 1);
  }, 120_000);
});

describe('multipart upload', () => {
  const big = Buffer.alloc(S3_PART_BYTES + 3 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 4) big.writeUInt32LE((i * 2654435761) >>> 0, i);
  const pieces = () => Readable.from(Array.from({ length: Math.ceil(big.length / 65536) }, (_, i) => big.subarray(i * 65536, (i + 1) * 65536)));

  it('a stream over the part size goes up in parts and reads back equal', async () => {
    const { client, seen } = faultyClient(BUCKET, () => false);
    try {
      const r = await uploadStream(client, BUCKET, 'mp/big.bin', pieces());
      expect(r).toEqual({ bytes: big.length, parts: 2 });
    } finally {
      client.destroy();
    }
    expect(seen.filter((r) => r.method === 'PUT' && 'partNumber' in r.query).map((r) => r.query.partNumber)).toEqual(['1', '2']);
    expect((await get('mp/big.bin')).equals(big)).toBe(true);
  }, 60_000);

  it('a part failing every attempt aborts the upload: an S3StoreError, no object, no pending upload', async () => {
    const local = join(dir(), 'big.vcz.zip');
    writeFileSync(local, big);
    const { client, seen } = faultyClient(BUCKET, (r) => r.method === 'PUT' && r.query.partNumber === '2');
    try {
      await expect(publishStoreToS3(local, `s3://${BUCKET}/mp/failed.vcz.zip`, { zip: true, client })).rejects.toSatisfy(
        (e: unknown) => isVczdepotError(e, 's3-store') && /UploadPart 2 of mp\/failed\.vcz\.zip/.test((e as Error).message) && /HTTP 503/.test((e as Error).message),
      );
    } finally {
      client.destroy();
    }
    expect(seen.filter((r) => r.method === 'DELETE' && 'uploadId' in r.query).length).toBe(1);
    expect(await keys('mp/failed')).toEqual([]);
    const c = s3Client();
    const pending = await c.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }));
    c.destroy();
    expect(pending.Uploads ?? []).toEqual([]);
    expect(existsSync(local)).toBe(true);
  }, 60_000);
});
