/**
 * The `vczdepot` command line, on src/io (files <-> depot) and src/depot.
 * Exit codes: 0 success, 1 a failed operation (one-line reason on stderr),
 * 2 a usage error.
 *
 * Start-up time matters for one-shot commands (remove, tag, samples): the
 * file layer (src/io, with src/vcf, src/vcz and src/zarr: @gmod/vcf,
 * zarrita, the VCZ writer) is imported only by the commands that read or
 * write files, so the others load the depot layer alone.
 */
import { basename } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { Depot, ErasureIncompleteError, findTraces, type At, type LogEntry } from '../depot/index.ts';
import { VczdepotError, type ErrorsByCode } from '../errors.ts';
import { VCZDEPOT_VERSION } from '../version.ts';
import { progress } from './progress.ts';

/** The file layer (src/io: VCF/BCF/VCZ import, VCZ export, show), loaded on first use. */
const io = () => import('../io/index.ts');

/** `verify` found errors: exit 1 after printing the report. */
class VerifyFailed extends VczdepotError {
  readonly code = 'verify-failed' as const;
  constructor(readonly errors: number) {
    super(`verify found ${errors} error(s)`);
  }
}

/**
 * A `--at` value, passed to the depot as given: all digits name a version
 * (`--at 3`), anything else a tag. The depot resolves it, so that a depot
 * holding an all-digit tag from before such names were refused gives an
 * AmbiguousAtError for a number that names both, instead of a silent pick.
 */
function parseAt(v: string | undefined): At | undefined {
  return v;
}

/** An option parser for integers in [min, max]; anything else is a usage error (exit 2). */
function intInRange(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\s*[+-]?\d+\s*$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? `must be an integer ≥ ${min}` : `must be an integer in ${min}..${max}`);
    }
    return n;
  };
}
const positiveInt = () => intInRange(1);

function print(json: boolean, data: unknown, text: () => string): void {
  process.stdout.write(json ? JSON.stringify(data, null, 2) + '\n' : text());
}

