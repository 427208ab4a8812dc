#!/usr/bin/env node
// The `vczdepot` command. Runs the bundle dist/vczdepot.cjs (built by
// `npm run build`: npm runs it on `npm pack` and on `npm ci` in a checkout).
// The npm package ships dist/ and no src/, so an installed vczdepot always
// runs the bundle. In a checkout (src/ present) a bundle older than any file
// in src/ is stale: the TypeScript sources run instead, through tsx (a dev
// dependency).
//
// CommonJS on purpose: Node 20 starts a CommonJS entry ~5 ms sooner than an
// ES module one, a twentieth of a one-shot command like `vczdepot remove`.
'use strict';
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const bundle = join(root, 'dist', 'vczdepot.cjs');
const src = join(root, 'src');

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
  if (!existsSync(src)) return require(bundle).main;
  if (existsSync(bundle) && statSync(bundle).mtimeMs >= newestSource(src)) return require(bundle).main;
  const { register } = await import('tsx/esm/api');
  register();
  return (await import('../src/cli/main.ts')).main;
}

load()
  .then((main) => main(process.argv))
  .then((code) => {
    process.exitCode = code;
  });
