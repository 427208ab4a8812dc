/**
 * Zarr stores on S3 (and S3-compatible servers): publishing a finished local
 * store (directory or `.vcz.zip`) under an `s3://bucket/prefix` URL, and
 * fetching an object or a prefix back to local disk.
 *
 * Client: the AWS SDK for JavaScript v3 (`@aws-sdk/client-s3`) with its
 * standard credential chain (env `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`,
 * `AWS_PROFILE`, SSO, instance/container roles), region from `AWS_REGION` /
 * `AWS_DEFAULT_REGION` (default us-east-1), endpoint from `AWS_ENDPOINT_URL`
 * (or `AWS_ENDPOINT_URL_S3`; path-style addressing then, as MinIO/moto need).
 * Every request is retried by the SDK's standard retry strategy (up to
 * {@link S3_MAX_ATTEMPTS} attempts, exponential backoff with jitter, on
 * throttling, 5xx and network errors); PUTs run {@link S3_CONCURRENCY} at a time.
 *
 * Publish protocol (S3 has no rename; docs/scale.md "Object storage"): a
 * reader opens a Zarr store through its root metadata (`.zgroup`/`.zmetadata`
 * in format 2, the root `zarr.json` in format 3), so
 *   1. what the prefix held is removed, root metadata first (an old store
 *      stops opening before any of it goes);
 *   2. a marker object `<prefix>/.vczdepot-upload` is written;
 *   3. every chunk is PUT, then the array metadata, then the root metadata
 *      (`.zattrs`, `.zgroup`, `.zmetadata`; or the root `zarr.json`) last;
 *   4. the marker is deleted.
 * Until step 3 ends, the prefix has no root metadata and does not open as a
 * store; a killed upload leaves chunks and the marker, which the next export
 * to that prefix removes. A `.vcz.zip` is one PUT: S3 makes an object
 * visible only once complete.
 */
