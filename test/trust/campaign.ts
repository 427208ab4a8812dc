/**
 * The crash campaign (used by test/trust/campaign.test.ts and `npm run
 * soak`): a child process (campaign-writer.ts, bundled once) runs random
 * appends, removes, tags, purges, compactions and transactions on a depot and
 * is SIGKILLed at a random instant; the parent replays the child's
 * `begin`/`done` lines into a {@link Model} and, after every kill, checks:
 *
 * - the depot opens and `verify()` reports no error (warnings are counted);
 * - every operation with a `done` line is present: head samples (in order),
 *   tags with their sample sets, the log's operations and ids; purged
 *   samples are nowhere;
 * - the operation in flight at the kill (`begin` without `done`) is either
 *   fully applied or fully absent (decided by the head version, then the
 *   whole state compared with the model before or after it);
 * - every record at the head and at every tag is byte-identical to what the
 *   deterministic data of its sample id encodes to;
 * - an export (exportVcz of depotExportSource(depot, tag)) at every existing
 *   tag is byte-identical, file by file, to the reference export of that tag
 *   (made the first time the tag was seen, and re-made when a completed
 *   purge changed the tag's sample set).
 *
 * Kills run one after another; every `killsPerDepot` kills a fresh depot
 * starts (bounding the depot's size and the number of tags to export).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Depot, type VerifyIssue } from '../../src/depot/index.ts';
import { depotExportSource } from '../../src/io/index.ts';
import { exportVcz } from '../../src/vcz/index.ts';
import { rng } from '../helpers/synthetic.ts';
import { Model, diffStates, type CampaignOp, type ObservedState } from './campaign-model.ts';
import { SampleData, bundle, chr22DataFile, diffTrees, loadChr22, scratchDir } from './common.ts';

export interface CampaignOptions {
  /** Kills to inflict (each followed by the full check). */
  kills: number;
  seed?: number;
  /** Kills per depot before starting a fresh one. Default 10. */
  killsPerDepot?: number;
  /** The kill lands uniformly in [0, maxDelayMs] ms after the writer is ready (10% within 3 ms). Default 150. */
  maxDelayMs?: number;
  /** Variants per record block of the depots. Default 30 (chr22 has 100 variants: 4 blocks). */
  blockSize?: number;
  /** Called after every checked kill. */
  onKill?: (summary: CampaignSummary) => void;
  /** Stop after this many failures. Default 10. */
  maxFailures?: number;
}

export interface CampaignSummary {
  /** Kills after which the depot was checked (and survived when `failures` is empty). */
  kills: number;
  depots: number;
  /** Operations confirmed by a `done` line. */
  operationsDone: number;
  /** Of those, operations that failed with the expected typed error (and changed nothing). */
  expectedErrors: number;
  /** Kills that landed inside an operation (a `begin` without `done`), by kind. */
  inFlight: Record<string, number>;
  /** Of the operations in flight at a kill: found fully applied / fully absent. */
  inFlightApplied: number;
  inFlightAbsent: number;
  /** Must be 0: verify errors, `done` operations missing, in-flight operations half applied. */
  verifyErrors: number;
  lostOperations: number;
  partialOperations: number;
  /** Records compared byte for byte with their sample's data (head + every tag, every kill). */
  recordsChecked: number;
  /** Tag exports compared with their reference, file by file. */
  exportsCompared: number;
  /** Reference exports made (new tags, and tags changed by a completed purge). */
  referenceExports: number;
  /** verify warnings seen (harmless crash leftovers), by kind. */
  warnings: Record<string, number>;
  /** Descriptions of what went wrong (empty when the campaign passed). */
  failures: string[];
  seconds: number;
  /** Where the time went: writer runs (spawn to exit), checks, exports. */
  secondsIn: { writer: number; checks: number; exports: number };
}

interface RunResult {
  lines: string[];
  stderr: string;
  signal: NodeJS.Signals | null;
  code: number | null;
}

function runWriter(bundlePath: string, args: string[], delayMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bundlePath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    const hard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (timer === undefined && out.includes('ready ')) timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code, signal) => {
      clearTimeout(hard);
      if (timer) clearTimeout(timer);
      const lines = out.split('\n');
      lines.pop(); // an incomplete last line (none expected: lines are written whole)
      resolve({ lines, stderr, signal, code });
    });
  });
}