/** Prints an import warning (e.g. an undeclared FILTER key, read as bcftools does) on stderr. */
function printWarning(w: { readonly message: string }): void {
  process.stderr.write(`vczdepot: warning: ${w.message}\n`);
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(2)} MiB`;
}

/** A usage error found after parsing (exit 2, with the usage). */
class UsageError extends VczdepotError {
  readonly code = 'usage' as const;
  constructor(
    message: string,
    /** The subcommand whose usage to print. */
    readonly command?: string,
  ) {
    super(message);
  }
}
const usage = (message: string, command?: string) => new UsageError(message, command);

/** Builds the commander program (exported for tests). */
export function program(): Command {
  const prog = new Command('vczdepot')
    .description('A transactional depot of per-sample variant calls that exports VCF Zarr (VCZ).')
    .version(VCZDEPOT_VERSION)
    // Usage errors print the message, then the command's help, on stderr (exit 2);
    // subcommands inherit this.
    .showHelpAfterError(true)
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });

  prog
    .command('create')
    .description("create a depot from a VCF, BCF or VCZ: its samples over its own sites (later appends bring theirs; a version's sites are their bcftools merge), or with --no-samples its sites as declared sites of every version")
    .argument('<depot>', 'directory to create (must not exist or be empty)')
    .requiredOption('--from <file>', 'VCF (.vcf, .vcf.gz), BCF (.bcf) or VCZ (directory, .vcz.zip) to take the variants from; or an s3://bucket/key of one (AWS credential chain, AWS_ENDPOINT_URL)')
    .option('--no-samples', 'take only the sites, declared: part of every version (an array manifest, a panel)')
    .addOption(new Option('--merge <mode>', "how the files' sites merge, kept in the depot: bcftools merge -m both (SNPs with SNPs, indels with indels) or -m none (no new multiallelic records)").choices(['both', 'none']).default('both'))
    .option('--block-size <n>', 'variants per record block', positiveInt(), 1000)
    .option('--level <n>', 'zstd level of the chunks (1-19)', intInRange(1, 19), 3)
    .option('--threads <n>', 'threads that parse a streamed VCF\'s or BCF\'s sample columns: this one (which also reads the file and stages the calls) and N-1 worker threads; the depot is byte-identical for any N; gVCFs, VCFs under 4 MiB and VCZ are read on one thread (default: the available parallelism, os.availableParallelism())', positiveInt())
    .option('--json', 'print the result as JSON')
    .action(async (depotPath: string, o: { from: string; samples: boolean; merge: 'both' | 'none'; blockSize: number; level: number; threads?: number; json?: boolean }) => {
      const t0 = performance.now();
      const { createFromFile } = await io();
      const bar = progress(`reading ${basename(o.from)}`, !o.json, { unit: 'bytes' });
      const { depot, sampleCount, commit } = await interruptible((signal) =>
        createFromFile(depotPath, o.from, {
          merge: o.merge,
          blockSize: o.blockSize,
          level: o.level,
          samples: o.samples,
          ...(o.threads !== undefined ? { threads: o.threads } : {}),
          message: `create --from ${basename(o.from)}`,
          onProgress: (done, total) => bar.update(done, total),
          onWarning: printWarning,
          signal,
        }),
      ).finally(bar.stop);
      const { versionSites } = await io();
      const result = { depot: depot.path, variants: versionSites(depot).merged.variantSet.numVariants, samples: sampleCount, version: depot.version(), ...(commit && 'workerWindows' in commit ? { workerWindows: commit.workerWindows } : {}), seconds: (performance.now() - t0) / 1000 };
      depot.close();
      print(!!o.json, result, () => `created ${result.depot}: ${result.variants} variants, ${result.samples} samples, version ${result.version} (${result.seconds.toFixed(2)} s)\n`);
    });

  prog
    .command('append')
    .description('add the samples of VCF/VCZ files, all in one transaction (all or nothing)')
    .argument('<depot>')
    .argument('<files...>', 'VCF, BCF or VCZ files holding exactly the depot\'s variants (local paths or s3://bucket/key URLs)')
    .option('-m, --message <text>', 'log message')
    .option('--threads <n>', 'threads that parse a streamed VCF\'s or BCF\'s sample columns: this one (which also reads the file and stages the calls) and N-1 worker threads; the depot is byte-identical for any N; gVCFs, VCFs under 4 MiB and VCZ are read on one thread (default: the available parallelism, os.availableParallelism())', positiveInt())
    .option('--json', 'print the result as JSON')
    .action(async (depotPath: string, files: string[], o: { message?: string; threads?: number; json?: boolean }) => {
      const t0 = performance.now();
      const { addFiles } = await io();
      const depot = Depot.open(depotPath);
      try {
        const bar = progress('reading', !o.json, { unit: 'bytes' });
        const commit = await interruptible((signal) =>
          addFiles(depot, files, { ...(o.message ? { message: o.message } : {}), ...(o.threads !== undefined ? { threads: o.threads } : {}), onProgress: (done, total) => bar.update(done, total), onWarning: printWarning, signal }),
        ).finally(bar.stop);
        const result = { ...commit, seconds: (performance.now() - t0) / 1000 };
        print(!!o.json, result, () => `added ${commit.added.length} samples (version ${commit.version}, ${result.seconds.toFixed(2)} s)\n`);
      } finally {
        depot.close();
      }
    });

  prog
    .command('remove')
    .description('hide samples from the head in one transaction (tags taken before keep them)')
    .argument('<depot>')
    .argument('<samples...>')
    .option('-m, --message <text>', 'log message')
    .option('--json', 'print the result as JSON')
    .action((depotPath: string, samples: string[], o: { message?: string; json?: boolean }) => {
      const depot = Depot.open(depotPath);
      try {
        const commit = depot.remove(samples, o.message ? { message: o.message } : {});
        print(!!o.json, commit, () => `removed ${commit.removed.length} samples (version ${commit.version})\n`);
      } finally {
        depot.close();
      }
    });

  prog
    .command('purge')
    .description('erase samples for good (withdrawn consent): drop them from every version and tag, rewrite their bytes out of the chunk files, and replace the index by a compacted copy, so no file of the depot keeps them (docs/trust.md, "Erasure")')
    .argument('<depot>')
    .argument('[samples...]')
    .option('-m, --message <text>', 'log message (the log keeps no sample ids)')
    .option('--finish', 'no samples: finish a purge that was interrupted (sweep leftovers, replace the index by a compacted copy)')
    .option('--json', 'print the result as JSON (the commit, and `erased`: samples, entries, records, files rewritten/written/deleted, index bytes, seconds)')
    .action((depotPath: string, samples: string[], o: { message?: string; json?: boolean; finish?: boolean }) => {
      if (samples.length === 0 && !o.finish) throw new UsageError('purge needs sample ids (or --finish to finish an interrupted purge)');
      if (samples.length > 0 && o.finish) throw new UsageError('purge --finish takes no sample ids');
      const depot = Depot.open(depotPath);
      try {
        const r = depot.purge(samples, o.message ? { message: o.message } : {});
        const e = r.erased;
        print(!!o.json, r, () =>
          samples.length === 0
            ? `finished: index ${mib(e.indexBytesBefore)} → ${mib(e.indexBytesAfter)}; deleted ${e.filesDeleted.join(', ') || 'nothing'} (${e.seconds.toFixed(2)} s)\n`
            : `purged ${e.samples.length} samples (version ${r.version}; ${e.entries} index entries, ${e.records} records; tags changed: ${r.tagsChanged.join(', ') || 'none'}; ` +
              `chunk files ${mib(r.bytesBefore)} → ${mib(r.bytesAfter)}, rewritten: ${e.filesRewritten.join(', ') || 'none'}; index ${mib(e.indexBytesBefore)} → ${mib(e.indexBytesAfter)}; ${e.seconds.toFixed(2)} s)\n`,
        );
      } finally {
        depot.close();
      }
    });

  prog
    .command('compact')
    .description('reclaim unreferenced chunks and repack records block-major (readers keep reading)')
    .argument('<depot>')
    .option('--json', 'print the result as JSON')
    .action((depotPath: string, o: { json?: boolean }) => {
      const depot = Depot.open(depotPath);
      try {
        const r = depot.compact();
        print(!!o.json, r, () => `compacted (version ${r.version}): chunk files ${mib(r.bytesBefore)} → ${mib(r.bytesAfter)}\n`);
      } finally {
        depot.close();
      }
    });

  prog
    .command('tag')
    .description('name the current head version with an immutable tag (creates no version; a name of digits only is refused)')
    .argument('<depot>')
    .argument('<name>')
    .option('-m, --message <text>', 'tag message')
    .option('--json', 'print the result as JSON')
    .action((depotPath: string, name: string, o: { message?: string; json?: boolean }) => {
      const depot = Depot.open(depotPath);
      try {
        const t = depot.tag(name, o.message ? { message: o.message } : {});
        print(!!o.json, t, () => `tagged version ${t.version} (the head) as ${t.name}\n`);
      } finally {
        depot.close();
      }
    });

  prog
    .command('tags')
    .description('list tags')
    .argument('<depot>')
    .option('--json', 'print as JSON')
    .action((depotPath: string, o: { json?: boolean }) => {
      const depot = Depot.open(depotPath, { readOnly: true });
      try {
        const tags = depot.tags().map((t) => ({ ...t, samples: depot.samples({ at: t.version }).length }));
        print(!!o.json, tags, () => tags.map((t) => `${t.name}\tversion ${t.version}\t${t.samples} samples\t${t.time}${t.message ? `\t${t.message}` : ''}\n`).join(''));
      } finally {
        depot.close();
      }
    });

  prog
    .command('log')
    .description('list versions, oldest first, the variant sets each stored, and the tags taken of each (with when they were taken)')
    .argument('<depot>')
    .option('--sites', "also the number of sites of each version (its variant sets merged: one bcftools-merge-like pass per version)")
    .option('--json', 'print as JSON')
    .action(async (depotPath: string, o: { json?: boolean; sites?: boolean }) => {
      const depot = Depot.open(depotPath, { readOnly: true });
      try {
        const sets = new Map(depot.variantSets().map((x) => [x.id, x]));
        let log: (LogEntry & { sites?: number; sitesAdded?: number })[] = depot.log();
        if (o.sites) {
          const { versionSites } = await io();
          let prev = 0;
          log = log.map((e) => {
            const sites = versionSites(depot, e.version).merged.variantSet.numVariants;
            const out = { ...e, sites, sitesAdded: sites - prev };
            prev = sites;
            return out;
          });
        }
        const taken = new Map(depot.tags().map((t) => [t.name, t]));
        const summary = (ids: readonly string[]) => (ids.length > 5 ? `${ids.slice(0, 5).join(',')},… (${ids.length})` : ids.join(','));
        print(!!o.json, log, () =>
          log
            .map((e) => {
              // A tag taken after the version's commit (`vczdepot tag`) gets a line of its own: when it was taken, its message.
              const later = e.tags.flatMap((n) => {
                const t = taken.get(n);
                return t && t.time !== e.time ? [t] : [];
              });
              const own = e.tags.filter((n) => !later.some((t) => t.name === n));
              const newSets = (e.variantSets ?? []).map((id) => sets.get(id)?.numVariants ?? 0);
              const parts = [
                e.added.length ? `+${summary(e.added)}` : '',
                e.removed.length ? `-${summary(e.removed)}` : '',
                own.length ? `tag ${own.join(',')}` : '',
                newSets.length ? `(${newSets.length} new variant set${newSets.length > 1 ? 's' : ''}, ${newSets.reduce((a, b) => a + b, 0)} sites)` : '',
                e.sites !== undefined ? `[${e.sites} sites${e.sitesAdded ? `, ${e.sitesAdded > 0 ? '+' : ''}${e.sitesAdded}` : ''}]` : '',
              ].filter(Boolean);
              return (
                `${e.version}\t${e.time}\t${e.operation}\t${parts.join(' ')}${e.message ? `\t${e.message}` : ''}\n` +
                later.map((t) => `${e.version}\t${t.time}\ttag\t${t.name}${t.message ? `\t${t.message}` : ''}\n`).join('')
              );
            })
            .join(''),
        );
      } finally {
        depot.close();
      }
    });

  prog
    .command('samples')
    .description('list the samples, one id a line (like vcztools query -l)')
    .argument('<depot>')
    .option('--at <tag|version>', 'a tag name or version number (default: the head)')
    .option('--json', 'print as JSON')
    .action((depotPath: string, o: { at?: string; json?: boolean }) => {
      const depot = Depot.open(depotPath, { readOnly: true });
      try {
        const at = parseAt(o.at);
        const ids = depot.samples(at === undefined ? {} : { at });
        print(!!o.json, ids, () => ids.map((s) => `${s}\n`).join(''));
      } finally {
        depot.close();
      }
    });

  prog
    .command('show')
    .description("print samples' calls as VCF lines (INFO from the variant set, one column per sample)")
    .argument('<depot>')
    .argument('[sample]', 'one sample id (or use -s / -S)')
    .option('--at <tag|version>', 'a tag name or version number (default: the head)')
    .option('-s, --samples <list>', 'comma-separated sample ids, in this order; ^A,B shows all but A and B (as bcftools view -s)')
    .option('-S, --samples-file <file>', 'sample ids, one a line; ^FILE excludes them (as bcftools view -S)')
    .option('-r, --regions <list>', 'comma-separated chr, chr:pos, chr:beg-end, chr:beg- (1-based, inclusive): variants overlapping them (as bcftools view -r)')
    .option('--json', 'print the variants as JSON objects')
    .option('--blocks', "print SAMPLE's gVCF reference blocks instead: CHROM, POS, END (1-based, inclusive), GQ, MIN_DP, ploidy (. = missing; ploidy 0 = unknown)")
    .action(async (depotPath: string, sample: string | undefined, o: { at?: string; samples?: string; samplesFile?: string; regions?: string; json?: boolean; blocks?: boolean }) => {
      if ([sample, o.samples, o.samplesFile].filter((x) => x !== undefined).length !== 1) throw usage('show takes one of SAMPLE, -s LIST or -S FILE', 'show');
      if (o.blocks) {
        if (sample === undefined || o.regions !== undefined) throw usage('show --blocks takes one SAMPLE (no -s, -S or -r)', 'show');
        const depot = Depot.open(depotPath, { readOnly: true });
        try {
          const at = parseAt(o.at);
          const bytes = depot.referenceBlocks(sample, at === undefined ? {} : { at });
          const { decodeReferenceBlocks } = await import('../vcf/index.ts');
          const b = bytes === undefined ? undefined : decodeReferenceBlocks(bytes, `the reference blocks of sample '${sample}' in ${depot.path}`);
          const n = b?.start.length ?? 0;
          const num = (x: number) => (x < 0 ? null : x);
          const rows = Array.from({ length: n }, (_, i) => ({ chrom: b!.contigs[b!.contig[i]!]!, pos: b!.start[i]!, end: b!.end[i]!, gq: num(b!.gq[i]!), minDp: num(b!.minDp[i]!), ploidy: b!.ploidy[i]! }));
          if (bytes === undefined && !o.json) process.stderr.write(`vczdepot: sample '${sample}' has no reference blocks (it was not imported from a gVCF)\n`);
          print(!!o.json, rows, () => ['#CHROM\tPOS\tEND\tGQ\tMIN_DP\tPLOIDY', ...rows.map((r) => [r.chrom, r.pos, r.end, r.gq ?? '.', r.minDp ?? '.', r.ploidy].join('\t')), ''].join('\n'));
        } finally {
          depot.close();
        }
        return;
      }
      const { formatSampleVcf, sampleCallsJson, parseSampleList, readSamplesFile, readSampleViews, resolveSampleSelection, selectVariants } = await io();
      const depot = Depot.open(depotPath, { readOnly: true });
      try {
        const at = parseAt(o.at);
        const selection = sample !== undefined ? [sample] : o.samples !== undefined ? parseSampleList(o.samples) : readSamplesFile(o.samplesFile!);
        const ids = resolveSampleSelection(depot.samples(at === undefined ? {} : { at }), selection, at ?? depot.version());
        const { variantSet, views } = readSampleViews(depot, ids, at);
        const options = o.regions !== undefined ? { variants: selectVariants(variantSet, [o.regions]) } : {};
        if (o.json) print(true, sampleCallsJson(variantSet, views, options), () => '');
        else for (const line of formatSampleVcf(variantSet, views, options)) process.stdout.write(line + '\n');
      } finally {
        depot.close();
      }
    });

  prog
    .command('export')
    .description('write the samples of a version as a VCF Zarr store')
    .argument('<depot>')
    .argument('<out>', 'output directory, or a .vcz.zip file when OUT ends in .zip (or with --zip); or s3://bucket/prefix (consolidated metadata, published last: docs/scale.md "Object storage")')
    .option('--at <tag|version>', 'a tag name or version number (default: the head)')
    .addOption(new Option('--zarr-format <n>', 'Zarr format').choices(['2', '3']).default('2'))
    .option('--variants-chunk-size <n>', 'variants per chunk (default min(variants, 1000))', positiveInt())
    .option('--samples-chunk-size <n>', 'samples per chunk (default min(samples, 10000))', positiveInt())
    .addOption(new Option('--compressor <name>', 'chunk codec').choices(['blosc', 'zstd']).default('blosc'))
    .option('--zip', 'write a .vcz.zip (ZIP_STORED) instead of a directory (the default when OUT ends in .zip)')
    .option('-s, --samples <list>', 'comma-separated samples to export, in this order; ^A,B exports all but A and B (as bcftools view -s)')
    .option('-S, --samples-file <file>', 'samples to export, one id a line; ^FILE excludes them (as bcftools view -S)')
    .option('-r, --regions <list>', 'comma-separated chr, chr:pos, chr:beg-end, chr:beg- (1-based, inclusive): variants overlapping them (as bcftools view -r)')
    .option('--no-update', 'keep the stored INFO/AC, AN, AF instead of recomputing them from the exported calls (as bcftools --no-update)')
    .option('-0, --missing-to-ref', "a sample reads 0/0 at the sites its own file lacks, instead of ./. (as bcftools merge -0)")
    .option('--local-alleles', 'write call_LA, call_LAD, call_LPL instead of call_AD, call_PL, as vcf2zarr convert --local-alleles (diploid GT only; docs/vcz-export.md)')
    .option('--force', 'replace OUT even if it is not a store vczdepot made')
    .option('--consolidated', 'also write consolidated metadata (.zmetadata / consolidated_metadata in zarr.json), as zarr.consolidate_metadata does')
    .option('--partitions <n>', 'export as N independent jobs: with --partition I, write only partition I\'s variant chunks (c mod N = I) beside OUT; needs --at (docs/scale.md)', positiveInt())
    .option('--partition <i>', '0-based partition index, with --partitions', intInRange(0))
    .option('--finalise', 'after every partition has run: check them, write the metadata and region_index, and move the store into place at OUT (same --at and options)')
    .option('--threads <n>', 'threads that build the chunks (read the records, build and encode the tiles, write): this one and N-1 worker threads (to s3://, N workers while this one uploads; with --partitions or --finalise, this one builds and N-1 workers only compress); the output is byte-identical for any N (default: the available parallelism, os.availableParallelism())', positiveInt())
    .option('--json', 'print the result as JSON')
    .action(
      async (
        depotPath: string,
        out: string,
        o: {
          consolidated?: boolean;
          partitions?: number;
          partition?: number;
          finalise?: boolean;
          at?: string;
          zarrFormat: string;
          variantsChunkSize?: number;
          samplesChunkSize?: number;
          compressor: 'blosc' | 'zstd';
          zip?: boolean;
          samples?: string;
          samplesFile?: string;
          regions?: string;
          update: boolean;
          missingToRef?: boolean;
          localAlleles?: boolean;
          force?: boolean;
          threads?: number;
          json?: boolean;
        },
      ) => {
        const { exportDepot, exportDepotPartition, finaliseDepotExport, parseSampleList, readSamplesFile } = await io();
        if (o.samples !== undefined && o.samplesFile !== undefined) throw usage('give --samples or --samples-file, not both', 'export');
        if ((o.partitions === undefined) !== (o.partition === undefined)) throw usage('give --partitions N and --partition I together', 'export');
        if (o.finalise && o.partitions !== undefined) throw usage('--finalise takes no --partitions/--partition (the work directory records N)', 'export');
        if ((o.finalise || o.partitions !== undefined) && o.at === undefined) throw usage('a partitioned export needs --at TAG|VERSION, the same in every job', 'export');
        if (o.partition !== undefined && o.partitions !== undefined && o.partition >= o.partitions) throw usage(`--partition ${o.partition} is outside [0, ${o.partitions}) (0-based)`, 'export');
        const samples = o.samples !== undefined ? parseSampleList(o.samples) : o.samplesFile !== undefined ? readSamplesFile(o.samplesFile) : undefined;
        const depot = Depot.open(depotPath, { readOnly: true });
        try {
          if (o.finalise || o.partitions !== undefined) {
            const popts = {
              at: parseAt(o.at)!,
              zarrFormat: Number(o.zarrFormat) as 2 | 3,
              ...(o.variantsChunkSize ? { variantsChunkSize: o.variantsChunkSize } : {}),
              ...(o.samplesChunkSize ? { samplesChunkSize: o.samplesChunkSize } : {}),
              compressor: o.compressor,
              ...(o.zip ? { zip: true } : {}),
              ...(o.consolidated ? { consolidated: true } : {}),
              ...(samples ? { samples } : {}),
              ...(o.regions !== undefined ? { regions: [o.regions] } : {}),
              updateInfo: o.update,
              ...(o.missingToRef ? { missingToRef: true } : {}),
              ...(o.localAlleles ? { localAlleles: true } : {}),
              force: !!o.force,
              ...(o.threads !== undefined ? { threads: o.threads } : {}),
            };
            if (o.finalise) {
              const r = await finaliseDepotExport(depot, out, popts);
              print(!!o.json, r, () => `finalised ${r.partitions} partitions of version ${r.version}: ${r.samples} samples × ${r.variants} variants → ${r.path} (${mib(r.bytes)}, ${r.seconds.toFixed(2)} s)\n`);
            } else {
              const r = await exportDepotPartition(depot, out, o.partitions!, o.partition!, popts);
              print(!!o.json, r, () =>
                r.skipped
                  ? `partition ${r.index} of ${r.count} (version ${r.version}) was already complete: nothing written\n`
                  : `partition ${r.index} of ${r.count} (version ${r.version}): ${r.chunks} chunks (${mib(r.bytes)}) → ${r.workDir} (${r.seconds.toFixed(2)} s)\n`,
              );
            }
            return;
          }
          const bar = progress('writing chunks', !o.json);
          const at = parseAt(o.at);
          const result = await interruptible((signal) =>
            exportDepot(depot, out, {
              ...(at !== undefined ? { at } : {}),
              zarrFormat: Number(o.zarrFormat) as 2 | 3,
              ...(o.variantsChunkSize ? { variantsChunkSize: o.variantsChunkSize } : {}),
              ...(o.samplesChunkSize ? { samplesChunkSize: o.samplesChunkSize } : {}),
              compressor: o.compressor,
              // Without --zip, OUT ending in .zip still means a .vcz.zip (vcztools opens it by its name).
              ...(o.zip ? { zip: true } : {}),
              ...(samples ? { samples } : {}),
              ...(o.regions !== undefined ? { regions: [o.regions] } : {}),
              updateInfo: o.update,
              ...(o.missingToRef ? { missingToRef: true } : {}),
              ...(o.localAlleles ? { localAlleles: true } : {}),
              ...(o.consolidated ? { consolidated: true } : {}),
              force: !!o.force,
              ...(o.threads !== undefined ? { threads: o.threads } : {}),
              onProgress: bar.update,
              signal,
            }),
          ).finally(bar.stop);
          print(!!o.json, result, () => `exported version ${result.version}: ${result.samples} samples × ${result.variants} variants → ${result.path} (${mib(result.bytes)}, ${result.seconds.toFixed(2)} s)\n`);
        } finally {
          depot.close();
        }
      },
    );

  prog
    .command('verify')
    .description('check every file header, chunk checksum, index entry, version and tag (exit 1 on any error); with --erased, check instead that no file of the depot holds any trace of the ids (exit 1 naming file and offset)')
    .argument('<depot>')
    .option('--erased <sample>', 'an erased sample id to look for, byte by byte, in every file (index free pages, lock file, segment files and their decompressed chunks, leftovers); repeatable', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--json', 'print the report as JSON')
    .action((depotPath: string, o: { json?: boolean; erased: string[] }) => {
      if (o.erased.length > 0) {
        Depot.open(depotPath, { readOnly: true }).close(); // a depot (typed errors otherwise); the scan itself opens no env
        const traces = findTraces(depotPath, o.erased);
        print(!!o.json, { ok: traces.length === 0, erased: o.erased, traces }, () =>
          [...traces.map((t) => `found: '${t.sampleId}' in ${t.file} at byte ${t.offset}${t.where === 'chunk' ? ` (in the chunk there, decompressed byte ${t.chunkOffset})` : ''}`), `${traces.length === 0 ? 'ok: no trace of' : 'FAILED: traces of'} ${o.erased.join(', ')}`, ''].join('\n'),
        );
        if (traces.length > 0) throw new ErasureIncompleteError(depotPath, traces);
        return;
      }
      const depot = Depot.open(depotPath, { readOnly: true });
      let report;
      try {
        report = depot.verify();
      } finally {
        depot.close();
      }
      const c = report.checked;
      print(!!o.json, report, () =>
        [
          ...report.issues.map((i) => `${i.severity}: ${i.kind}: ${i.message}`),
          `${report.ok ? 'ok' : 'FAILED'}: ${c.segmentFiles} segment files, ${c.chunks} chunks, ${c.entries} samples (${c.records} records), ${c.versions} versions, ${c.tags} tags checked; ` +
            `${report.issues.filter((i) => i.severity === 'error').length} errors, ${report.issues.filter((i) => i.severity === 'warning').length} warnings (${report.seconds.toFixed(2)} s)`,
          '',
        ].join('\n'),
      );
      if (!report.ok) throw new VerifyFailed(report.issues.filter((i) => i.severity === 'error').length);
    });

  prog
    .command('stats')
    .description('sizes and counts of a depot')
    .argument('<depot>')
    .option('--json', 'print as JSON')
    .action(async (depotPath: string, o: { json?: boolean }) => {
      const { versionSites } = await io();
      const depot = Depot.open(depotPath, { readOnly: true });
      try {
        const s = depot.stats();
        const sets = depot.variantSets();
        const variants = versionSites(depot).merged.variantSet.numVariants;
        const storedSites = sets.reduce((n, x) => n + x.numVariants, 0);
        const calls = s.samples * variants;
        // gVCF samples' reference blocks at the head: how many blocks they hold.
        let referenceBlocks = 0;
        if (s.referenceBlockSamples > 0) {
          const { decodeReferenceBlocks } = await import('../vcf/index.ts');
          for (const x of depot.sampleInfo()) {
            const bytes = x.hasReferenceBlocks ? depot.referenceBlocks(x.sampleId) : undefined;
            if (bytes) referenceBlocks += decodeReferenceBlocks(bytes, `the reference blocks of sample '${x.sampleId}' in ${depot.path}`).start.length;
          }
        }
        const result = {
          ...s,
          referenceBlocks,
          variants,
          variantSets: sets.length,
          variantSetSites: storedSites,
          variantSetBytes: sets.reduce((n, x) => n + x.bytes, 0),
          blockSize: depot.meta.blockSize,
          bytesPerCall: calls ? s.chunkBytes / calls : 0,
        };
        print(!!o.json, result, () =>
          [
            `depot        ${depot.path}`,
            `version      ${s.head}`,
            `samples      ${s.samples} live (${s.entries} ever added)`,
            `variants     ${variants} at the head (merged from ${sets.length} variant sets of ${storedSites} sites, ${mib(result.variantSetBytes)} stored); blocks of ${depot.meta.blockSize}`,
            `tags         ${s.tags}`,
            `chunks       ${s.chunks} in ${s.segmentFiles} segment files, ${mib(s.chunkBytes)} on disk, ${mib(s.rawBytes)} raw`,
            `index        ${mib(s.indexBytes)}`,
            ...(s.referenceBlockSamples > 0 || s.referenceBlockBytes > 0 ? [`ref blocks   ${referenceBlocks} reference blocks of ${s.referenceBlockSamples} live gVCF samples, ${mib(s.referenceBlockBytes)} stored (every entry)`] : []),
            `bytes/call   ${result.bytesPerCall.toFixed(3)} (chunk bytes / (live samples × variants))`,
            '',
          ].join('\n'),
        );
      } finally {
        depot.close();
      }
    });

  return prog;
}

/** Ctrl-C (SIGINT) or SIGTERM during an import: it was cancelled and nothing was written. */
class Interrupted extends VczdepotError {
  readonly code = 'interrupted' as const;
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}: nothing was written`);
  }
}

