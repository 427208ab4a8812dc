/**
 * Out of disk space during an append and during an export: a clear typed
 * error naming the file and the step, the depot unchanged (same samples,
 * tags, log and record bytes) and verify clean; nothing half-written left.
 *
 * Two ways to run out: a 3 MiB tmpfs filled up (ENOSPC; needs root to mount,
 * skipped otherwise) and a file-size limit on a child process (`ulimit -f`:
 * Node ignores SIGXFSZ, so writes past the limit fail with EFBIG).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Depot, isDepotError } from '../../src/depot/index.ts';
import { isVczdepotError } from '../../src/errors.ts';
import { isSchunkError } from '../../src/schunk/index.ts';
import { depotExportSource } from '../../src/io/index.ts';
import { exportVcz, guardedExport, isExportGuardError } from '../../src/vcz/index.ts';
import { SampleData, bundle, chr22DataFile, loadChr22, scratchDir } from './common.ts';

let data: SampleData;
let dataFile: string;
let child: string;
beforeAll(async () => {
  dataFile = await chr22DataFile();
  data = new SampleData(loadChr22(dataFile), 30);
  child = bundle(join(import.meta.dirname, 'io-child.ts'));
});

function fingerprint(d: Depot): string {
  const out: unknown[] = [d.version(), d.tags().map((t) => [t.name, t.version]), d.log().map((l) => [l.version, l.operation, l.added, l.removed, l.tags])];
  for (const at of [undefined, ...d.tags().map((t) => t.name)]) {
    const ids = d.samples(at === undefined ? {} : { at });
    out.push(d.getMany(ids, at === undefined ? {} : { at }).map((v) => [v.sampleId, v.records.map((r) => Buffer.from(r.bytes).toString('base64'))]));
  }
  return JSON.stringify(out);
}

function fingerprintOf(path: string): string {
  const d = Depot.open(path, { readOnly: true });
  try {
    return fingerprint(d);
  } finally {
    d.close();
  }
}

function verifyErrors(path: string): string[] {
  const d = Depot.open(path, { readOnly: true });
  try {
    return d.verify().issues.filter((i) => i.severity === 'error').map((i) => i.message);
  } finally {
    d.close();
  }
}

function makeDepot(path: string): void {
  const d = Depot.create(path, data.variantSet, { blockSize: 30, chunkTargetBytes: 4096, segmentMaxBytes: 1 << 20 });
  d.putMany([0, 1, 2, 3].map((i) => ({ sampleId: `${data.data.sampleIds[i]}#base`, calls: data.calls(data.data.sampleIds[i]!) })));
  d.tag('before');
  d.close();
}

// ------------------------------------------------------------------ tmpfs

function tryMount(dir: string, size: string): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('out of disk space (a full 3 MiB tmpfs: ENOSPC)', () => {
  const mnt = mkdtempSync(join(tmpdir(), 'vczdepot-tmpfs-'));
  const mounted = tryMount(mnt, '3m');
  afterAll(() => {
    if (mounted) execFileSync('umount', [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  });
  const fill = () => {
    try {
      writeFileSync(join(mnt, 'filler'), Buffer.alloc(4 << 20, 1));
    } catch (e) {
      expect((e as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }
  };
  const unfill = () => rmSync(join(mnt, 'filler'), { force: true });

  // CI runs as root: there the tmpfs must mount and these tests must run, never skip.
  it('mounts a 3 MiB tmpfs when run as root (CI), or says why these tests are skipped', () => {
    const root = process.platform === 'linux' && process.getuid?.() === 0;
    if (root || process.env.CI === 'true') expect(mounted, `mount -t tmpfs failed (root: ${root}): the disk-full tests must run in CI`).toBe(true);
    else if (!mounted) console.warn('disk-full (tmpfs) tests skipped: mounting a tmpfs needs root; CI runs them as root');
  });

  it.skipIf(!mounted)('an append: DepotIOError naming the segment file and the write; the depot is unchanged and verifies clean; it works again once space is freed', () => {
    const path = join(mnt, 'depot');
    makeDepot(path);
    const before = fingerprintOf(path);
    fill();
    const d = Depot.open(path);
    let err: unknown;
    try {
      d.putMany(Array.from({ length: 60 }, (_, i) => ({ sampleId: `syn${i}#full`, calls: data.calls(`syn${i}`) })));
    } catch (e) {
      err = e;
    } finally {
      d.close();
    }
    expect(isDepotError(err, 'depot-io'), String(err)).toBe(true);
    const msg = (err as Error).message;
    expect(msg).toMatch(/ENOSPC/);
    expect(msg).toMatch(/commit \(put\)/); // the step
    const cause = (err as Error).cause;
    expect(isSchunkError(cause, 'chunk-io'), String(cause)).toBe(true);
    if (isSchunkError(cause, 'chunk-io')) {
      expect(cause.file).toMatch(/chunks\/\d{6}\.vczc$/); // the file
      expect(msg).toContain(cause.file);
      expect(cause.errno).toBe('ENOSPC');
    }
    expect(fingerprintOf(path)).toBe(before);
    expect(verifyErrors(path)).toEqual([]);
    unfill();
    const e = Depot.open(path);
    e.put('after#ok', data.calls('syn7'));
    expect(e.samples()).toContain('after#ok');
    e.close();
    expect(verifyErrors(path)).toEqual([]);
    rmSync(path, { recursive: true, force: true });
  });

  it.skipIf(!mounted)('an export: a typed ExportWriteError naming the file and the write, no output and no temporary files; the depot is unchanged', async () => {
    const path = join(mnt, 'depot2');
    makeDepot(path);
    const before = fingerprintOf(path);
    const listing = () => readdirSync(mnt).sort();
    fill();
    const had = listing();
    const d = Depot.open(path, { readOnly: true });
    try {
      const out = join(mnt, 'out.vcz');
      let err: unknown;
      try {
        await guardedExport(out, {}, (p) => exportVcz(depotExportSource(d), p));
      } catch (e) {
        err = e;
      }
      expect(isExportGuardError(err, 'export-write'), String(err)).toBe(true);
      if (isExportGuardError(err, 'export-write')) {
        expect(err.errno).toBe('ENOSPC');
        expect(err.message).toContain(out);
        expect(err.step).toMatch(/write|open|mkdir/);
        expect(err.file === undefined || err.file.startsWith(mnt)).toBe(true);
      }
      expect(listing()).toEqual(had); // no out, no .tmp leftovers
      // The exporter alone: it rejects and never creates `out` (its temporary directory may stay behind: see docs/trust.md).
      let plain: unknown;
      try {
        await exportVcz(depotExportSource(d), out);
      } catch (e) {
        plain = e;
      }
      // a Node error (its `code`) or a vczdepot error wrapping one (its `code` is its kind; the system code is the cause's)
      expect((isVczdepotError(plain) ? (plain.cause as NodeJS.ErrnoException) : (plain as NodeJS.ErrnoException))?.code).toBe('ENOSPC');
      expect(listing()).not.toContain('out.vcz');
      for (const f of listing()) if (!had.includes(f)) rmSync(join(mnt, f), { recursive: true, force: true });
    } finally {
      d.close();
      unfill();
    }
    expect(fingerprintOf(path)).toBe(before);
    expect(verifyErrors(path)).toEqual([]);
    rmSync(path, { recursive: true, force: true });
  });
});

// ------------------------------------------------------------- ulimit -f

function runLimited(kb: number, args: string[]): Promise<{ result: any; stderr: string; code: number | null; signal: string | null }> {
  return new Promise((resolve) => {
    const p = spawn('bash', ['-c', `ulimit -f ${kb}; exec "$0" "$@"`, process.execPath, child, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    p.on('close', (code, signal) => {
      const line = out.split('\n').find((l) => l.startsWith('result '));
      resolve({ result: line ? JSON.parse(line.slice(7)) : undefined, stderr, code, signal });
    });
  });
}

describe('out of disk space (a file-size limit, ulimit -f: EFBIG)', () => {
  let dir: string;
  beforeAll(() => {
    dir = scratchDir('vczdepot-efbig-');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const biggest = (p: string): number => {
    let max = 0;
    const walk = (q: string) => {
      for (const f of readdirSync(q, { withFileTypes: true })) {
        if (f.isDirectory()) walk(join(q, f.name));
        else max = Math.max(max, statSync(join(q, f.name)).size);
      }
    };
    walk(p);
    return max;
  };

  it('an append in a limited child: a DepotIOError naming the segment file and the write (EFBIG); the depot is unchanged and verifies clean', async () => {
    const path = join(dir, 'depot');
    makeDepot(path);
    const before = fingerprintOf(path);
    // a little above the largest file: any real growth passes the limit
    const r = await runLimited(Math.ceil(biggest(path) / 1024) + 8, ['append', path, dataFile, '-']);
    expect(r.result, r.stderr).toBeDefined();
    expect(r.result.ok).toBe(false);
    expect(r.result.name).toBe('DepotIOError');
    expect(r.result.code).toBe('EFBIG');
    expect(r.result.message).toMatch(/commit \(put\) failed: write of segment file '.*chunks\/\d{6}\.vczc' at byte offset \d+ failed: EFBIG/);
    expect(fingerprintOf(path)).toBe(before);
    expect(verifyErrors(path)).toEqual([]);
  });

  it('an export to a .vcz.zip in a limited child: a typed error, no output, no temporary files; the depot is unchanged', async () => {
    const path = join(dir, 'depot-x');
    makeDepot(path);
    const before = fingerprintOf(path);
    const outDir = join(dir, 'exports');
    mkdirSync(outDir);
    const out = join(outDir, 'out.vcz.zip');
    const r = await runLimited(24, ['guarded-export', path, dataFile, out]);
    expect(r.result, r.stderr).toBeDefined();
    expect(r.result.ok).toBe(false);
    expect(['ExportWriteError', 'ZarrStateError']).toContain(r.result.name);
    expect(r.result.message).toMatch(/EFBIG|file too large/i);
    expect(r.result.message).toContain(out);
    expect(readdirSync(outDir)).toEqual([]);
    expect(fingerprintOf(path)).toBe(before);
    expect(verifyErrors(path)).toEqual([]);
  });
});
