/**
 * Export as independent jobs (bio2zarr's "dencode" model; docs/scale.md):
 * any number of partition jobs, in any order, on any machines that see the
 * same output directory, each write their share of the chunks; one finalise
 * job then checks that every partition is complete and assembles the store.
 *
 * Layout, beside OUT (`<parent>/.vczdepot-parts-<name of OUT>/`):
 * * `job.json`: the job's description (vczdepot version, OUT's name, the
 *   partition count, the data's identity — depot version, tag, samples,
 *   regions, from src/io — and the options that change chunk bytes) and its
 *   SHA-256 fingerprint. Created once, atomically (link of a temporary
 *   file), by the first partition; a later job with another description is
 *   refused ({@link ExportPartitionError}).
 * * `part-<I>/`: partition I's chunk files under their store keys, written
 *   through a ZarrStoreWriter (`metadata: false`) under `part-<I>.tmp-<hex>`
 *   and renamed into place when complete.
 * * `part-<I>.counts`: the called-allele counts (int32 little-endian,
 *   [rows, alleles]) of its variant chunks, when AC/AN/AF are recomputed.
 * * `part-<I>.done.json`: the completion marker (written last, temporary +
 *   rename + fsync): chunk count, bytes, SHA-256 over every (key, bytes) in
 *   key order, each file's size, the counts file's size and SHA-256.
 *
 * Partition I owns variant chunks {c : c mod N = I} (whole variant chunks:
 * all samples chunks of each, every variant-axis array but the recomputed
 * AC/AN/AF, which need every sample's counts and are written at finalise).
 * Chunk bytes are a deterministic function of (data, options, chunk), so a
 * rerun — after a kill, or after completion — writes the same bytes; a
 * partition whose marker checks is not run again.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { VCZDEPOT_VERSION } from '../version.ts';
import { pythonJson } from '../zarr/index.ts';
import { exportVcz } from './export.ts';
import { ExportPartitionError, guardedExport, prepareExportTarget } from './export-guard.ts';
import type { CountsShape, ExportOptions, ExportSource, ExportSummary } from './export-types.ts';

/** Options of a partitioned export: the exporter's (without `part`), and `force` for finalise's OUT. */
export type PartitionedExportOptions = Omit<ExportOptions, 'part'> & { readonly force?: boolean };

/** What identifies the exported data (JSON values; e.g. depot version and tag, samples, regions): equal in every job. */
export type PartitionIdentity = Readonly<Record<string, unknown>>;

/** What {@link exportPartition} reports. */
export interface PartitionSummary extends ExportSummary {
  /** 0-based partition index and the partition count. */
  readonly index: number;
  readonly count: number;
  /** True when the partition was already complete (its marker checked) and nothing was written. */
  readonly skipped: boolean;
  /** The work directory. */
  readonly workDir: string;
}

/** The work directory of a partitioned export to `out`: `<parent>/.vczdepot-parts-<name>`. */
export function partitionWorkDir(out: string): string {
  const abs = resolve(out);
  return join(dirname(abs), `.vczdepot-parts-${basename(abs)}`);
}

function jobDescription(out: string, count: number, identity: PartitionIdentity, o: PartitionedExportOptions): Record<string, unknown> {
  return {
    vczdepot: VCZDEPOT_VERSION,
    out: basename(resolve(out)),
    count,
    identity,
    // The options that change chunk bytes (zip and consolidated only change finalise's output).
    options: {
      zarrFormat: o.zarrFormat ?? 2,
      variantsChunkSize: o.variantsChunkSize ?? null,
      samplesChunkSize: o.samplesChunkSize ?? null,
      compressor: o.compressor ?? 'blosc',
      zstdLevel: o.zstdLevel ?? null,
      bloscZstdLevel: o.bloscZstdLevel ?? null,
      updateInfo: o.updateInfo ?? true,
      localAlleles: o.localAlleles ?? false,
    },
  };
}

