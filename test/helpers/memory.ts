/**
 * Memory of a child process, for the tests that bound how memory grows with
 * the input (test/vcz/import-memory.test.ts, test/vcz/export-memory.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { repoRoot } from './interop.ts';

/** What {@link childMemory} measures. */
export interface ChildMemory {
  /** Peak resident set of the child process, MiB (all threads). */
  rssMiB: number;
  /**
   * Peak live memory of the child's main thread, MiB: V8 heap in use plus
   * external (ArrayBuffer) bytes, sampled right after a full collection
   * every 50 ms and once at the end. Unlike peak RSS it does not move with
   * when V8 chooses to collect, which the machine's load shifts.
   */
  liveMiB: number;
}

/**
 * Writes an ES module to `script` (the `imports` lines, then `body` as top-level
 * code, which may call `sample()` to take a sample at a point of its own),
 * runs it under tsx with `--expose-gc` and `args` (`process.argv[2]` on), and
 * returns its memory.
 *
 * @throws Error with the child's stderr when it exits non-zero
 */
export function childMemory(script: string, imports: string, body: string, args: readonly string[]): ChildMemory {
  writeFileSync(
    script,
    `${imports}
let live = 0;
const sample = () => {
  globalThis.gc!();
  const m = process.memoryUsage();
  live = Math.max(live, m.heapUsed + m.external);
};
const timer = setInterval(sample, 50);
${body}
sample();
clearInterval(timer);
process.stdout.write(JSON.stringify({ rssMiB: process.resourceUsage().maxRSS / 1024, liveMiB: live / 2 ** 20 }));
`,
  );
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', script, ...args], { cwd: repoRoot, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildMemory;
}