/** Everything observable of the depot's versions, tags and log. */
function observe(d: Depot): ObservedState {
  const log = d.log();
  const tags: ObservedState['tags'] = {};
  for (const t of d.tags()) tags[t.name] = [t.version, d.samples({ at: t.name })];
  return {
    version: d.version(),
    live: d.samples(),
    tags,
    operations: log.map((l) => l.operation),
    added: log.map((l) => [...l.added]),
    removed: log.map((l) => [...l.removed]),
  };
}

const EXPORT_OPTIONS = { bloscZstdLevel: 1 } as const;

/** Runs the campaign; never throws for a depot problem (those go to `failures`). */
export async function runCampaign(o: CampaignOptions): Promise<CampaignSummary> {
  const t0 = performance.now();
  const killsPerDepot = o.killsPerDepot ?? 10;
  const maxDelay = o.maxDelayMs ?? 150;
  const blockSize = o.blockSize ?? 30;
  const maxFailures = o.maxFailures ?? 10;
  const r = rng(o.seed ?? 20261121);
  const writer = bundle(join(import.meta.dirname, 'campaign-writer.ts'));
  const dataFile = await chr22DataFile();
  const data = new SampleData(loadChr22(dataFile), blockSize);
  const root = scratchDir('vczdepot-campaign-');
  const s: CampaignSummary = {
    kills: 0,
    depots: 0,
    operationsDone: 0,
    expectedErrors: 0,
    inFlight: {},
    inFlightApplied: 0,
    inFlightAbsent: 0,
    verifyErrors: 0,
    lostOperations: 0,
    partialOperations: 0,
    recordsChecked: 0,
    exportsCompared: 0,
    referenceExports: 0,
    warnings: {},
    failures: [],
    seconds: 0,
    secondsIn: { writer: 0, checks: 0, exports: 0 },
  };
  const clock = (key: keyof CampaignSummary['secondsIn'], since: number) => (s.secondsIn[key] += (performance.now() - since) / 1000);
  let path = '';
  let refs = '';
  let model = new Model();
  /** Tags whose reference export must be (re)made. */
  let stale = new Set<string>();
  let fresh = true;
  const fail = (what: string) => {
    s.failures.push(`kill ${s.kills} (depot ${s.depots}): ${what}`);
    fresh = true; // the model can no longer be trusted: start over on a new depot
  };
  try {
    for (let k = 0; k < o.kills && s.failures.length < maxFailures; k++) {
      if (fresh || k % killsPerDepot === 0) {
        if (path) rmSync(path, { recursive: true, force: true });
        if (refs) rmSync(refs, { recursive: true, force: true });
        s.depots++;
        path = join(root, `depot-${s.depots}`);
        refs = join(root, `refs-${s.depots}`);
        mkdirSync(refs);
        Depot.create(path, data.variantSet, { blockSize, chunkTargetBytes: 4096, segmentMaxBytes: 48 * 1024 }).close();
        model = new Model();
        stale = new Set();
        fresh = false;
      }
      const delay = r() < 0.1 ? Math.floor(r() * 4) : Math.floor(r() * maxDelay);
      const tw = performance.now();
      const run = await runWriter(writer, [path, dataFile, String(Math.floor(r() * 2 ** 31)), String(k), String(blockSize)], delay);
      s.kills++;
      clock('writer', tw);
      const tc = performance.now();
      if (run.signal !== 'SIGKILL') {
        fail(`the writer exited by itself (code ${run.code}, signal ${run.signal}): ${run.stderr.slice(0, 2000)}`);
        continue;
      }
      // ---- replay the writer's lines into the model
      let pending: CampaignOp | undefined;
      let bad = false;
      for (const line of run.lines) {
        if (line.startsWith('ready ')) {
          if (Number(line.slice(6)) !== model.state.version) {
            fail(`the writer opened version ${line.slice(6)}, the model is at ${model.state.version}`);
            bad = true;
            break;
          }
        } else if (line.startsWith('begin ')) {
          pending = JSON.parse(line.slice(6)) as CampaignOp;
        } else if (line.startsWith('done ')) {
          const done = JSON.parse(line.slice(5)) as CampaignOp & { version?: number; error?: string };
          pending = undefined;
          s.operationsDone++;
          if (done.expect !== undefined || done.error !== undefined) {
            if (done.error !== done.expect) {
              fail(`${JSON.stringify(done)}: expected error ${done.expect}, got ${done.error ?? `version ${done.version}`}`);
              bad = true;
              break;
            }
            s.expectedErrors++;
            continue;
          }
          try {
            for (const t of model.apply(done, done.version)) stale.add(t);
          } catch (err) {
            fail((err as Error).message);
            bad = true;
            break;
          }
        }
      }
      if (bad) continue;
      // ---- check the depot
      let d: Depot;
      try {
        d = Depot.open(path);
      } catch (err) {
        fail(`the depot does not open: ${(err as Error).message}`);
        continue;
      }
      try {
        const head = d.version();
        let want = model;
        if (pending) {
          s.inFlight[pending.kind] = (s.inFlight[pending.kind] ?? 0) + 1;
          // A tag creates no version: it was applied when its name is there.
          const p = pending;
          const applied =
            p.kind === 'tag' ? head === model.state.version && !(p.name in model.state.tags) && d.tags().some((t) => t.name === p.name) : head === model.state.version + 1;
          if (applied && pending.expect === undefined) {
            want = model.clone();
            const changed = want.apply(pending, head);
            s.inFlightApplied++;
            const got = observe(d);
            const diff = diffStates(want.state, got);
            if (diff) {
              s.partialOperations++;
              fail(`in-flight ${JSON.stringify(pending)} is half applied (head moved to ${head}): ${diff}`);
              continue;
            }
            for (const t of changed) stale.add(t);
            model = want;
          } else if (head === model.state.version) {
            s.inFlightAbsent++;
            const diff = diffStates(model.state, observe(d));
            if (diff) {
              s.partialOperations++;
              fail(`in-flight ${JSON.stringify(pending)} is half applied (head did not move): ${diff}`);
              continue;
            }
          } else {
            s.lostOperations++;
            fail(`head is version ${head}; the model is at ${model.state.version} with ${JSON.stringify(pending)} in flight`);
            continue;
          }
        } else {
          const diff = diffStates(model.state, observe(d));
          if (diff) {
            s.lostOperations++;
            fail(`the depot does not hold what the writer's returned operations did: ${diff}`);
            continue;
          }
        }
        // verify: no error; warnings are harmless leftovers
        const report = d.verify();
        const errors = report.issues.filter((i: VerifyIssue) => i.severity === 'error');
        for (const w of report.issues) if (w.severity === 'warning') s.warnings[w.kind] = (s.warnings[w.kind] ?? 0) + 1;
        if (errors.length) {
          s.verifyErrors += errors.length;
          fail(`verify: ${errors.map((e) => e.message).join('; ').slice(0, 2000)}`);
          continue;
        }
        // every record at the head and at every tag: the exact bytes of its data
        const ats: (string | undefined)[] = [undefined, ...Object.keys(model.state.tags)];
        let recordsOk = true;
        for (const at of ats) {
          const ids = at === undefined ? model.state.live : model.state.tags[at]![1];
          const views = d.getMany(ids, at === undefined ? {} : { at });
          for (const v of views) {
            const want = data.records(v.sampleId);
            v.records.forEach((rec, b) => {
              s.recordsChecked++;
              if (!Buffer.from(rec.bytes).equals(Buffer.from(want[b]!))) {
                recordsOk = false;
                fail(`sample ${v.sampleId} block ${b} at ${at ?? 'the head'}: the record bytes differ from its data`);
              }
            });
          }
        }
        if (!recordsOk) continue;
        // exports at every tag: byte-identical to the reference
        clock('checks', tc);
        const te = performance.now();
        for (const name of Object.keys(model.state.tags)) {
          const ref = join(refs, name);
          if (stale.has(name) || !existsSync(ref)) {
            rmSync(ref, { recursive: true, force: true });
            await exportVcz(depotExportSource(d, name, 'vczdepot-trust'), ref, EXPORT_OPTIONS);
            stale.delete(name);
            s.referenceExports++;
            continue;
          }
          const cmp = join(root, 'cmp');
          rmSync(cmp, { recursive: true, force: true });
          await exportVcz(depotExportSource(d, name, 'vczdepot-trust'), cmp, EXPORT_OPTIONS);
          const diff = diffTrees(ref, cmp);
          rmSync(cmp, { recursive: true, force: true });
          s.exportsCompared++;
          if (diff) {
            fail(`the export of tag ${name} differs from its reference: ${diff}`);
            break;
          }
        }
        clock('exports', te);
      } catch (err) {
        fail(`check threw: ${(err as Error).stack ?? String(err)}`);
      } finally {
        d.close();
        s.seconds = (performance.now() - t0) / 1000;
        o.onKill?.(s);
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  s.seconds = (performance.now() - t0) / 1000;
  return s;
}
