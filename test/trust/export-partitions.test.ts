/**
 * Export as independent jobs (docs/scale.md): N partitions run as separate
 * `node bin/vczdepot.cjs export … --partitions N --partition I` processes in
 * a random order (two at once), one SIGKILLed mid-write and rerun, then
 * `--finalise`, give byte for byte the files of a one-shot export of the same
 * depot, tag and options (formats 2 and 3, consolidated metadata, .vcz.zip
 * entries); a finalise with a partition missing exits 1 naming it and
 * leaves OUT absent; a completed partition rerun writes nothing; jobs with
 * other options are refused.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Depot } from '../../src/depot/index.ts';
import { finaliseDepotExport } from '../../src/io/index.ts';
import { isExportGuardError } from '../../src/vcz/index.ts';
import { run, runAsync, venvBin } from '../helpers/interop.ts';
import { rng } from '../helpers/synthetic.ts';
import { CHR22, diffTrees, readTree, REPO, scratchDir } from './common.ts';

const CLI = join(REPO, 'bin', 'vczdepot.cjs');
let dir: string;
let depot: string;

const cli = (args: string[]) => runAsync(process.execPath, [CLI, ...args], { allowFailure: true });

beforeAll(() => {
  dir = scratchDir('vczdepot-partitions-');
  depot = join(dir, 'depot');
  run(process.execPath, [CLI, 'create', depot, '--from', CHR22]);
  run(process.execPath, [CLI, 'tag', depot, 'v1']);
  // A later head, so that a job without the pinned tag would see other samples.
  run(process.execPath, [CLI, 'remove', depot, ...run(process.execPath, [CLI, 'samples', depot]).stdout.trim().split('\n').slice(0, 10)]);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs partition `i`, SIGKILLs it once its call arrays are being written, and checks it left no completion marker. */
