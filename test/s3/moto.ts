/**
 * A real S3-compatible server for the S3 tests: moto in server mode
 * (`.venv/bin/moto_server`, from requirements-interop.txt), bound to
 * 127.0.0.1 on a free port, started in beforeAll and killed (by its pid) in
 * afterAll. Sets the AWS environment of this process (test credentials,
 * us-east-1, `AWS_ENDPOINT_URL`) and returns it for child processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll } from 'vitest';
import { s3Client } from '../../src/zarr/index.ts';
import { venvBin } from '../helpers/interop.ts';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** The server's environment (valid inside tests and hooks). */
export interface MotoEnv {
  readonly endpoint: string;
  /** process.env plus the AWS variables, for child processes. */
  readonly env: NodeJS.ProcessEnv;
}

/** Registers beforeAll/afterAll hooks running moto with the buckets `buckets` created; returns the accessor of its environment. */
export function useMoto(buckets: readonly string[]): () => MotoEnv {
  let proc: ChildProcess | undefined;
  let current: MotoEnv | undefined;
  let logFile: string | undefined;
  const saved: Record<string, string | undefined> = {};
  beforeAll(async () => {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    // Its request log goes to a file, not a pipe: a pipe nobody drains while
    // a test blocks in spawnSync (vcztools, python) would stall the server.
    const logDir = mkdtempSync(join(tmpdir(), 'vczdepot-moto-'));
    logFile = join(logDir, 'moto.log');
    const fd = openSync(logFile, 'w');
    proc = spawn(venvBin('moto_server'), ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', fd] });
    closeSync(fd);
    const stderr = (): string => readFileSync(logFile!, 'utf8').slice(-2000);
    const vars = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-east-1', AWS_ENDPOINT_URL: endpoint, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
    for (const [k, v] of Object.entries(vars)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`moto_server exited (${proc.exitCode}): ${stderr()}`);
      try {
        if ((await fetch(`${endpoint}/`)).ok) break;
      } catch {
        /* not up yet */
      }
      if (Date.now() > deadline) throw new Error(`moto_server did not answer on ${endpoint} within 30 s: ${stderr()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const client = s3Client();
    for (const b of buckets) await client.send(new CreateBucketCommand({ Bucket: b }));
    client.destroy();
    current = { endpoint, env: { ...process.env, ...vars } };
  }, 60_000);
  afterAll(() => {
    if (proc?.pid !== undefined && proc.exitCode === null) proc.kill('SIGTERM');
    if (logFile) rmSync(dirname(logFile), { recursive: true, force: true });
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  return () => {
    if (!current) throw new Error('useMoto: the server is not running (use it inside tests)');
    return current;
  };
}

/** Every key under `prefix` in `bucket` of the moto server the S3 client reaches (AWS_ENDPOINT_URL), sorted. */
export async function listKeys(bucket: string, prefix: string): Promise<string[]> {
  const client = s3Client();
  const out: string[] = [];
  let token: string | undefined;
  do {
    const r = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
    for (const o of r.Contents ?? []) out.push(o.Key!);
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  client.destroy();
  return out.sort();
}
