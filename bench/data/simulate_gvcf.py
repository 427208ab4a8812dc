#!/usr/bin/env python3
"""Simulated gVCFs for the gVCF benchmarks (bench/gvcf.ts, issue 14). Stdlib
only, deterministic from --seed; writes plain text to stdout or files, which
the caller bgzips.

Records are GATK HaplotypeCaller -ERC GVCF style:

- variant records: ``REF ALT[,ALT2],<NON_REF>``, QUAL, INFO
  ``DP;MLEAC;MLEAF`` (Number=A, over the ALTs and <NON_REF>), FORMAT
  ``GT:AD:DP:GQ:PL`` (AD over the alleles and <NON_REF>, PL over their
  genotypes); SNVs, small insertions and deletions (2-6 REF bases), a few
  multi-allelic (GT 1/2);
- reference blocks: ``REF <NON_REF>``, INFO ``END``, FORMAT
  ``GT:DP:GQ:MIN_DP:PL`` (0/0); the block after a deletion starts at the base
  after its anchor, as GATK writes it; runs between variants are cut into
  blocks of random length (GQ uniform 0-99, MIN_DP uniform 0-60, DP = MIN_DP
  + 0-9) with some uncovered gaps (no record).

Modes:

``big --blocks N --variants M``: one sample (``HG_BIG``) over 23 contigs with
hg38's relative lengths, the genome scaled so that N blocks and M variants
fit (a whole genome is ~5M blocks, ~4M variants). To stdout.

``cohort --samples N --out DIR``: N samples over one contig (``chr20``,
--length bases) sharing a pool of --sites biallelic sites (SNVs,
insertions and deletions, fixed REF/ALT per site; site frequencies spread from rare to
common), written as ``S<i>.g.vcf`` (the gVCF) and ``S<i>.vcf`` (the same
sample's variant records as vczdepot's gVCF import stores them:
``<NON_REF>`` dropped from ALT, AD/PL/MLEAC/MLEAF re-indexed without it, as
``bcftools view -a`` does; no blocks). Plain text; the caller bgzips.
"""
import argparse
import os
import random
import sys

HG38 = [("chr1", 248956422), ("chr2", 242193529), ("chr3", 198295559), ("chr4", 190214555),
        ("chr5", 181538259), ("chr6", 170805979), ("chr7", 159345973), ("chr8", 145138636),
        ("chr9", 138394717), ("chr10", 133797422), ("chr11", 135086622), ("chr12", 133275309),
        ("chr13", 114364328), ("chr14", 107043718), ("chr15", 101991189), ("chr16", 90338345),
        ("chr17", 83257441), ("chr18", 80373285), ("chr19", 58617616), ("chr20", 64444167),
        ("chr21", 46709983), ("chr22", 50818468), ("chrX", 156040895)]
BASES = "ACGT"


