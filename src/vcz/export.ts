/**
 * VCZ export: writes a variant set and its samples' records as the VCF Zarr
 * store bio2zarr 0.2.1 `vcf2zarr convert` writes for the same data
 * (`docs/vcz-format.md`, "Arrays" to "region_index"): same arrays, dtypes, dimension names, chunk
 * shapes, compressors, fill values, attributes and sentinels.
 *
 * The parts: ./export-types.ts (source, options, summary), ./export-arrays.ts
 * (dtypes, dimensions, the store with its progress count),
 * ./export-variants.ts (variant-axis arrays), ./export-calls.ts (call
 * tiles), ./export-info.ts (recomputed AC/AN/AF).
 *
 * Memory: variant-axis arrays come from the (in-memory) variant set, one
 * variant chunk at a time. Call arrays are built one tile (one samples-chunk
 * column × one variant chunk) at a time from the records of that column;
 * each record block is read once per column and kept only while variant
 * chunks overlap it.
 *
 * Known differences from bio2zarr (checked in `test/vcz/export.test.ts`,
 * which converts VCFs with vcf2zarr and compares every array):
 * * chunk bytes: Blosc frames use zstd level 7 by default (numcodecs uses
 *   13 for clevel 7); `bloscZstdLevel: 'c-blosc'` gives numcodecs' frames.
 *   Decoded chunks are identical either way. All chunks are written (bio2zarr
 *   skips chunks equal to the fill value; readers treat both alike).
 * * `call_genotype`'s dtype comes from `fieldStats.get('GT')` when given,
 *   else from the largest possible allele index (bio2zarr: observed max);
 *   both give int8 below 128 alleles.
 * * per-sample records carry exact widths for Number=G (by the sample's
 *   ploidy): where bio2zarr pads a haploid sample's Float G values to the
 *   record's maximum with the missing NaN (cyvcf2), the export pads with fill.
 */

import { binomial, maxAlleles, subsetVariantSet } from '../codec/index.ts';
import { VCZDEPOT_VERSION } from '../version.ts';
import { type BloscShuffle, defaultThreads, type ZarrCompressor, ZarrStoreWriter } from '../zarr/index.ts';
import { type Dims, ExportStore, yieldToLoop } from './export-arrays.ts';
import { CallTiles, callArrays } from './export-calls.ts';
import { countAlleles, recomputedColumns, recomputedInfo } from './export-info.ts';
import { DEFAULT_BLOSC_ZSTD_LEVEL, type ExportOptions, type ExportSource, type ExportSummary, VCF_ZARR_VERSION } from './export-types.ts';
import { dataArrays, fixedVariantArrays, infoArray, regionIndex, type VarWriter } from './export-variants.ts';