function sha256(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Writes `file` durably and atomically (temporary + fsync + rename). */
function writeAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Creates `file` with `text` unless it exists (atomic even between hosts on POSIX filesystems: link fails with EEXIST); true when created. */
function writeOnce(file: string, text: string): boolean {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(tmp, text);
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

interface Job {
  fingerprint: string;
  count: number;
  [k: string]: unknown;
}

function readJob(work: string, abs: string): Job | undefined {
  const file = join(work, 'job.json');
  if (!fs.existsSync(file)) return undefined;
  try {
    const j = JSON.parse(fs.readFileSync(file, 'utf8')) as Job;
    if (typeof j.fingerprint !== 'string' || !Number.isInteger(j.count)) throw new Error('no fingerprint or count');
    return j;
  } catch (err) {
    throw new ExportPartitionError(abs, `${file} is unreadable (${(err as Error).message}); remove ${work} and run every partition again`);
  }
}

/** The top-level differences between a recorded job description and this job's, e.g. `identity.version: 3 → 4`. */
function differences(recorded: Record<string, unknown>, mine: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  for (const k of new Set([...Object.keys(recorded), ...Object.keys(mine)])) {
    if (k === 'fingerprint') continue;
    const a = recorded[k];
    const b = mine[k];
    if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a)) out.push(...differences(a as Record<string, unknown>, b as Record<string, unknown>, `${prefix}${k}.`));
    else if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${prefix}${k}: ${JSON.stringify(a)} there, ${JSON.stringify(b)} here`);
  }
  return out;
}

function checkJob(job: Job, desc: Record<string, unknown>, fingerprint: string, work: string, abs: string): void {
  if (job.fingerprint === fingerprint) return;
  throw new ExportPartitionError(
    abs,
    `${work} belongs to a partitioned export with other data or options (${differences(job, desc).join('; ') || 'fingerprint differs'}); ` +
      `run every job with the same --at, --partitions, samples, regions and chunk/codec options, or remove ${work} to start over`,
  );
}

const partName = (i: number): string => `part-${i}`;

/** Files under `dir` as sorted `/`-joined keys. */
function listKeys(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.isFile()) out.push(r);
    }
  };
  walk('');
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

interface Marker {
  fingerprint: string;
  index: number;
  count: number;
  chunks: number;
  bytes: number;
  sha256: string;
  counts: { bytes: number; sha256: string } | null;
  files: Record<string, number>;
}

/** Why partition `i` is not complete, or undefined when its marker, chunk files (present, sizes) and counts file check. */
function partitionProblem(work: string, i: number, fingerprint: string): string | undefined {
  const file = join(work, `${partName(i)}.done.json`);
  if (!fs.existsSync(file)) return 'not run or not finished (no completion marker)';
  let m: Marker;
  try {
    m = JSON.parse(fs.readFileSync(file, 'utf8')) as Marker;
  } catch (err) {
    return `its completion marker is unreadable (${(err as Error).message})`;
  }
  if (m.fingerprint !== fingerprint || m.index !== i) return 'its completion marker belongs to another job';
  const dir = join(work, partName(i));
  for (const [key, size] of Object.entries(m.files ?? {})) {
    const st = fs.statSync(join(dir, key), { throwIfNoEntry: false });
    if (!st || st.size !== size) return `chunk ${key} is ${st ? `${st.size} bytes, the marker says ${size}` : 'missing'}`;
  }
  if (m.counts) {
    const st = fs.statSync(join(work, `${partName(i)}.counts`), { throwIfNoEntry: false });
    if (!st || st.size !== m.counts.bytes) return `its allele counts file is ${st ? 'of the wrong size' : 'missing'}`;
  }
  return undefined;
}

/** The rows of partition `index`'s variant chunks of counts [variants, alleles], concatenated in chunk order. */
function partitionRows(counts: Int32Array, shape: CountsShape, index: number, count: number): Int32Array[] {
  const rows: Int32Array[] = [];
  for (let c = index; c * shape.vChunk < shape.variants; c += count) {
    const v0 = c * shape.vChunk;
    const v1 = Math.min(shape.variants, v0 + shape.vChunk);
    rows.push(counts.subarray(v0 * shape.alleles, v1 * shape.alleles));
  }
  return rows;
}

/**
 * Writes partition `index` (0-based) of `count` of the export of `source` to
 * `out`: the chunks of variant chunks c ≡ index (mod count) under the work
 * directory ({@link partitionWorkDir}), then its completion marker. Nothing
 * is written at `out`; {@link finalisePartitions} assembles the store.
 * Idempotent: a partition already complete (its marker checks) returns
 * `skipped: true`; an incomplete one (killed) is removed and written again,
 * with the same bytes.
 *
 * @param identity what identifies the data in every job (e.g. `{ version, at }`): part of the fingerprint
 * @throws RangeError for a count < 1 or an index outside [0, count)
 * @throws ExportTargetError when `out` is something an export may not replace (without force)
 * @throws ExportPartitionError when the work directory belongs to another job (other data or options)
 * @throws the exporter's errors (ExportSourceError, ZarrStateError, I/O errors)
 */
export async function exportPartition(source: ExportSource, out: string, index: number, count: number, options: PartitionedExportOptions, identity: PartitionIdentity): Promise<PartitionSummary> {
  const t0 = performance.now();
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`the partition count must be an integer >= 1, got ${count}`);
  if (!Number.isInteger(index) || index < 0 || index >= count) throw new RangeError(`partition index ${index} is outside [0, ${count}) (0-based)`);
  const abs = resolve(out);
  prepareExportTarget(abs, { force: !!options.force }); // refuse early what finalise would refuse
  const work = partitionWorkDir(abs);
  fs.mkdirSync(work, { recursive: true });
  const desc = jobDescription(abs, count, identity, options);
  const fingerprint = sha256(pythonJson(desc));
  if (!writeOnce(join(work, 'job.json'), pythonJson({ fingerprint, ...desc }))) checkJob(readJob(work, abs)!, desc, fingerprint, work, abs);

  const name = partName(index);
  const markerFile = join(work, `${name}.done.json`);
  const base = { index, count, workDir: work, path: join(work, name) };
  if (partitionProblem(work, index, fingerprint) === undefined) {
    const m = JSON.parse(fs.readFileSync(markerFile, 'utf8')) as Marker;
    return { ...base, skipped: true, arrays: 0, chunks: m.chunks, bytes: m.bytes, seconds: (performance.now() - t0) / 1000, workerChunks: 0, buildThreads: 0 };
  }
  // Incomplete (killed, or its marker does not check): start this partition over.
  fs.rmSync(markerFile, { force: true });
  fs.rmSync(join(work, name), { recursive: true, force: true });
  fs.rmSync(join(work, `${name}.counts`), { force: true });

  let rows: Int32Array[] | null = null;
  const { force: _force, ...exportOptions } = options;
  const summary = await exportVcz(source, join(work, name), {
    ...exportOptions,
    zip: false,
    consolidated: false,
    part: { count, index, onCounts: (counts, shape) => (rows = partitionRows(counts, shape, index, count)) },
  });
  let countsInfo: Marker['counts'] = null;
  if (rows) {
    const bytes = Buffer.concat((rows as Int32Array[]).map((r) => Buffer.from(r.buffer, r.byteOffset, r.byteLength)));
    writeAtomic(join(work, `${name}.counts`), bytes);
    countsInfo = { bytes: bytes.length, sha256: sha256(bytes) };
  }
  const dir = join(work, name);
  const files: Record<string, number> = {};
  const hash = createHash('sha256');
  let bytes = 0;
  for (const key of listKeys(dir)) {
    const data = fs.readFileSync(join(dir, key));
    files[key] = data.length;
    bytes += data.length;
    hash.update(key).update('\0').update(data);
  }
  const marker: Marker = { fingerprint, index, count, chunks: Object.keys(files).length, bytes, sha256: hash.digest('hex'), counts: countsInfo, files };
  writeAtomic(markerFile, pythonJson(marker));
  return { ...base, skipped: false, arrays: summary.arrays, chunks: marker.chunks, bytes, seconds: (performance.now() - t0) / 1000, workerChunks: summary.workerChunks, buildThreads: summary.buildThreads };
}

/**
 * Finalises a partitioned export of `source` to `out`: checks that every
 * partition recorded in the work directory is complete (marker, chunk files
 * and their sizes, counts), writes the metadata (consolidated with
 * `options.consolidated`), `sample_id`, `contig_*`, `filter_*`,
 * `region_index` and the recomputed AC/AN/AF, takes the partitions' chunks
 * (hard links), and moves the store into place at `out` exactly as a
 * one-shot export does (export-guard: temporary sibling, rename or zip),
 * then removes the work directory. The result is byte for byte the one-shot
 * export's (a `.vcz.zip`: the same entries; zip timestamps differ between
 * any two exports).
 *
 * @throws ExportPartitionError when no partition has run, the work directory
 *   belongs to other data or options, or partitions are missing or
 *   incomplete (named in the message and in `missing`); `out` and the work
 *   directory are left as they were
 * @throws ExportTargetError, ExportWriteError as {@link guardedExport}
 */
export async function finalisePartitions(
  source: ExportSource,
  out: string,
  options: PartitionedExportOptions,
  identity: PartitionIdentity,
): Promise<ExportSummary & { partitions: number }> {
  const abs = resolve(out);
  const work = partitionWorkDir(abs);
  const job = readJob(work, abs);
  if (!job) throw new ExportPartitionError(abs, `no partition has run (${join(work, 'job.json')} does not exist); run the partitions first (vczdepot export DEPOT OUT --at TAG --partitions N --partition I)`);
  const count = job.count;
  const desc = jobDescription(abs, count, identity, options);
  const fingerprint = sha256(pythonJson(desc));
  checkJob(job, desc, fingerprint, work, abs);
  const problems: [number, string][] = [];
  for (let i = 0; i < count; i++) {
    const p = partitionProblem(work, i, fingerprint);
    if (p !== undefined) problems.push([i, p]);
  }
  if (problems.length > 0) {
    throw new ExportPartitionError(
      abs,
      `${problems.length} of ${count} partitions are missing or incomplete: ${problems.map(([i, p]) => `partition ${i} (${p})`).join('; ')}; ` +
        `run ${problems.length === 1 ? 'it' : 'them'} (--partitions ${count} --partition ${problems.map(([i]) => i).join(', ')}) and finalise again`,
      problems.map(([i]) => i),
    );
  }
  const counts = (shape: CountsShape): Int32Array => {
    const all = new Int32Array(shape.variants * shape.alleles);
    for (let i = 0; i < count; i++) {
      const buf = fs.readFileSync(join(work, `${partName(i)}.counts`));
      const src = new Int32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
      let o = 0;
      for (const r of partitionRows(all, shape, i, count)) {
        if (o + r.length > src.length) throw new ExportPartitionError(abs, `partition ${i}'s allele counts hold ${src.length} values, fewer than its variant chunks need; run it again`, [i]);
        r.set(src.subarray(o, o + r.length));
        o += r.length;
      }
    }
    return all;
  };
  const { force, ...exportOptions } = options;
  const adopt = Array.from({ length: count }, (_, i) => join(work, partName(i)));
  const summary = await guardedExport(abs, { force: !!force }, (path) => exportVcz(source, path, { ...exportOptions, part: { count, finalise: true, adopt, counts } }));
  fs.rmSync(work, { recursive: true, force: true });
  return { ...summary, path: abs, partitions: count };
}
