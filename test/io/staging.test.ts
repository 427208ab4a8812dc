/**
 * Local staging of s3:// work: what a killed process left is removed by the
 * next one; the directories of live processes are left alone.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stagingDir } from '../../src/io/staging.ts';
import { useTempDir } from '../helpers/tmp.ts';

const tmp = useTempDir('staging');

/** A pid that no process has now: that of a child that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('stagingDir', () => {
  it('removes the staging directories of dead processes with the same prefix, keeps live ones and other prefixes', () => {
    const parent = tmp();
    const dead = join(parent, `vczdepot-s3-${deadPid()}-abc123`);
    const live = join(parent, `vczdepot-s3-${process.pid}-def456`);
    const other = join(parent, `vczdepot-s3in-${deadPid()}-ghi789`);
    for (const d of [dead, live, other]) {
      mkdirSync(join(d, 'out.vcz'), { recursive: true });
      writeFileSync(join(d, 'out.vcz', 'chunk'), 'x');
    }
    const { path, removed } = stagingDir('vczdepot-s3', parent);
    expect(removed).toEqual([dead]);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(other)).toBe(true);
    expect(path.startsWith(join(parent, `vczdepot-s3-${process.pid}-`))).toBe(true);
    expect(readdirSync(path)).toEqual([]);
    // the other prefix is swept by its own kind
    expect(stagingDir('vczdepot-s3in', parent).removed).toEqual([other]);
  });
});
