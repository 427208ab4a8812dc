/**
 * Child process of the crash campaign (test/trust/campaign.ts): opens a
 * depot and runs random operations on it forever, until the parent SIGKILLs
 * it: single puts and putMany of real data (the chr22 fixture, per sample)
 * and synthetic samples (some putMany staged block by block with putBlocks,
 * every chunk going through staging files renamed at the commit), re-adds of removed samples, removes, tags, purges,
 * compactions, multi-operation transactions, and operations that must fail
 * with a typed error (duplicate sample, reused tag, unknown sample, an
 * invalid sample id).
 *
 * Protocol (stdout, one line each; pipes are synchronous in Node on Linux,
 * so a line is in the pipe before the next statement runs):
 *   ready <version>           after opening the depot
 *   begin <op json>           before calling the operation
 *   done <op json>            after it returned; the json adds `version`
 *                             (the commit's) or `error` (the typed error's tag)
 *
 * argv: depot path, chr22 data file (v8), seed, generation (makes new ids
 * and tag names unique across runs), block size.
 */
import { Depot, isDepotError } from '../../src/depot/index.ts';
import { blockRange, isCodecError, sliceCalls } from '../../src/codec/index.ts';
import { rng } from '../helpers/synthetic.ts';
import { SampleData, loadChr22 } from './data.ts';
import type { CampaignOp } from './campaign-model.ts';

const [path, dataFile, seedArg, genArg, blockSizeArg] = process.argv.slice(2);
const data = new SampleData(loadChr22(dataFile!), Number(blockSizeArg));
const r = rng(Number(seedArg));
const gen = Number(genArg);
const d = Depot.open(path!);

// What the depot holds now (the writer needs it to pick valid operations).
const live: string[] = d.samples();
const everAdded = new Set<string>();
for (const l of d.log()) for (const id of l.added) everAdded.add(id);
const removed = new Set([...everAdded].filter((id) => !live.includes(id)));
const tags = new Set(d.tags().map((t) => t.name));
process.stdout.write(`ready ${d.version()}\n`);

let n = 0;
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const newId = (): string => {
  const key = r() < 0.6 ? pick(data.data.sampleIds) : `syn${Math.floor(r() * 1000)}`;
  return `${key}#g${gen}.${n++}`;
};
const newTag = (): string => `t${gen}.${n++}`;
const pickSome = (xs: readonly string[], k: number): string[] => {
  const pool = [...xs];
  const out: string[] = [];
  while (out.length < k && pool.length) out.push(pool.splice(Math.floor(r() * pool.length), 1)[0]!);
  return out;
};

function nextOp(): CampaignOp {
  const x = r();
  const big = live.length > 24;
  if (x < 0.04) {
    // operations that must fail and change nothing
    const y = r();
    if (y < 0.3 && live.length) return { kind: 'put', ids: [pick(live)], expect: 'duplicate-sample' };
    if (y < 0.5 && tags.size) return { kind: 'tag', name: pick([...tags]), expect: 'tag-exists' };
    if (y < 0.7) return { kind: 'remove', ids: [`nobody#g${gen}.${n++}`], expect: 'unknown-sample' };
    // ids VCF cannot carry (the data part before '#' is valid, so only the id is at fault)
    return { kind: 'put', ids: [pick(['syn1#tab\there', 'syn2#new\nline', 'syn3#nul\0byte', 'syn4#crlf\r\n'])], expect: 'invalid-argument' };
  }
  if (x < 0.2 && live.length && (big || r() < 0.6)) return { kind: 'remove', ids: pickSome(live, 1 + Math.floor(r() * (big ? 4 : 2))) };
  if (x < 0.23) return { kind: 'tag', name: newTag() };
  if (x < 0.29 && everAdded.size) return { kind: 'purge', ids: pickSome([...everAdded], 1 + Math.floor(r() * 2)) };
  if (x < 0.33) return { kind: 'compact' };
  if (x < 0.35 && live.length) return { kind: 'txn', put: [newId()], remove: pickSome(live, 1), tag: newTag() };
  if (x < 0.43 && removed.size) return { kind: 'put', ids: [pick([...removed])] }; // re-add a removed sample
  if (x < 0.67) return { kind: 'putMany', ids: Array.from({ length: 2 + Math.floor(r() * 3) }, newId), ...(r() < 0.4 ? { blocks: true as const } : {}) };
  return { kind: 'put', ids: [newId()] };
}

/** Updates what the writer knows after a successful op. */
function applied(op: CampaignOp): void {
  const add = (id: string) => {
    live.push(id);
    everAdded.add(id);
    removed.delete(id);
  };
  const rem = (id: string) => {
    live.splice(live.indexOf(id), 1);
    removed.add(id);
  };
  switch (op.kind) {
    case 'put':
    case 'putMany':
      op.ids.forEach(add);
      break;
    case 'remove':
      op.ids.forEach(rem);
      break;
    case 'tag':
      tags.add(op.name);
      break;
    case 'purge':
      for (const id of op.ids) {
        if (live.includes(id)) live.splice(live.indexOf(id), 1);
        removed.delete(id);
        everAdded.delete(id);
      }
      break;
    case 'compact':
      break;
    case 'txn':
      op.put.forEach(add);
      op.remove.forEach(rem);
      tags.add(op.tag);
      break;
  }
}

function run(op: CampaignOp): number {
  switch (op.kind) {
    case 'put':
      return d.put(op.ids[0]!, data.calls(op.ids[0]!)).version;
    case 'putMany': {
      if (!op.blocks) return d.putMany(op.ids.map((id) => ({ sampleId: id, calls: data.calls(id) }))).version;
      const calls = op.ids.map((id) => data.calls(id));
      const txn = d.begin({ spillBytes: 0 });
      try {
        const w = txn.putBlocks(op.ids);
        const V = d.variantSet(0).numVariants;
        for (let b = 0; b * d.meta.blockSize < V; b++) {
          const [s, e] = blockRange(V, d.meta.blockSize, b);
          w.add((i) => sliceCalls(calls[i]!, s, e));
        }
        return txn.commit().version;
      } catch (err) {
        txn.abort();
        throw err;
      }
    }
    case 'remove':
      return d.remove(op.ids).version;
    case 'tag':
      return d.tag(op.name).version;
    case 'purge':
      return d.purge(op.ids).version;
    case 'compact':
      return d.compact().version;
    case 'txn':
      return d.transaction((t) => {
        for (const id of op.put) t.put(id, data.calls(id));
        t.remove(op.remove);
        t.tag(op.tag);
      }).commit.version;
  }
}

for (;;) {
  const op = nextOp();
  const json = JSON.stringify(op);
  process.stdout.write(`begin ${json}\n`);
  let result: { version: number } | { error: string };
  try {
    result = { version: run(op) };
  } catch (err) {
    if (!isDepotError(err) && !isCodecError(err)) throw err;
    result = { error: err.code };
  }
  // Sometimes linger between the return and the ack, so that kills also land
  // after a commit and before its `done` line (the parent must then find the
  // operation fully applied).
  if (r() < 0.3) for (const until = performance.now() + r() * 10; performance.now() < until; );
  process.stdout.write(`done ${JSON.stringify({ ...op, ...result })}\n`);
  if ('version' in result) applied(op);
}
