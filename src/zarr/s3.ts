/**
 * Zarr stores on S3 (and S3-compatible servers): streaming a store to an
 * `s3://bucket/prefix` URL as it is written ({@link S3StoreUpload}, the
 * backend of a `ZarrStoreWriter`), publishing a finished local store
 * (directory or `.vcz.zip`, {@link publishStoreToS3}), one object from a
 * stream by multipart upload ({@link uploadStream}), and fetching an object
 * or a prefix back to local disk.
 *
 * Client: the AWS SDK for JavaScript v3 (`@aws-sdk/client-s3`) with its
 * standard credential chain (env `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`,
 * `AWS_PROFILE`, SSO, instance/container roles), region from `AWS_REGION` /
 * `AWS_DEFAULT_REGION` (default us-east-1), endpoint from `AWS_ENDPOINT_URL`
 * (or `AWS_ENDPOINT_URL_S3`; path-style addressing then, as MinIO/moto need),
 * or a client given by the caller. Every request is retried by the SDK's
 * standard retry strategy (up to {@link S3_MAX_ATTEMPTS} attempts,
 * exponential backoff with jitter, on throttling such as 503 SlowDown, 5xx
 * and network errors); chunk PUTs run {@link S3_CONCURRENCY} at a time.
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
 * to that prefix removes; a failed one deletes what it PUT. A `.vcz.zip` is
 * one object (one PUT, or a multipart upload): S3 makes an object visible
 * only once complete.
 */
import { createReadStream, createWriteStream, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
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
  CreateMultipartUploadCommand,
  UploadPartCommand,
  CompleteMultipartUploadCommand,
  AbortMultipartUploadCommand,
} from '@aws-sdk/client-s3';
import { areaGuard, type ErrorsByCode, nameErrors } from '../errors.ts';
import { VczWriteError } from './errors.ts';
import { type ZarrStoreBackend, zipStream } from './store.ts';

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
    // No CRC32 of each request body (the SDK's default since 3.729): a SigV4-signed
    // PUT already carries the body's SHA-256 (x-amz-content-sha256), which S3
    // checks, so the CRC only cost CPU (~0.16 s for the bench export's 131 MB).
    // Responses are still validated where the object has a checksum.
    requestChecksumCalculation: 'WHEN_REQUIRED',
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
export async function checkS3Target(url: string, options: { force?: boolean; client?: S3Client } = {}): Promise<void> {
  const loc = parseS3Url(url);
  const client = options.client ?? s3Client();
  try {
    await prepareTarget(client, loc, !!options.force);
  } catch (err) {
    throw failed(loc, 'checking the target', err);
  } finally {
    if (!options.client) client.destroy();
  }
}

/** What {@link publishStoreToS3} reports. */
export interface S3PublishSummary {
  readonly url: string;
  /** Objects PUT (the marker not counted; a multipart `.vcz.zip` counts once). */
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

/** Options of {@link S3StoreUpload.open} and {@link publishStoreToS3}. */
export interface S3UploadOptions {
  /** Replace a prefix holding objects vczdepot did not put. */
  readonly force?: boolean;
  /** Cancels between requests (a request in flight completes). */
  readonly signal?: AbortSignal;
  /** The client to use (e.g. one configured in code); default {@link s3Client}(). Not destroyed here. */
  readonly client?: S3Client;
}

/**
 * A directory store streamed to `s3://bucket/prefix` as it is written: the
 * {@link ZarrStoreBackend} of a `ZarrStoreWriter` (docs/scale.md, "Object
 * storage"). Chunks are PUT as they are given, {@link S3_CONCURRENCY} in
 * flight, each retried by the SDK (up to {@link S3_MAX_ATTEMPTS} attempts,
 * exponential backoff with jitter); metadata files are held in memory and
 * PUT at {@link commit}, array metadata first and root metadata last, so
 * the prefix opens as a store only once it is complete (the publish
 * protocol of the module doc, steps 1–4).
 *
 * The prefix is only checked by {@link open}; what it held is deleted and
 * the marker PUT when the first chunk comes (an export that fails before
 * its first chunk leaves the prefix as it was).
 *
 * Memory: chunks queued and not yet being PUT hold at most
 * {@link S3_QUEUE_BYTES} once the writer awaits {@link ready} (plus what is
 * put between two awaits), plus the {@link S3_CONCURRENCY} bodies in flight
 * and the metadata documents.
 */
export class S3StoreUpload implements ZarrStoreBackend {
  /** Chunk objects and metadata objects PUT so far (the marker not counted). */
  objects = 0;
  /** Bytes PUT so far. */
  bytes = 0;
  private readonly queue: { key: string; body: Buffer }[] = [];
  private head = 0;
  private queuedBytes = 0;
  private inFlight = 0;
  private error: S3StoreError | undefined;
  private state: 'open' | 'committing' | 'committed' | 'aborted' = 'open';
  private started: Promise<void> | undefined;
  /** True once what the prefix held is deleted and the marker is PUT: chunk PUTs may start. */
  private live = false;
  private readonly meta = new Map<string, Buffer>();
  private readonly put_: string[] = [];
  private waiters: (() => void)[] = [];
  private readonly marker: string;

