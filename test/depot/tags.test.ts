/**
 * Tags and `at` resolution (issue 11, item 2) and opening a missing depot
 * (item 8, depot part):
 * - a tag names the head version without creating a version;
 * - an all-digit tag name is refused (it would read as a version number);
 * - a depot made before that rule, holding an all-digit tag that collides
 *   with a version, gives a typed "ambiguous" error instead of picking one;
 * - `Depot.open` of a path that does not exist says so.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { open as openLmdb } from 'lmdb';
import { describe, expect, it } from 'vitest';
import { Depot, isDepotError, type DepotErrorTag } from '../../src/index.ts';
import { runCli as cli } from '../helpers/cli.ts';
import { repoRoot } from '../helpers/interop.ts';
import { syntheticCalls, syntheticVariantSet } from '../helpers/synthetic.ts';
import { useTempDir } from '../helpers/tmp.ts';

const dir = useTempDir('tags', { each: true });

const vs = syntheticVariantSet({ numVariants: 120, seed: 3 });
const calls = (seed: number) => syntheticCalls(vs, { seed, missing: 0.05 });

function expectDepotError(fn: () => unknown, tag: DepotErrorTag, re?: RegExp): Error {
  try {
    fn();
  } catch (err) {
    expect(isDepotError(err, tag), String(err)).toBe(true);
    if (re) expect((err as Error).message).toMatch(re);
    return err as Error;
  }
  return expect.fail(`expected a ${tag} error`);
}

/** Everything observable about a depot: to check a failed op changed nothing. */
function snapshot(d: Depot) {
  return JSON.stringify({ v: d.version(), s: d.samples(), t: d.tags(), l: d.log(), st: { ...d.stats(), indexBytes: 0 } });
}

/** S0..S(n-1), one put (one version) each: versions 0..n. */
function make(n: number): { path: string; d: Depot } {
  const path = join(dir(), 'd');
  const d = Depot.create(path, vs, { blockSize: 50 });
  for (let i = 0; i < n; i++) d.put(`S${i}`, calls(i));
  return { path, d };
}

/** Writes a tag straight into the tags dbi (and the log), as a depot made before all-digit names were refused could hold. */
function writeOldTag(path: string, name: string, version: number): void {
  const env = openLmdb({ path: join(path, 'index.mdb'), maxDbs: 16 });
  env.transactionSync(() => {
    env.openDB({ name: 'tags', encoding: 'msgpack' }).putSync(name, { name, version, time: '2024-01-01T00:00:00.000Z' });
    const log = env.openDB({ name: 'log', encoding: 'msgpack' });
    const l = log.get(version);
    log.putSync(version, { ...l, tags: [...l.tags, name] });
  });
  void env.close();
}

