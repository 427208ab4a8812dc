/**
 * Reader process of the concurrency test (test/trust/concurrency.ts). For
 * `ms` milliseconds, while the script writer writes, it loops taking
 * snapshots and checks that each is internally consistent, i.e. belongs to
 * one version of the deterministic {@link Script}:
 *
 * - pinned: v = version(); samples({at: v}) is exactly the script's samples
 *   of version v (minus samples purged meanwhile: purge rewrites history);
 *   getMany(those, {at: v}) returns, in order, records whose bytes are
 *   exactly what each sample id's data encodes to (so the sample id in each
 *   record matches, and the values are the generator's);
 * - tags(): every tag names the script's version for it, and every tag the
 *   script made of a version before v is there (a tag of v itself is taken
 *   just after v's commit, so it may not be there yet); the samples of a random tag are the
 *   script's samples of its version;
 * - head: getMany(samples()) at the head, the same byte check (an
 *   UnknownSampleError is accepted only when the head moved in between).
 *
 * Prints `result <json>` and exits 0; every problem goes into `errors`.
 * argv: depot path, chr22 data file, script seed, ms, block size, reader seed.
 */
import { Depot, isDepotError, type SampleView } from '../../src/depot/index.ts';
import { rng } from '../helpers/synthetic.ts';
import { Script } from './concurrency-script.ts';
import { SampleData, loadChr22 } from './data.ts';

const [path, dataFile, seedArg, msArg, blockSizeArg, readerSeed] = process.argv.slice(2);
const data = new SampleData(loadChr22(dataFile!), Number(blockSizeArg));
const script = new Script(Number(seedArg), data.data.sampleIds);
const r = rng(Number(readerSeed));
const d = Depot.open(path!, { readOnly: true });
const until = Date.now() + Number(msArg);
const res = { snapshots: 0, versionsSeen: new Set<number>(), records: 0, tagsChecked: 0, headReads: 0, headRaces: 0, purgeRaces: 0, errors: [] as string[] };
const error = (s: string) => {
  if (res.errors.length < 20) res.errors.push(s);
};
const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** True when `got` is `base` minus the ids purged up to some version in {lo} ∪ purge versions in (lo, hi]. */
function matchesSomePurgeState(got: readonly string[], base: readonly string[], lo: number, hi: number): boolean {
  for (const h of [lo, ...script.purgeVersions(lo, hi)]) {
    const gone = script.purgedUpTo(h);
    if (same(got, base.filter((x) => !gone.has(x)))) return true;
  }
  return false;
}

function checkViews(views: SampleView[], ids: readonly string[], where: string): void {
  if (views.length !== ids.length) return error(`${where}: getMany returned ${views.length} samples for ${ids.length}`);
  views.forEach((v, i) => {
    if (v.sampleId !== ids[i]) return error(`${where}: getMany returned ${v.sampleId} in place of ${ids[i]}`);
    const want = data.records(v.sampleId);
    v.records.forEach((rec, b) => {
      res.records++;
      if (rec.sampleId !== v.sampleId || rec.block !== b) error(`${where}: record of block ${b} of ${v.sampleId} says sample ${rec.sampleId} block ${rec.block}`);
      else if (!Buffer.from(rec.bytes).equals(Buffer.from(want[b]!))) error(`${where}: record of block ${b} of ${v.sampleId} differs from its data`);
    });
  });
}

process.stdout.write('ready\n');
while (Date.now() < until) {
  try {
    // ---- pinned snapshot
    const v = d.version();
    const ids = d.samples({ at: v });
    const h1 = d.version();
    script.upTo(h1);
    res.versionsSeen.add(v);
    if (!matchesSomePurgeState(ids, script.live[v]!, v, h1)) {
      error(`version ${v}: samples ${JSON.stringify(ids)} are not the script's ${JSON.stringify(script.live[v])} (head ${h1})`);
    }
    try {
      checkViews(d.getMany(ids, { at: v }), ids, `version ${v}`);
    } catch (err) {
      const h = d.version();
      script.upTo(h);
      if (isDepotError(err, 'unknown-sample') && script.purgedBetween(v, h).has(err.sampleId)) res.purgeRaces++;
      else throw err;
    }
    // ---- tags
    const tags = d.tags();
    const h2 = d.version();
    script.upTo(h2);
    for (const t of tags) {
      res.tagsChecked++;
      if (script.tags.get(t.name) !== t.version || t.version > h2) error(`tag ${t.name} names version ${t.version}; the script tagged version ${script.tags.get(t.name)} (head ${h2})`);
    }
    for (const [name, tv] of script.tags) if (tv < v && !tags.some((t) => t.name === name)) error(`tag ${name} (version ${tv} < ${v}) is missing`);
    if (tags.length) {
      const t = tags[Math.floor(r() * tags.length)]!;
      const before = d.version();
      const tids = d.samples({ at: t.name });
      const after = d.version();
      script.upTo(after);
      if (!matchesSomePurgeState(tids, script.live[t.version]!, before, after)) error(`tag ${t.name}: samples ${JSON.stringify(tids)} are not the script's for version ${t.version}`);
    }
    // ---- head
    const hb = d.version();
    const hids = d.samples();
    try {
      checkViews(d.getMany(hids), hids, 'head');
      res.headReads++;
    } catch (err) {
      if (isDepotError(err, 'unknown-sample') && d.version() > hb) res.headRaces++;
      else throw err;
    }
    res.snapshots++;
  } catch (err) {
    error(`threw: ${(err as Error).stack ?? String(err)}`);
  }
}
d.close();
process.stdout.write(`result ${JSON.stringify({ ...res, versionsSeen: res.versionsSeen.size })}\n`);
