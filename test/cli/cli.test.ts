import { mkdirSync, existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { runCli as cli } from '../helpers/cli.ts';
import { useTempDir } from '../helpers/tmp.ts';

const data = join(import.meta.dirname, '..', 'data', 'vcf');
const dir = useTempDir('cli');


describe('vczdepot CLI', () => {
  it('creates, appends, tags, removes and lists, with --json', async () => {
    const depot = join(dir(), 'chr22.depot');
    let r = await cli('create', depot, '--from', join(data, 'chr22-part1.vcf.gz'), '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ variants: 100, samples: 55, version: 1 });
    r = await cli('append', depot, join(data, 'chr22-part2.vcf.gz'), '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).added).toHaveLength(45);
    expect((await cli('tag', depot, 'release-1', '-m', 'all')).code).toBe(0);
    expect((await cli('remove', depot, 'HG00100')).code).toBe(0);
    r = await cli('samples', depot);
    expect(r.out.trim().split('\n')).toHaveLength(99);
    expect(r.out).not.toMatch(/^HG00100$/m);
    r = await cli('samples', depot, '--at', 'release-1');
    expect(r.out.trim().split('\n')).toHaveLength(100);
    expect(r.out.split('\n')[0]).toBe('HG00096');
    r = await cli('log', depot, '--json');
    expect(JSON.parse(r.out).map((e: { operation: string }) => e.operation)).toEqual(['create', 'put', 'put', 'remove']);
    r = await cli('tags', depot, '--json');
    expect(JSON.parse(r.out)).toMatchObject([{ name: 'release-1', version: 2, samples: 100, message: 'all' }]);
    r = await cli('stats', depot, '--json');
    expect(JSON.parse(r.out)).toMatchObject({ samples: 99, entries: 100, tags: 1, variants: 100 });
    r = await cli('verify', depot, '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ ok: true, issues: [] });
    r = await cli('compact', depot, '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).bytesAfter).toBeGreaterThan(0);
    r = await cli('show', depot, 'HG00096');
    expect(r.code, r.err).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines.filter((l) => !l.startsWith('#'))).toHaveLength(100);
    expect(lines.find((l) => l.startsWith('#CHROM'))).toMatch(/FORMAT\tHG00096$/);
  });

  it('exits non-zero with a one-line reason and changes nothing on bad input', async () => {
    const depot = join(dir(), 'sample.depot');
    expect((await cli('create', depot, '--from', join(data, 'sample-part1.vcf.gz'))).code).toBe(0);
    const before = (await cli('log', depot, '--json')).out;
    // Another reference at 19:111: bcftools merge exits on it ("The REF prefixes differ").
    const otherRef = join(dir(), 'other-ref.vcf');
    const lines = gunzipSync(readFileSync(join(data, 'sample-part2.vcf.gz'))).toString('utf8').replace(/^19\t111\t\.\tA\tC\t/m, '19\t111\t.\tG\tT\t');
    writeFileSync(otherRef, lines);
    let r = await cli('append', depot, otherRef);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^vczdepot: .*other-ref\.vcf: 19:111 has REF G, but the depot holds A there/);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    r = await cli('append', depot, join(data, 'sample-part1.vcf.gz'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/already in depot/);
    r = await cli('samples', depot, '--at', 'nope');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/tag 'nope' does not exist/);
    r = await cli('remove', depot, 'NOBODY');
    expect(r.code).toBe(1);
    expect((await cli('log', depot, '--json')).out).toBe(before);
    r = await cli('export', depot, join(dir(), 'x'), '--zarr-format', '4');
    expect(r.code).toBe(2);
    r = await cli('frobnicate');
    expect(r.code).toBe(2);
    r = await cli('create', join(dir(), 'bad.depot'), '--from', join(dir(), 'missing.vcf'));
    expect(r.code).toBe(1);
    expect(existsSync(join(dir(), 'bad.depot'))).toBe(false);
  });

  it('stops quietly with exit 0 when the reader closes the pipe early (show | head)', async () => {
    const depot = join(dir(), 'pipe.depot');
    expect((await cli('create', depot, '--from', join(data, 'chr22-part1.vcf.gz'))).code).toBe(0);
    const bin = join(import.meta.dirname, '..', '..', 'bin', 'vczdepot.cjs');
    // `true` exits at once without reading, so every write of ours meets a closed pipe.
    let r = spawnSync('bash', ['-o', 'pipefail', '-c', `node '${bin}' show '${depot}' HG00096 | true`], { encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/EPIPE|Error/);
    expect(r.status).toBe(0);
    r = spawnSync('bash', ['-o', 'pipefail', '-c', `node '${bin}' show '${depot}' HG00096 | head -n 2`], { encoding: 'utf8' });
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(2);
    expect(r.status).toBe(0);
  });

  it('Ctrl-C (SIGINT) during create or append rolls back: exit 130, no depot / an unchanged one, no staging file', async () => {
    // A VCF big enough to take seconds to import (400 samples × 30,000 variants, ~84 MB).
    const big = (name: string, prefix: string) => {
      const path = join(dir(), name);
      const head = ['##fileformat=VCFv4.3', '##contig=<ID=1>', '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">', '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">'];
      const ids = Array.from({ length: 400 }, (_, i) => `${prefix}${i}`);
      const cells = ids.map((_, i) => (i % 7 === 0 ? '0/1:12' : '0/0:30')).join('\t');
      const lines = [...head, ['#CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO', 'FORMAT', ...ids].join('\t')];
      for (let v = 1; v <= 30_000; v++) lines.push(`1\t${v}\t.\tA\tC\t.\tPASS\t.\tGT:DP\t${cells}`);
      writeFileSync(path, lines.join('\n') + '\n');
      return path;
    };
    const a = big('big-a.vcf', 'A');
    const bin = join(import.meta.dirname, '..', '..', 'bin', 'vczdepot.cjs');
    /** True when process `pid` has `file` open (Linux /proc): the import is under way, its SIGINT handler installed. */
    const reading = (pid: number | undefined, file: string): boolean => {
      try {
        return readdirSync(`/proc/${pid}/fd`).some((fd) => {
          try {
            return readlinkSync(`/proc/${pid}/fd/${fd}`) === file;
          } catch {
            return false;
          }
        });
      } catch {
        return false;
      }
    };
    const interrupt = (args: string[], when: (pid: number | undefined) => boolean) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const poll = setInterval(() => {
          if (when(child.pid)) {
            clearInterval(poll);
            child.kill('SIGINT');
          }
        }, 10);
        child.on('exit', (code) => {
          clearInterval(poll);
          resolve({ code, stderr });
        });
      });
    // create: interrupted once the depot exists (its variants were read; the calls are streaming)
    const depot = join(dir(), 'int.depot');
    let r = await interrupt(['create', depot, '--from', a], () => existsSync(join(depot, 'index.mdb')));
    expect(r.stderr).toMatch(/interrupted by SIGINT: nothing was written/);
    expect(r.code).toBe(130);
    expect(existsSync(depot)).toBe(false);
    // append: interrupted once it reads the file (a fixed delay raced the start-up on a loaded machine)
    expect((await cli('create', depot, '--from', a, '--no-samples')).code).toBe(0);
    const b = big('big-b.vcf', 'B');
    r = await interrupt(['append', depot, b], (pid) => reading(pid, b));
    expect(r.stderr).toMatch(/interrupted by SIGINT: nothing was written/);
    expect(r.code).toBe(130);
    const after = await cli('log', depot, '--json');
    expect(JSON.parse(after.out).map((e: { operation: string }) => e.operation)).toEqual(['create']);
    expect(readdirSync(join(depot, 'chunks')).filter((f) => f.startsWith('.staging-'))).toEqual([]);
    expect((await cli('verify', depot)).code).toBe(0);
  }, 120_000);

  it('prints help for every command', async () => {
    for (const c of ['create', 'append', 'remove', 'tag', 'tags', 'log', 'samples', 'show', 'export', 'stats', 'verify', 'purge', 'compact']) {
      const r = await cli(c, '--help');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`Usage: vczdepot ${c}`));
    }
  });

  it('exports a tag and the head to VCZ', async () => {
    const depot = join(dir(), 'chr22.depot');
    const r = await cli('export', depot, join(dir(), 'r1.vcz'), '--at', 'release-1', '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ samples: 100, variants: 100, version: 2 });
    expect(readdirSync(join(dir(), 'r1.vcz'))).toContain('call_genotype');
    // exporting again over a store vczdepot made replaces it
    expect((await cli('export', depot, join(dir(), 'r1.vcz'), '--at', 'release-1')).code).toBe(0);
  });

  it('refuses to export into a non-empty directory it did not make, unless --force', async () => {
    const depot = join(dir(), 'chr22.depot');
    const out = join(dir(), 'precious');
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'keep me');
    let r = await cli('export', depot, out);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/not a VCZ store made by vczdepot.*--force/);
    expect(readdirSync(out)).toEqual(['notes.txt']);
    expect(readdirSync(dir()).filter((f) => f.includes('.tmp'))).toEqual([]);
    r = await cli('export', depot, out, '--force', '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).path).toBe(out);
    expect(readdirSync(out)).toContain('sample_id');
    expect(readdirSync(out)).not.toContain('notes.txt');
  });
});
