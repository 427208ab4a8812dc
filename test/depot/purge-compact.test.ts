/**
 * purge (erasure) and compact: other samples and every tag unchanged byte
 * for byte; the purged sample's bytes gone from every file of the depot.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChunkReader, scanChunks } from '../../src/schunk/index.ts';
import { Depot, isDepotError, type SampleCalls } from '../../src/index.ts';
import { rng, syntheticCalls, syntheticVariantSet } from '../helpers/synthetic.ts';
import { useTempDir } from '../helpers/tmp.ts';
import { depotFingerprint } from '../helpers/fingerprint.ts';

const dir = useTempDir('purge', { each: true });

const vs = syntheticVariantSet({ numVariants: 500, seed: 8 });
const calls = (seed: number) => syntheticCalls(vs, { seed, missing: 0.05 });

/** Calls whose FT (String) values are unique random tokens: bytes that appear nowhere else. */
function planted(seed: number): { calls: SampleCalls; tokens: string[] } {
  const c = calls(seed);
  const r = rng(seed * 7919);
  const tokens: string[] = [];
  const fields = c.fields.map((f) => {
    if (f.id !== 'FT') return f;
    const values = (f.values as string[]).map(() => {
      const t = `Z${Math.floor(r() * 2 ** 48).toString(36)}${Math.floor(r() * 2 ** 48).toString(36)}Q`;
      tokens.push(t);
      return t;
    });
    return { ...f, values };
  });
  return { calls: { ...c, fields }, tokens };
}

const fingerprint = depotFingerprint;

function allBytesOfDepot(path: string): Buffer[] {
  const files: string[] = [];
  const walk = (p: string) => {
    for (const f of readdirSync(p)) {
      const q = join(p, f);
      if (statSync(q).isDirectory()) walk(q);
      else files.push(q);
    }
  };
  walk(path);
  const out = files.map((f) => readFileSync(f));
  // and every chunk decompressed
  const reader = new ChunkReader({ cacheBytes: 0 });
  for (const f of files.filter((x) => x.endsWith('.vczc'))) {
    for (const c of scanChunks(f)) if (c.ok) out.push(Buffer.from(reader.read(f, c.offset)));
  }
  reader.close();
  return out;
}

describe('compact', () => {
  it('repacks one-sample chunks block-major; every version reads the same; verify clean', () => {
    const d = Depot.create(join(dir(), 'd'), vs, { blockSize: 100 });
    for (let i = 0; i < 12; i++) d.put(`S${i}`, calls(i));
    d.tag('t1');
    d.remove(['S3', 'S7']);
    d.tag('t2');
    d.put('S12', calls(12));
    const before = fingerprint(d);
    const chunksBefore = d.stats().chunks;
    const r = d.compact();
    expect(r.bytesAfter).toBeLessThanOrEqual(r.bytesBefore);
    expect(d.stats().chunks).toBeLessThan(chunksBefore);
    expect(fingerprint(d)).toBe(before);
    expect(d.verify().issues).toEqual([]);
    // writes go on after a compaction
    d.put('S13', calls(13));
    expect(d.samples()).toContain('S13');
    expect(d.log().at(-2)!.operation).toBe('compact');
    d.close();
    const e = Depot.open(join(dir(), 'd'));
    expect(e.verify().ok).toBe(true);
    e.close();
  });
});

describe('purge', () => {
  it("erases a sample's bytes from every file; others and tags unchanged", () => {
    const path = join(dir(), 'd');
    const d = Depot.create(path, vs, { blockSize: 100, chunkTargetBytes: 16_384 });
    const secret = planted(42);
    d.put('S0', calls(0));
    d.putMany([
      { sampleId: 'SECRET', calls: secret.calls },
      { sampleId: 'S1', calls: calls(1) },
    ]);
    d.tag('t1');
    d.remove(['SECRET']);
    d.put('S2', calls(2));
    d.tag('t2');
    const others = fingerprint(d, ['SECRET']);
    const some = (bufs: Buffer[]) => secret.tokens.filter((t) => bufs.some((b) => b.includes(t)));
    expect(some(allBytesOfDepot(path)).length).toBe(secret.tokens.length); // planted, findable

    const r = d.purge(['SECRET'], { message: 'consent withdrawn' });
    expect(r.tagsChanged).toEqual(['t1']);
    expect(d.samples({ at: 't1' })).toEqual(['S0', 'S1']);
    expect(() => d.get('SECRET', { at: 't1' })).toThrow(/not in depot/);
    expect(fingerprint(d, ['SECRET'])).toBe(others);
    expect(JSON.stringify(d.log())).not.toContain('SECRET');
    expect(d.log().at(-1)).toMatchObject({ operation: 'purge', purged: 1, tagsChanged: ['t1'], message: 'consent withdrawn' });
    expect(d.verify().issues.filter((i) => i.severity === 'error')).toEqual([]);
    d.compact();
    d.close();
    expect(some(allBytesOfDepot(path))).toEqual([]);
    const e = Depot.open(path);
    expect(fingerprint(e, ['SECRET'])).toBe(others);
    expect(e.verify().ok).toBe(true);
    e.close();
  });

  it('an unknown sample is a typed error and changes nothing', () => {
    const d = Depot.create(join(dir(), 'd'), vs);
    d.put('S0', calls(0));
    const before = fingerprint(d) + JSON.stringify(d.log());
    try {
      d.purge(['S0', 'nobody']);
      expect.fail('should throw');
    } catch (err) {
      expect(isDepotError(err, 'unknown-sample')).toBe(true);
    }
    expect(fingerprint(d) + JSON.stringify(d.log())).toBe(before);
    d.close();
  });
});
