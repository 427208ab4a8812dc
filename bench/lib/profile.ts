/**
 * Summaries of V8 CPU profiles (`node --cpu-prof`): self time per function,
 * as `file:function`, over all the profiles a run wrote (tsx writes one
 * for its loader thread too).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const maps = new Map<string, SourceMap | null>();
/** The source map beside a bundled file (`x.mjs.map`), or null. */
function mapFor(file: string): SourceMap | null {
  let m = maps.get(file);
  if (m === undefined) {
    m = existsSync(`${file}.map`) ? new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8'))) : null;
    maps.set(file, m);
  }
  return m;
}

export interface HotSpot {
  /** `path:function` (paths relative to the repo; node internals as `node:...`). */
  where: string;
  selfMs: number;
  /** Share of all sampled time (idle and GC included). */
  percent: number;
}

export interface ProfileSummary {
  dir: string;
  totalMs: number;
  idleMs: number;
  gcMs: number;
  /** Self time by area: module loading, vczdepot's sources, dependencies, GC, the rest. */
  areas: Record<string, number>;
  top: HotSpot[];
}

/** The area a `path:function` key belongs to. */
function areaOf(key: string): string {
  if (key.startsWith('(native):(idle)')) return 'idle';
  if (key.startsWith('(native):(garbage collector)')) return 'GC';
  if (/^node:internal\/(modules|source_map|deps\/cjs-module-lexer|bootstrap|vm|url)|^node_modules\/(tsx|esbuild)\/|^\(native\):(compileFunction|receiveMessageOnPort|postMessage|internalModuleStat|access|openFileHandle|fstat|stat|lstat|readFileUtf8)/.test(key))
    return 'module loading and compilation';
  if (key.startsWith('src/')) return 'vczdepot sources (src/)';
  if (key.startsWith('node_modules/')) return 'dependencies (node_modules)';
  return 'other (node core, native I/O, program)';
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

export function summarizeProfiles(dir: string, repoRoot: string, n = 12): ProfileSummary {
  const agg = new Map<string, number>();
  let total = 0;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.cpuprofile'))) {
    const p = JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile;
    const byId = new Map(p.nodes.map((x) => [x.id, x]));
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const keyOf = (id: number): string => {
      const cf = byId.get(id)!.callFrame;
      let url = cf.url.replace(/^file:\/\//, '').replace(repoRoot + '/', '');
      // A bundle (dist/vczdepot.cjs): name the original source file through its source map.
      if (cf.url.startsWith('file://') && cf.lineNumber >= 0) {
        const file = fileURLToPath(cf.url);
        const m = mapFor(file);
        const e = m?.findEntry(cf.lineNumber, cf.columnNumber) as { originalSource?: string } | undefined;
        if (e?.originalSource) {
          const src = e.originalSource.startsWith('file://') ? fileURLToPath(e.originalSource) : resolve(dirname(file), e.originalSource);
          url = `${relative(repoRoot, src)} (bundled)`;
        }
      }
      // Line numbers are dropped: tsx-transformed modules report positions in their generated code.
      if (url) return `${url}:${cf.functionName || '(anonymous)'}`;
      // A native function without a name (a C++ addon's export): name it by its JS caller.
      if (!cf.functionName || cf.functionName === '(anonymous)') {
        const up = parent.get(id);
        if (up !== undefined && byId.get(up)!.callFrame.url) return `${keyOf(up)} → (native code)`;
      }
      return `(native):${cf.functionName || '(anonymous)'}`;
    };
    for (let i = 0; i < p.samples.length; i++) {
      const us = p.timeDeltas[i] ?? 0;
      const key = keyOf(p.samples[i]!);
      agg.set(key, (agg.get(key) ?? 0) + us);
      total += us;
    }
  }
  const get = (k: string) => (agg.get(k) ?? 0) / 1000;
  const top = [...agg]
    .filter(([k]) => !k.startsWith('(native):(idle)') && !k.startsWith('(native):(program)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([where, us]) => ({ where, selfMs: us / 1000, percent: (100 * us) / total }));
  const areas: Record<string, number> = {};
  for (const [k, us] of agg) areas[areaOf(k)] = (areas[areaOf(k)] ?? 0) + us / 1000;
  return { dir, totalMs: total / 1000, idleMs: get('(native):(idle)'), gcMs: get('(native):(garbage collector)'), areas, top };
}
