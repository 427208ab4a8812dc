/**
 * Writer process of the concurrency tests (test/trust/concurrency.ts).
 *
 * `script` mode: the only writer; runs the deterministic {@link Script}
 * (operation k is version k; a put carrying a tag is followed by the tag,
 * which names its version) for `ms` milliseconds, then exits.
 *
 * `pair` mode: one of two writers on one depot; puts, removes and tags its
 * own samples (ids `syn<k>#<role>.<n>`, tags `<role>.<n>`) and sometimes
 * compacts, for `ms` milliseconds, then exits. Prints `begin <json>` before
 * and `done <json>` (with the commit's `version`) after each operation.
 *
 * argv: mode, depot path, chr22 data file, seed, ms, role, block size.
 */
import { Depot } from '../../src/depot/index.ts';
import { rng } from '../helpers/synthetic.ts';
import { Script } from './concurrency-script.ts';
import { SampleData, loadChr22 } from './data.ts';

const [mode, path, dataFile, seedArg, msArg, role, blockSizeArg] = process.argv.slice(2);
const data = new SampleData(loadChr22(dataFile!), Number(blockSizeArg));
const d = Depot.open(path!);
const until = Date.now() + Number(msArg);
const out = (s: string) => process.stdout.write(s + '\n');

if (mode === 'script') {
  const script = new Script(Number(seedArg), data.data.sampleIds);
  out(`ready ${d.version()}`);
  for (let v = d.version() + 1; Date.now() < until; v++) {
    script.upTo(v);
    const op = script.ops[v]!;
    let got: number;
    switch (op.kind) {
      case 'put':
        got = op.ids.length === 1 ? d.put(op.ids[0]!, data.calls(op.ids[0]!)).version : d.putMany(op.ids.map((id) => ({ sampleId: id, calls: data.calls(id) }))).version;
        if (op.tag !== undefined) {
          const t = d.tag(op.tag);
          if (t.version !== v) throw new Error(`tag ${op.tag} after operation ${v} names version ${t.version}`);
          if (d.version() !== v) throw new Error(`tag ${op.tag} moved the head to ${d.version()}`);
        }
        break;
      case 'remove':
        got = d.remove(op.ids).version;
        break;
      case 'purge':
        got = d.purge(op.ids).version;
        break;
      case 'compact':
        got = d.compact().version;
        break;
    }
    if (got !== v) throw new Error(`operation ${v} (${JSON.stringify(op)}) committed version ${got}`);
  }
  out(`end ${d.version()}`);
} else {
  const r = rng(Number(seedArg));
  const live: string[] = [];
  let n = 0;
  out(`ready ${d.version()}`);
  while (Date.now() < until) {
    const x = r();
    let op: { kind: string; ids?: string[]; name?: string };
    if (x < 0.2 && live.length > 2) op = { kind: 'remove', ids: [live[Math.floor(r() * live.length)]!] };
    else if (x < 0.35) op = { kind: 'tag', name: `${role}.${n++}` };
    else if (x < 0.38) op = { kind: 'compact' };
    else op = { kind: 'put', ids: Array.from({ length: 1 + Math.floor(r() * 3) }, () => `syn${Math.floor(r() * 100)}#${role}.${n++}`) };
    out(`begin ${JSON.stringify(op)}`);
    let version: number;
    if (op.kind === 'put') version = d.putMany(op.ids!.map((id) => ({ sampleId: id, calls: data.calls(id) }))).version;
    else if (op.kind === 'remove') version = d.remove(op.ids!).version;
    else if (op.kind === 'tag') version = d.tag(op.name!).version;
    else version = d.compact().version;
    if (op.kind === 'put') live.push(...op.ids!);
    if (op.kind === 'remove') live.splice(live.indexOf(op.ids![0]!), 1);
    out(`done ${JSON.stringify({ ...op, version })}`);
  }
  out(`end ${d.version()}`);
}
d.close();