/**
 * Exports `source` as a VCF Zarr store at `out`.
 *
 * Arrays (`docs/vcz-format.md`, "Arrays"): `contig_id`, `contig_length` (only when every
 * contig has a length), `filter_id`, `filter_description`, `sample_id`,
 * `variant_contig|position|length` (narrowest int for the values),
 * `variant_id`, `variant_id_mask`, `variant_allele` [variants, alleles],
 * `variant_quality` f4, `variant_filter` [variants, filters],
 * `variant_<INFO>`, `call_<FORMAT>` [variants, samples(, dim)],
 * `call_genotype` [variants, samples, ploidy], `call_genotype_phased`,
 * `call_genotype_mask`, `region_index` [rows, 6]; with
 * `options.localAlleles`, `call_LA`, `call_LAD` and `call_LPL` in place of
 * `call_AD` and `call_PL` (./local-alleles.ts). Records narrower than an
 * array are padded with fill (-2, NaN 0x7F800002, ""); a FORMAT field absent
 * from a record is all missing (-1, NaN 0x7F800001, "."); a record without
 * GT in an array with GT gets -1 (missing) alleles and phased false;
 * ploidy-1 arrays are all phased (bio2zarr). Float bits are copied exactly.
 *
 * With `source.variants`, only those variants are written, in that order
 * (variant arrays and `region_index` of the subset; the alleles and genotypes
 * dimensions stay the whole set's). Unless `options.updateInfo` is false,
 * declared INFO/AC, AN and AF are recomputed from the exported genotypes
 * ({@link recomputedInfo}; bcftools `view -s` for AC/AN, `+fill-tags -t AF`
 * for AF) and written after the call arrays, with the narrowest Integer
 * dtype holding the counts and fill (as vcf2zarr picks).
 *
 * The store is built in `<out>.tmp-<random>` and renamed (or zipped) into
 * `out` at the end; on error the temporary data is deleted.
 *
 * Threads (`options.threads`, default `os.availableParallelism()`): with
 * `options.builders` (./export-threads.ts; `exportDepot` gives them for a
 * depot), `threads − 1` worker threads and this thread read the records and
 * build, encode and write the (samples column, variant chunk) items, and
 * this thread writes the whole-set arrays (to a store backend: `threads`
 * workers build, this thread puts their chunks); otherwise this thread reads the records and builds each
 * chunk, and `threads − 1` worker threads compress chunks (Blosc/zstd)
 * meanwhile, this thread too when every worker has its share in flight
 * (src/zarr/pool.ts, which states the memory bound per worker). The store's
 * bytes are the same for any thread count.
 *
 * @throws RangeError for invalid options, or a `variants` index out of
 *   range or repeated
 * @throws ZarrStateError when `out` exists or its parent does not
 * @throws ExportSourceError when records do not match the request (count,
 *   sample, block), a record's field or ploidy is wider than the array
 *   (fieldStats / maxPloidy too small), or an Integer value does not fit
 *   the dtype chosen from fieldStats; with `localAlleles`, when the data is
 *   not diploid with GT, AD/PL is not Integer, or an allele above 127 is called
 * @throws CodecUnavailableError when the native zstd codec cannot be loaded
 */
