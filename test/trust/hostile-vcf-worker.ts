/**
 * Worker thread of the hostile-input test: reads the VCF file it is sent
 * with readVcf and classifies the outcome. A worker so that the parent can
 * terminate a case that hangs (even in synchronous code) after its timeout.
 *
 * message in: { id, file }
 * message out: { id, outcome: 'ok' | 'typed' | 'untyped' | 'invalid-result', detail, samples?, variants? }
 *   ok: the result is usable: its variant set is well formed and every
 *   sample's calls fit it and encode to records (what a depot would store).
 */
import { parentPort } from 'node:worker_threads';
import { encodeSampleRecords, isCodecError } from '../../src/codec/index.ts';
import { checkVariantSet } from '../../src/depot/variant-set-check.ts';
import { isDepotError } from '../../src/depot/errors.ts';
import { isVczError } from '../../src/vcf/errors.ts';
import { readVcf } from '../../src/vcf/index.ts';

parentPort!.on('message', async ({ id, file }: { id: number; file: string }) => {
  let data;
  try {
    data = await readVcf(file);
  } catch (err) {
    const typed = isVczError(err);
    parentPort!.postMessage({ id, outcome: typed ? 'typed' : 'untyped', detail: `${(err as Error)?.name}: ${(err as Error)?.message ?? String(err)}`.slice(0, 500) });
    return;
  }
  try {
    checkVariantSet(data.variantSet);
    for (let i = 0; i < data.sampleIds.length; i++) {
      // sample ids VCF cannot carry are a typed depot error at put time; the calls must still fit
      encodeSampleRecords(data.variantSet, 7, data.sampleIds[i] || 'empty-id', data.calls(i));
    }
    parentPort!.postMessage({ id, outcome: 'ok', detail: '', samples: data.sampleIds.length, variants: data.variantSet.numVariants });
  } catch (err) {
    const what = isCodecError(err) || isDepotError(err) ? 'a typed error' : 'an untyped error';
    parentPort!.postMessage({ id, outcome: 'invalid-result', detail: `readVcf returned data that fails with ${what}: ${(err as Error)?.name}: ${(err as Error)?.message}`.slice(0, 500) });
  }
});