declare module '../errors.ts' {
  interface VczdepotErrorMap extends ErrorsByCode<VerifyFailed | UsageError | Interrupted> {}
}

/**
 * Runs `job` with an AbortSignal that SIGINT and SIGTERM abort: the import
 * stops at its next variant block and rolls back instead of the process
 * dying with staging files (or a half-made depot) behind.
 */
async function interruptible<T>(job: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const on = (sig: NodeJS.Signals) => () => ac.abort(new Interrupted(sig));
  const onInt = on('SIGINT');
  const onTerm = on('SIGTERM');
  process.once('SIGINT', onInt);
  process.once('SIGTERM', onTerm);
  try {
    return await job(ac.signal);
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const prog = program();
  prog.exitOverride();
  for (const c of prog.commands) c.exitOverride();
  try {
    if (argv.length <= 2) {
      // No command: the usage on stderr and exit 2, as for any usage error.
      process.stderr.write(prog.helpInformation());
      return 2;
    }
    await prog.parseAsync(argv as string[]);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version succeed; `vczdepot help X` too. Everything else
      // commander throws is a usage error, already reported with the usage.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      if (err.code === 'commander.help') return err.exitCode === 0 ? 0 : 2;
      return 2;
    }
    if (err instanceof UsageError) {
      const cmd = prog.commands.find((c) => c.name() === err.command);
      process.stderr.write(`vczdepot: ${err.message}\n${(cmd ?? prog).helpInformation()}`);
      return 2;
    }
    if (err instanceof Interrupted) {
      process.stderr.write(`vczdepot: ${err.message}\n`);
      return 130;
    }
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    process.stderr.write(`vczdepot: ${msg}\n`);
    if (process.env.VCZDEPOT_DEBUG) console.error(err);
    return 1;
  }
}

