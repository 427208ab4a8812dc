/**
 * The npm package as a user gets it: `npm pack` of a copy of this checkout
 * (its git-tracked and untracked-but-not-ignored files, no dist/: `npm pack`
 * must build it), installed from the tarball into an empty temporary project
 * with plain `npm install`. Then, with no TypeScript tooling installed there:
 * - the tarball holds the build (dist/: JavaScript, .d.ts), bin, schemas,
 *   README, LICENSE and docs, and no sources, tests or benchmarks;
 * - `import` from a .mjs file and `require` from a .cjs file load the
 *   compiled library (dist/index.js, dist/index.cjs), create a depot from a
 *   VCF and read back the samples and genotypes bcftools reads from it;
 * - `npx vczdepot --help`, `create` and `export` run, and vcztools reads the
 *   export as bcftools reads the source VCF (test/helpers/compare_vcfs.py);
 * - the declarations type-check a consumer .mts (import) and .cts (require)
 *   with this project's tsc, strictly (no skipLibCheck), under moduleResolution
 *   node16, nodenext and bundler.
 * One pack and one install serve every test. The install needs the npm
 * registry or npm's cache (`--prefer-offline`) and builds zstd-napi with
 * node-gyp against the system Node headers (npm_config_nodedir, /usr by
 * default as in .ci/run): allow minutes.
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bcftoolsReference } from '../helpers/bcftools-oracle.ts';
import { repoRoot, run, venvBin } from '../helpers/interop.ts';

const part1 = join(repoRoot, 'test', 'data', 'vcf', 'chr22-part1.vcf.gz');
const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * The environment for npm and the consumer: ours without the `npm_*`
 * variables an enclosing `npm test` sets (npm_config_local_prefix and the
 * like would point a nested npm at this checkout), keeping the settings that
 * say where and how to install.
 */
const env: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) || /^npm_config_(nodedir|cache|registry|userconfig|prefer_offline|offline)$/i.test(k)),
);
env.npm_config_nodedir ??= '/usr';

let work: string;
let consumer: string;
let files: string[];

