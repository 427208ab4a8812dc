/**
 * Concurrency runs (used by test/trust/concurrency.test.ts and `npm run
 * soak`):
 *
 * - {@link runReadersAndWriter}: one writer process runs the deterministic
 *   script (puts, removes, tags, compactions, purges) while several reader
 *   processes loop over snapshots and check that each belongs to one version
 *   (concurrency-reader.ts). At the end the depot verifies clean and holds
 *   exactly the script's state.
 * - {@link runTwoWriters}: two writer processes interleave puts, removes,
 *   tags and compactions on one depot; at the end every operation that
 *   returned (`done`) is there, at the version it reported.
 * - {@link runOpenersAndWriter}: processes open and close the depot's LMDB
 *   env over and over while this process commits puts: every put is the next
 *   version and is read back at once (an open racing a commit sets the lock
 *   file's last transaction id back: src/depot/env.ts).
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Depot } from '../../src/depot/index.ts';
import { LMDB_ENTRY } from '../../src/depot/env.ts';
import { Script } from './concurrency-script.ts';
import { SampleData, bundle, chr22DataFile, loadChr22, scratchDir } from './common.ts';
import { syntheticCalls, syntheticVariantSet } from '../helpers/synthetic.ts';

const BLOCK_SIZE = 30;

interface ChildResult {
  lines: string[];
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

function runChild(bundlePath: string, args: string[], timeoutMs: number): Promise<ChildResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bundlePath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    const hard = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code, signal) => {
      clearTimeout(hard);
      resolve({ lines: out.split('\n').filter(Boolean), stderr, code, signal });
    });
  });
}

export interface ReadersSummary {
  seconds: number;
  readers: number;
  /** Versions the writer committed during the run. */
  versionsWritten: number;
  operations: Record<string, number>;
  /** Snapshots checked over all readers, distinct versions seen, records compared, tags checked. */
  snapshots: number;
  versionsSeen: number;
  records: number;
  tagsChecked: number;
  /** Reads that met a purge or a remove between two calls (expected, counted). */
  purgeRaces: number;
  headRaces: number;
  /** Must be empty. */
  errors: string[];
}

