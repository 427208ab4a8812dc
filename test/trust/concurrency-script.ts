/**
 * The single writer's script of the concurrency test: a sequence of
 * operations that is a pure function of a seed, so that a reader process can
 * compute, for any version v, which samples and tags version v has. Every
 * operation succeeds and commits exactly one version: operation k is version
 * k. A tag creates no version: a put may carry one (`tag`), which the
 * writer takes right after the put commits, naming its version. Sample ids
 * carry their data (`syn12#c7`, `HG00096#c8`: see data.ts).
 */
import { rng } from '../helpers/synthetic.ts';

export type ScriptOp =
  | { kind: 'put'; ids: string[]; /** a tag to take of this version once it is committed */ tag?: string }
  | { kind: 'remove'; ids: string[] }
  | { kind: 'purge'; ids: string[] }
  | { kind: 'compact' };

export class Script {
  private readonly r: () => number;
  /** live[v]: the samples live at version v, in order, as written (before any later purge). */
  readonly live: string[][] = [[]];
  /** Tag name → version. */
  readonly tags = new Map<string, number>();
  /** purges[v]: ids purged by version v (only for purge versions). */
  readonly purges = new Map<number, string[]>();
  readonly ops: ScriptOp[] = [{ kind: 'compact' }]; // ops[0]: the creation, a placeholder
  private removed: string[] = [];

  constructor(
    seed: number,
    private readonly realIds: readonly string[],
  ) {
    this.r = rng(seed);
  }

  get version(): number {
    return this.ops.length - 1;
  }

  /** Generates operations until version `v` exists. */
  upTo(v: number): this {
    while (this.version < v) this.step();
    return this;
  }

  private step(): void {
    const r = this.r;
    const v = this.version + 1;
    const cur = [...this.live[v - 1]!];
    const pickOut = (xs: string[], k: number) => {
      const out: string[] = [];
      while (out.length < k && xs.length) out.push(xs.splice(Math.floor(r() * xs.length), 1)[0]!);
      return out;
    };
    const newId = (j: number) => `${r() < 0.5 ? this.realIds[Math.floor(r() * this.realIds.length)] : `syn${Math.floor(r() * 500)}`}#c${v}.${j}`;
    const x = r();
    let op: ScriptOp;
    if (x < 0.25 && cur.length > 3) {
      const ids = pickOut(cur, 1 + Math.floor(r() * (cur.length > 30 ? 5 : 2)));
      this.removed.push(...ids);
      op = { kind: 'remove', ids };
    } else if (x < 0.33) {
      // a put, then a tag of its version
      const ids = [newId(0)];
      cur.push(...ids);
      op = { kind: 'put', ids, tag: `c${v}` };
      this.tags.set(`c${v}`, v);
    } else if (x < 0.37) {
      op = { kind: 'compact' };
    } else if (x < 0.39 && this.removed.length + cur.length > 0) {
      // purge one removed sample (or, rarely, a live one)
      const from = this.removed.length && r() < 0.8 ? this.removed : cur;
      const ids = pickOut(from, 1);
      const gone = new Set(ids);
      this.removed = this.removed.filter((x) => !gone.has(x));
      for (let i = 0; i < cur.length; i++) if (gone.has(cur[i]!)) cur.splice(i--, 1);
      this.purges.set(v, ids);
      op = { kind: 'purge', ids };
    } else if (x < 0.45 && this.removed.length) {
      const id = pickOut(this.removed, 1)[0]!;
      cur.push(id);
      op = { kind: 'put', ids: [id] }; // re-add a removed sample
    } else {
      const ids = Array.from({ length: r() < 0.5 ? 1 : 2 + Math.floor(r() * 3) }, (_, j) => newId(j));
      cur.push(...ids);
      op = { kind: 'put', ids };
    }
    this.ops.push(op);
    this.live.push(cur);
  }

  /** Ids purged by versions in (from, to]. */
  purgedBetween(from: number, to: number): Set<string> {
    const out = new Set<string>();
    for (const [v, ids] of this.purges) if (v > from && v <= to) ids.forEach((i) => out.add(i));
    return out;
  }

  /** Every purge version in (from, to], ascending. */
  purgeVersions(from: number, to: number): number[] {
    return [...this.purges.keys()].filter((v) => v > from && v <= to).sort((a, b) => a - b);
  }

  /** Ids purged at or before `v` (they are in no version any more once purged). */
  purgedUpTo(v: number): Set<string> {
    return this.purgedBetween(0, v);
  }
}