export async function exportVcz(source: ExportSource, out: string, options: ExportOptions = {}): Promise<ExportSummary> {
  const t0 = performance.now();
  const full = source.variantSet;
  // Output row v holds the variant src(v) of the whole set (the selection, or v itself).
  const sel = source.variants === undefined ? null : Int32Array.from(source.variants);
  const vs = sel ? subsetVariantSet(full, sel) : full;
  const nV = vs.numVariants;
  const sampleIds = source.sampleIds;
  const nS = sampleIds.length;
  checkChunkSize('variantsChunkSize', options.variantsChunkSize);
  checkChunkSize('samplesChunkSize', options.samplesChunkSize);
  if (!Number.isInteger(source.blockSize) || source.blockSize < 1) throw new RangeError(`blockSize must be an integer >= 1, got ${source.blockSize}`);
  const vChunk = options.variantsChunkSize ?? Math.max(1, Math.min(nV, 1000));
  const sChunk = options.samplesChunkSize ?? Math.max(1, Math.min(nS, 10000));
  const format = options.zarrFormat ?? 2;
  if (format !== 2 && format !== 3) throw new RangeError(`zarrFormat must be 2 or 3, got ${String(format)}`);
  const useZstd = options.compressor === 'zstd';
  const bl = options.bloscZstdLevel;
  if (bl !== undefined && bl !== 'c-blosc' && (!Number.isInteger(bl) || bl < -131072 || bl > 22)) throw new RangeError(`bloscZstdLevel must be an integer <= 22 or 'c-blosc', got ${String(bl)}`);
  if (options.compressor !== undefined && options.compressor !== 'blosc' && !useZstd) throw new RangeError(`compressor must be 'blosc' or 'zstd', got ${String(options.compressor)}`);
  const zstdLevel = options.zstdLevel ?? 7;
  const threads = options.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be an integer >= 1, got ${String(threads)}`);
  const comp = (shuffle: BloscShuffle, clevel = 7): ZarrCompressor => (useZstd ? { id: 'zstd', level: zstdLevel } : { id: 'blosc', cname: 'zstd', clevel, shuffle });

  // Dimensions (bio2zarr vcf.py generate_schema).
  // The whole set's: records hold Number=R/A/G values at its widths (a region
  // export keeps the alleles and genotypes dimensions of the whole set).
  const alleles = maxAlleles(full);
  const hasGT = vs.hasGenotype;
  const ploidy = hasGT ? Math.max(source.maxPloidy, 1) : 0;
  let genotypes = 0;
  if (hasGT) genotypes = binomial(alleles + ploidy - 1, ploidy);
  else {
    for (const def of vs.format) if (def.number === 'G') genotypes = Math.max(genotypes, source.fieldStats.get(def.id)?.width ?? 0);
    if (genotypes === 0) for (const col of vs.info) if (col.def.number === 'G') genotypes = Math.max(genotypes, col.width);
  }
  const dims: Dims = { alleles, altAlleles: alleles - 1, genotypes, ploidy };

  const part = options.part;
  const items = part && 'items' in part ? part.items : undefined;
  if (part !== undefined && !('items' in part) && (!Number.isInteger(part.count) || part.count < 1 || ('index' in part && (!Number.isInteger(part.index) || part.index < 0 || part.index >= part.count)))) {
    throw new RangeError(`partition ${'index' in part ? part.index : 'finalise'} of ${part.count}: count must be an integer >= 1 and index in [0, count)`);
  }
  const partIndex = part && 'index' in part ? part.index : undefined;
  const finalising = part !== undefined && 'finalise' in part;
  // Variant chunk c belongs to partition c mod count; a partition writes only its own.
  const mine = (c: number): boolean => part === undefined || (partIndex !== undefined && c % (part as { count: number }).count === partIndex);
  const wholeSet = part === undefined || finalising; // writes metadata and the arrays that need every variant
  const builders = wholeSet && !finalising ? options.builders : undefined;

  const writer = ZarrStoreWriter.create(out, {
    zarrFormat: format,
    metadata: wholeSet,
    consolidated: wholeSet && (options.consolidated ?? false),
    zip: wholeSet && (options.zip ?? /\.zip$/i.test(out)),
    // With builders, the main thread writes only the small whole-set arrays.
    threads: builders ? 1 : threads,
    ...(options.bloscZstdLevel === 'c-blosc' ? {} : { bloscZstdLevel: options.bloscZstdLevel ?? DEFAULT_BLOSC_ZSTD_LEVEL }),
    ...(options.storeBackend ? { backend: options.storeBackend } : {}),
  });
  try {
    writer.setRootAttributes({
      vcf_zarr_version: VCF_ZARR_VERSION,
      source: source.source ?? `vczdepot-${VCZDEPOT_VERSION}`,
      vcf_meta_information: vs.metaInformation.map(([k, v]) => [k, v]),
    });
    // Every array is created (and counted) before the first chunk is written, so progress totals are final.
    const store = new ExportStore(writer, vChunk, sChunk, comp, options.onProgress);
    const writeDataArrays = dataArrays(store, vs, sampleIds);
    const { writers: varWriters, posDtype } = fixedVariantArrays(store, vs, dims);
    // AC/AN/AF recomputed from the exported calls: written after the call
    // arrays (their dtypes depend on the counts); their chunks are counted now.
    const recompute = options.updateInfo === false ? new Set<string>() : recomputedInfo(vs);
    for (const col of vs.info) if (!recompute.has(col.def.id)) varWriters.push(infoArray(store, col, nV, dims));
    const nVChunks = Math.ceil(nV / vChunk);
    store.countAhead(recompute.size * nVChunks);
    const countsShape = { variants: nV, alleles, vChunk };
    let counts: Int32Array | null = recompute.size > 0 && !finalising && !items ? new Int32Array(nV * alleles) : null;
    if (recompute.size > 0 && part && 'finalise' in part) {
      counts = part.counts?.(countsShape) ?? null;
      if (!counts || counts.length !== nV * alleles) throw new RangeError(`finalising needs the called-allele counts [${nV}, ${alleles}] of every partition`);
    }
    const plans = callArrays(store, vs, source, dims, nS, options.localAlleles ?? false);
    const writeRegionIndex = regionIndex(store, vs, posDtype);
    const tiles = new CallTiles(store, source, plans, nV, ploidy, sel);
    // Items (sc, c): column sc of variant chunk c's call tiles, and with sc = 0 the variant arrays' chunk c.
    const columns = Math.max(1, tiles.columns);
    let workerChunks = 0;
    let built = { chunks: 0, bytes: 0, threads: 0 };
    const writeItem = async (sc: number, c: number, acc: Int32Array | null, firstRow: number): Promise<void> => {
      const v0 = c * vChunk;
      const v1 = Math.min(nV, v0 + vChunk);
      if (sc === 0) for (const w of varWriters) w(v0, v1, c);
      tiles.write(sc, c, acc ? (tile, ctx) => countAlleles(tile, ctx, acc, alleles, firstRow) : undefined);
      await writer.ready();
      await yieldToLoop();
    };

    if (wholeSet) writeDataArrays();
    if (wholeSet) writeRegionIndex();
    if (items) {
      // A worker thread's dynamic share: the items handed out, each with its rows' allele counts.
      for (let it = await items.next(); it; it = await items.next()) {
        const rows = recompute.size > 0 ? new Int32Array((Math.min(nV, (it.c + 1) * vChunk) - it.c * vChunk) * alleles) : null;
        const before = store.done;
        await writeItem(it.sc, it.c, rows, it.c * vChunk);
        await items.done(it, rows, store.done - before);
      }
    } else if (builders) {
      const acc = counts;
      built = await builders.run({
        out: writer.path,
        dir: options.storeBackend ? undefined : writer.tmpPath,
        backend: options.storeBackend,
        variantChunks: nVChunks,
        columns,
        // The main thread builds items too, as the one-thread export does (its counts straight into `counts`).
        buildItem: (it) => writeItem(it.sc, it.c, acc, 0),
        onItem: (it, rows, chunks) => {
          if (acc && rows) {
            const o = it.c * vChunk * alleles;
            for (let i = 0; i < rows.length; i++) acc[o + i]! += rows[i]!;
          }
          store.advance(chunks);
        },
      });
      workerChunks = built.chunks;
    } else if (!finalising) {
      // Column by column, ascending variant chunks: each record block read once per column.
      for (let sc = 0; sc < columns; sc++) for (let c = 0; c < nVChunks; c++) if (mine(c)) await writeItem(sc, c, counts, 0);
      if (counts && part && 'index' in part) part.onCounts?.(counts, countsShape);
    }

    // The recomputed INFO arrays, from the allele counts of every column.
    if (counts && wholeSet) {
      const late: VarWriter[] = recomputedColumns(vs, recompute, counts, alleles).map((col) => infoArray(store, col, nV, dims, false));
      for (let c = 0; c < nVChunks; c++) {
        const v0 = c * vChunk;
        for (const w of late) w(v0, Math.min(nV, v0 + vChunk), c);
        await writer.ready();
      }
    }

    if (part && 'finalise' in part) for (const dir of part.adopt) writer.adopt(dir);
    const summary = await writer.finish();
    // A zip's size already counts the builders' files (they were in the directory zipped).
    const bytes = summary.bytes + (writer.zip ? 0 : built.bytes);
    return { arrays: summary.arrays, chunks: summary.chunks + built.chunks, bytes, seconds: (performance.now() - t0) / 1000, path: summary.path, workerChunks: summary.workerChunks + workerChunks, buildThreads: Math.max(1, built.threads) };
  } catch (err) {
    writer.abort();
    throw err;
  }
}

function checkChunkSize(name: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new RangeError(`${name} must be an integer >= 1, got ${v}`);
}
