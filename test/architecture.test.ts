/**
 * The layer rules of README.md's "Layers" (.dependency-cruiser.cjs: folders
 * are layers, imports go down, another folder is entered through its
 * index.ts, no cycles) hold for src/: dependency-cruiser, run with the
 * project's config, finds no violation. And the check can fail: in a copy
 * of the config over a tiny src/ where src/vcf imports src/depot and
 * src/vcz imports a codec internal, it names exactly those two. README's
 * "Layers" table lists, for each layer, exactly the folders the config lets
 * it import.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/interop.ts';
import { useTempDir } from './helpers/tmp.ts';

const depcruise = join(repoRoot, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

interface Violation {
  readonly rule: string;
  readonly from: string;
  readonly to: string;
}

/** Runs dependency-cruiser over `cwd`/src with `cwd`/.dependency-cruiser.cjs; returns its violations. */
function cruise(cwd: string): Violation[] {
  const r = spawnSync(process.execPath, [depcruise, 'src', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], { cwd, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.error) throw r.error;
  let out: { summary: { violations: { rule: { name: string }; from: string; to: string; cycle?: unknown }[]; totalCruised: number } };
  try {
    out = JSON.parse(r.stdout);
  } catch {
    throw new Error(`dependency-cruiser gave no JSON (status ${r.status}): ${r.stderr}`);
  }
  expect(out.summary.totalCruised).toBeGreaterThan(0);
  return out.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }));
}

describe('layers (.dependency-cruiser.cjs)', () => {
  it('src/ has no violation', () => {
    expect(cruise(repoRoot)).toEqual([]);
  });

  describe('the check fails on a broken layering', () => {
    const tmp = useTempDir('layers');
    it('names src/vcf → depot and src/vcz → a codec internal', () => {
      const root = tmp();
      copyFileSync(join(repoRoot, '.dependency-cruiser.cjs'), join(root, '.dependency-cruiser.cjs'));
      const file = (path: string, text: string) => {
        mkdirSync(join(root, path, '..'), { recursive: true });
        writeFileSync(join(root, path), text);
      };
      file('src/depot/index.ts', 'export const depot = 1;\n');
      file('src/codec/index.ts', "export { record } from './record.ts';\n");
      file('src/codec/record.ts', 'export const record = 2;\n');
      file('src/vcf/index.ts', "export { x } from './x.ts';\n");
      file('src/vcf/x.ts', "import { depot } from '../depot/index.ts';\nexport const x = depot;\n");
      file('src/vcz/index.ts', "export { y } from './y.ts';\n");
      file('src/vcz/y.ts', "import { record } from '../codec/record.ts';\nexport const y = record;\n");
      const found = cruise(root);
      expect(found).toEqual(
        expect.arrayContaining([
          { rule: 'layer-vcf', from: 'src/vcf/x.ts', to: 'src/depot/index.ts' },
          { rule: 'through-index', from: 'src/vcz/y.ts', to: 'src/codec/record.ts' },
        ]),
      );
      expect(found).toHaveLength(2);
    });
  });

  it('README "Layers" lists exactly what each layer may import', () => {
    const config = createRequire(import.meta.url)(join(repoRoot, '.dependency-cruiser.cjs')) as { forbidden: { name: string; comment?: string }[] };
    const allowed = (list: string) => (list.trim() === 'nothing of ours' ? [] : list.split(',').map((l) => l.trim().replace(/^src\//, ''))).sort();
    const rules = new Map(
      config.forbidden
        .filter((r) => r.name.startsWith('layer-'))
        .map((r) => [r.name.slice('layer-'.length), allowed(/may import only (.*?) \(README/.exec(r.comment ?? '')![1]!)]),
    );
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const table = /## Layers\n[\s\S]*?```\n([\s\S]*?)```/.exec(readme)![1]!;
    const listed = new Map([...table.matchAll(/^src\/(\w+)\s.*→ (.*)$/gm)].map((m) => [m[1]!, allowed(m[2]!)]));
    expect(rules.size).toBeGreaterThan(0);
    expect(Object.fromEntries(listed)).toEqual(Object.fromEntries(rules));
  });
});
