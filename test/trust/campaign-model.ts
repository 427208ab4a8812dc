/**
 * The crash campaign's model of a depot: what must be visible after the
 * operations that returned ("done"), version by version. Pure data, no I/O.
 */
import type { Operation } from '../../src/depot/layout.ts';

/** One operation of the campaign writer (as logged on its `begin`/`done` lines). */
export type CampaignOp = (
  | { kind: 'put' | 'putMany' | 'remove' | 'purge'; ids: string[]; /** putMany staged block by block (putBlocks), every chunk through staging files. */ blocks?: true }
  | { kind: 'tag'; name: string }
  | { kind: 'compact' }
  | { kind: 'txn'; put: string[]; remove: string[]; tag: string }
) & {
  /** The typed error tag the operation must fail with (nothing changes). */
  expect?: string;
};

/** What can be observed of a depot, for comparison with the model. */
export interface ObservedState {
  version: number;
  /** Live samples at the head, in the order they were (last) added. */
  live: string[];
  /** Tag name → [version, samples at the tag in order]. */
  tags: Record<string, [number, string[]]>;
  /** log[v].operation, v = 0..version. */
  operations: Operation[];
  /** log[v].added / removed (what the log still names: purge scrubs ids). */
  added: string[][];
  removed: string[][];
}

/** The model: an {@link ObservedState} kept up to date by applying operations. */
export class Model {
  state: ObservedState;
  /** Every sample id ever purged (must never be visible again). */
  readonly purged = new Set<string>();

  constructor(state?: ObservedState, purged?: Iterable<string>) {
    this.state = state ?? { version: 0, live: [], tags: {}, operations: ['create'], added: [[]], removed: [[]] };
    if (purged) for (const p of purged) this.purged.add(p);
  }

  clone(): Model {
    return new Model(structuredClone(this.state), this.purged);
  }

  /**
   * Applies a successful operation as version `version` (must be the next;
   * for a tag, which names the head and creates no version, the head).
   * @returns the tags whose sample set changed because of a purge.
   */
  apply(op: CampaignOp, version?: number): string[] {
    const s = this.state;
    if (op.kind === 'tag') {
      if (version !== undefined && version !== s.version) throw new Error(`model: ${JSON.stringify(op)} tagged version ${version}, expected the head ${s.version}`);
      s.tags[op.name] = [s.version, [...s.live]];
      return [];
    }
    const v = s.version + 1;
    if (version !== undefined && version !== v) throw new Error(`model: ${JSON.stringify(op)} committed version ${version}, expected ${v}`);
    s.version = v;
    const added: string[] = [];
    const removed: string[] = [];
    let operation: Operation;
    let changed: string[] = [];
    const add = (id: string) => {
      if (s.live.includes(id)) throw new Error(`model: ${id} is already live`);
      s.live.push(id);
      added.push(id);
    };
    const rem = (id: string) => {
      const i = s.live.indexOf(id);
      if (i < 0) throw new Error(`model: ${id} is not live`);
      s.live.splice(i, 1);
      removed.push(id);
    };
    switch (op.kind) {
      case 'put':
      case 'putMany':
        op.ids.forEach(add);
        operation = 'put';
        break;
      case 'remove':
        op.ids.forEach(rem);
        operation = 'remove';
        break;
      case 'compact':
        operation = 'compact';
        break;
      case 'txn':
        op.put.forEach(add);
        op.remove.forEach(rem);
        s.tags[op.tag] = [v, [...s.live]];
        operation = 'transaction';
        break;
      case 'purge': {
        const gone = new Set(op.ids);
        for (const id of op.ids) this.purged.add(id);
        s.live = s.live.filter((x) => !gone.has(x));
        for (const [name, [, ids]] of Object.entries(s.tags)) {
          if (ids.some((x) => gone.has(x))) {
            changed.push(name);
            s.tags[name]![1] = ids.filter((x) => !gone.has(x));
          }
        }
        s.added = s.added.map((l) => l.filter((x) => !gone.has(x)));
        s.removed = s.removed.map((l) => l.filter((x) => !gone.has(x)));
        operation = 'purge';
        changed = changed.sort();
        break;
      }
    }
    s.operations.push(operation);
    s.added.push(added);
    s.removed.push(removed);
    return changed;
  }
}

/** A readable description of the first difference between two states, or undefined. */
export function diffStates(want: ObservedState, got: ObservedState): string | undefined {
  if (want.version !== got.version) return `version ${got.version}, expected ${want.version}`;
  const j = (x: unknown) => JSON.stringify(x);
  if (j(want.live) !== j(got.live)) return `live samples ${j(got.live)}, expected ${j(want.live)}`;
  const names = new Set([...Object.keys(want.tags), ...Object.keys(got.tags)]);
  for (const n of names) if (j(want.tags[n]) !== j(got.tags[n])) return `tag ${n}: ${j(got.tags[n])}, expected ${j(want.tags[n])}`;
  for (let v = 0; v <= want.version; v++) {
    if (want.operations[v] !== got.operations[v]) return `log[${v}].operation ${got.operations[v]}, expected ${want.operations[v]}`;
    if (j(want.added[v]) !== j(got.added[v])) return `log[${v}].added ${j(got.added[v])}, expected ${j(want.added[v])}`;
    if (j(want.removed[v]) !== j(got.removed[v])) return `log[${v}].removed ${j(got.removed[v])}, expected ${j(want.removed[v])}`;
  }
  return undefined;
}
