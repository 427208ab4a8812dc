/**
 * The records `bcftools merge` 1.16 writes for one CHROM:POS, from the input
 * records at that position: vcfmerge.c's `can_merge` / `stage_line` loop,
 * reimplemented. Each round picks the candidate records (by variant type),
 * joins their alleles, then takes at most one record per input set (the one
 * carrying the most frequent allele, or a type-compatible one under
 * `-m both`) into one output record, until every input record is written.
 */
import {
  DEL_MASK,
  INDEL_MASK,
  INS_MASK,
  REF_MASK,
  SNP_MASK,
  VT,
  findEquivalentAllele,
  mergeAlleles,
  normalizeAlleles,
  recordType,
  refsCompatible,
  shiftedType,
} from './alleles.ts';

/** `-m both` (bcftools' default: SNPs with SNPs, indels with indels) or `-m none`. */
export type MergeMode = 'both' | 'none';

/** One input record at the position: set `set`'s site `site` with its alleles. */
export interface PositionLine {
  readonly set: number;
  readonly site: number;
  readonly alleles: readonly string[];
}

/** One output record: its alleles and, per joined input record, the allele map. */
export interface PositionRecord {
  /** REF then ALTs, after REF extension and `normalize_alleles`. */
  readonly alleles: string[];
  /** The joined input records, in set order (at most one per set). */
  readonly members: readonly { readonly line: PositionLine; readonly map: Int32Array }[];
}

/** Thrown by {@link mergePosition} when two REFs at one POS disagree; the caller names the contig and POS. */
export class RefPrefixMismatch {
  constructor(
    readonly line: PositionLine,
    readonly merged: readonly string[],
  ) {}
}

/**
 * The output records for the input records `lines` at one CHROM:POS
 * (`lines` in set order, then file order within a set), in bcftools' order.
 *
 * @throws RefPrefixMismatch when a record's REF is not a prefix-compatible
 *   with the alleles joined so far (bcftools exits with "The REF prefixes
 *   differ").
 */
export function mergePosition(lines: readonly PositionLine[], mode: MergeMode): PositionRecord[] {
  const n = lines.length;
  const out: PositionRecord[] = [];
  const raw = lines.map((l) => recordType(l.alleles));
  const shifted = raw.map(shiftedType);
  const done = new Uint8Array(n);
  // Allele counts live for the whole position: maux_reset zeroes them once,
  // a round's first record sets only its own alleles' counts to 1, so counts
  // of a previous round's extra alleles survive into the next round
  // (bcftools 1.16 behaviour; it decides which record a round takes).
  const cnt: number[] = [];
  // Fast path: one record alone.
  if (n === 1) {
    const als = lines[0]!.alleles.slice();
    const map = Int32Array.from({ length: als.length }, (_, k) => k);
    return [finish(als, [{ line: lines[0]!, map }])];
  }
  for (;;) {
    let varTypes = 0;
    let todo = 0;
    for (let j = 0; j < n; j++)
      if (!done[j]) {
        todo++;
        varTypes |= shifted[j]!;
      }
    if (!todo) break;
    // can_merge: pick candidates and join their alleles.
    let als: string[] = [];
    const cand = new Uint8Array(n);
    const maps: (Int32Array | undefined)[] = new Array(n);
    for (let j = 0; j < n; j++) {
      if (done[j]) continue;
      const line = lines[j]!;
      const lt = shifted[j]!;
      if (mode === 'none' && als.length) {
        if (!refsCompatible(als[0]!, line.alleles[0]!)) continue;
        let k = 1;
        for (; k < line.alleles.length; k++) if (findEquivalentAllele(als[0]!, als, 1, line.alleles[0]!, line.alleles[k]!) >= 0) break;
        if (!(lt & REF_MASK) && k === line.alleles.length) continue;
      }
      if (lt & (INDEL_MASK | INS_MASK | DEL_MASK)) {
        if (!(lt & SNP_MASK) && varTypes & SNP_MASK) continue; // SNPs come first
      }
      cand[j] = 1;
      if (!als.length) {
        als = line.alleles.slice();
        for (let k = 0; k < als.length; k++) cnt[k] = 1;
        maps[j] = Int32Array.from({ length: als.length }, (_, k) => k);
        continue;
      }
      const map = mergeAlleles(line.alleles, als);
      if (!map) throw new RefPrefixMismatch(line, als);
      maps[j] = map;
      for (let k = 1; k < line.alleles.length; k++) cnt[map[k]!] = (cnt[map[k]!] ?? 0) + 1;
      cnt[0] = (cnt[0] ?? 0) + 1;
    }
    // stage_line: the most frequent ALT (first on ties), then one record per set.
    let icnt = 1;
    for (let i = 2; i < als.length; i++) if ((cnt[i] ?? 0) > (cnt[icnt] ?? 0)) icnt = i;
    const members: { line: PositionLine; map: Int32Array }[] = [];
    let j = 0;
    while (j < n) {
      const set = lines[j]!.set;
      let end = j;
      while (end < n && lines[end]!.set === set) end++;
      let pick = -1;
      for (let q = j; q < end && pick < 0; q++) {
        if (!cand[q]) continue;
        const L = lines[q]!.alleles.length;
        if (als.length === 1 && L === 1) pick = q;
        else {
          const map = maps[q]!;
          for (let k = 0; k < L; k++) if (map[k] === icnt) pick = q;
        }
      }
      if (pick < 0 && mode === 'both') {
        for (let q = j; q < end && pick < 0; q++) {
          if (!cand[q]) continue;
          const t = raw[q]!;
          if (varTypes & SNP_MASK && t & VT.SNP) pick = q;
          else if (varTypes & INDEL_MASK && t & VT.INDEL) pick = q;
          else if (t === VT.REF) {
            if (varTypes & (SNP_MASK | INDEL_MASK | REF_MASK)) pick = q;
          } else if (varTypes & REF_MASK) {
            // bcftools tests the unshifted type against the shifted masks here
            // (stage_line): INDEL|OTHER bits for "snp", BND for "indel".
            if (t & SNP_MASK || t & INDEL_MASK) pick = q;
          }
        }
      }
      if (pick >= 0) {
        done[pick] = 1;
        members.push({ line: lines[pick]!, map: maps[pick]! });
      }
      j = end;
    }
    if (!members.length) throw new Error('internal: bcftools merge round selected no record');
    out.push(finish(als, members));
  }
  return out;
}

/** merge_chrom2qual's allele step: keep REF and the ALTs the members use, renumber, trim. */
function finish(als: readonly string[], members: { line: PositionLine; map: Int32Array }[]): PositionRecord {
  const used = new Uint8Array(als.length);
  for (const m of members) for (let k = 1; k < m.map.length; k++) used[m.map[k]!] = 1;
  const renum = new Int32Array(als.length);
  const outAls = [als[0]!];
  for (let i = 1; i < als.length; i++)
    if (used[i]) {
      renum[i] = outAls.length;
      outAls.push(als[i]!);
    }
  let renumbered = false;
  for (let i = 1; i < als.length; i++) if (renum[i] !== i) renumbered = true;
  const outMembers = renumbered ? members.map((m) => ({ line: m.line, map: m.map.map((x) => renum[x]!) })) : members;
  normalizeAlleles(outAls);
  return { alleles: outAls, members: outMembers };
}
