/**
 * The CLI as a person meets it: in a terminal (a pseudo-terminal made by
 * util-linux `script`, so stderr is a TTY and progress bars are drawn),
 * interrupted with Ctrl-C, killed, or given bad usage.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LINE_INTERVAL_MS, progress } from '../../src/cli/progress.ts';
import { runCli as cli } from '../helpers/cli.ts';
import { useTempDir } from '../helpers/tmp.ts';

const data = join(import.meta.dirname, '..', 'data', 'vcf');
const bin = join(import.meta.dirname, '..', '..', 'bin', 'vczdepot.cjs');
const dir = useTempDir('tty');

/** A writable that says it is a terminal, recording what is drawn on it. */
function fakeTty(): NodeJS.WriteStream & { text: () => string } {
  const s = new PassThrough() as unknown as NodeJS.WriteStream & { text: () => string };
  let out = '';
  s.on('data', (d: Buffer) => (out += d.toString()));
  Object.assign(s, { isTTY: true, columns: 100, rows: 30, text: () => out });
  return s;
}

/** A VCF (plain text) of `samples` × `variants` diploid calls: > 4 MiB makes the import stream. */
function bigVcf(path: string, samples: number, variants: number, prefix = 'S'): string {
  const ids = Array.from({ length: samples }, (_, i) => `${prefix}${i}`);
  const cells = ids.map((_, i) => (i % 7 === 0 ? '0/1:12' : '0/0:30')).join('\t');
  const lines = [
    '##fileformat=VCFv4.3',
    '##contig=<ID=1>',
    '##INFO=<ID=END,Number=1,Type=Integer,Description="End">',
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">',
    ['#CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO', 'FORMAT', ...ids].join('\t'),
  ];
  for (let v = 1; v <= variants; v++) lines.push(`1\t${v * 10}\t.\tA\tC\t.\tPASS\t${v % 3 === 0 ? `END=${v * 10}` : '.'}\tGT:DP\t${cells}`);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

/** Runs the CLI in a pseudo-terminal: `script` gives the child a TTY for stdin, stdout and stderr. */
function inTerminal(args: string[]): { code: number | null; screen: string } {
  const cmd = [process.execPath, bin, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('script', ['-q', '-e', '-c', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, COLUMNS: '100' }, timeout: 120_000 });
  return { code: r.status, screen: r.stdout + r.stderr };
}

/** Lines of terminal output that show the bar `label` (a redrawn bar stays on one line). */
const barLines = (screen: string, label: string) => screen.split('\n').filter((l) => l.includes(`${label} [`));

describe('progress bars', () => {
  it('draws one bar in place on a TTY, however often it reaches 100%, and its methods work unbound', () => {
    const tty = fakeTty();
    const bar = progress('reading', true, { stream: tty, unit: 'bytes' });
    const { update, stop } = bar; // unbound, as `onProgress: bar.update` passes them
    for (let i = 1; i <= 121; i++) update(Math.min(i, 100) * 2 ** 20, 100 * 2 ** 20);
    stop();
    stop();
    const out = tty.text();
    expect(out).toContain('reading [');
    expect(out).toContain('100%');
    expect(out.split('\n').length - 1).toBe(1); // one line: the bar, ended once
  });

  it('prints at most a line every few seconds when stderr is not a TTY, and nothing for short work', () => {
    const s = new PassThrough() as unknown as NodeJS.WriteStream;
    let out = '';
    s.on('data', (d: Buffer) => (out += d.toString()));
    let now = 0;
    const bar = progress('writing chunks', true, { stream: s, now: () => now });
    for (let i = 0; i < 100; i++) {
      now = i * 100; // 10 s in steps of 0.1 s
      bar.update(i, 100);
    }
    bar.stop();
    const lines = out.split('\n').filter(Boolean);
    expect(lines.length).toBe(Math.floor(9_900 / LINE_INTERVAL_MS));
    expect(lines[0]).toMatch(/^writing chunks: \d+% \(\d+ of 100, 5 s\)$/);
    out = '';
    const quick = progress('x', true, { stream: s, now: () => 10 });
    quick.update(1, 2);
    quick.update(2, 2);
    expect(out).toBe('');
    expect(progress('x', false, { stream: fakeTty() })).toBeDefined();
  });
});

describe('every long command in a terminal', () => {
  it('create, append, export (directory and zip), compact, purge and verify succeed with one bar each', () => {
    const depot = join(dir(), 'tty.depot');
    const a = bigVcf(join(dir(), 'big-a.vcf'), 60, 12_000, 'A'); // ~5 MB: streamed
    const b = bigVcf(join(dir(), 'big-b.vcf'), 60, 12_000, 'B');
    expect(statSync(a).size).toBeGreaterThan(4 * 2 ** 20);
    let r = inTerminal(['create', depot, '--from', a]);
    expect(r.screen).not.toMatch(/is not a function|Error/);
    expect(r.code, r.screen).toBe(0);
    expect(barLines(r.screen, 'reading big-a.vcf')).toHaveLength(1);
    r = inTerminal(['append', depot, b]);
    expect(r.code, r.screen).toBe(0);
    expect(barLines(r.screen, 'reading')).toHaveLength(1);
    for (const out of ['out.vcz', 'out.vcz.zip']) {
      r = inTerminal(['export', depot, join(dir(), out)]);
      expect(r.screen).not.toMatch(/is not a function/);
      expect(r.code, r.screen).toBe(0);
      expect(barLines(r.screen, 'writing chunks')).toHaveLength(1);
      expect(r.screen).toMatch(/exported version \d+: 120 samples × 12000 variants/);
    }
    expect(statSync(join(dir(), 'out.vcz.zip')).isFile()).toBe(true);
    for (const args of [['compact', depot], ['purge', depot, 'A0'], ['verify', depot]]) {
      r = inTerminal(args);
      expect(r.screen).not.toMatch(/is not a function|TypeError/);
      expect(r.code, `${args[0]}: ${r.screen}`).toBe(0);
    }
    expect(r.screen).toMatch(/^ok: /m);
  }, 240_000);
});

describe('interrupting and killing an export', () => {
  const run = (args: string[], when: (stderr: string) => boolean, signal: NodeJS.Signals) =>
    new Promise<{ code: number | null; sig: NodeJS.Signals | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const poll = setInterval(() => {
        if (when(stderr)) {
          clearInterval(poll);
          child.kill(signal);
        }
      }, 5);
      child.on('exit', (code, sig) => {
        clearInterval(poll);
        resolve({ code, sig, stderr });
      });
    });
  const temporaries = (parent: string) => readdirSync(parent).filter((f) => f.startsWith('.vczdepot-'));

  it('Ctrl-C removes the temporary store, says nothing was written and exits 130; a SIGKILLed export leaves one that the next export removes', async () => {
    const depot = join(dir(), 'int.depot');
    const parent = mkdtempSync(join(dir(), 'out-'));
    expect((await cli('create', depot, '--from', bigVcf(join(dir(), 'int.vcf'), 400, 20_000, 'I'))).code).toBe(0);
    const out = join(parent, 'int.vcz');
    // the temporary store exists once the export writes chunks: interrupt then
    let r = await run(['export', depot, out], () => temporaries(parent).length > 0, 'SIGINT');
    expect(r.stderr).toMatch(/interrupted by SIGINT: nothing was written/);
    expect(r.code).toBe(130);
    expect(temporaries(parent)).toEqual([]);
    expect(existsSync(out)).toBe(false);
    r = await run(['export', depot, out], () => temporaries(parent).length > 0, 'SIGKILL');
    expect(r.sig).toBe('SIGKILL');
    const left = temporaries(parent);
    expect(left.length).toBeGreaterThan(0);
    // the next export to the same target removes what the killed one left
    const ok = await cli('export', depot, out, '--json');
    expect(ok.code, ok.err).toBe(0);
    expect(temporaries(parent)).toEqual([]);
    expect(readdirSync(out)).toContain('call_genotype');
  }, 180_000);
});