  private constructor(
    readonly loc: S3Location,
    private readonly client: S3Client,
    private readonly ownClient: boolean,
    /** Keys to delete before the first PUT (root metadata first). */
    private readonly old: readonly string[],
    private readonly signal: AbortSignal | undefined,
  ) {
    this.marker = `${loc.key}/${S3_UPLOAD_MARKER}`;
  }

  /**
   * Checks that a store may be published at `url` (nothing written yet).
   *
   * @throws S3StoreError for a malformed URL, a missing bucket, a prefix
   *   holding objects vczdepot did not put (without `force`), a failed request
   */
  static async open(url: string, options: S3UploadOptions = {}): Promise<S3StoreUpload> {
    const loc = parseS3Url(url);
    const client = options.client ?? s3Client();
    try {
      const old = await prepareTarget(client, loc, !!options.force);
      return new S3StoreUpload(loc, client, !options.client, old, options.signal);
    } catch (err) {
      if (!options.client) client.destroy();
      throw failed(loc, 'checking the target', err);
    }
  }

  /** Objects deleted before the first PUT (a previous store or a killed upload's leftovers). */
  get deleted(): number {
    return this.old.length;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private fail(err: unknown, step: string): void {
    if (this.error) return;
    this.error = this.signal?.aborted && err === this.signal.reason ? (err as S3StoreError) : failed(this.loc, step, err);
  }

  /** Deletes what the prefix held, then PUTs the marker (once, at the first chunk). */
  private start(): Promise<void> {
    this.started ??= (async () => {
      let step = 'deleting what the prefix held';
      try {
        await deleteKeys(this.client, this.loc.bucket, this.old);
        step = `PUT ${this.marker}`;
        await this.client.send(new PutObjectCommand({ Bucket: this.loc.bucket, Key: this.marker, Body: 'vczdepot upload in progress; the next export to this prefix removes it\n' }));
        this.live = true;
      } catch (err) {
        this.fail(err, step);
      }
      this.pump();
      this.wake();
    })();
    return this.started;
  }

  private async putObject(key: string, body: Buffer, made = false): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.loc.bucket, Key: key, Body: body, ...(made ? { Metadata: { [MADE_BY]: '1' } } : {}) }));
    this.put_.push(key);
    this.objects++;
    this.bytes += body.length;
  }

  /** Starts queued PUTs up to {@link S3_CONCURRENCY} in flight. */
  private pump(): void {
    // Not before the old objects are deleted: a DELETE of an old key could remove a new chunk of the same key.
    while (this.live && this.inFlight < S3_CONCURRENCY && this.head < this.queue.length && !this.error && this.state !== 'aborted') {
      const item = this.queue[this.head]!;
      this.queue[this.head++] = undefined as never;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.queuedBytes -= item.body.length;
      this.inFlight++;
      this.putObject(`${this.loc.key}/${item.key}`, item.body)
        .catch((err: unknown) => this.fail(err, `PUT ${this.loc.key}/${item.key}`))
        .finally(() => {
          this.inFlight--;
          this.pump();
          this.wake();
        });
    }
  }

  /**
   * Takes one file of the store (see {@link ZarrStoreBackend.put}); a chunk
   * is queued for PUT, a metadata file (`.zgroup`, `.zattrs`, `.zarray`,
   * `.zmetadata`, `zarr.json`) is kept for {@link commit}.
   *
   * @throws S3StoreError once a request failed after its retries, or after abort
   */
  put(key: string, data: Uint8Array | string, owned = false): void {
    if (this.error) throw this.error;
    if (this.state !== 'open') throw new S3StoreError(this.loc.url, `PUT ${key} after the upload was ${this.state}`);
    // A copy unless handed over: the encoder reuses its buffers.
    const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : owned ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);
    if (METADATA_NAMES.has(key.slice(key.lastIndexOf('/') + 1))) {
      this.meta.set(key, body);
      return;
    }
    this.queue.push({ key, body });
    this.queuedBytes += body.length;
    if (this.started) this.pump();
    else void this.start(); // pumps when done
  }

  /** Resolves once fewer than {@link S3_QUEUE_BYTES} bytes wait to be PUT; rejects with the upload's error. */
  async ready(): Promise<void> {
    for (;;) {
      if (this.error) throw this.error;
      if (this.queuedBytes <= S3_QUEUE_BYTES || this.state === 'aborted') return;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Waits until every queued chunk is PUT; throws the upload's error. */
  private async drain(): Promise<void> {
    for (;;) {
      if (this.error) throw this.error;
      if (this.inFlight === 0 && this.head >= this.queue.length) return;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /**
   * Publishes: waits for every chunk, PUTs the arrays' metadata, then the
   * root metadata (`.zattrs`, `.zgroup`, `.zmetadata`; or the root
   * `zarr.json`, the group key carrying `x-amz-meta-vczdepot`), then deletes
   * the marker.
   *
   * @returns bytes PUT
   * @throws S3StoreError when a request failed after its retries (no root metadata is PUT after a failure)
   */
  async commit(): Promise<number> {
    if (this.state !== 'open') throw new S3StoreError(this.loc.url, `commit after the upload was ${this.state}`);
    this.state = 'committing';
    await this.start();
    await this.drain();
    let step = 'PUT array metadata';
    try {
      const arrayMeta = [...this.meta.keys()].filter((k) => k.includes('/'));
      await pool(arrayMeta, S3_CONCURRENCY, async (k) => {
        step = `PUT ${this.loc.key}/${k}`;
        await this.putObject(`${this.loc.key}/${k}`, this.meta.get(k)!);
      }, this.signal);
      // Root metadata last, the group key (what readers open) after its attributes, .zmetadata after the group.
      for (const name of ROOT_METADATA) {
        this.signal?.throwIfAborted();
        const body = this.meta.get(name);
        step = `PUT ${this.loc.key}/${name}`;
        if (body) await this.putObject(`${this.loc.key}/${name}`, body, name === '.zgroup' || name === 'zarr.json');
      }
      step = `DELETE ${this.marker}`;
      await this.client.send(new DeleteObjectCommand({ Bucket: this.loc.bucket, Key: this.marker }));
    } catch (err) {
      this.fail(err, step);
      throw this.error!;
    }
    this.state = 'committed';
    if (this.ownClient) this.client.destroy();
    return this.bytes;
  }

  /** Stops: queued chunks are dropped, no more PUTs start (those in flight complete). No effect once committed. */
  abort(): void {
    if (this.state === 'committed' || this.state === 'aborted') return;
    this.state = 'aborted';
    this.queue.length = 0;
    this.head = 0;
    this.queuedBytes = 0;
    this.wake();
  }

  /**
   * After a failure or {@link abort}: waits for the PUTs in flight, then
   * deletes every object this upload PUT (root metadata first) and the
   * marker, leaving the prefix empty. Best effort: when a DELETE fails too,
   * the leftovers and the marker stay (no root metadata, so nothing opens)
   * and the next export to the prefix removes them.
   *
   * @returns true when the prefix was cleaned
   */
  async discard(): Promise<boolean> {
    this.abort();
    while (this.inFlight > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
    let clean = true;
    if (this.state === 'aborted' && this.started) {
      await this.started;
      const roots = ROOT_METADATA.map((n) => `${this.loc.key}/${n}`);
      const keys = [...this.put_.filter((k) => roots.includes(k)), ...this.put_.filter((k) => !roots.includes(k)), this.marker];
      try {
        await deleteKeys(this.client, this.loc.bucket, keys);
      } catch {
        clean = false;
      }
    }
    if (this.ownClient) this.client.destroy();
    return clean;
  }
}

/** Bytes of chunks queued (not yet being PUT) above which {@link S3StoreUpload.ready} waits. */
export const S3_QUEUE_BYTES = 32 * 1024 * 1024;
/** Part size of a multipart upload: S3 needs ≥ 5 MiB for every part but the last. */
export const S3_PART_BYTES = 8 * 1024 * 1024;
/** Parts of one multipart upload PUT at once. */
export const S3_PART_CONCURRENCY = 4;

/**
 * Streams `body` to one object `key`: a single PUT when it ends before
 * `partBytes`, else a multipart upload (parts of `partBytes`, the last
 * smaller; {@link S3_PART_CONCURRENCY} in flight, each retried by the SDK)
 * that S3 makes visible only at CompleteMultipartUpload; on any failure the
 * multipart upload is aborted (AbortMultipartUpload, best effort) so no
 * object and no stored parts remain. Memory: at most
 * (S3_PART_CONCURRENCY + 1) × `partBytes`.
 *
 * @returns bytes uploaded and whether it was multipart
 * @throws the request's error (the caller wraps it), `signal.reason`
 */
export async function uploadStream(
  client: S3Client,
  bucket: string,
  key: string,
  body: AsyncIterable<Uint8Array | string>,
  options: { metadata?: Record<string, string>; partBytes?: number; signal?: AbortSignal; onStep?: (step: string) => void } = {},
): Promise<{ bytes: number; parts: number }> {
  const partBytes = options.partBytes ?? S3_PART_BYTES;
  if (!(partBytes >= 5 * 1024 * 1024)) throw new RangeError(`partBytes must be at least 5 MiB (S3's minimum part size), got ${partBytes}`);
  const step = options.onStep ?? (() => {});
  const iter = body[Symbol.asyncIterator]();
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let ended = false;
  /** The next part (partBytes, or what is left at the end), or undefined at the end. */
  const nextPart = async (): Promise<Buffer | undefined> => {
    while (!ended && pendingBytes < partBytes) {
      const r = await iter.next();
      if (r.done) ended = true;
      else {
        const b = typeof r.value === 'string' ? Buffer.from(r.value) : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
        pending.push(b);
        pendingBytes += b.length;
      }
    }
    if (pendingBytes === 0) return undefined;
    const all = Buffer.concat(pending, pendingBytes);
    const part = all.subarray(0, Math.min(partBytes, all.length));
    const rest = all.subarray(part.length);
    pending = rest.length > 0 ? [Buffer.from(rest)] : [];
    pendingBytes = rest.length;
    return Buffer.from(part);
  };
  const first = (await nextPart()) ?? Buffer.alloc(0);
  options.signal?.throwIfAborted();
  const meta = options.metadata ? { Metadata: options.metadata } : {};
  if (ended && pendingBytes === 0) {
    step(`PUT ${key}`);
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: first, ...meta }));
    return { bytes: first.length, parts: 1 };
  }
  step(`CreateMultipartUpload ${key}`);
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...meta }));
  if (!UploadId) throw new Error(`CreateMultipartUpload ${key} returned no UploadId`);
  const done: { PartNumber: number; ETag: string }[] = [];
  const inFlight = new Set<Promise<void>>();
  let bytes = 0;
  let failure: { err: unknown } | undefined;
  try {
    let part: Buffer | undefined = first;
    for (let n = 1; part; n++) {
      options.signal?.throwIfAborted();
      const num = n;
      const b: Buffer = part;
      const p: Promise<void> = client
        .send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: num, Body: b }))
        .then((r) => {
          done.push({ PartNumber: num, ETag: r.ETag! });
          bytes += b.length;
        })
        .catch((err: unknown) => {
          failure ??= { err };
          step(`UploadPart ${num} of ${key}`);
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= S3_PART_CONCURRENCY) await Promise.race(inFlight);
      if (failure) throw failure.err;
      part = await nextPart();
    }
    await Promise.all(inFlight);
    if (failure) throw failure.err;
    done.sort((a, b) => a.PartNumber - b.PartNumber);
    step(`CompleteMultipartUpload ${key}`);
    await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: done } }));
    return { bytes, parts: done.length };
  } catch (err) {
    await Promise.allSettled(inFlight);
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId })).catch(() => {});
    throw err;
  }
}

