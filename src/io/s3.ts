/**
 * `s3://` inputs for create/append: each URL is copied to a local temporary
 * directory (`$TMPDIR/vczdepot-s3in-*`, removed afterwards, whatever
 * happens) under its own name, then read as a local file is (`readInput`):
 * an object is a VCF/BCF (`.vcf.gz`, `.bcf`) or a `.vcz.zip`, a prefix is a
 * VCZ directory store (`fetchFromS3`, src/zarr/s3.ts; AWS credentials,
 * region and `AWS_ENDPOINT_URL` as there).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fetchFromS3, isS3Url, parseS3Url } from '../zarr/index.ts';
import { stagingDir } from './staging.ts';

export { isS3Url };

/**
 * Runs `fn` with `files` where every `s3://` URL is replaced by a local copy
 * (local paths pass through), then removes the copies.
 *
 * @param fn gets the local paths and `toInput`, which maps a local copy's
 *   path back to the URL it came from (for reports)
 * @throws S3StoreError when a URL holds nothing, a killed upload, or a
 *   request fails; whatever `fn` throws
 */
export async function withS3Inputs<T>(
  files: readonly string[],
  signal: AbortSignal | undefined,
  fn: (local: string[], toInput: (path: string) => string) => Promise<T>,
): Promise<T> {
  if (!files.some(isS3Url)) return fn([...files], (p) => p);
  const staging = stagingDir('vczdepot-s3in').path;
  try {
    const back = new Map<string, string>();
    const local: string[] = [];
    for (const [i, f] of files.entries()) {
      if (!isS3Url(f)) {
        local.push(f);
        continue;
      }
      const loc = parseS3Url(f);
      const path = join(staging, String(i), loc.key.slice(loc.key.lastIndexOf('/') + 1));
      await fetchFromS3(loc.url, path, signal ? { signal } : {});
      back.set(path, f);
      local.push(path);
    }
    return await fn(local, (p) => back.get(p) ?? p);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
