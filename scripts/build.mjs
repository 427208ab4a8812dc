#!/usr/bin/env node
// Bundles the CLI (src/cli/main.ts and everything it imports from src/) into
// dist/vczdepot.mjs with esbuild, so `vczdepot` starts without compiling
// TypeScript at every run. npm runs this on install (`prepare`); bin/vczdepot.js
// falls back to the sources (through tsx) when the bundle is missing or older
// than any file in src/.
import { buildSync } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
buildSync({
  entryPoints: [join(root, 'src', 'cli', 'main.ts')],
  outfile: join(root, 'dist', 'vczdepot.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
});
