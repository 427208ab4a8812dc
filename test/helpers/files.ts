/** Reading whole directory trees in tests. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Every file's bytes under `root`, by path relative to it. */
export function fileTree(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (p: string): void => {
    if (statSync(p).isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
    else out.set(relative(root, p), readFileSync(p));
  };
  walk(root);
  return out;
}

/** Every file's path under `root`, relative to it with `/` separators, sorted (as object-store keys list). */
export function filePaths(root: string): string[] {
  return [...fileTree(root).keys()].map((k) => k.split('\\').join('/')).sort();
}
