/**
 * Exporting a depot (at a version or tag) to a VCF Zarr store, safely: the
 * one call the CLI and most library users need.
 */
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { At, Depot } from '../depot/index.ts';
import { VCZDEPOT_VERSION } from '../version.ts';
import {
  chunkOptions,
  type ThreadBuilders,
  ExportPartitionError,
  exportPartition,
  exportVcz,
  finalisePartitions,
  guardedExport,
  rebuildWorkerError,
  threadBuilders,
  type ExportOptions,
  type ExportSummary,
  type PartitionSummary,
} from '../vcz/index.ts';
import type { S3Client } from '@aws-sdk/client-s3';
import { checkS3Target, defaultThreads, isS3Url, parseS3Url, publishStoreToS3, S3StoreUpload, workerEntry } from '../zarr/index.ts';
import type { DepotExportWorkerData } from './export-worker.ts';
import { depotExportCheck, depotExportSource, type Region, type SampleSelection } from './source.ts';
import { namedErrorClass } from '../errors.ts';
import { stagingDir } from './staging.ts';

/** Options of {@link exportDepot}: the exporter's, plus `at`, `samples`, `regions` and `force`. */
export interface ExportDepotOptions extends ExportOptions {
  /** A version or tag name; default the head when the export starts. */
  readonly at?: At;
  /**
   * The samples to export (default every live sample, in depot order): ids
   * in output order, or `{ exclude: ids }` (bcftools `-s A,B` / `-s ^A,B`;
   * `parseSampleList`, `readSamplesFile` read those forms). Each must be
   * live at `at`.
   */
  readonly samples?: SampleSelection;
  /**
   * Regions (bcftools `-r` strings such as `chr22:10510000-10520000`, or
   * {@link Region}s, 1-based inclusive): only the variants overlapping one
   * are exported, as `bcftools view -r` selects them (`selectVariants`).
   */
  readonly regions?: readonly (Region | string)[];
  /**
   * `bcftools merge -0`: in a version made of several variant sets (a
   * growing cohort), a sample reads 0/0 (FORMAT missing) at the sites its
   * own file lacks, instead of `./.` (docs/growing-cohort.md).
   */
  readonly missingToRef?: boolean;
  /** Replace `out` even when it is a non-empty directory or a file vczdepot did not make (for `s3://`: a prefix holding objects vczdepot did not put). */
  readonly force?: boolean;
  /**
   * Cancels the export: checked at every progress step (each chunk written);
   * the export then stops, removes its temporary store and rejects with
   * `signal.reason`, leaving `out` as it was.
   */
  readonly signal?: AbortSignal;
  /**
   * With `threads` > 1: the chunk cache of each worker thread's own read-only
   * handle on the depot (`Depot.open`'s `cacheBytes`); default 256 MiB
   * shared out between the workers (256 MiB / threads, at least 32 MiB).
   */
  readonly workerCacheBytes?: number;
  /**
   * For an `s3://` `out`: the client to use (e.g. one configured in code)
   * instead of one from the AWS credential chain and `AWS_ENDPOINT_URL`;
   * not destroyed here.
   */
  readonly s3Client?: S3Client;
}

/**
 * Writes the samples live at `at` (or those of `samples`, over the variants
 * of `regions`) as a VCF Zarr store at `out` (a directory,
 * or a `.vcz.zip` with `zip`). The store is built under a temporary sibling
 * name and renamed into place at the end, so `out` never holds a half-written
 * store; `out` may be absent, an empty directory or a store vczdepot made,
 * anything else needs `force`.
 *
 * AC, AN and AF are recomputed from the exported calls unless `updateInfo`
 * is false (`exportVcz`, docs/vcz-export.md "Cohort-level INFO").
 *
 * `out` may be `s3://bucket/prefix`, with consolidated metadata unless
 * `consolidated: false` (docs/scale.md, "Object storage"): a directory
 * store is streamed, each chunk PUT as it is encoded (`S3StoreUpload` in
 * src/zarr/s3.ts: 16 PUTs in flight, retried by the SDK, at most
 * `S3_QUEUE_BYTES` queued), metadata PUT last, root metadata at the very
 * end, so the prefix does not open as a store until it is complete; on
 * failure what was PUT is deleted. `.zip` at the end (or `zip`): the store
 * is built in a local temporary directory (`$TMPDIR/vczdepot-s3-<pid>-*`,
 * removed at the end, or by the next s3:// export when this process was
 * killed) and the zip streamed from it by one multipart upload (no local
 * zip file). What the prefix held (a store vczdepot made, a killed upload)
 * is replaced, anything else needs `force`; the prefix is checked before
 * anything is exported, and emptied when the first chunk is PUT (a
 * directory) or the zip upload starts. Credentials, region and endpoint
 * come from the AWS SDK's standard chain and `AWS_ENDPOINT_URL`, or
 * `s3Client`.
 *
 * @returns the exporter's summary with `path` = `out` (absolute, or the `s3://` URL), the version
 *   exported, and the samples and variants exported.
 * @throws ExportTargetError (out is something else and no force),
 *   `signal.reason` when cancelled (nothing left behind),
 *   ExportWriteError (disk full, file-size limit: nothing left behind),
 *   UnknownTagError / UnknownVersionError, ChunkCorruptionError,
 *   ExportSelectionError (a sample not live at `at` or listed twice, a
 *   region that does not parse: nothing is written),
 *   S3StoreError (an `s3://` target refused or a request failing after its
 *   retries: no store opens at the prefix).
 */