describe('usage', () => {
  it('no arguments, a bad option value or an unknown command: exit 2 with the usage on stderr', async () => {
    let r = await cli();
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/Usage: vczdepot/);
    r = await cli('create', join(dir(), 'lvl.depot'), '--from', join(data, 'sample.vcf.gz'), '--level', '99');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--level.*99.*1\.\.19/s);
    expect(r.err).toMatch(/Usage: vczdepot create/);
    expect(existsSync(join(dir(), 'lvl.depot'))).toBe(false);
    r = await cli('export', join(dir(), 'x.depot'), join(dir(), 'x.vcz'), '--samples-chunk-size', '0');
    expect(r.code).toBe(2);
    r = await cli('frobnicate');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown command/);
    r = await cli('show', join(dir(), 'x.depot'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/Usage: vczdepot show/);
  });

  it('export OUT.vcz.zip writes a zip without --zip', async () => {
    const depot = join(dir(), 'zip.depot');
    expect((await cli('create', depot, '--from', join(data, 'sample.vcf.gz'))).code).toBe(0);
    const out = join(dir(), 'inferred.vcz.zip');
    const r = await cli('export', depot, out);
    expect(r.code, r.err).toBe(0);
    expect(statSync(out).isFile()).toBe(true);
    expect(readFileSync(out).subarray(0, 2).toString()).toBe('PK');
  });
});

