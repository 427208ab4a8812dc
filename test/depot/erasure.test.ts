/**
 * Erasure that leaves nothing (purge): after a purge no file under the depot
 * holds the purged ids' bytes — raw (index live and free pages, lock file,
 * segment files, leftovers) or inside any zstd frame — while every other
 * sample and every tag reads and exports byte for byte as before. Also the
 * auditor's `verify --erased` and `purge --json`.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Depot, findTraces, isDepotError } from '../../src/depot/index.ts';
import { syntheticCalls, syntheticVariantSet } from '../helpers/synthetic.ts';
import { runCli } from '../helpers/cli.ts';
import { depotFingerprint } from '../helpers/fingerprint.ts';
import { fileTree } from '../helpers/files.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vczdepot-erasure-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const vs = syntheticVariantSet({ numVariants: 300, seed: 21 });
const calls = (seed: number) => syntheticCalls(vs, { seed, missing: 0.05 });
const SMALL = { blockSize: 50, chunkTargetBytes: 4096, segmentMaxBytes: 64 * 1024 };

/** Ids of several lengths and scripts; none is a substring of another or of the filler ids. */
const VICTIMS = ['Kq7Zx2', 'withdrawn-participant-0042', 'Ünïcødé-样本-🧬-erased', `L${'y'.repeat(300)}Z`];

const tree = fileTree;

const fingerprint = (d: Depot, skip: readonly string[]): string => depotFingerprint(d, skip, { tagTimes: true });

/** A depot with history: many versions, tags, a remove and re-add of a victim, compactions, several segment files. */
function history(path: string, n = 40): Depot {
  const d = Depot.create(path, vs, SMALL);
  const filler = Array.from({ length: n }, (_, i) => `F${String(i).padStart(3, '0')}`);
  d.putMany(filler.slice(0, n / 2).map((id, i) => ({ sampleId: id, calls: calls(i) })));
  d.put(VICTIMS[0]!, calls(1000));
  d.tag('t1');
  d.putMany(VICTIMS.slice(1).map((id, i) => ({ sampleId: id, calls: calls(1001 + i) })));
  d.compact();
  d.tag('t2');
  d.remove([VICTIMS[0]!, filler[3]!]);
  d.putMany(filler.slice(n / 2).map((id, i) => ({ sampleId: id, calls: calls(100 + i) })));
  d.tag('t3');
  d.put(VICTIMS[0]!, calls(2000)); // re-added with other calls: two entries
  d.compact();
  for (let i = 0; i < 6; i++) d.put(`G${i}`, calls(300 + i));
  d.tag('t4');
  return d;
}