export async function exportDepot(depot: Depot, out: string, options: ExportDepotOptions = {}): Promise<ExportSummary & { version: number; samples: number; variants: number }> {
  const { at, force, samples, regions, signal, missingToRef, s3Client, workerCacheBytes, ...exportOptions } = options;
  signal?.throwIfAborted();
  // The version is pinned first, so that the worker threads, started now, build their sources while this one builds its own.
  const version = depot.resolveVersion(at);
  const builders = depotBuilders(depot, out, exportOptions, { version, samples, regions, missingToRef: missingToRef ?? false, workerCacheBytes });
  try {
    const source = depotExportSource(depot, version, `vczdepot-${VCZDEPOT_VERSION}`, { ...(samples ? { samples } : {}), ...(regions ? { regions } : {}), ...(missingToRef ? { missingToRef: true } : {}) });
    if (builders) builders.check = depotExportCheck(source);
    return await exportDepotSource(source, out, { ...exportOptions, ...(builders ? { builders } : {}) }, { force, signal, s3Client });
  } finally {
    await builders?.dispose();
  }
}

/** exportDepot once the source is built (and the worker threads, if any, started). */
async function exportDepotSource(
  source: ReturnType<typeof depotExportSource>,
  out: string,
  withBuilders: ExportOptions,
  { force, signal, s3Client }: Pick<ExportDepotOptions, 'force' | 'signal' | 's3Client'>,
): Promise<ExportSummary & { version: number; samples: number; variants: number }> {
  const onProgress = withBuilders.onProgress;
  const checked: ExportOptions = signal
    ? {
        ...withBuilders,
        onProgress: (done, total) => {
          signal.throwIfAborted();
          onProgress?.(done, total);
        },
      }
    : withBuilders;
  const counts = { version: source.version, samples: source.sampleIds.length, variants: source.variants?.length ?? source.variantSet.numVariants };
  if (isS3Url(out)) {
    const loc = parseS3Url(out);
    const s3 = { force: !!force, ...(signal ? { signal } : {}), ...(s3Client ? { client: s3Client } : {}) };
    const consolidated = checked.consolidated ?? true;
    if (!(checked.zip ?? /\.zip$/i.test(loc.key))) {
      // Refuses a target we may not replace before exporting anything.
      const upload = await S3StoreUpload.open(loc.url, s3);
      try {
        const summary = await exportVcz(source, loc.url, { ...checked, zip: false, consolidated, storeBackend: upload });
        return { ...summary, path: loc.url, ...counts };
      } catch (err) {
        await upload.discard();
        throw err;
      }
    }
    await checkS3Target(loc.url, s3);
    const staging = stagingDir('vczdepot-s3').path;
    try {
      const local = join(staging, loc.key.slice(loc.key.lastIndexOf('/') + 1));
      const summary = await exportVcz(source, local, { ...checked, zip: false, consolidated });
      const t0 = performance.now();
      const published = await publishStoreToS3(local, loc.url, { ...s3, zip: true });
      return { ...summary, seconds: summary.seconds + (performance.now() - t0) / 1000, bytes: published.bytes, path: loc.url, ...counts };
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  const summary = await guardedExport(out, { force: !!force }, (path) => exportVcz(source, path, checked));
  return { ...summary, path: resolve(out), version: source.version, samples: source.sampleIds.length, variants: source.variants?.length ?? source.variantSet.numVariants };
}

/** Depot.open's default chunk cache, and the least a worker's share of it. */
const DEFAULT_DEPOT_CACHE_BYTES = 256 * 1024 * 1024;
const WORKER_MIN_CACHE_BYTES = 32 * 1024 * 1024;

/**
 * Worker threads that read the records and build, encode and write the
 * chunks themselves (src/vcz/export-threads.ts, src/io/export-worker.ts),
 * started at once so that each builds its export source while the main
 * thread builds its own (threads − 1 of them, or `threads` for an `s3://`
 * directory store, whose main thread only uploads), or undefined (one
 * thread, an invalid thread count exportVcz reports, or a bundle without
 * `export-worker.cjs`: the export then runs as before, the main thread
 * reading and encoder-only workers compressing).
 */
function depotBuilders(
  depot: Depot,
  out: string,
  options: ExportOptions,
  extra: { version: number; samples: SampleSelection | undefined; regions: readonly (Region | string)[] | undefined; missingToRef: boolean; workerCacheBytes: number | undefined },
): ThreadBuilders | undefined {
  const threads = options.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 2) return undefined;
  const entry = workerEntry('export-worker', new URL('./export-worker.ts', import.meta.url).href);
  if (!entry) return undefined;
  const workerData: DepotExportWorkerData = {
    depot: depot.path,
    // The depot's default chunk cache (256 MiB) shared out, so the workers' caches together stay within it.
    cacheBytes: extra.workerCacheBytes ?? Math.max(WORKER_MIN_CACHE_BYTES, Math.floor(DEFAULT_DEPOT_CACHE_BYTES / threads)),
    version: extra.version,
    source: `vczdepot-${VCZDEPOT_VERSION}`,
    ...(extra.samples ? { samples: extra.samples } : {}),
    ...(extra.regions ? { regions: extra.regions } : {}),
    missingToRef: extra.missingToRef,
  };
  const s3Directory = isS3Url(out) && !(options.zip ?? /\.zip$/i.test(parseS3Url(out).key));
  return threadBuilders({
    threads,
    entry,
    options: chunkOptions(options),
    workerData,
    rebuild: (flat, o) => rebuildWorkerError(flat, namedErrorClass, o),
    prestart: s3Directory ? threads : threads - 1,
  });
}

/** Options of {@link exportDepotPartition} and {@link finaliseDepotExport}: `exportDepot`'s, with `at` required and no `signal`. */
export type PartitionedDepotExportOptions = Omit<ExportDepotOptions, 'at' | 'signal'> & { readonly at: At };

function partitionedSource(depot: Depot, out: string, options: PartitionedDepotExportOptions) {
  const { at, force, samples, regions, missingToRef, ...exportOptions } = options;
  if (isS3Url(out)) throw new ExportPartitionError(out, 'a partitioned export writes to a shared filesystem, not to s3://; export the partitions to a directory and upload it, or export in one job to s3:// (docs/scale.md, "Object storage")');
  if (at === undefined || at === null || at === '') {
    throw new ExportPartitionError(resolve(out), 'a partitioned export needs --at (a tag or version number) so that every job exports the same version; tag the head first (vczdepot tag) if needed');
  }
  const source = depotExportSource(depot, at, `vczdepot-${VCZDEPOT_VERSION}`, { ...(samples ? { samples } : {}), ...(regions ? { regions } : {}), ...(missingToRef ? { missingToRef: true } : {}) });
  // What every job must agree on: the depot (its creation time), the version, the samples and the variants.
  const identity = {
    depotCreated: depot.meta.created,
    version: source.version,
    at: String(at),
    samples: source.sampleIds.length,
    samplesSha256: createHash('sha256').update(source.sampleIds.join('\n')).digest('hex'),
    regions: (regions ?? []).map((r) => (typeof r === 'string' ? r : JSON.stringify(r))),
    variants: source.variants?.length ?? source.variantSet.numVariants,
  };
  return { source, identity, exportOptions: { ...exportOptions, force: !!force } };
}

/**
 * Writes partition `partition` (0-based) of `partitions` of the export of
 * `depot` at `options.at` to `out`: only the chunks of its variant chunks
 * (c mod partitions = partition), under the work directory beside `out`
 * (`.vczdepot-parts-<name>`, `exportPartition` in src/vcz/export-parts.ts;
 * docs/scale.md). Open the depot read-only; every job may run on another
 * machine that sees the depot and `out`'s parent directory. Idempotent and
 * restartable: a complete partition is not run again (`skipped`), a killed
 * one is written again with the same bytes.
 *
 * @throws ExportPartitionError without `at`, or when the work directory
 *   belongs to another version, selection or options
 * @throws RangeError for partitions < 1 or partition outside [0, partitions)
 * @throws UnknownTagError / UnknownVersionError, ExportSelectionError,
 *   ExportTargetError, ChunkCorruptionError, as {@link exportDepot}
 */
export async function exportDepotPartition(depot: Depot, out: string, partitions: number, partition: number, options: PartitionedDepotExportOptions): Promise<PartitionSummary & { version: number }> {
  const { source, identity, exportOptions } = partitionedSource(depot, out, options);
  const summary = await exportPartition(source, out, partition, partitions, exportOptions, identity);
  return { ...summary, version: source.version };
}

/**
 * Finalises a partitioned export of `depot` at `options.at` to `out` (the
 * same `at`, selection and chunk/codec options as the partitions; `zip` and
 * `consolidated` may be chosen here): checks every partition is complete,
 * writes the metadata, `region_index` and the recomputed AC/AN/AF, and moves
 * the store into place at `out` as {@link exportDepot} does, byte for byte
 * the one-shot export's. The work directory is then removed.
 *
 * @throws ExportPartitionError naming the missing or incomplete partitions
 *   (nothing written, `out` as it was), or when no partition ran or they
 *   ran with other data or options
 * @throws as {@link exportDepot}
 */
export async function finaliseDepotExport(depot: Depot, out: string, options: PartitionedDepotExportOptions): Promise<ExportSummary & { version: number; samples: number; variants: number; partitions: number }> {
  const { source, identity, exportOptions } = partitionedSource(depot, out, options);
  const summary = await finalisePartitions(source, out, exportOptions, identity);
  return { ...summary, version: source.version, samples: source.sampleIds.length, variants: source.variants?.length ?? source.variantSet.numVariants };
}