import { readFileSync, mkdirSync, createWriteStream, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import {
  S3Client,
  DeleteObjectsCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { areaGuard, type ErrorsByCode, nameErrors } from '../errors.ts';
import { VczWriteError } from './errors.ts';

/** Attempts per request (the SDK's standard retry strategy). */
export const S3_MAX_ATTEMPTS = 5;
/** PUTs in flight at once. */
export const S3_CONCURRENCY = 16;
/** Marker key (under the prefix) of an upload in progress. */
export const S3_UPLOAD_MARKER = '.vczdepot-upload';
/** User metadata (`x-amz-meta-vczdepot`) put on a store's root metadata and on a `.vcz.zip`: a store vczdepot made. */
const MADE_BY = 'vczdepot';

/**
 * An S3 operation failed or was refused: a malformed `s3://` URL, a missing
 * bucket or object, a prefix holding something vczdepot did not make (no
 * `force`), or a request that failed after every retry (`cause` holds the
 * SDK's error).
 */
export class S3StoreError extends VczWriteError {
  readonly code = 's3-store' as const;
  /**
   * @param url The `s3://bucket/prefix` concerned.
   * @param reason What failed and what to do.
   */
  constructor(readonly url: string, readonly reason: string, options?: ErrorOptions) {
    super(`${url}: ${reason}`, options);
  }
}
nameErrors({ S3StoreError });
declare module '../errors.ts' {
  interface VczdepotErrorMap extends ErrorsByCode<S3StoreError> {}
}
/** True when `err` is an {@link S3StoreError}. */
export const isS3StoreError = areaGuard<S3StoreError>(S3StoreError);

/** A parsed `s3://bucket/key` URL; `key` has no leading or trailing `/`. */
export interface S3Location {
  readonly bucket: string;
  readonly key: string;
  readonly url: string;
}

/** True when `path` is an `s3://` URL. */
export function isS3Url(path: string): boolean {
  return /^s3:\/\//i.test(path);
}

/**
 * Parses `s3://bucket/key/...` (trailing `/` ignored).
 *
 * @throws S3StoreError when there is no bucket or no key
 */
export function parseS3Url(url: string): S3Location {
  const m = /^s3:\/\/([^/]+)\/(.*?)\/*$/i.exec(url);
  if (!m || m[2]!.length === 0) throw new S3StoreError(url, 'expected s3://BUCKET/KEY (e.g. s3://my-bucket/cohort/out.vcz)');
  return { bucket: m[1]!, key: m[2]!, url: `s3://${m[1]}/${m[2]}` };
}

/** A client from the standard credential chain, `AWS_REGION` and `AWS_ENDPOINT_URL` (see the module doc). */
export function s3Client(): S3Client {
  const endpoint = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  return new S3Client({
    region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    maxAttempts: S3_MAX_ATTEMPTS,
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
  });
}

function failed(loc: S3Location, what: string, err: unknown): S3StoreError {
  if (err instanceof S3StoreError) return err;
  const e = err as Error & { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const hint =
    e.name === 'NoSuchBucket'
      ? '; create the bucket first or check the URL'
      : e.name === 'CredentialsProviderError' || status === 403
        ? '; check the AWS credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE) and the bucket policy'
        : '';
  return new S3StoreError(loc.url, `${what} failed after up to ${S3_MAX_ATTEMPTS} attempts (${e.name ?? 'Error'}${status ? `, HTTP ${status}` : ''}): ${e.message}${hint}`, { cause: err });
}

async function pool<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      signal?.throwIfAborted();
      await fn(items[next++]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}

/** Every key under `prefix` (`prefix/...`, plus `prefix` itself when it is an object). */
async function listKeys(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const r = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/`, ...(token ? { ContinuationToken: token } : {}) }));
    for (const o of r.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

async function head(client: S3Client, bucket: string, key: string): Promise<{ made: boolean } | undefined> {
  try {
    const r = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { made: r.Metadata?.[MADE_BY] !== undefined };
  } catch (err) {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return undefined;
    throw err;
  }
}

async function deleteKeys(client: S3Client, bucket: string, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) {
    const batch = keys.slice(i, i + 1000);
    const r = await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
    if (r.Errors && r.Errors.length > 0) throw new Error(`could not delete ${r.Errors[0]!.Key}: ${r.Errors[0]!.Message}`);
  }
}

const ROOT_METADATA = ['.zattrs', '.zgroup', '.zmetadata', 'zarr.json'];
const METADATA_NAMES = new Set(['.zattrs', '.zgroup', '.zarray', '.zmetadata', 'zarr.json']);

/** What may be overwritten at `loc` and what to delete first; throws when it may not (without force). */
async function prepareTarget(client: S3Client, loc: S3Location, force: boolean): Promise<string[]> {
  const keys = await listKeys(client, loc.bucket, loc.key);
  const self = await head(client, loc.bucket, loc.key);
  if (self && !self.made && !force) throw new S3StoreError(loc.url, 'an object vczdepot did not make is already there; pass force (--force) to replace it, or choose another key');
  if (self) keys.unshift(loc.key);
  const under = new Set(keys.map((k) => k.slice(loc.key.length + 1)));
  if (under.size > 0 && !force && !under.has(S3_UPLOAD_MARKER)) {
    const root = under.has('.zgroup') ? '.zgroup' : under.has('zarr.json') ? 'zarr.json' : undefined;
    const made = root !== undefined && (await head(client, loc.bucket, `${loc.key}/${root}`))?.made;
    if (!made) throw new S3StoreError(loc.url, `the prefix holds ${under.size} objects that are not a store vczdepot made nor a killed vczdepot upload; pass force (--force) to replace them, or choose another prefix`);
  }
  // Root metadata first: an old store stops opening before any of it is deleted.
  const rootKeys = ROOT_METADATA.map((n) => `${loc.key}/${n}`).filter((k) => keys.includes(k));
  return [...rootKeys, ...keys.filter((k) => !rootKeys.includes(k))];
}

/** Checks that a store may be published at `url` (see {@link publishStoreToS3}) without writing anything. */
export async function checkS3Target(url: string, options: { force?: boolean } = {}): Promise<void> {
  const loc = parseS3Url(url);
  const client = s3Client();
  try {
    await prepareTarget(client, loc, !!options.force);
  } catch (err) {
    throw failed(loc, 'checking the target', err);
  } finally {
    client.destroy();
  }
}

/** What {@link publishStoreToS3} reports. */
export interface S3PublishSummary {
  readonly url: string;
  /** Objects PUT (the marker not counted). */
  readonly objects: number;
  /** Bytes PUT. */
  readonly bytes: number;
  /** Objects deleted first (a previous store or a killed upload). */
  readonly deleted: number;
}

/** Every file under `dir` as `/`-separated relative paths. */
function listFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(dir, r));
    else if (e.isFile()) out.push(r);
  }
  return out;
}

/**
 * Publishes the finished local store `local` (a directory store, or a
 * `.vcz.zip` file when `zip`) at `url` (`s3://bucket/prefix`), by the
 * publish protocol of the module doc: the prefix opens as a store only once
 * every object is there. What the prefix held (a store vczdepot made, or a
 * killed upload's leftovers) is replaced; anything else needs `force`.
 *
 * @param options.signal cancels between PUTs (checked before each; a PUT in flight completes) (what was PUT stays, without
 *   root metadata, and is removed by the next publish to the prefix)
 * @throws S3StoreError for a refused target, a missing bucket, or a request
 *   that failed after every retry
 */
export async function publishStoreToS3(
  local: string,
  url: string,
  options: { zip?: boolean; force?: boolean; signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<S3PublishSummary> {
  const loc = parseS3Url(url);
  const client = s3Client();
  const { signal } = options;
  let objects = 0;
  let bytes = 0;
  let step = 'checking the target';
  const put = async (key: string, body: Buffer, made = false): Promise<void> => {
    step = `PUT ${key}`;
    await client.send(new PutObjectCommand({ Bucket: loc.bucket, Key: key, Body: body, ...(made ? { Metadata: { [MADE_BY]: '1' } } : {}) }));
    objects++;
    bytes += body.length;
  };
  try {
    const old = await prepareTarget(client, loc, !!options.force);
    step = 'deleting what the prefix held';
    await deleteKeys(client, loc.bucket, old);
    signal?.throwIfAborted();
    if (options.zip) {
      await put(loc.key, readFileSync(local), true);
      options.onProgress?.(1, 1);
      return { url: loc.url, objects, bytes, deleted: old.length };
    }
    const marker = `${loc.key}/${S3_UPLOAD_MARKER}`;
    step = `PUT ${marker}`;
    await client.send(new PutObjectCommand({ Bucket: loc.bucket, Key: marker, Body: 'vczdepot upload in progress; the next export to this prefix removes it\n' }));
    const files = listFiles(local);
    const base = (f: string): string => f.slice(f.lastIndexOf('/') + 1);
    const chunks = files.filter((f) => !METADATA_NAMES.has(base(f)));
    const arrayMeta = files.filter((f) => METADATA_NAMES.has(base(f)) && f.includes('/'));
    const total = files.length;
    await pool(chunks, S3_CONCURRENCY, async (f) => {
      await put(`${loc.key}/${f}`, readFileSync(join(local, f)));
      options.onProgress?.(objects, total);
    }, signal);
    await pool(arrayMeta, S3_CONCURRENCY, (f) => put(`${loc.key}/${f}`, readFileSync(join(local, f))), signal);
    // Root metadata last, the group key (what readers open) after its attributes, .zmetadata after the group.
    for (const name of ROOT_METADATA) {
      signal?.throwIfAborted();
      if (files.includes(name)) await put(`${loc.key}/${name}`, readFileSync(join(local, name)), name === '.zgroup' || name === 'zarr.json');
    }
    options.onProgress?.(total, total);
    step = `DELETE ${marker}`;
    await client.send(new DeleteObjectCommand({ Bucket: loc.bucket, Key: marker }));
    return { url: loc.url, objects, bytes, deleted: old.length };
  } catch (err) {
    if (signal?.aborted && err === signal.reason) throw err;
    throw failed(loc, step, err);
  } finally {
    client.destroy();
  }
}

/**
 * Copies `url` to local disk at `dest`: the object itself when `url` names
 * one (a `.vcf.gz`, `.bcf`, `.vcz.zip`; `dest` is then a file), otherwise
 * every object under `url/` (a directory store; `dest` becomes a directory,
 * the upload marker excluded).
 *
 * @returns `'file'` or `'directory'`
 * @throws S3StoreError when nothing is at `url`, when the prefix is a killed
 *   upload (the marker is there: no complete store), or a request fails
 */
export async function fetchFromS3(url: string, dest: string, options: { signal?: AbortSignal } = {}): Promise<'file' | 'directory'> {
  const loc = parseS3Url(url);
  const client = s3Client();
  const get = async (key: string, file: string): Promise<void> => {
    options.signal?.throwIfAborted();
    const r = await client.send(new GetObjectCommand({ Bucket: loc.bucket, Key: key }));
    mkdirSync(dirname(file), { recursive: true });
    await pipeline(r.Body as Readable, createWriteStream(file));
  };
  try {
    if (await head(client, loc.bucket, loc.key)) {
      await get(loc.key, dest);
      return 'file';
    }
    const keys = await listKeys(client, loc.bucket, loc.key);
    if (keys.length === 0) throw new S3StoreError(loc.url, 'no object and no objects under this prefix; check the URL');
    const rels = keys.map((k) => k.slice(loc.key.length + 1));
    if (rels.includes(S3_UPLOAD_MARKER)) throw new S3StoreError(loc.url, `an export to this prefix is in progress or was killed (${S3_UPLOAD_MARKER} is there); wait for it or export again`);
    mkdirSync(dest, { recursive: true });
    await pool(rels, S3_CONCURRENCY, (r) => get(`${loc.key}/${r}`, join(dest, ...r.split('/'))), options.signal);
    return 'directory';
  } catch (err) {
    if (options.signal?.aborted && err === options.signal.reason) throw err;
    throw failed(loc, 'GET', err);
  } finally {
    client.destroy();
  }
}
