/**
 * What s3Client() sends and what S3StoreUpload.put keeps (moto on 127.0.0.1,
 * test/s3/moto.ts):
 * - a chunk PUT carries the SHA-256 of its body in the SigV4-signed
 *   `x-amz-content-sha256` header (the body's integrity check at S3) and no
 *   `x-amz-checksum-*` header: the SDK's extra CRC32 of every body is off
 *   (`requestChecksumCalculation: 'WHEN_REQUIRED'`);
 * - `put(key, data)` copies `data` (the caller may reuse it at once);
 *   `put(key, data, true)` takes it over, and the object holds its bytes.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { s3Client, S3StoreUpload } from '../../src/zarr/index.ts';
import { useMoto } from './moto.ts';

const BUCKET = 'vczdepot-client';
useMoto([BUCKET]);

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array | undefined;
}

/** s3Client() with a middleware that records each request as it is sent (after signing). */
function recordingClient(): { client: ReturnType<typeof s3Client>; seen: Seen[] } {
  const client = s3Client();
  const seen: Seen[] = [];
  client.middlewareStack.add(
    (next) => async (args) => {
      const r = args.request as { method: string; path: string; headers: Record<string, string>; body?: unknown };
      seen.push({ method: r.method, path: r.path, headers: { ...r.headers }, body: r.body instanceof Uint8Array ? new Uint8Array(r.body) : undefined });
      return next(args);
    },
    { step: 'deserialize', name: 'recordSentRequest', priority: 'low' },
  );
  return { client, seen };
}

async function getBytes(client: ReturnType<typeof s3Client>, key: string): Promise<Uint8Array> {
  const r = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return r.Body!.transformToByteArray();
}

describe('s3Client and S3StoreUpload.put', () => {
  it('signs each chunk body with its SHA-256 and adds no CRC32 header', async () => {
    const { client, seen } = recordingClient();
    const up = await S3StoreUpload.open(`s3://${BUCKET}/signed.vcz`, { client });
    const body = new Uint8Array(200_000).map((_, i) => (i * 7919) & 0xff);
    up.put('call_genotype/0.0.0', body);
    up.put('.zgroup', '{"zarr_format": 2}');
    await up.commit();
    const puts = seen.filter((s) => s.method === 'PUT' && s.path.endsWith('/call_genotype/0.0.0'));
    expect(puts).toHaveLength(1);
    const h = puts[0]!.headers;
    expect(h['x-amz-content-sha256']).toBe(createHash('sha256').update(body).digest('hex'));
    expect(h['authorization']).toMatch(/SignedHeaders=[^,]*x-amz-content-sha256/);
    expect(Object.keys(h).filter((k) => k.toLowerCase().startsWith('x-amz-checksum') || k.toLowerCase() === 'x-amz-sdk-checksum-algorithm')).toEqual([]);
    expect(await getBytes(client, 'signed.vcz/call_genotype/0.0.0')).toEqual(body);
    client.destroy();
  });

  it('copies a chunk it does not own and keeps one handed over', async () => {
    const client = s3Client();
    const up = await S3StoreUpload.open(`s3://${BUCKET}/owned.vcz`, { client });
    const reused = new Uint8Array(5_000).fill(1);
    up.put('a/0', reused);
    reused.fill(2); // the encoder reuses its buffer for the next chunk
    up.put('a/1', reused);
    const handed = new Uint8Array(new ArrayBuffer(8_192), 1_024, 3_000).fill(3); // a view into a larger buffer
    up.put('a/2', handed, true);
    up.put('.zgroup', '{"zarr_format": 2}');
    await up.commit();
    expect(await getBytes(client, 'owned.vcz/a/0')).toEqual(new Uint8Array(5_000).fill(1));
    expect(await getBytes(client, 'owned.vcz/a/1')).toEqual(new Uint8Array(5_000).fill(2));
    expect(await getBytes(client, 'owned.vcz/a/2')).toEqual(new Uint8Array(3_000).fill(3));
    client.destroy();
  });
});