export async function runReadersAndWriter(o: { ms: number; readers: number; seed?: number }): Promise<ReadersSummary> {
  const t0 = performance.now();
  const seed = o.seed ?? 7;
  const dataFile = await chr22DataFile();
  const data = new SampleData(loadChr22(dataFile), BLOCK_SIZE);
  const writerJs = bundle(join(import.meta.dirname, 'concurrency-writer.ts'));
  const readerJs = bundle(join(import.meta.dirname, 'concurrency-reader.ts'));
  const root = scratchDir('vczdepot-concurrency-');
  const path = join(root, 'depot');
  const errors: string[] = [];
  const s: ReadersSummary = { seconds: 0, readers: o.readers, versionsWritten: 0, operations: {}, snapshots: 0, versionsSeen: 0, records: 0, tagsChecked: 0, purgeRaces: 0, headRaces: 0, errors };
  try {
    Depot.create(path, data.variantSet, { blockSize: BLOCK_SIZE, chunkTargetBytes: 4096, segmentMaxBytes: 48 * 1024 }).close();
    const timeout = o.ms + 60_000;
    const jobs = [
      runChild(writerJs, ['script', path, dataFile, String(seed), String(o.ms), 'W', String(BLOCK_SIZE)], timeout),
      ...Array.from({ length: o.readers }, (_, i) => runChild(readerJs, [path, dataFile, String(seed), String(o.ms), String(BLOCK_SIZE), String(i + 1)], timeout)),
    ];
    const [w, ...readers] = await Promise.all(jobs);
    if (w!.code !== 0) errors.push(`writer exited with ${w!.code ?? w!.signal}: ${w!.stderr.slice(0, 2000)}`);
    readers.forEach((r, i) => {
      const line = r.lines.find((l) => l.startsWith('result '));
      if (r.code !== 0 || !line) return void errors.push(`reader ${i + 1} exited with ${r.code ?? r.signal}: ${r.stderr.slice(0, 2000)}`);
      const res = JSON.parse(line.slice(7)) as { snapshots: number; versionsSeen: number; records: number; tagsChecked: number; purgeRaces: number; headRaces: number; errors: string[] };
      s.snapshots += res.snapshots;
      s.versionsSeen += res.versionsSeen;
      s.records += res.records;
      s.tagsChecked += res.tagsChecked;
      s.purgeRaces += res.purgeRaces;
      s.headRaces += res.headRaces;
      for (const e of res.errors) errors.push(`reader ${i + 1}: ${e}`);
      if (res.snapshots === 0) errors.push(`reader ${i + 1} checked no snapshot`);
    });
    // The depot at the end: verify clean, exactly the script's state.
    const d = Depot.open(path);
    try {
      const head = d.version();
      s.versionsWritten = head;
      const script = new Script(seed, data.data.sampleIds).upTo(head);
      for (let v = 1; v <= head; v++) {
        const op = script.ops[v]!;
        s.operations[op.kind] = (s.operations[op.kind] ?? 0) + 1;
        if (op.kind === 'put' && op.tag !== undefined) s.operations.tag = (s.operations.tag ?? 0) + 1;
      }
      const gone = script.purgedUpTo(head);
      const want = script.live[head]!.filter((x) => !gone.has(x));
      if (JSON.stringify(d.samples()) !== JSON.stringify(want)) errors.push(`final samples ${JSON.stringify(d.samples())}, script ${JSON.stringify(want)}`);
      const tags = d.tags().map((t) => [t.name, t.version]);
      if (JSON.stringify(tags.sort()) !== JSON.stringify([...script.tags].sort())) errors.push(`final tags ${JSON.stringify(tags)}, script ${JSON.stringify([...script.tags])}`);
      const report = d.verify();
      for (const i of report.issues) if (i.severity === 'error') errors.push(`verify: ${i.message}`);
    } finally {
      d.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  s.seconds = (performance.now() - t0) / 1000;
  return s;
}

export interface TwoWritersSummary {
  seconds: number;
  /** Operations that returned, per writer. */
  done: [number, number];
  /** Of those, tags (which name the head and create no version). */
  tagsTaken: number;
  versions: number;
  /** Must be empty. */
  errors: string[];
}

export async function runTwoWriters(o: { ms: number; seed?: number }): Promise<TwoWritersSummary> {
  const t0 = performance.now();
  const dataFile = await chr22DataFile();
  const data = new SampleData(loadChr22(dataFile), BLOCK_SIZE);
  const writerJs = bundle(join(import.meta.dirname, 'concurrency-writer.ts'));
  const root = scratchDir('vczdepot-writers-');
  const path = join(root, 'depot');
  const errors: string[] = [];
  const s: TwoWritersSummary = { seconds: 0, done: [0, 0], tagsTaken: 0, versions: 0, errors };
  try {
    Depot.create(path, data.variantSet, { blockSize: BLOCK_SIZE, chunkTargetBytes: 4096, segmentMaxBytes: 48 * 1024 }).close();
    const seed = o.seed ?? 11;
    const roles = ['A', 'B'] as const;
    const results = await Promise.all(roles.map((role, i) => runChild(writerJs, ['pair', path, dataFile, String(seed + i), String(o.ms), role, String(BLOCK_SIZE)], o.ms + 60_000)));
    const d = Depot.open(path);
    try {
      const head = d.version();
      s.versions = head;
      const log = d.log();
      const tags = new Map(d.tags().map((t) => [t.name, t.version]));
      const used = new Map<number, string>();
      results.forEach((res, i) => {
        const role = roles[i]!;
        if (res.code !== 0) errors.push(`writer ${role} exited with ${res.code ?? res.signal}: ${res.stderr.slice(0, 2000)}`);
        // Replay this writer's returned operations: its own samples at every version it committed.
        const live: string[] = [];
        for (const line of res.lines) {
          if (!line.startsWith('done ')) continue;
          const op = JSON.parse(line.slice(5)) as { kind: string; ids?: string[]; name?: string; version: number };
          s.done[i]++;
          if (op.kind === 'tag') {
            // A tag names the head when it was taken (this writer's last version or the other's): no version of its own.
            s.tagsTaken++;
            if (tags.get(op.name!) !== op.version) errors.push(`${role}: tag ${op.name} names version ${tags.get(op.name!)}, expected ${op.version}`);
            const mine = d.samples({ at: op.name! }).filter((x) => x.includes(`#${role}.`));
            if (JSON.stringify(mine) !== JSON.stringify(live)) errors.push(`${role}: tag ${op.name} holds ${JSON.stringify(mine)} of its samples, expected ${JSON.stringify(live)}`);
            continue;
          }
          if (used.has(op.version)) errors.push(`${role}: version ${op.version} was also reported by ${used.get(op.version)}`);
          used.set(op.version, `${role} ${op.kind}`);
          const l = log[op.version];
          if (!l) {
            errors.push(`${role}: ${JSON.stringify(op)} returned version ${op.version}, which the log does not have (head ${head})`);
            continue;
          }
          if (op.kind === 'put') {
            live.push(...op.ids!);
            if (JSON.stringify(l.added) !== JSON.stringify(op.ids)) errors.push(`${role}: log[${op.version}].added ${JSON.stringify(l.added)}, expected ${JSON.stringify(op.ids)}`);
          } else if (op.kind === 'remove') {
            live.splice(live.indexOf(op.ids![0]!), 1);
            if (JSON.stringify(l.removed) !== JSON.stringify(op.ids)) errors.push(`${role}: log[${op.version}].removed ${JSON.stringify(l.removed)}, expected ${JSON.stringify(op.ids)}`);
          } else if (l.operation !== 'compact') errors.push(`${role}: log[${op.version}] is ${l.operation}, expected compact`);
        }
        const mine = d.samples().filter((x) => x.includes(`#${role}.`));
        if (JSON.stringify(mine) !== JSON.stringify(live)) errors.push(`${role}: the head holds ${JSON.stringify(mine)} of its samples, expected ${JSON.stringify(live)}`);
        for (const id of live) {
          const v = d.get(id);
          const want = data.records(id);
          v.records.forEach((rec, b) => {
            if (!Buffer.from(rec.bytes).equals(Buffer.from(want[b]!))) errors.push(`${role}: ${id} block ${b} differs from its data`);
          });
        }
      });
      if (used.size !== head) errors.push(`the writers reported ${used.size} versions; the head is ${head}`);
      const report = d.verify();
      for (const i of report.issues) if (i.severity === 'error') errors.push(`verify: ${i.message}`);
    } finally {
      d.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  s.seconds = (performance.now() - t0) / 1000;
  return s;
}

export interface OpenersSummary {
  seconds: number;
  /** Puts committed by this process. */
  commits: number;
  /** Env opens by the opener processes. */
  opens: number;
  /** Must be empty. */
  errors: string[];
}

/** Opens and closes the env at argv[1] read-only (lmdb-js, as openEnv does) until argv[2] ms have passed; prints the count. */
const OPENER_SCRIPT = `
const { open } = require(process.argv[1]);
const until = Date.now() + Number(process.argv[3]);
let n = 0;
while (Date.now() < until) { open({ path: process.argv[2], readOnly: true, maxDbs: 16 }).close(); n++; }
process.stdout.write('opens ' + n + '\\n');
`;

export async function runOpenersAndWriter(o: { ms: number; openers: number }): Promise<OpenersSummary> {
  const t0 = performance.now();
  // A small set: commits as frequent as possible, the more of them an open can race.
  const vs = syntheticVariantSet({ numVariants: 30, seed: 3 });
  const calls = syntheticCalls(vs, { seed: 4 });
  const root = scratchDir('vczdepot-openers-');
  const path = join(root, 'depot');
  const errors: string[] = [];
  const s: OpenersSummary = { seconds: 0, commits: 0, opens: 0, errors };
  try {
    const d = Depot.create(path, vs, { blockSize: BLOCK_SIZE });
    try {
      const kids = Array.from({ length: o.openers }, () =>
        spawn(process.execPath, ['-e', OPENER_SCRIPT, LMDB_ENTRY, join(path, 'index.mdb'), String(o.ms)], { stdio: ['ignore', 'pipe', 'pipe'] }),
      );
      const done = kids.map(
        (k) =>
          new Promise<void>((resolve) => {
            let out = '';
            let err = '';
            k.stdout!.on('data', (b: Buffer) => (out += b.toString()));
            k.stderr!.on('data', (b: Buffer) => (err += b.toString()));
            k.on('close', (code) => {
              const m = /opens (\d+)/.exec(out);
              if (code !== 0 || !m) errors.push(`opener exited with ${code}: ${err.slice(0, 500)}`);
              else s.opens += Number(m[1]);
              resolve();
            });
          }),
      );
      // Commit while the openers run (this loop is synchronous: the children run in parallel).
      await new Promise((r) => setTimeout(r, 200));
      const until = Date.now() + o.ms - 400;
      const put: string[] = [];
      for (let i = 0, last = 0; Date.now() < until && errors.length < 10; i++) {
        const id = `S${i}`;
        const v = d.put(id, calls).version;
        const seen = d.version();
        if (v !== last + 1) errors.push(`put ${i} (${id}) committed version ${v}, after version ${last}`);
        if (seen !== v) errors.push(`put ${i} (${id}) committed version ${v}; version() then read ${seen}`);
        last = v;
        put.push(id);
        s.commits++;
      }
      await Promise.all(done);
      const samples = d.samples();
      if (JSON.stringify(samples) !== JSON.stringify(put)) errors.push(`the head holds ${samples.length} samples, ${put.length} were put; missing ${JSON.stringify(put.filter((x) => !samples.includes(x)).slice(0, 5))}`);
      for (const i of d.verify().issues) if (i.severity === 'error') errors.push(`verify: ${i.message}`);
    } finally {
      d.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  s.seconds = (performance.now() - t0) / 1000;
  return s;
}
