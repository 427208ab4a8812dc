/**
 * Export to S3 and import from S3 against a real S3-compatible server (moto,
 * started on 127.0.0.1 by ./moto.ts):
 * - `exportDepot(depot, "s3://…")` in Zarr formats 2 and 3 reads back with
 *   zarr-python (s3fs) and `vcztools view --backend-storage fsspec` equal to
 *   the local export; consolidated metadata is on; the upload marker is gone;
 *   the objects are exactly the local store's files;
 * - a SIGKILLed `vczdepot export` leaves a prefix that neither zarr-python
 *   nor vcztools nor `create --from` opens, and the next export to it
 *   replaces the leftovers;
 * - a prefix holding objects vczdepot did not put is refused (S3StoreError,
 *   nothing deleted) unless force; a store vczdepot put is replaced whole;
 * - `.vcz.zip` to S3 is one object that imports back;
 * - `create`/`append --from s3://` (directory store, .vcz.zip, .vcf.gz) make
 *   the depot a local import makes (same export bytes); a missing URL is an
 *   S3StoreError and leaves no depot.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { createFromFile, Depot, exportDepot, isVczdepotError } from '../../src/index.ts';
import { addFiles } from '../../src/io/index.ts';
import { s3Client, S3_UPLOAD_MARKER } from '../../src/zarr/index.ts';
import { filePaths } from '../helpers/files.ts';
import { repoRoot, run, venvBin } from '../helpers/interop.ts';
import { useTempDir } from '../helpers/tmp.ts';
import { diffTrees } from '../trust/common.ts';
import { listKeys, useMoto } from './moto.ts';

const BUCKET = 'vczdepot-test';
const moto = useMoto([BUCKET]);
const dir = useTempDir('s3');
const vcf = (name: string) => join(repoRoot, 'test', 'data', 'vcf', `${name}.vcf.gz`);
const cli = join(repoRoot, 'bin', 'vczdepot.cjs');

const keys = (prefix: string): Promise<string[]> => listKeys(BUCKET, prefix);

const view = (store: string, s3 = false) =>
  run(venvBin('vcztools'), ['view', '--no-version', ...(s3 ? ['--backend-storage', 'fsspec'] : []), store], { env: moto().env, allowFailure: true });

describe('export to s3://', () => {
  it.each([2, 3] as const)('format %i: zarr-python and vcztools read it back over S3 equal to the local export', async (fmt) => {
    const { depot } = await createFromFile(join(dir(), `f${fmt}.depot`), vcf('chr22'));
    const local = join(dir(), `f${fmt}.vcz`);
    const url = `s3://${BUCKET}/f${fmt}/chr22.vcz`;
    try {
      const r = await exportDepot(depot, url, { zarrFormat: fmt, variantsChunkSize: 30, samplesChunkSize: 40 });
      expect(r.path).toBe(url);
      await exportDepot(depot, local, { zarrFormat: fmt, variantsChunkSize: 30, samplesChunkSize: 40, consolidated: true });
    } finally {
      depot.close();
    }
    // Exactly the local (consolidated) store's files, the marker gone.
    const objects = (await keys(`f${fmt}/chr22.vcz/`)).map((k) => k.slice(`f${fmt}/chr22.vcz/`.length));
    expect(objects).toEqual(filePaths(local));
    expect(objects).not.toContain(S3_UPLOAD_MARKER);
    if (fmt === 2) expect(objects).toContain('.zmetadata');
    else expect(JSON.parse(readFileSync(join(local, 'zarr.json'), 'utf8')).consolidated_metadata).toBeTruthy();
    const checked = run(venvBin('python'), ['-W', 'ignore', join(repoRoot, 'test', 's3', 's3_check.py'), url, local], { env: moto().env });
    expect(Number(checked.stdout.trim())).toBeGreaterThan(20);
    const expected = view(local);
    expect(expected.stdout).toMatch(/^#CHROM/m);
    const got = view(url, true);
    expect(got.stderr).toBe('');
    expect(got.stdout).toBe(expected.stdout);
  }, 120_000);

  it('a SIGKILLed upload leaves no readable store; the next export replaces the leftovers', async () => {
    const depotPath = join(dir(), 'kill.depot');
    const { depot } = await createFromFile(depotPath, vcf('chr22'));
    depot.close();
    const prefix = 'kill/chr22.vcz';
    const url = `s3://${BUCKET}/${prefix}`;
    // Small chunks: thousands of objects, so the upload is still running when killed.
    const child = spawn(process.execPath, [cli, 'export', depotPath, url, '--variants-chunk-size', '2', '--samples-chunk-size', '5', '--json'], { env: moto().env, stdio: 'ignore' });
    const exited = new Promise<string | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    let seen = 0;
    const deadline = Date.now() + 90_000;
    while (seen < 200) {
      if (child.exitCode !== null) throw new Error(`the export finished (${child.exitCode}) before it could be killed; ${seen} objects seen`);
      if (Date.now() > deadline) throw new Error('the upload did not start within 90 s');
      await new Promise((r) => setTimeout(r, 50));
      seen = (await keys(`${prefix}/`)).length;
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const left = (await keys(`${prefix}/`)).map((k) => k.slice(prefix.length + 1));
    expect(left.length).toBeGreaterThanOrEqual(200);
    expect(left).toContain(S3_UPLOAD_MARKER);
    for (const root of ['.zgroup', '.zattrs', '.zmetadata', 'zarr.json']) expect(left).not.toContain(root);
    // No reader opens it.
    const missing = run(venvBin('python'), ['-W', 'ignore', join(repoRoot, 'test', 's3', 's3_check.py'), url, '-', '--expect-missing'], { env: moto().env });
    expect(missing.stdout).toMatch(/^missing/);
    const v = view(url, true);
    expect(v.status).not.toBe(0);
    expect(v.stdout).not.toMatch(/#CHROM/);
    await expect(createFromFile(join(dir(), 'from-killed.depot'), url)).rejects.toSatisfy((e: unknown) => isVczdepotError(e, 's3-store') && /killed/.test((e as Error).message));
    expect(existsSync(join(dir(), 'from-killed.depot'))).toBe(false);

    // The next export to the prefix removes the leftovers and publishes a complete store.
    const again = Depot.open(depotPath, { readOnly: true });
    const local = join(dir(), 'kill.vcz');
    try {
      await exportDepot(again, url);
      await exportDepot(again, local, { consolidated: true });
    } finally {
      again.close();
    }
    expect((await keys(`${prefix}/`)).map((k) => k.slice(prefix.length + 1))).toEqual(filePaths(local));
    expect(view(url, true).stdout).toBe(view(local).stdout);
  }, 180_000);

  it('refuses a prefix holding objects vczdepot did not put (nothing deleted), replaces them with force; replaces its own store', async () => {
    const client = s3Client();
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'foreign/out.vcz/notes.txt', Body: 'someone else' }));
    client.destroy();
    const { depot } = await createFromFile(join(dir(), 'foreign.depot'), vcf('chr22'));
    try {
      await expect(exportDepot(depot, `s3://${BUCKET}/foreign/out.vcz`)).rejects.toSatisfy(
        (e: unknown) => isVczdepotError(e, 's3-store') && /not a store vczdepot made/.test((e as Error).message) && /--force/.test((e as Error).message),
      );
      expect(await keys('foreign/')).toEqual(['foreign/out.vcz/notes.txt']);
      await exportDepot(depot, `s3://${BUCKET}/foreign/out.vcz`, { force: true, variantsChunkSize: 20 });
      // Now a store vczdepot made: replaced without force, by a smaller one (no stale chunk left).
      const before = (await keys('foreign/')).length;
      await exportDepot(depot, `s3://${BUCKET}/foreign/out.vcz`);
      expect((await keys('foreign/')).length).toBeLessThan(before);
    } finally {
      depot.close();
    }
    const after = await keys('foreign/');
    expect(after).not.toContain('foreign/out.vcz/notes.txt');
    expect(after).toContain('foreign/out.vcz/.zgroup');
  }, 60_000);
});

describe('create/append --from s3://', () => {
  it('a directory store, a .vcz.zip and a .vcf.gz over S3 import as the local files do', async () => {
    // Reference: a depot made from the local VCF, exported.
    const { depot: ref } = await createFromFile(join(dir(), 'ref.depot'), vcf('chr22'));
    const refOut = join(dir(), 'ref.vcz');
    try {
      await exportDepot(ref, `s3://${BUCKET}/in/chr22.vcz`);
      await exportDepot(ref, `s3://${BUCKET}/in/chr22.vcz.zip`);
      expect(await keys('in/chr22.vcz.zip')).toEqual(['in/chr22.vcz.zip']);
      await exportDepot(ref, refOut);
    } finally {
      ref.close();
    }
    const client = s3Client();
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'in/chr22.vcf.gz', Body: readFileSync(vcf('chr22')) }));
    client.destroy();
    for (const src of ['chr22.vcz', 'chr22.vcz.zip', 'chr22.vcf.gz']) {
      const path = join(dir(), `from-${src}.depot`);
      const r = run(process.execPath, [cli, 'create', path, '--from', `s3://${BUCKET}/in/${src}`, '--json'], { env: moto().env });
      expect(JSON.parse(r.stdout).samples).toBe(100);
      const out = join(dir(), `from-${src}.vcz`);
      const d = Depot.open(path, { readOnly: true });
      try {
        await exportDepot(d, out);
      } finally {
        d.close();
      }
      expect(diffTrees(out, refOut), src).toBeUndefined();
    }
    // append: the variant set from S3, the samples from S3 (one transaction).
    const { depot } = await createFromFile(join(dir(), 'append.depot'), `s3://${BUCKET}/in/chr22.vcz`, { samples: false });
    try {
      const r = await addFiles(depot, [`s3://${BUCKET}/in/chr22.vcf.gz`]);
      expect(r.files).toEqual([{ file: `s3://${BUCKET}/in/chr22.vcf.gz`, samples: 100 }]);
      const out = join(dir(), 'append.vcz');
      await exportDepot(depot, out);
      // The same two imports from local files (declared sites + a file's
      // samples merge as bcftools merge merges a sites file and a VCF).
      const { depot: local } = await createFromFile(join(dir(), 'append-local.depot'), refOut, { samples: false });
      const localOut = join(dir(), 'append-local.vcz');
      try {
        await addFiles(local, [vcf('chr22')]);
        await exportDepot(local, localOut);
      } finally {
        local.close();
      }
      expect(diffTrees(out, localOut)).toBeUndefined();
    } finally {
      depot.close();
    }
  }, 180_000);

  it('a URL holding nothing is an S3StoreError naming it; no depot is left', async () => {
    const path = join(dir(), 'nothing.depot');
    await expect(createFromFile(path, `s3://${BUCKET}/in/absent.vcf.gz`)).rejects.toSatisfy(
      (e: unknown) => isVczdepotError(e, 's3-store') && (e as Error).message.includes(`s3://${BUCKET}/in/absent.vcf.gz`),
    );
    expect(existsSync(path)).toBe(false);
  });
});
