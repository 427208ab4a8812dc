/**
 * An S3 client whose requests go to the moto server (s3Client()'s
 * configuration) through a fault-injecting HTTP handler: a request the
 * predicate picks is not sent and gets the answer S3 gives when it sheds
 * load, HTTP 503 with an `<Error><Code>SlowDown</Code>` body, which the
 * SDK's standard retry strategy retries (throttling) up to
 * S3_MAX_ATTEMPTS times. It also records every request (method, key, query).
 */
import { Readable } from 'node:stream';
import { S3Client } from '@aws-sdk/client-s3';
import { S3_MAX_ATTEMPTS } from '../../src/zarr/index.ts';

/** One HTTP request the client made (path-style: `key` is the path after `/<bucket>/`, URL-decoded). */
export interface SeenRequest {
  readonly method: string;
  readonly key: string;
  readonly query: Readonly<Record<string, unknown>>;
  /** 1 for the first request of this method + key + query, 2 for its first retry, ... */
  readonly attempt: number;
  /** true when the fault was injected (the request never reached the server). */
  readonly failed: boolean;
}

interface HttpRequestLike {
  method: string;
  path: string;
  query?: Record<string, unknown>;
}
interface Handler {
  handle(request: HttpRequestLike, options?: unknown): Promise<{ response: unknown }>;
  destroy?(): void;
}

/**
 * A client like s3Client() whose request `r` fails with HTTP 503 SlowDown when `fail(r)` is true.
 *
 * @param bucket the bucket, to take the key out of the path
 * @param hold optional: awaited before a request not failed is sent (to slow PUTs down)
 */
export function faultyClient(bucket: string, fail: (r: Omit<SeenRequest, 'failed'>) => boolean, hold?: (r: Omit<SeenRequest, 'failed'>) => Promise<void>): { client: S3Client; seen: SeenRequest[] } {
  const base = new S3Client({
    region: process.env.AWS_REGION ?? 'us-east-1',
    maxAttempts: S3_MAX_ATTEMPTS,
    endpoint: process.env.AWS_ENDPOINT_URL!,
    forcePathStyle: true,
  });
  const inner = base.config.requestHandler as unknown as Handler;
  const seen: SeenRequest[] = [];
  const attempts = new Map<string, number>();
  const handler: Handler = {
    async handle(request, options) {
      const prefix = `/${bucket}/`;
      const key = request.path.startsWith(prefix) ? decodeURIComponent(request.path.slice(prefix.length)) : '';
      const query = { ...(request.query ?? {}) };
      const id = `${request.method} ${key} ${JSON.stringify(query)}`;
      const attempt = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, attempt);
      const r = { method: request.method, key, query, attempt };
      const failed = fail(r);
      seen.push({ ...r, failed });
      if (failed) {
        const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate (injected).</Message><RequestId>injected</RequestId></Error>`;
        return { response: { statusCode: 503, reason: 'Slow Down', headers: { 'content-type': 'application/xml', 'content-length': String(body.length) }, body: Readable.from([Buffer.from(body)]) } };
      }
      if (hold) await hold(r);
      return inner.handle(request, options);
    },
    destroy: () => inner.destroy?.(),
  };
  const client = new S3Client({
    region: process.env.AWS_REGION ?? 'us-east-1',
    maxAttempts: S3_MAX_ATTEMPTS,
    endpoint: process.env.AWS_ENDPOINT_URL!,
    forcePathStyle: true,
    requestHandler: handler as never,
  });
  return { client, seen };
}
