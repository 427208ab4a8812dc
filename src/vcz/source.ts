/**
 * Adapting a depot (through its public API only) to what the VCZ exporter
 * reads: the live samples at one version, their widths, and block reads.
 */
import type { At, Depot } from '../depot/index.ts';
import type { FieldStats } from '../depot/index.ts';
import { RecordView } from '../codec/index.ts';
import type { ExportSource } from './export.ts';

/** Samples per getMany call when exporting: bounds the chunk buffers held at once. */
const READ_BATCH = 64;

/**
 * The samples live at `at` (default: the head *as of now*, pinned to its
 * version number so that a concurrent writer cannot change what is
 * exported), with per-field widths and Integer ranges merged over them.
 *
 * Memory: `readBlock` returns copies of the records (the exporter keeps one
 * samples-chunk column of one variant block: samplesChunkSize × block record
 * bytes), reading at most 64 samples' chunks at a time.
 *
 * @throws UnknownTagError / UnknownVersionError / AmbiguousAtError for a bad `at`.
 */
export function depotExportSource(depot: Depot, at?: At, source = 'vczdepot'): ExportSource & { version: number } {
  // The depot resolves `at` (typed errors for an unknown or ambiguous one).
  const pinned = depot.resolveVersion(at);
  const info = depot.sampleInfo({ at: pinned });
  const fieldStats = new Map<string, { width: number; min?: number; max?: number }>();
  let maxPloidy = 0;
  for (const s of info) {
    maxPloidy = Math.max(maxPloidy, s.ploidy);
    for (const [id, st] of Object.entries(s.fields) as [string, FieldStats][]) {
      const cur = fieldStats.get(id);
      if (!cur) fieldStats.set(id, { ...st });
      else {
        cur.width = Math.max(cur.width, st.width);
        if (st.min !== undefined) cur.min = Math.min(cur.min ?? st.min, st.min);
        if (st.max !== undefined) cur.max = Math.max(cur.max ?? st.max, st.max);
      }
    }
  }
  return {
    version: pinned,
    variantSet: depot.variantSet,
    sampleIds: info.map((s) => s.sampleId),
    blockSize: depot.meta.blockSize,
    maxPloidy,
    fieldStats,
    source,
    readBlock: (ids, block) => {
      // Read in small batches and copy each record out of its chunk buffer, so
      // memory holds one block's records for the column, not every chunk
      // they came from (one-sample chunks hold all blocks of a sample).
      const out: RecordView[] = [];
      for (let i = 0; i < ids.length; i += READ_BATCH) {
        for (const v of depot.getMany(ids.slice(i, i + READ_BATCH), { blocks: [block], at: pinned })) out.push(new RecordView(v.records[0]!.bytes.slice()));
      }
      return out;
    },
  };
}