/**
 * Publishes the finished local store `local` at `url` (`s3://bucket/prefix`)
 * by the publish protocol of the module doc: the prefix opens as a store
 * only once every object is there. A directory store goes through
 * {@link S3StoreUpload}; with `zip`, one `.vcz.zip` object is streamed by
 * {@link uploadStream} (multipart from {@link S3_PART_BYTES}) from the zip
 * file `local`, or, when `local` is a directory, straight from the zip
 * writer ({@link zipStream}: the bytes `ZarrStoreWriter` writes, no local
 * zip file). What the prefix held (a store vczdepot made, or a killed
 * upload's leftovers) is replaced; anything else needs `force`.
 *
 * @throws S3StoreError for a refused target, a missing bucket, or a request
 *   that failed after every retry (a directory upload is then removed; a
 *   multipart upload aborted); `signal.reason` when cancelled
 */
export async function publishStoreToS3(
  local: string,
  url: string,
  options: S3UploadOptions & { zip?: boolean; onProgress?: (done: number, total: number) => void } = {},
): Promise<S3PublishSummary> {
  const loc = parseS3Url(url);
  const { signal } = options;
  if (!options.zip) {
    const upload = await S3StoreUpload.open(url, options);
    try {
      const files = listFiles(local);
      let n = 0;
      for (const f of files) {
        upload.put(f, readFileSync(join(local, f)));
        await upload.ready();
        signal?.throwIfAborted();
        options.onProgress?.(++n, files.length);
      }
      await upload.commit();
      return { url: loc.url, objects: upload.objects, bytes: upload.bytes, deleted: upload.deleted };
    } catch (err) {
      await upload.discard();
      throw err;
    }
  }
  const client = options.client ?? s3Client();
  let step = 'checking the target';
  try {
    const old = await prepareTarget(client, loc, !!options.force);
    step = 'deleting what the prefix held';
    await deleteKeys(client, loc.bucket, old);
    signal?.throwIfAborted();
    const body = statSync(local).isDirectory() ? zipStream(local) : createReadStream(local);
    const r = await uploadStream(client, loc.bucket, loc.key, body as AsyncIterable<Uint8Array>, {
      metadata: { [MADE_BY]: '1' },
      ...(signal ? { signal } : {}),
      onStep: (s) => {
        step = s;
      },
    });
    options.onProgress?.(1, 1);
    return { url: loc.url, objects: 1, bytes: r.bytes, deleted: old.length };
  } catch (err) {
    if (signal?.aborted && err === signal.reason) throw err;
    throw failed(loc, step, err);
  } finally {
    if (!options.client) client.destroy();
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