async function killMidWrite(out: string, i: number, n: number, opts: string[]): Promise<void> {
  const work = join(dir, `.vczdepot-parts-${out.split('/').pop()}`);
  const child = spawn(process.execPath, [CLI, 'export', depot, out, '--at', 'v1', ...opts, '--partitions', String(n), '--partition', String(i)], { stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_code, signal) => res(signal)));
  let killed = false;
  for (let t = 0; t < 60_000 && child.exitCode === null; t += 2) {
    const tmp = existsSync(work) ? readdirSync(work).find((f) => f.startsWith(`part-${i}.tmp-`)) : undefined;
    if (tmp && existsSync(join(work, tmp, 'call_genotype'))) {
      child.kill('SIGKILL');
      killed = true;
      break;
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  expect(killed, 'the partition finished before it could be killed mid-write').toBe(true);
  expect(await exited).toBe('SIGKILL');
  expect(existsSync(join(work, `part-${i}.done.json`))).toBe(false);
  expect(readdirSync(work).some((f) => f.startsWith(`part-${i}.tmp-`))).toBe(true); // it was mid-write
}

/** The entries of a .vcz.zip (name → bytes), read by Python's zipfile. */
function zipEntries(file: string): Map<string, string> {
  const code = 'import sys, zipfile, json, hashlib\nz = zipfile.ZipFile(sys.argv[1])\nprint(json.dumps({i.filename: [i.compress_type, hashlib.sha256(z.read(i)).hexdigest()] for i in z.infolist()}))';
  return new Map(Object.entries(JSON.parse(run(venvBin('python'), ['-c', code, file]).stdout) as Record<string, string>).map(([k, v]) => [k, JSON.stringify(v)]));
}

describe.each([
  { format: '2', opts: ['--variants-chunk-size', '2', '--samples-chunk-size', '5'], n: 3, zip: false },
  { format: '3', opts: ['--variants-chunk-size', '3', '--samples-chunk-size', '7', '--consolidated'], n: 4, zip: false },
  { format: '2', opts: ['--variants-chunk-size', '4', '--samples-chunk-size', '9', '--consolidated'], n: 3, zip: true },
])('format $format, $n partitions, zip $zip', ({ format, opts: o, n, zip }) => {
  const opts = ['--zarr-format', format, ...o];
  it('partitions in random order, one killed and rerun, then finalise = the one-shot export, byte for byte', async () => {
    const ext = zip ? '.vcz.zip' : '.vcz';
    const one = join(dir, `one-${format}-${n}${ext}`);
    const out = join(dir, `parts-${format}-${n}${ext}`);
    const r1 = await cli(['export', depot, one, '--at', 'v1', ...opts]);
    expect(r1.status, r1.stderr).toBe(0);

    const random = rng(Number(format) * 100 + n);
    const order = Array.from({ length: n }, (_, i) => i).sort(() => random() - 0.5);
    const victim = order[Math.floor(random() * n)]!;
    await killMidWrite(out, victim, n, opts);
    // The others, two at a time, in random order; then the victim again.
    const rest = [...order.filter((i) => i !== victim), victim];
    for (let k = 0; k < rest.length; k += 2) {
      const rs = await Promise.all(rest.slice(k, k + 2).map((i) => cli(['export', depot, out, '--at', 'v1', ...opts, '--partitions', String(n), '--partition', String(i)])));
      for (const r of rs) expect(r.status, r.stderr).toBe(0);
    }
    expect(existsSync(out)).toBe(false); // partitions write nothing at OUT

    // A completed partition rerun is a no-op: the work directory is unchanged.
    const work = join(dir, `.vczdepot-parts-parts-${format}-${n}${ext}`);
    const before = readTree(work);
    const again = await cli(['export', depot, out, '--at', 'v1', ...opts, '--partitions', String(n), '--partition', String(order[0]), '--json']);
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).skipped).toBe(true);
    const after = readTree(work);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [k, v] of before) expect(after.get(k)!.equals(v), k).toBe(true);

    const fin = await cli(['export', depot, out, '--at', 'v1', ...opts, '--finalise']);
    expect(fin.status, fin.stderr).toBe(0);
    expect(existsSync(work)).toBe(false);
    if (zip) expect(zipEntries(out)).toEqual(zipEntries(one));
    else expect(diffTrees(one, out)).toBeUndefined();
    if (o.includes('--consolidated')) {
      if (zip) expect(zipEntries(out).has('.zmetadata')).toBe(true);
      else expect(readFileSync(join(out, 'zarr.json'), 'utf8')).toContain('"consolidated_metadata"');
    }
  }, 240_000);
});