def header(contigs, samples, gvcf=True):
    h = ["##fileformat=VCFv4.2"]
    if gvcf:
        h.append('##ALT=<ID=NON_REF,Description="Represents any possible alternative allele not already represented at this location by REF and ALT">')
        h.append('##INFO=<ID=END,Number=1,Type=Integer,Description="Stop position of the interval">')
    h += [
        '##INFO=<ID=DP,Number=1,Type=Integer,Description="Approximate read depth">',
        '##INFO=<ID=MLEAC,Number=A,Type=Integer,Description="Maximum likelihood expectation (MLE) for the allele counts">',
        '##INFO=<ID=MLEAF,Number=A,Type=Float,Description="Maximum likelihood expectation (MLE) for the allele frequency">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths for the ref and alt alleles">',
        '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Approximate read depth">',
        '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype Quality">',
    ]
    if gvcf:
        h.append('##FORMAT=<ID=MIN_DP,Number=1,Type=Integer,Description="Minimum DP observed within the GVCF block">')
    h.append('##FORMAT=<ID=PL,Number=G,Type=Integer,Description="Normalized, Phred-scaled likelihoods for genotypes">')
    for c, n in contigs:
        h.append(f"##contig=<ID={c},length={n}>")
    h.append("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + "\t".join(samples))
    return "\n".join(h) + "\n"


def variant_line(rng, chrom, pos, ref, alts, gt, gvcf=True):
    """A GATK-style variant record; with gvcf=False the same record without
    <NON_REF> (AD, PL, MLEAC, MLEAF re-indexed as bcftools view -a does)."""
    n_alt = len(alts)
    dp = rng.randint(5, 80)
    gq = rng.randint(0, 99)
    ad = [rng.randint(0, dp) for _ in range(n_alt + 1)] + [0]
    n = n_alt + 2  # with <NON_REF>
    pl = [rng.randint(0, 999) for _ in range(n * (n + 1) // 2)]
    a, b = gt
    pl[b * (b + 1) // 2 + a] = 0
    mleac = [sum(1 for x in gt if x == i + 1) for i in range(n_alt)] + [0]
    mleaf = [f"{c / 2:.2f}" if c else "0.00" for c in mleac]
    qual = f"{rng.randint(100, 99999) / 100:.2f}"
    if gvcf:
        alt = ",".join(alts + ["<NON_REF>"])
    else:
        # Drop <NON_REF> (the last allele): AD loses its value, PL every
        # genotype that names it (with it last, the first m(m+1)/2 are kept).
        m = n - 1
        alt = ",".join(alts)
        ad, pl, mleac, mleaf = ad[:-1], pl[: m * (m + 1) // 2], mleac[:-1], mleaf[:-1]
    info = f"DP={dp};MLEAC={','.join(map(str, mleac))};MLEAF={','.join(mleaf)}"
    return (f"{chrom}\t{pos}\t.\t{ref}\t{alt}\t{qual}\t.\t{info}\tGT:AD:DP:GQ:PL\t"
            f"{a}/{b}:{','.join(map(str, ad))}:{dp}:{gq}:{','.join(map(str, pl))}\n")


def fill_blocks(rng, out, chrom, lo, hi, mean_run, gap_p, counts):
    """Reference blocks (and gaps) over lo..hi (1-based, inclusive)."""
    p = lo
    while p <= hi:
        e = min(hi, p + rng.randint(1, 2 * mean_run) - 1)
        if rng.random() >= gap_p:
            gq = rng.randint(0, 99)
            mdp = rng.randint(0, 60)
            dp = mdp + rng.randint(0, 9)
            info = f"END={e}" if e > p else "."
            out.write(f"{chrom}\t{p}\t.\t{BASES[p & 3]}\t<NON_REF>\t.\t.\t{info}\tGT:DP:GQ:MIN_DP:PL\t"
                      f"0/0:{dp}:{gq}:{mdp}:0,{gq},{gq * 10 + 5}\n")
            counts[0] += 1
        p = e + 1


def random_variant(rng, pos):
    """(REF, ALTs, GT, span): 85% SNV, 7% insertion, 6% deletion, 2% two ALTs."""
    ref = BASES[pos & 3]
    others = [b for b in BASES if b != ref]
    u = rng.random()
    gt = (0, 1) if rng.random() < 0.6 else (1, 1)
    if u < 0.85:
        return ref, [rng.choice(others)], gt, 1
    if u < 0.92:
        return ref, [ref + "".join(rng.choice(BASES) for _ in range(rng.randint(1, 5)))], gt, 1
    if u < 0.98:
        k = rng.randint(2, 6)
        return "".join(BASES[(pos + j) & 3] for j in range(k)), [ref], gt, k
    a1, a2 = rng.sample(others, 2)
    return ref, [a1, a2], (1, 2), 1


def big(args):
    rng = random.Random(args.seed)
    records = args.blocks + args.variants
    # Runs between variants: blocks of mean length mean_run, 5% of runs gaps;
    # the genome scaled so that the variants and blocks come out at the sizes asked.
    mean_run = 100
    # Blocks per run between two variants ~ 0.95 (run length / mean_run) + 0.5
    # (the run's last block is cut short); measured, not exact.
    per_run = max(0.6, args.blocks / args.variants - 0.5)
    genome = int(args.variants * per_run * mean_run / 0.95)
    total = sum(n for _, n in HG38)
    contigs = [(c, max(1000, n * genome // total)) for c, n in HG38]
    out = sys.stdout
    out.write(header(contigs, ["HG_BIG"]))
    counts = [0, 0]
    for chrom, length in contigs:
        n_var = round(1.05 * args.variants * length / genome)  # some dropped below
        positions = sorted(rng.sample(range(2, length - 10), n_var))
        # keep variants 8+ bases apart so no two overlap
        kept, last = [], -100
        for p in positions:
            if p - last >= 8:
                kept.append(p)
                last = p
        start = 1
        for p in kept:
            fill_blocks(rng, out, chrom, start, p - 1, mean_run, 0.05, counts)
            ref, alts, gt, span = random_variant(rng, p)
            out.write(variant_line(rng, chrom, p, ref, alts, gt))
            counts[1] += 1
            start = p + 1  # GATK: the next block starts after the anchor base
        fill_blocks(rng, out, chrom, start, length, mean_run, 0.05, counts)
    print(f"blocks {counts[0]} variants {counts[1]} genome {genome}", file=sys.stderr)


def cohort(args):
    rng = random.Random(args.seed)
    L = args.length
    chrom = "chr20"
    os.makedirs(args.out, exist_ok=True)
    # Site pool: positions 10+ apart, fixed alleles, frequency ~ 1/u (many rare, some common).
    positions = sorted(rng.sample(range(10, L - 20, 10), args.sites))
    pool = []
    for p in positions:
        ref, alts, _, span = random_variant(rng, p)
        if len(alts) > 1:
            alts = alts[:1]
        f = min(0.5, 0.008 / max(rng.random(), 1e-4) ** 0.9)
        pool.append((p, ref, alts, f))
    names = [f"S{i:03d}" for i in range(args.samples)]
    for i, name in enumerate(names):
        srng = random.Random(args.seed * 100003 + i)
        blocks = [0]
        with open(os.path.join(args.out, f"{name}.g.vcf"), "w") as g, open(os.path.join(args.out, f"{name}.vcf"), "w") as v:
            g.write(header([(chrom, L)], [name]))
            v.write(header([(chrom, L)], [name], gvcf=False))
            start = 1
            n_var = 0
            for p, ref, alts, f in pool:
                a = srng.random() < f
                b = srng.random() < f
                if not (a or b):
                    continue
                gt = (0, 1) if a != b else (1, 1)
                fill_blocks(srng, g, chrom, start, p - 1, args.mean_block, 0.05, blocks)
                state = srng.getstate()
                g.write(variant_line(srng, chrom, p, ref, alts, gt))
                srng.setstate(state)
                v.write(variant_line(srng, chrom, p, ref, alts, gt, gvcf=False))
                n_var += 1
                start = p + 1
            fill_blocks(srng, g, chrom, start, L, args.mean_block, 0.05, blocks)
        print(f"{name} variants {n_var} blocks {blocks[0]}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="mode", required=True)
    b = sub.add_parser("big")
    b.add_argument("--seed", type=int, default=14)
    b.add_argument("--blocks", type=int, default=1_000_000)
    b.add_argument("--variants", type=int, default=800_000)
    c = sub.add_parser("cohort")
    c.add_argument("--seed", type=int, default=14)
    c.add_argument("--samples", type=int, default=200)
    c.add_argument("--sites", type=int, default=100_000)
    c.add_argument("--length", type=int, default=20_000_000)
    c.add_argument("--mean-block", type=int, default=400)
    c.add_argument("--out", required=True)
    args = ap.parse_args()
    big(args) if args.mode == "big" else cohort(args)


if __name__ == "__main__":
    main()
