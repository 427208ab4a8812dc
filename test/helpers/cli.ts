/** Runs the CLI in process from the sources, capturing stdout and stderr. */
import { vi } from 'vitest';
import { main } from '../../src/cli/main.ts';

export async function runCli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  try {
    return { code: await main(['node', 'vczdepot', ...args]), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}
