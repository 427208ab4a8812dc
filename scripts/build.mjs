#!/usr/bin/env node
// Builds dist/, what the npm package ships (`npm run build`; npm runs it on
// `npm ci`/`npm install` in a checkout and on `npm pack`/`npm publish`):
//
//   dist/index.js        the library, ES module (package.json "exports" → "import")
//   dist/index.cjs       the library, CommonJS ("exports" → "require")
//   dist/types/          its declarations, .d.ts, ES module (for "import")
//   dist/types-cjs/      the same declarations under {"type": "commonjs"} (for "require")
//   dist/vczdepot.cjs    the CLI (src/cli/main.ts), run by bin/vczdepot.cjs
//   dist/encode-worker.cjs  the chunk encoder worker thread (src/zarr/encode-worker.ts),
//                        which src/zarr/pool.ts starts from next to whichever bundle runs it
//   dist/export-worker.cjs  the export worker thread (src/io/export-worker.ts: reads a depot,
//                        builds and writes chunks), started the same way by exportDepot
//   dist/vcf-worker.cjs  the VCF parser worker thread of imports (src/vcf/parse-worker.ts,
//                        started by src/vcf/parse-pool.ts the same way)
//
// Only the entry points src/index.ts, src/cli/main.ts and the workers' are named here:
// esbuild and tsc follow their imports, so moving files inside src/ needs no
// change. Dependencies stay external (installed next to the package); no
// TypeScript tooling is needed at run time.
//
// The CLI is one CommonJS file: a one-shot command such as `vczdepot remove`
// spends most of its ~85 ms starting Node and loading modules, and Node 20's
// CommonJS loader starts ~5 ms sooner than its ESM loader (medians of 25
// interleaved runs: 82 vs 87 ms, bench/notes.md). An ESM bundle split so
// `remove` never compiles the VCF/VCZ layer saved less than that: compiling
// the whole 350 KB bundle takes ~4 ms. bin/vczdepot.cjs falls back to the
// sources (through tsx, a dev dependency) in a checkout whose bundle is
// missing or older than any file in src/.
import { buildSync } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// --outdir DIR builds elsewhere (test/cli/bundle.test.ts tests a fresh bundle).
const { values } = parseArgs({ options: { outdir: { type: 'string' } } });
const outdir = values.outdir ?? join(root, 'dist');
rmSync(outdir, { recursive: true, force: true });

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  // Packages stay in node_modules: bundling them too measured slower for the
  // CLI (remove: 90 vs 83 ms, medians of 21; the 2 MB bundle costs more to
  // compile than the packages' own module loading), and a library must leave
  // them to the consumer's install anyway.
  packages: 'external',
  // Linked maps with the sources inlined (sourcesContent): `node
  // --enable-source-maps` names src/ files and lines; src/ is not shipped.
  sourcemap: 'linked',
  logLevel: 'warning',
};
// The sources are ESM and use `import.meta.url` (for createRequire): give a
// CommonJS bundle the same value, its own file URL.
const cjs = {
  format: 'cjs',
  define: { 'import.meta.url': '__vczdepotBundleUrl' },
  banner: { js: "const __vczdepotBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
};

buildSync({
  ...common,
  ...cjs,
  entryPoints: { vczdepot: join(root, 'src', 'cli', 'main.ts') },
  outdir,
  outExtension: { '.js': '.cjs' },
});
// A worker thread runs a file: the encoder's and the exporter's own bundles, CommonJS like the CLI.
buildSync({
  ...common,
  ...cjs,
  entryPoints: { 'encode-worker': join(root, 'src', 'zarr', 'encode-worker.ts'), 'export-worker': join(root, 'src', 'io', 'export-worker.ts') },
  outdir,
  outExtension: { '.js': '.cjs' },
});
// The VCF parser worker of threaded imports (src/vcf/parse-pool.ts finds it next to the bundle).
buildSync({ ...common, ...cjs, entryPoints: { 'vcf-worker': join(root, 'src', 'vcf', 'parse-worker.ts') }, outdir, outExtension: { '.js': '.cjs' } });
buildSync({ ...common, entryPoints: { index: join(root, 'src', 'index.ts') }, outdir, format: 'esm' });
buildSync({ ...common, ...cjs, entryPoints: { index: join(root, 'src', 'index.ts') }, outdir, outExtension: { '.js': '.cjs' } });
declarations();

/**
 * dist/types: tsc (tsconfig.build.json, the native TypeScript 7 compiler) emits
 * one .d.ts per source file reachable from src/index.ts. The sources import
 * with `.ts` extensions, which tsc 7.0 keeps in declarations (with or
 * without `rewriteRelativeImportExtensions`, which only rewrites emitted
 * JavaScript); they are rewritten to `.js`, the specifier TypeScript maps to
 * the .d.ts next to it under every `moduleResolution` (node16, nodenext,
 * bundler) and in every version (before 5.0 a `.ts` ending is error
 * TS2691). dist/types-cjs is a copy under a
 * package.json of {"type": "commonjs"}, so TypeScript sees CommonJS
 * declarations for `require('vczdepot')` (index.cjs) and ESM ones for
 * `import` (index.js), each matching the JavaScript it describes.
 */
function declarations() {
  const types = join(outdir, 'types');
  const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', types], { stdio: 'inherit' });
  const relativeTs = /((?:from|import|declare module)\s*\(?\s*['"])(\.{1,2}\/[^'"]*?)\.ts(['"])/g;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.d.ts')) writeFileSync(p, readFileSync(p, 'utf8').replace(relativeTs, '$1$2.js$3'));
    }
  };
  walk(types);
  const typesCjs = join(outdir, 'types-cjs');
  cpSync(types, typesCjs, { recursive: true });
  writeFileSync(join(typesCjs, 'package.json'), '{ "type": "commonjs" }\n');
}
