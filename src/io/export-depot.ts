/**
 * Exporting a depot (at a version or tag) to a VCF Zarr store, safely: the
 * one call the CLI and most library users need.
 */
import { resolve } from 'node:path';
import type { At, Depot } from '../depot/index.ts';
import { VCZDEPOT_VERSION } from '../version.ts';
import { exportVcz, guardedExport, type ExportOptions, type ExportSummary } from '../vcz/index.ts';
import { depotExportSource, type Region, type SampleSelection } from './source.ts';

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
  /** Replace `out` even when it is a non-empty directory or a file vczdepot did not make. */
  readonly force?: boolean;
  /**
   * Cancels the export: checked at every progress step (each chunk written);
   * the export then stops, removes its temporary store and rejects with
   * `signal.reason`, leaving `out` as it was.
   */
  readonly signal?: AbortSignal;
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
 * @returns the exporter's summary with `path` = `out` (absolute), the version
 *   exported, and the samples and variants exported.
 * @throws ExportTargetError (out is something else and no force),
 *   `signal.reason` when cancelled (nothing left behind),
 *   ExportWriteError (disk full, file-size limit: nothing left behind),
 *   UnknownTagError / UnknownVersionError, ChunkCorruptionError,
 *   ExportSelectionError (a sample not live at `at` or listed twice, a
 *   region that does not parse: nothing is written).
 */
export async function exportDepot(depot: Depot, out: string, options: ExportDepotOptions = {}): Promise<ExportSummary & { version: number; samples: number; variants: number }> {
  const { at, force, samples, regions, signal, ...exportOptions } = options;
  signal?.throwIfAborted();
  const source = depotExportSource(depot, at, `vczdepot-${VCZDEPOT_VERSION}`, { ...(samples ? { samples } : {}), ...(regions ? { regions } : {}) });
  const onProgress = exportOptions.onProgress;
  const checked: ExportOptions = signal
    ? {
        ...exportOptions,
        onProgress: (done, total) => {
          signal.throwIfAborted();
          onProgress?.(done, total);
        },
      }
    : exportOptions;
  const summary = await guardedExport(out, { force: !!force }, (path) => exportVcz(source, path, checked));
  return { ...summary, path: resolve(out), version: source.version, samples: source.sampleIds.length, variants: source.variants?.length ?? source.variantSet.numVariants };
}
