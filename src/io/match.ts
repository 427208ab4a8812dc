/**
 * Checking that an incoming file holds the depot's variants, as vczstore's
 * append does (vczstore `append.py`): same number of variants, same contig
 * of each variant, same positions and the same alleles in the same order.
 */
import type { VariantSet } from '../codec/index.ts';
import { type ErrorsByCode, nameErrors, VczdepotError } from '../errors.ts';


/** One side of a mismatch. */
export interface VariantSide {
  readonly contig: string;
  /** 1-based POS. */
  readonly position: number;
  readonly alleles: readonly string[];
}

/**
 * The incoming file's variants differ from the depot's. Names the file, the
 * first differing variant (0-based index) and both sides. Nothing was written.
 */
export class VariantSetMismatchError extends VczdepotError {
  readonly code = 'variant-set-mismatch' as const;
  constructor(readonly file: string, readonly reason: string, readonly variantIndex?: number, readonly depotSide?: VariantSide, readonly fileSide?: VariantSide) {
    const show = (s?: VariantSide) => (s ? `${s.contig}:${s.position} ${s.alleles[0] ?? ''}>${s.alleles.slice(1).join(',') || '.'}` : 'none');
    super(
      `${file} does not hold the depot's variants: ${reason}` +
        (variantIndex !== undefined ? ` at variant ${variantIndex} (depot ${show(depotSide)}, file ${show(fileSide)})` : '') +
        '; nothing was written. Samples must be called on exactly the depot\'s variant set (normalise them first, e.g. with vczstore normalise).',
    );
  }
}

nameErrors({ VariantSetMismatchError });

declare module '../errors.ts' {
  interface VczdepotErrorMap extends ErrorsByCode<VariantSetMismatchError> {}
}

function side(vs: VariantSet, v: number): VariantSide | undefined {
  if (v >= vs.numVariants) return undefined;
  return { contig: vs.contigs[vs.contig[v]!]!.id, position: vs.position[v]!, alleles: vs.alleles[v]! };
}

/** Why the depot's variant `v` and `incoming` differ (contig, position, alleles, in that order), or undefined. */
function differs(depot: VariantSet, v: number, contigId: string, position: number, alleles: readonly string[]): string | undefined {
  if (depot.contigs[depot.contig[v]!]?.id !== contigId) return 'the contig differs';
  if (depot.position[v] !== position) return 'the position differs';
  const a = depot.alleles[v]!;
  if (a.length !== alleles.length) return 'the alleles differ';
  for (let i = 0; i < a.length; i++) if (a[i] !== alleles[i]) return 'the alleles differ';
  return undefined;
}

/**
 * Checks the incoming variants [start, start + count) (0-based) against the
 * depot's as {@link checkSameVariants} does, for a file read window by
 * window: the same error for the same first difference. Variants past the
 * depot's last are not checked here (the count is, once the file is read).
 *
 * @throws VariantSetMismatchError on the first difference in the range.
 */
export function checkVariantRange(
  depot: VariantSet,
  start: number,
  incoming: { readonly contig: readonly string[]; readonly position: ArrayLike<number>; readonly alleles: readonly (readonly string[])[] },
  file: string,
): void {
  const n = Math.min(incoming.position.length, depot.numVariants - start);
  for (let k = 0; k < n; k++) {
    const what = differs(depot, start + k, incoming.contig[k]!, incoming.position[k]!, incoming.alleles[k]!);
    if (what) {
      throw new VariantSetMismatchError(file, what, start + k, side(depot, start + k), { contig: incoming.contig[k]!, position: incoming.position[k]!, alleles: incoming.alleles[k]! });
    }
  }
}

/**
 * @throws VariantSetMismatchError on the first difference: variant count,
 *   contig, position or alleles (REF and ALTs, in order).
 */
export function checkSameVariants(depot: VariantSet, incoming: VariantSet, file: string): void {
  const n = Math.min(depot.numVariants, incoming.numVariants);
  // Contig ids are compared once per contig index pair, not per variant.
  const sameContig = new Map<number, boolean>();
  const contigsEqual = (a: number, b: number): boolean => {
    const key = a * 2 ** 32 + b; // contig indices are int32: no two pairs share a key
    let r = sameContig.get(key);
    if (r === undefined) sameContig.set(key, (r = depot.contigs[a]?.id === incoming.contigs[b]?.id && depot.contigs[a] !== undefined));
    return r;
  };
  const dc = depot.contig;
  const ic = incoming.contig;
  const dp = depot.position;
  const ip = incoming.position;
  const da = depot.alleles;
  const ia = incoming.alleles;
  for (let v = 0; v < n; v++) {
    let what: string | undefined;
    if (!contigsEqual(dc[v]!, ic[v]!)) what = 'the contig differs';
    else if (dp[v] !== ip[v]) what = 'the position differs';
    else {
      const a = da[v]!;
      const b = ia[v]!;
      if (a.length !== b.length) what = 'the alleles differ';
      else for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) what = 'the alleles differ';
    }
    if (what) throw new VariantSetMismatchError(file, what, v, side(depot, v), side(incoming, v));
  }
  if (depot.numVariants !== incoming.numVariants) {
    throw new VariantSetMismatchError(
      file,
      `it has ${incoming.numVariants} variants, the depot ${depot.numVariants}`,
      n,
      side(depot, n),
      side(incoming, n),
    );
  }
}