describe('show', () => {
  it('prints INFO (a gVCF END included), several samples, and --json', async () => {
    const depot = join(dir(), 'show.depot');
    expect((await cli('create', depot, '--from', join(data, 'sample.vcf.gz'))).code).toBe(0);
    let r = await cli('show', depot, 'NA00001');
    expect(r.code, r.err).toBe(0);
    const body = r.out.split('\n').filter((l) => l && !l.startsWith('#'));
    // sample.vcf.gz: 20 14370 rs6054257 G A 29 PASS NS=3;DP=14;AF=0.5;DB;H2 ... GT:GQ:DP:HQ 0|0:48:1:51,51
    expect(body[0]!.split('\t').slice(0, 8)).toEqual(['19', '111', '.', 'A', 'C', '9.6', '.', '.']);
    expect(body.find((l) => l.includes('rs6054257'))!.split('\t')[7]).toBe('NS=3;DP=14;AF=0.5;DB;H2');
    // the file says NS=3;DP=9;AA=G;AN=4;AC=1,1: VCZ keeps INFO in header order, as `vcztools view` prints it
    expect(body.find((l) => l.includes('microsat1'))!.split('\t')[7]).toBe('NS=3;AN=4;AC=1,1;DP=9;AA=G');
    expect(r.out).toMatch(/^##INFO=<ID=DB,Number=0,Type=Flag/m);
    r = await cli('show', depot, '-s', 'NA00003,NA00001');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/FORMAT\tNA00003\tNA00001$/m);
    // -r and ^exclusion select as bcftools view does (sites and sample columns; bcftools also recomputes AC/AN)
    r = await cli('show', depot, '-s', '^NA00002', '-r', '20:14000-1110696,X');
    expect(r.code, r.err).toBe(0);
    const bcf = spawnSync('bcftools', ['view', '--no-version', '-H', '-s', '^NA00002', '-r', '20:14000-1110696,X', join(data, 'sample.vcf.gz')], { encoding: 'utf8' });
    expect(bcf.status, bcf.stderr).toBe(0);
    const cols = (text: string) => text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => [...l.split('\t').slice(0, 7), ...l.split('\t').slice(9)].join('\t'));
    expect(cols(r.out)).toEqual(cols(bcf.stdout));
    expect(cols(r.out).length).toBeGreaterThan(2);
    expect(r.out).toMatch(/FORMAT\tNA00001\tNA00003$/m);
    r = await cli('show', depot, '-s', 'NOBODY');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/sample 'NOBODY' is not live/);
    r = await cli('show', depot, 'NA00001', '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    const site = j.find((x: { id: string }) => x.id === 'rs6054257');
    expect(site).toMatchObject({ chrom: '20', pos: 14370, ref: 'G', alt: ['A'], filter: ['PASS'], info: { NS: 3, DP: 14, DB: true, H2: true } });
    expect(site.qual).toBe(29);
    expect(site.samples.NA00001).toMatchObject({ GT: '0|0', GQ: 48, DP: 1, HQ: [51, 51] });
  });

  it('shows a gVCF reference block with --blocks (it is no site of the cohort: docs/gvcf.md)', async () => {
    const vcf = join(dir(), 'block.vcf');
    writeFileSync(
      vcf,
      [
        '##fileformat=VCFv4.2',
        '##contig=<ID=1,length=1000>',
        '##ALT=<ID=NON_REF,Description="Any other allele">',
        '##INFO=<ID=END,Number=1,Type=Integer,Description="End of the block">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##FORMAT=<ID=MIN_DP,Number=1,Type=Integer,Description="Minimum depth">',
        '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tG1',
        '1\t100\t.\tA\t<NON_REF>\t.\t.\tEND=199\tGT:MIN_DP\t0/0:12',
        '',
      ].join('\n'),
    );
    const depot = join(dir(), 'block.depot');
    expect((await cli('create', depot, '--from', vcf)).code).toBe(0);
    const blocks = await cli('show', depot, 'G1', '--blocks');
    expect(blocks.out.trim().split('\n')).toEqual(['#CHROM\tPOS\tEND\tGQ\tMIN_DP\tPLOIDY', '1\t100\t199\t.\t12\t2']);
    const r = await cli('show', depot, 'G1');
    expect(r.out.split('\n').filter((l) => l !== '' && !l.startsWith('#'))).toEqual([]);
  });
});
