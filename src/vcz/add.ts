/**
 * Adding the samples of imported files to a depot: the variant set check of
 * vczstore's append, then one transaction for all files (all or nothing).
 */
import type { CommitInfo, Depot, SampleInput } from '../depot/index.ts';
import type { ImportedCalls } from './input.ts';
import { checkSameVariants } from './match.ts';

/** One imported file. */
export interface ImportedFile {
  readonly file: string;
  readonly data: ImportedCalls;
}

/**
 * Adds every sample of `inputs` in one durable transaction.
 *
 * @throws VariantSetMismatchError (first differing variant, both sides) when
 *   a file's variants are not exactly the depot's; DuplicateSampleError;
 *   RecordValidationError. On any error the depot is unchanged.
 */
export function addSamplesFromFiles(
  depot: Depot,
  inputs: readonly ImportedFile[],
  options: { message?: string; progress?: { update: (done: number, total: number) => void } } = {},
): CommitInfo {
  for (const { file, data } of inputs) checkSameVariants(depot.variantSet, data.variantSet, file);
  const total = inputs.reduce((s, i) => s + i.data.sampleIds.length, 0);
  function* samples(): Generator<SampleInput> {
    let done = 0;
    for (const { data } of inputs) {
      for (let i = 0; i < data.sampleIds.length; i++) {
        yield { sampleId: data.sampleIds[i]!, calls: data.calls(i) };
        options.progress?.update(++done, total);
      }
    }
  }
  return depot.putMany(samples(), options.message !== undefined ? { message: options.message } : {});
}
