/**
 * Local staging directories for s3:// work (an export is built locally, then
 * published; an s3:// input is copied locally, then read):
 * `$TMPDIR/<prefix>-<pid>-<random>`. A process killed before its `finally`
 * (SIGKILL, power loss) leaves one behind; the next call with the same prefix
 * removes those whose process is gone.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processAlive } from '../vcz/index.ts';

/**
 * Makes a fresh staging directory `$TMPDIR/<prefix>-<pid>-XXXXXX` (or under
 * `parent`) after removing the ones with the same prefix whose process, on
 * this host, is gone.
 *
 * @returns the new directory's path and the stale ones removed.
 */
export function stagingDir(prefix: string, parent = tmpdir()): { path: string; removed: string[] } {
  const re = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d+)-[^-]+$`);
  const removed: string[] = [];
  for (const f of readdirSync(parent)) {
    const m = re.exec(f);
    if (!m || processAlive(Number(m[1]))) continue;
    rmSync(join(parent, f), { recursive: true, force: true });
    removed.push(join(parent, f));
  }
  return { path: mkdtempSync(join(parent, `${prefix}-${process.pid}-`)), removed };
}