describe('purge erases every byte of the sample', () => {
  it('no file holds the ids (raw or in a chunk) after a purge after many versions, tags and compactions; others and tags unchanged', async () => {
    const path = join(dir, 'd');
    const d = history(path);
    // The scan finds each id before (it can fail): in the index and in a decompressed chunk.
    const before = findTraces(path, VICTIMS);
    for (const v of VICTIMS) {
      expect(before.some((t) => t.sampleId === v && t.file === 'index.mdb'), v).toBe(true);
      expect(before.some((t) => t.sampleId === v && t.where === 'chunk'), v).toBe(true);
    }
    const fp = fingerprint(d, VICTIMS);
    const exportsBefore = new Map<string, Map<string, Buffer>>();
    for (const t of d.tags()) {
      const out = join(dir, `before-${t.name}`);
      const sel = d.samples({ at: t.name }).some((s) => VICTIMS.includes(s)) ? ['-s', `^${VICTIMS.filter((v) => d.samples({ at: t.name }).includes(v)).join(',')}`] : [];
      expect((await runCli('export', path, out, '--at', t.name, ...sel)).code).toBe(0);
      exportsBefore.set(t.name, tree(out));
    }
    const head = d.version();
    const r = d.purge(VICTIMS);
    expect(r.version).toBe(head + 1);
    expect(r.erased.samples).toEqual(VICTIMS);
    expect(r.erased.entries).toBe(VICTIMS.length + 1); // VICTIMS[0] was added twice
    expect(r.erased.records).toBe((VICTIMS.length + 1) * Math.ceil(300 / SMALL.blockSize));
    expect(r.erased.filesRewritten.length).toBeGreaterThan(0);
    expect(r.erased.indexBytesAfter).toBeLessThan(r.erased.indexBytesBefore);

    expect(findTraces(path, VICTIMS)).toEqual([]);
    expect(fingerprint(d, [])).toBe(fp);
    for (const t of d.tags()) {
      const out = join(dir, `after-${t.name}`);
      expect((await runCli('export', path, out, '--at', t.name)).code).toBe(0);
      expect(tree(out)).toEqual(exportsBefore.get(t.name));
    }
    expect(d.verify().ok).toBe(true);
    d.close();
    const again = Depot.open(path);
    expect(fingerprint(again, [])).toBe(fp);
    again.close();
  });

  it('an id that is a separator key of a by_id branch page is erased too (by_id is rebuilt)', () => {
    // 600 ids fill several by_id leaf pages; the first key of each leaf is copied into
    // the branch page, and LMDB keeps it there when that key is deleted.
    const path = join(dir, 'd');
    const d = Depot.create(path, syntheticVariantSet({ numVariants: 20, seed: 3 }), SMALL);
    const ids = Array.from({ length: 600 }, (_, i) => `S${String(i).padStart(4, '0')}`);
    d.putMany(ids.map((id, i) => ({ sampleId: id, calls: syntheticCalls(syntheticVariantSet({ numVariants: 20, seed: 3 }), { seed: i }) })));
    const victims = ids.filter((_, i) => i % 5 === 0);
    const r = d.purge(victims);
    expect(r.erased.entries).toBe(victims.length);
    expect(findTraces(path, victims)).toEqual([]);
    expect(d.samples()).toEqual(ids.filter((_, i) => i % 5 !== 0));
    d.close();
  });

  it('a second Depot of this process on the same directory keeps working after the index file is replaced', () => {
    const path = join(dir, 'd');
    const d = history(path, 10);
    const other = Depot.open(path);
    const ro = Depot.open(path, { readOnly: true });
    const fp = fingerprint(other, VICTIMS);
    d.purge(VICTIMS);
    expect(fingerprint(other, [])).toBe(fp);
    expect(fingerprint(ro, [])).toBe(fp);
    other.put('after', calls(77));
    expect(d.samples()).toContain('after');
    expect(ro.samples()).toContain('after');
    for (const x of [d, other, ro]) x.close();
    expect(findTraces(path, VICTIMS)).toEqual([]);
  });

  it('stray copies are erased too: leftovers of dead processes and a killed write past the committed end', () => {
    const path = join(dir, 'd');
    const d = history(path, 10);
    const victim = VICTIMS[1]!;
    // A dead process's index copy and staging file, and a killed put's chunk after the active file's end.
    const seg = readdirSync(join(path, 'chunks')).filter((f) => f.endsWith('.vczc')).sort();
    const chunkBytes = readFileSync(join(path, 'chunks', seg[0]!)).subarray(16);
    writeFileSync(join(path, `index.mdb.erase-999999-1-${hostname()}.tmp`), readFileSync(join(path, 'index.mdb')));
    writeFileSync(join(path, 'chunks', `.staging-${hostname()}-999999-1-0.tmp`), readFileSync(join(path, 'chunks', seg[0]!)));
    const active = join(path, 'chunks', seg[seg.length - 1]!);
    writeFileSync(active, Buffer.concat([readFileSync(active), chunkBytes]));
    expect(findTraces(path, [victim]).length).toBeGreaterThan(0);
    d.purge([victim]);
    expect(findTraces(path, [victim])).toEqual([]);
    expect(d.verify().ok).toBe(true);
    d.close();
  });

  it('a failed purge (an unknown id) changes nothing, the index file included', () => {
    const path = join(dir, 'd');
    const d = history(path, 10);
    const files = tree(path);
    let err: unknown;
    try {
      d.purge([VICTIMS[1]!, 'never-there']);
    } catch (e) {
      err = e;
    }
    expect(isDepotError(err, 'unknown-sample')).toBe(true);
    const after = tree(path);
    after.delete('index.mdb-lock');
    files.delete('index.mdb-lock');
    expect(after).toEqual(files);
    d.close();
  });
});

describe('the CLI: purge --json, verify --erased', () => {
  it('verify --erased exits 1 naming file and offset while a trace remains, 0 after the purge; purge --json says what was erased', async () => {
    const path = join(dir, 'd');
    history(path, 10).close();
    const v = VICTIMS[2]!;
    const found = await runCli('verify', path, '--erased', v, '--erased', 'F001');
    expect(found.code).toBe(1);
    expect(found.out).toMatch(new RegExp(`found: '${v}' in index\\.mdb at byte \\d+`));
    expect(found.out).toMatch(/found: 'F001' in chunks\/\d{6}\.vczc at byte \d+ \(in the chunk there/);
    expect(found.err).toMatch(/trace\(s\) of erased sample ids remain/);
    const p = await runCli('purge', path, v, '--json');
    expect(p.code).toBe(0);
    const r = JSON.parse(p.out);
    expect(r.erased).toMatchObject({ samples: [v], entries: 1, records: Math.ceil(300 / SMALL.blockSize) });
    expect(r.erased.filesRewritten.length).toBeGreaterThan(0);
    const clean = await runCli('verify', path, '--erased', v, '--json');
    expect(clean.code).toBe(0);
    expect(JSON.parse(clean.out)).toEqual({ ok: true, erased: [v], traces: [] });
    expect((await runCli('purge', path)).code).toBe(2);
    const fin = await runCli('purge', path, '--finish', '--json');
    expect(fin.code).toBe(0);
    expect(JSON.parse(fin.out).erased.samples).toEqual([]);
  });
});