function sh(cmd: string, args: readonly string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 28 });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  expect(r.error, what).toBeUndefined();
  expect(r.status, `${what}:\n${r.stderr}`).toBe(0);
  return r.stdout;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'vczdepot-pack-'));
  // A copy of the checkout as git sees it: no dist/, no caches.
  const checkout = join(work, 'checkout');
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repoRoot, encoding: 'utf8' });
  for (const f of listed.split('\0').filter(Boolean)) {
    if (existsSync(join(repoRoot, f))) cpSync(join(repoRoot, f), join(checkout, f));
  }
  symlinkSync(realpathSync(join(repoRoot, 'node_modules')), join(checkout, 'node_modules'));
  const packed = JSON.parse(ok(sh('npm', ['pack', '--json', '--pack-destination', work], checkout), 'npm pack')) as {
    filename: string;
    files: { path: string }[];
  }[];
  files = packed[0]!.files.map((f) => f.path).sort();
  consumer = join(work, 'consumer');
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  ok(sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, packed[0]!.filename)], consumer), 'npm install of the tarball');
}, 900_000);
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('npm pack ships dist/ (JavaScript and .d.ts), bin, schemas, README, LICENSE and docs; no sources, tests or benchmarks', () => {
    for (const f of [
      'package.json',
      'README.md',
      'LICENSE',
      'bin/vczdepot.cjs',
      'dist/vczdepot.cjs',
      'dist/index.js',
      'dist/index.cjs',
      'dist/types/index.d.ts',
      'dist/types-cjs/index.d.ts',
      'dist/types-cjs/package.json',
      'schemas/record.fbs',
      'docs/depot-format.md',
    ]) {
      expect(files).toContain(f);
    }
    const unexpected = files.filter(
      (f) => !/^(package\.json|README\.md|LICENSE|bin\/vczdepot\.cjs|schemas\/[^/]+\.fbs|docs\/[^/]+\.md|dist\/[^/]+\.(c?js|c?js\.map)|dist\/types(-cjs)?\/.+\.d\.ts|dist\/types-cjs\/package\.json)$/.test(f),
    );
    expect(unexpected).toEqual([]);
    // Every source module reachable from src/index.ts has its declarations.
    expect(files.filter((f) => f.startsWith('dist/types/')).length).toBeGreaterThan(10);
  });

  it('installs without TypeScript tooling (tsx, typescript, esbuild) and without the sources', () => {
    const installed = join(consumer, 'node_modules', 'vczdepot');
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    for (const tool of ['tsx', 'typescript', 'esbuild']) {
      expect(Object.keys(pkg.dependencies)).not.toContain(tool);
      expect(existsSync(join(consumer, 'node_modules', tool)), tool).toBe(false);
    }
    expect(existsSync(join(installed, 'src'))).toBe(false);
  });

  it('loads from ESM (.mjs, import) and CommonJS (.cjs, require): create a depot from a VCF, read it back, typed errors', () => {
    // The same work in both module systems; `load` differs.
    const body = (load: string, resolved: string) => `${load}
const [vcf, path] = process.argv.slice(2);
const { depot } = await createFromFile(path, vcf);
const samples = depot.samples();
const first = depot.get(samples[0]).records[0];
const gt = Array.from(first.genotype);
let error;
try { Depot.open(vcf); } catch (e) { error = { name: e.name, code: e.code, typed: e instanceof NotADepotError && e instanceof DepotError }; }
depot.close();
console.log(JSON.stringify({ resolved: ${resolved}, version: VCZDEPOT_VERSION, samples, gt, error }));`;
    const names = '{ Depot, DepotError, NotADepotError, VCZDEPOT_VERSION, createFromFile }';
    writeFileSync(join(consumer, 'esm.mjs'), body(`import ${names} from 'vczdepot';`, "import.meta.resolve('vczdepot')"));
    writeFileSync(
      join(consumer, 'cjs.cjs'),
      `const ${names} = require('vczdepot');\n(async () => {${body('', "require.resolve('vczdepot')")}\n})();`,
    );

    // The oracle: bcftools' samples and the first sample's genotypes, [variants, ploidy] flat.
    const samples = run('bcftools', ['query', '-l', part1]).stdout.split('\n').filter(Boolean);
    const gt = run('bcftools', ['query', '-s', samples[0]!, '-f', '[%GT]\\n', part1])
      .stdout.split('\n')
      .filter(Boolean)
      .flatMap((call) => call.split(/[|/]/).map((a) => (a === '.' ? -1 : Number(a))));
    expect(gt.length).toBe(200);

    for (const [script, main] of [['esm.mjs', 'dist/index.js'], ['cjs.cjs', 'dist/index.cjs']] as const) {
      const out = JSON.parse(ok(sh(process.execPath, [script, part1, join(work, `${script}.depot`)], consumer), script)) as Record<string, unknown>;
      expect(String(out.resolved), script).toMatch(new RegExp(`node_modules/vczdepot/${main.replace('.', '\\.')}$`));
      expect(out, script).toMatchObject({ version, samples, gt, error: { name: 'NotADepotError', code: 'not-a-depot', typed: true } });
    }
  });

  it('npx vczdepot --help, create and export; vcztools reads the export as bcftools reads the VCF', () => {
    // npm_config_yes=false: never fetch a `vczdepot` from the registry, run the installed one.
    const npx = (...args: string[]) => spawnSync('npx', ['vczdepot', ...args], { cwd: consumer, env: { ...env, npm_config_yes: 'false' }, encoding: 'utf8' });
    const help = ok(npx('--help'), 'npx vczdepot --help');
    expect(help).toMatch(/^Usage: vczdepot /);
    for (const cmd of ['create', 'append', 'export', 'remove', 'verify']) expect(help).toMatch(new RegExp(`^  ${cmd} `, 'm'));
    expect(ok(npx('--version'), 'npx vczdepot --version').trim()).toBe(version);

    const depot = join(work, 'cli.depot');
    const store = join(work, 'cli.vcz');
    expect(JSON.parse(ok(npx('create', depot, '--from', part1, '--json'), 'create'))).toMatchObject({ variants: 100, samples: 55, version: 1 });
    ok(npx('export', depot, store), 'export');
    const ref = join(work, 'cli.ref.vcf');
    const ours = join(work, 'cli.ours.vcf');
    // export recomputes AC/AN/AF from the 55 samples (part1 was cut with --no-update): bcftools view -s does the same
    writeFileSync(ref, bcftoolsReference(part1));
    writeFileSync(ours, run(venvBin('vcztools'), ['view', '--no-version', store]).stdout);
    const cmp = run(venvBin('python'), [join(repoRoot, 'test', 'helpers', 'compare_vcfs.py'), ref, ours], { allowFailure: true });
    expect(cmp.status, cmp.stderr).toBe(0);
    expect(run(venvBin('vcztools'), ['query', '-l', store]).stdout).toBe(run('bcftools', ['query', '-l', part1]).stdout);
  });

  it('the declarations type-check a consumer (.mts import, .cts require) with tsc, strictly: node16, nodenext, bundler', () => {
    writeFileSync(
      join(consumer, 'esm.mts'),
      `import { Depot, DepotError, createFromFile, type SampleCalls } from 'vczdepot';
export async function firstGenotypes(path: string, vcf: string): Promise<Int8Array | Int16Array | null | undefined> {
  const { depot } = await createFromFile(path, vcf);
  const calls: SampleCalls | undefined = undefined;
  void calls;
  try {
    return depot.get(depot.samples()[0]!).records[0]?.genotype;
  } catch (e) {
    if (e instanceof DepotError) throw new Error(e.code);
    throw e;
  } finally {
    depot.close();
  }
}
// @ts-expect-error Depot.open takes a path string (the declarations are real, not any)
Depot.open(42);
`,
    );
    writeFileSync(
      join(consumer, 'cjs.cts'),
      `import { Depot, VCZDEPOT_VERSION } from 'vczdepot';
import vczdepot = require('vczdepot');
export const v: string = VCZDEPOT_VERSION;
export const open = (path: string): Depot => vczdepot.Depot.open(path, { readOnly: true });
// @ts-expect-error not exported
vczdepot.nope;
`,
    );
    // node16 checks what Node 20 runs: a .cts `import` is a require(), which may
    // not load an ES module, so it needs the CommonJS declarations (dist/types-cjs);
    // nodenext; and bundler, for tools that bundle (the .mts only: bundler has no require).
    const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    for (const [module, moduleResolution, files] of [
      ['node16', 'node16', ['esm.mts', 'cjs.cts']],
      ['nodenext', 'nodenext', ['esm.mts', 'cjs.cts']],
      ['preserve', 'bundler', ['esm.mts']],
    ] as const) {
      const config = `tsconfig.${moduleResolution}.json`;
      writeFileSync(
        join(consumer, config),
        JSON.stringify({
          compilerOptions: {
            module,
            moduleResolution,
            target: 'es2022',
            strict: true,
            noEmit: true,
            skipLibCheck: false,
            typeRoots: [join(repoRoot, 'node_modules', '@types')],
            types: ['node'],
          },
          files,
        }),
      );
      const r = sh(process.execPath, [tsc, '-p', config, '--listFiles'], consumer);
      expect(r.status, `${config}: ${r.stdout}${r.stderr}`.slice(0, 4000)).toBe(0);
      // import resolved to the ESM declarations, require to the CommonJS ones.
      const listed = r.stdout.split('\n');
      expect(listed, config).toContain(join(consumer, 'node_modules', 'vczdepot', 'dist', 'types', 'index.d.ts'));
      if (files.length > 1) expect(listed, config).toContain(join(consumer, 'node_modules', 'vczdepot', 'dist', 'types-cjs', 'index.d.ts'));
    }
  });
});
