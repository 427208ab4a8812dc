#!/usr/bin/env node
// The `vczdepot` command. Runs the bundle dist/vczdepot.cjs (built by
// `npm run build`, which npm runs on install) when it is newer than every
// file in src/, else the TypeScript sources through tsx.
//
// CommonJS on purpose: Node 20 starts a CommonJS entry ~5 ms sooner than an
// ES module one, a twentieth of a one-shot command like `vczdepot remove`.
'use strict';
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const bundle = join(root, 'dist', 'vczdepot.cjs');

function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

// A reader that stops early (`vczdepot show D S | head`) closes the pipe: stop
// quietly with success, as Unix tools do, instead of a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

async function load() {
  if (existsSync(bundle) && statSync(bundle).mtimeMs >= newestSource(join(root, 'src'))) return require(bundle).main;
  const { register } = await import('tsx/esm/api');
  register();
  return (await import('../src/cli/main.ts')).main;
}

load()
  .then((main) => main(process.argv))
  .then((code) => {
    process.exitCode = code;
  });
