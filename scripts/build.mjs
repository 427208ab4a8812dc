#!/usr/bin/env node
// Bundles the CLI (src/cli/main.ts and everything it imports from src/) into
// dist/vczdepot.cjs with esbuild, so `vczdepot` starts without compiling
// TypeScript at every run. npm runs this on install (`prepare`);
// bin/vczdepot.cjs falls back to the sources (through tsx) when the bundle is
// missing or older than any file in src/.
//
// CommonJS, one file: a one-shot command such as `vczdepot remove` spends most
// of its ~85 ms starting Node and loading modules, and Node 20's CommonJS
// loader starts ~5 ms sooner than its ESM loader (medians of 25 interleaved
// runs: 82 vs 87 ms, bench/notes.md). An ESM bundle split so `remove` never
// compiles the VCF/VCZ layer saved less than that: compiling the whole 350 KB
// bundle takes ~4 ms.
import { buildSync } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// --outdir DIR builds elsewhere (test/cli/bundle.test.ts tests a fresh bundle).
const { values } = parseArgs({ options: { outdir: { type: 'string' } } });
const outdir = values.outdir ?? join(root, 'dist');
rmSync(outdir, { recursive: true, force: true });
buildSync({
  entryPoints: { vczdepot: join(root, 'src', 'cli', 'main.ts') },
  outdir,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // The sources are ESM and use `import.meta.url` (for createRequire): give
  // the CommonJS bundle the same value, its own file URL.
  define: { 'import.meta.url': '__vczdepotBundleUrl' },
  banner: { js: "const __vczdepotBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  // Packages stay in node_modules: bundling them too measured slower
  // (remove: 90 vs 83 ms, medians of 21; the 2 MB bundle costs more to
  // compile than the packages' own module loading).
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
});
