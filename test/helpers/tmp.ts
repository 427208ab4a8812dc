/**
 * The temporary directory of a test file (or of a describe block): made
 * before its tests, removed (recursively) after them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';

/**
 * Registers hooks that make `$TMPDIR/vczdepot-<name>-XXXXXX` before the tests
 * of the enclosing file or describe block (before each test with `each`)
 * and remove it after them; returns the accessor of its path.
 *
 * The accessor works inside tests and hooks (not while tests are being
 * collected) and throws outside them.
 */
export function useTempDir(name: string, options: { readonly each?: boolean } = {}): () => string {
  let dir: string | undefined;
  const make = () => {
    dir = mkdtempSync(join(tmpdir(), `vczdepot-${name}-`));
  };
  const remove = () => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  };
  if (options.each) {
    beforeEach(make);
    afterEach(remove);
  } else {
    beforeAll(make);
    afterAll(remove);
  }
  return () => {
    if (dir === undefined) throw new Error(`useTempDir('${name}'): the directory exists only while the tests that registered it run`);
    return dir;
  };
}
