/**
 * The data model shared by every layer: the variant set a depot is created
 * from, and one sample's calls over it. Array shapes are given in brackets,
 * C order (row-major); "variants" counts the variant set's variants, 0-based.
 * Names follow VCF Zarr (vcf-zarr-spec 0.4) and VCF 4.3.
 */

/** VCF header Type of a FORMAT field (VCF 4.3 §1.4.4). */
export type VcfType = 'Integer' | 'Float' | 'String' | 'Character';
/** VCF header Type of an INFO field: FORMAT types plus Flag. */
export type InfoType = VcfType | 'Flag';
/**
 * VCF header Number (VCF 4.3 §1.4.2): a fixed count, `A` (one per ALT allele),
 * `R` (one per allele), `G` (one per genotype) or `.` (unknown / varies).
 */
export type VcfNumber = number | 'A' | 'R' | 'G' | '.';

/** A FORMAT field declared in the VCF header (GT excluded; it is `call_genotype`). */
export interface FormatFieldDef {
  /** FORMAT ID, e.g. `DP`; the VCZ array is `call_<id>`. */
  readonly id: string;
  readonly type: VcfType;
  readonly number: VcfNumber;
  /** The header's Description, `""` when absent. */
  readonly description: string;
}

/** An INFO field declared in the VCF header. */
export interface InfoFieldDef {
  /** INFO ID, e.g. `AF`; the VCZ array is `variant_<id>`. */
  readonly id: string;
  readonly type: InfoType;
  readonly number: VcfNumber;
  readonly description: string;
}

/** Signed integer arrays used for Integer values and genotypes. */
export type IntArray = Int8Array | Int16Array | Int32Array;
/** Arrays that hold Integer or Float values. */
export type NumericArray = IntArray | Float32Array;

/**
 * One INFO field's values over all variants: `[variants, width]`, C order.
 * Integer → IntArray (-1 missing, -2 fill); Float → Float32Array (NaN bit
 * patterns 0x7F800001 missing, 0x7F800002 fill); Flag → Uint8Array 0/1
 * (width 1); String/Character → string[] (`.` missing, `""` fill).
 */
export interface InfoColumn {
  readonly def: InfoFieldDef;
  /** Values per variant (the trailing dimension), >= 1. */
  readonly width: number;
  readonly values: NumericArray | Uint8Array | string[];
}

/** A contig of the variant set (VCF `##contig`). */
export interface Contig {
  readonly id: string;
  /** Length in bases, when the header gives it. */
  readonly length?: number;
}

/** A filter of the variant set (VCF `##FILTER`). */
export interface Filter {
  readonly id: string;
  readonly description: string;
}

/**
 * The variants a depot holds calls for, fixed at creation. Every sample must
 * match it exactly (same variants, contigs, positions and alleles, in order).
 * Columns are parallel arrays of length `numVariants`.
 */
export interface VariantSet {
  /** Contigs in header (or first-seen) order; `variant_contig` indexes this. */
  readonly contigs: readonly Contig[];
  /** Filters, `PASS` first; `variant_filter`'s trailing dimension follows this order. */
  readonly filters: readonly Filter[];
  /** Number of variants. */
  readonly numVariants: number;
  /** `variant_contig`: [variants] index into `contigs`. */
  readonly contig: Int32Array;
  /** `variant_position`: [variants] POS, 1-based. */
  readonly position: Int32Array;
  /** `variant_id`: [variants] the whole ID column, `.` when missing. */
  readonly id: readonly string[];
  /** `variant_allele`: [variants][1 + number of ALTs], REF first; ALT `.` → REF only. */
  readonly alleles: readonly (readonly string[])[];
  /** `variant_quality`: [variants] float32; missing is NaN 0x7F800001. */
  readonly quality: Float32Array;
  /** `variant_filter`: [variants, filters] 0/1, C order; FILTER `.` → all 0. */
  readonly filter: Uint8Array;
  /** `variant_length`: [variants] END − POS + 1 when INFO/END is present, else len(REF). */
  readonly length: Int32Array;
  /** INFO fields in header order, with their values. */
  readonly info: readonly InfoColumn[];
  /** FORMAT fields in header order, GT excluded. */
  readonly format: readonly FormatFieldDef[];
  /** True when the header declares FORMAT/GT. */
  readonly hasGenotype: boolean;
  /** `##key=value` header lines other than contig/FILTER/INFO/FORMAT, in file order. */
  readonly metaInformation: readonly (readonly [string, string])[];
}

/** One FORMAT field of one sample: `[variants, width]`, C order. */
export type FieldValues =
  | {
      readonly id: string;
      /** Values per variant, >= 1. */
      readonly width: number;
      /** Integer: -1 missing, -2 fill. Float: NaN 0x7F800001 missing, 0x7F800002 fill. */
      readonly values: NumericArray;
    }
  | {
      readonly id: string;
      readonly width: number;
      /** String/Character: `.` missing, `""` fill. */
      readonly values: readonly string[];
    };

/**
 * One sample's calls over the whole variant set: what `Depot.put` takes.
 * A FORMAT field of the variant set that is absent here is stored as all
 * missing; GT absent (`ploidy` 0) means the sample has no genotypes.
 */
export interface SampleCalls {
  /** Entries per variant in `genotype` (the sample's maximum ploidy); 0 = no GT. */
  readonly ploidy: number;
  /**
   * `call_genotype`: [variants, ploidy] allele indices, C order; -1 missing
   * allele, -2 fill (a call with fewer alleles than `ploidy`).
   */
  readonly genotype?: IntArray;
  /** `call_genotype_phased`: [variants] 1 phased (or haploid), 0 unphased. */
  readonly phased?: Uint8Array;
  /** FORMAT fields other than GT, each matched to the variant set by `id`. */
  readonly fields: readonly FieldValues[];
}