describe('tag names the head without creating a version', () => {
  it('a tag taken at head v names v; the version count is unchanged; log and tags show when it was taken', () => {
    const { d } = make(2);
    expect(d.version()).toBe(2);
    const logBefore = d.log();
    const t = d.tag('rel', { message: 'two samples' });
    expect(t).toMatchObject({ name: 'rel', version: 2, message: 'two samples' });
    expect(d.version()).toBe(2);
    expect(d.log()).toHaveLength(logBefore.length);
    expect(d.samples({ at: 'rel' })).toEqual(d.samples({ at: 2 }));
    expect(d.getMany(['S1'], { at: 'rel' })[0]!.records.map((r) => Buffer.from(r.bytes).toString('base64'))).toEqual(
      d.getMany(['S1'], { at: 2 })[0]!.records.map((r) => Buffer.from(r.bytes).toString('base64')),
    );
    // the log entry of version 2 lists the tag; tags() keeps its own time and message
    expect(d.log().at(-1)).toMatchObject({ version: 2, operation: 'put', tags: ['rel'] });
    expect(d.tags()).toMatchObject([{ name: 'rel', version: 2, message: 'two samples' }]);
    expect(Date.parse(d.tags()[0]!.time)).toBeGreaterThanOrEqual(Date.parse(d.log().at(-1)!.time));
    // a second tag of the same head, then a write: the next version is 3
    d.tag('rel-b');
    expect(d.put('S2', calls(2)).version).toBe(3);
    expect(d.samples({ at: 'rel-b' })).toEqual(['S0', 'S1']);
    expect(d.verify().issues).toEqual([]);
    d.close();
  });

  it('a tag staged with other operations names that transaction\'s version', () => {
    const { d } = make(1);
    const { commit } = d.transaction((t) => {
      t.put('S1', calls(1));
      t.tag('with-s1');
    });
    expect(commit.version).toBe(2);
    expect(d.tags()).toMatchObject([{ name: 'with-s1', version: 2 }]);
    // a transaction of tags alone creates no version either
    const only = d.transaction((t) => t.tag('alone')).commit;
    expect(only).toMatchObject({ version: 2, tags: ['alone'] });
    expect(d.version()).toBe(2);
    expect(d.verify().issues).toEqual([]);
    d.close();
  });

  it('the CLI: tag keeps the version; samples and export --at TAG == --at V; log shows when the tag was taken', async () => {
    const { path, d } = make(2);
    d.close();
    let r = await cli('tag', path, 'rel', '-m', 'first freeze', '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ name: 'rel', version: 2 });
    r = await cli('log', path, '--json');
    expect(JSON.parse(r.out)).toHaveLength(3);
    const atTag = await cli('samples', path, '--at', 'rel');
    const atV = await cli('samples', path, '--at', '2');
    expect(atTag.code, atTag.err).toBe(0);
    expect(atTag.out).toBe(atV.out);
    expect(atTag.out).toBe('S0\nS1\n');
    const eTag = await cli('export', path, join(dir(), 'tag.vcz'), '--at', 'rel', '--json');
    const eV = await cli('export', path, join(dir(), 'v.vcz'), '--at', '2', '--json');
    expect(eTag.code, eTag.err).toBe(0);
    expect(JSON.parse(eTag.out)).toMatchObject({ version: 2, samples: 2 });
    expect(JSON.parse(eV.out)).toMatchObject({ version: 2, samples: 2 });
    expect(readdirSync(join(dir(), 'tag.vcz')).sort()).toEqual(readdirSync(join(dir(), 'v.vcz')).sort());
    // log: a line for the tag, with the time it was taken and its message
    const tagTime = JSON.parse((await cli('tags', path, '--json')).out)[0].time as string;
    r = await cli('log', path);
    expect(r.out.split('\n').filter(Boolean)).toHaveLength(4);
    expect(r.out).toContain(`2\t${tagTime}\ttag\trel\tfirst freeze\n`);
  });
});

describe('all-digit tag names', () => {
  it('are refused with a typed error that says why and suggests a name; nothing changes', () => {
    const { d } = make(3);
    const before = snapshot(d);
    for (const name of ['3', '0', '007', '42']) {
      const err = expectDepotError(() => d.tag(name), 'invalid-argument', /all digits/);
      expect(err.message).toContain(`'v${name}'`);
      expectDepotError(() => d.transaction((t) => t.tag(name)), 'invalid-argument', /all digits/);
    }
    expect(snapshot(d)).toBe(before);
    // names with digits and something else are fine
    expect(d.tag('v3').version).toBe(3);
    expect(d.tag('3a').version).toBe(3);
    d.close();
  });

  it('the CLI refuses `tag D 3` (exit 1, one line), and --at 3 stays version 3', async () => {
    const { path, d } = make(4);
    d.close();
    const r = await cli('tag', path, '3');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^vczdepot: .*'3'.*all digits.*'v3'/);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect((await cli('samples', path, '--at', '3')).out).toBe('S0\nS1\nS2\n');
    expect(JSON.parse((await cli('tags', path, '--json')).out)).toEqual([]);
  });

  it('a depot made before the rule: a colliding all-digit tag is a typed "ambiguous" error, never a silent pick', async () => {
    const { path, d } = make(4); // versions 0..4
    d.close();
    writeOldTag(path, '2', 4); // collides with version 2
    writeOldTag(path, '42', 1); // no version 42: names only the tag
    const e = Depot.open(path);
    const err = expectDepotError(() => e.samples({ at: '2' }), 'ambiguous-at', /version 2.*tag '2'.*version 4/);
    expect(err).toMatchObject({ at: '2', version: 2, tagVersion: 4 });
    expectDepotError(() => e.getMany(['S0'], { at: '2' }), 'ambiguous-at');
    expectDepotError(() => e.resolveVersion('2'), 'ambiguous-at');
    // a digit string without a tag of that name is the version; a number is always a version
    expect(e.samples({ at: '3' })).toEqual(['S0', 'S1', 'S2']);
    expect(e.samples({ at: 2 })).toEqual(['S0', 'S1']);
    expect(e.resolveVersion('03')).toBe(3);
    // an old tag that collides with no version still names its version
    expect(e.samples({ at: '42' })).toEqual(['S0']);
    expect(e.resolveVersion('42')).toBe(1);
    // verify warns about the colliding name
    const v = e.verify();
    expect(v.ok).toBe(true);
    expect(v.issues.filter((i) => i.kind === 'tag').map((i) => [i.severity, i.tag])).toEqual([['warning', '2']]);
    e.close();
    // the CLI: samples and export refuse `--at 2`, `--at 42` is the tag
    let r = await cli('samples', path, '--at', '2');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^vczdepot: .*ambiguous/);
    r = await cli('export', path, join(dir(), 'x.vcz'), '--at', '2');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/ambiguous/);
    r = await cli('samples', path, '--at', '42');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe('S0\n');
  });
});

describe('opening a depot that does not exist', () => {
  it('Depot.open says the path does not exist; a directory without index.mdb keeps its message', () => {
    const missing = join(dir(), 'no-such-depot');
    const err = expectDepotError(() => Depot.open(missing), 'depot-not-found', /does not exist/);
    expect(err.message).toContain(missing);
    expect(err.message).not.toMatch(/index\.mdb/);
    expectDepotError(() => Depot.open(missing, { readOnly: true }), 'depot-not-found');
    const empty = join(dir(), 'empty');
    mkdirSync(empty);
    expectDepotError(() => Depot.open(empty), 'not-a-depot', /no index\.mdb in it/);
  });

  it('the CLI: `vczdepot samples /nonexistent` exits 1 with "does not exist"', () => {
    const missing = join(dir(), 'nonexistent');
    const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'vczdepot.cjs'), 'samples', missing], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toBe(`vczdepot: ${missing} does not exist; check the path, or make a depot there with \`vczdepot create\`\n`);
  }, 60_000);
});