describe('finalise checks', () => {
  const opts = ['--variants-chunk-size', '10', '--samples-chunk-size', '30'];
  it('a missing partition: exit 1 naming it, OUT absent, the finished partitions kept; after running it, finalise succeeds', async () => {
    const out = join(dir, 'missing.vcz');
    for (const i of [0, 2, 3]) expect((await cli(['export', depot, out, '--at', 'v1', ...opts, '--partitions', '4', '--partition', String(i)])).status).toBe(0);
    const fin = await cli(['export', depot, out, '--at', 'v1', ...opts, '--finalise']);
    expect(fin.status).toBe(1);
    expect(fin.stderr).toMatch(/1 of 4 partitions are missing or incomplete: partition 1 \(not run or not finished/);
    expect(fin.stderr).toContain('--partitions 4 --partition 1');
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('missing.vcz') && !f.startsWith('.vczdepot-parts-'))).toEqual([]);
    expect(readdirSync(join(dir, '.vczdepot-parts-missing.vcz')).filter((f) => f.endsWith('.done.json')).sort()).toEqual(['part-0.done.json', 'part-2.done.json', 'part-3.done.json']);

    // A deleted chunk makes its partition incomplete too.
    const p2 = join(dir, '.vczdepot-parts-missing.vcz', 'part-2', 'call_genotype');
    const chunk = readdirSync(p2)[0]!;
    rmSync(join(p2, chunk));
    const fin2 = await cli(['export', depot, out, '--at', 'v1', ...opts, '--finalise']);
    expect(fin2.status).toBe(1);
    expect(fin2.stderr).toContain(`partition 2 (chunk call_genotype/${chunk} is missing)`);
    expect(fin2.stderr).toContain('partition 1 (');

    for (const i of [1, 2]) expect((await cli(['export', depot, out, '--at', 'v1', ...opts, '--partitions', '4', '--partition', String(i)])).status).toBe(0);
    expect((await cli(['export', depot, out, '--at', 'v1', ...opts, '--finalise'])).status).toBe(0);
    const one = join(dir, 'missing-one.vcz');
    expect((await cli(['export', depot, one, '--at', 'v1', ...opts])).status).toBe(0);
    expect(diffTrees(one, out)).toBeUndefined();
  }, 240_000);

  it('with samples, regions and --no-update (no counts), 2 partitions = the one-shot export; the library gives a typed error with the missing indices', async () => {
    const ids = run(process.execPath, [CLI, 'samples', depot]).stdout.trim().split('\n');
    const sel = ['-s', [ids[40], ids[3], ids[5]].join(','), '-r', 'chr22:10510597-10513175', '--no-update', '--variants-chunk-size', '4', '--samples-chunk-size', '2'];
    const out = join(dir, 'subset.vcz');
    const one = join(dir, 'subset-one.vcz');
    expect((await cli(['export', depot, one, '--at', 'v1', ...sel])).status).toBe(0);
    expect((await cli(['export', depot, out, '--at', 'v1', ...sel, '--partitions', '2', '--partition', '1'])).status).toBe(0);
    const d = Depot.open(depot, { readOnly: true });
    try {
      const err = await finaliseDepotExport(d, out, { at: 'v1', samples: [ids[40]!, ids[3]!, ids[5]!], regions: ['chr22:10510597-10513175'], updateInfo: false, variantsChunkSize: 4, samplesChunkSize: 2 }).catch((e: unknown) => e);
      expect(isExportGuardError(err, 'export-partition') && err.missing).toEqual([0]);
      expect(existsSync(out)).toBe(false);
    } finally {
      d.close();
    }
    expect((await cli(['export', depot, out, '--at', 'v1', ...sel, '--partitions', '2', '--partition', '0'])).status).toBe(0);
    const fin = await cli(['export', depot, out, '--at', 'v1', ...sel, '--finalise']);
    expect(fin.status, fin.stderr).toBe(0);
    expect(diffTrees(one, out)).toBeUndefined();
  }, 120_000);

  it('jobs with other options or another version are refused (export-partition), naming the difference; --at is required', async () => {
    const out = join(dir, 'mismatch.vcz');
    expect((await cli(['export', depot, out, '--at', 'v1', ...opts, '--partitions', '2', '--partition', '0'])).status).toBe(0);
    const other = await cli(['export', depot, out, '--at', 'v1', '--variants-chunk-size', '11', '--samples-chunk-size', '30', '--partitions', '2', '--partition', '1']);
    expect(other.status).toBe(1);
    expect(other.stderr).toContain('options.variantsChunkSize: 10 there, 11 here');
    const count = await cli(['export', depot, out, '--at', 'v1', ...opts, '--partitions', '3', '--partition', '1']);
    expect(count.status).toBe(1);
    expect(count.stderr).toContain('count: 2 there, 3 here');
    const version = await cli(['export', depot, out, '--at', '2', ...opts, '--partitions', '2', '--partition', '1']);
    expect(version.status).toBe(1);
    expect(version.stderr).toContain('identity.version: 1 there, 2 here');
    const noAt = await cli(['export', depot, out, ...opts, '--partitions', '2', '--partition', '1']);
    expect(noAt.status).toBe(2);
    expect(noAt.stderr).toContain('needs --at');
    const noneRun = await cli(['export', depot, join(dir, 'never.vcz'), '--at', 'v1', '--finalise']);
    expect(noneRun.status).toBe(1);
    expect(noneRun.stderr).toContain('no partition has run');
  }, 120_000);
});
