#!/usr/bin/env python3
"""Simulated gVCF cohort with a truth that does not come from vczdepot's code.

Writes, deterministically from --seed, into --out:

- ``S<i>.g.vcf`` for each of --samples diploid samples: one single-sample
  gVCF each. Variant records are the sample's non-reference calls at the
  sites of an msprime tree sequence (JC69 nucleotide mutations on a discrete
  genome, so SNVs, possibly multi-allelic); between them the genome is cut
  into runs of random length, each run a reference block (random GQ and
  MIN_DP) or an uncovered gap (no record at all). Even samples are written as
  GATK HaplotypeCaller does (``<NON_REF>``, FORMAT GT:AD:DP:GQ:MIN_DP:PL on
  blocks, AD/PL over the alleles and <NON_REF>), odd samples as
  ``bcftools call -g`` does (``<*>``, blocks with FORMAT GT:DP:GQ, no
  MIN_DP).
- ``truth.vcf``: the densified merge of the samples at the cohort's sites
  (every position where some sample has a variant record), FORMAT GT:DP:GQ:
  a sample's own call where it has a variant record there (its GT, DP, GQ);
  else ``0/0`` with DP = the covering block's MIN_DP (its DP for ``<*>``
  samples) and GQ = the block's GQ when one of its blocks covers the site;
  else ``./.`` with DP and GQ missing. Alleles: REF, then the ALTs some
  sample calls, in msprime's allele order; GTs index them.
- ``ref.fa`` (+ ``.fai``): the reference, whose base at each site is the
  site's ancestral state (so ``bcftools convert --gvcf2vcf`` / ``merge -g``
  can read the gVCFs).
- ``manifest.json``: seed, samples, sites, blocks and gaps per sample.

Usage: simulate_gvcf.py --out DIR [--seed 42] [--samples 6] [--length 20000]
"""
import argparse
import json
import os

import msprime
import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--samples", type=int, default=6)
    ap.add_argument("--length", type=int, default=20000)
    ap.add_argument("--mutation-rate", type=float, default=1.5e-6)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    L = args.length
    ts = msprime.sim_ancestry(
        samples=args.samples, ploidy=2, sequence_length=L, recombination_rate=1e-5,
        population_size=1000, random_seed=args.seed, discrete_genome=True,
    )
    ts = msprime.sim_mutations(ts, rate=args.mutation_rate, random_seed=args.seed, model=msprime.JC69(), discrete_genome=True)

    # Reference: random bases, the ancestral state at each site.
    ref = rng.choice(list("ACGT"), size=L)
    chrom = "chr1"
    # Per sample: {pos (1-based): (alleles called incl. REF in msprime order, GT as msprime allele indices)}
    calls = [dict() for _ in range(args.samples)]
    site_alleles = {}
    for var in ts.variants():
        pos = int(var.site.position) + 1
        if pos > L:
            continue
        ref[pos - 1] = var.site.ancestral_state
        site_alleles[pos] = list(var.alleles)
        g = var.genotypes
        for i in range(args.samples):
            a, b = int(g[2 * i]), int(g[2 * i + 1])
            if a != 0 or b != 0:
                calls[i][pos] = (a, b)

    fa = os.path.join(args.out, "ref.fa")
    with open(fa, "w") as f:
        f.write(f">{chrom}\n")
        seq = "".join(ref)
        for k in range(0, L, 60):
            f.write(seq[k:k + 60] + "\n")
    with open(fa + ".fai", "w") as f:
        f.write(f"{chrom}\t{L}\t{len(chrom) + 2}\t60\t61\n")

    names = [f"S{i}" for i in range(args.samples)]
    blocks = []  # per sample: list of (start, end, gq, dp)
    var_fields = []  # per sample: {pos: (gt string over truth alleles later, dp, gq)}
    manifest = {"seed": args.seed, "length": L, "samples": names, "sites": 0, "per_sample": []}
    for i, name in enumerate(names):
        gatk = i % 2 == 0
        sym = "<NON_REF>" if gatk else "<*>"
        my_blocks = []
        my_vars = {}
        lines = []
        gaps = 0
        positions = sorted(calls[i])
        # Runs between variant records: [prev+1, next-1]
        bounds = [0] + positions + [L + 1]
        for k in range(len(bounds) - 1):
            lo, hi = bounds[k] + 1, bounds[k + 1] - 1
            p = lo
            while p <= hi:
                run = int(rng.integers(1, 400))
                e = min(hi, p + run - 1)
                if rng.random() < 0.8:
                    gq = int(rng.integers(0, 99))
                    min_dp = int(rng.integers(0, 60))
                    dp = min_dp + int(rng.integers(0, 10))
                    # bcftools writes DP only: the block's depth is its DP.
                    my_blocks.append((p, e, gq, min_dp if gatk else dp))
                    info = f"END={e}" if e > p else "."
                    if gatk:
                        fmt = "GT:AD:DP:GQ:MIN_DP:PL"
                        val = f"0/0:{dp},0:{dp}:{gq}:{min_dp}:0,{gq},{gq * 10 + 5}"
                    else:
                        fmt = "GT:DP:GQ"
                        val = f"0/0:{dp}:{gq}"
                    lines.append((p, f"{chrom}\t{p}\t.\t{ref[p - 1]}\t{sym}\t.\t.\t{info}\t{fmt}\t{val}"))
                else:
                    gaps += 1
                p = e + 1
            if k < len(positions):
                pos = positions[k]
                a, b = calls[i][pos]
                alle = site_alleles[pos]
                used = sorted({x for x in (a, b) if x != 0})
                alts = [alle[x] for x in used]
                idx = {0: 0, **{x: j + 1 for j, x in enumerate(used)}}
                n = len(used) + 2  # REF, called ALTs, symbolic
                gt = f"{idx[a]}/{idx[b]}" if idx[a] <= idx[b] else f"{idx[b]}/{idx[a]}"
                dp = int(rng.integers(5, 80))
                gq = int(rng.integers(0, 99))
                ad = [int(rng.integers(0, dp + 1)) for _ in range(n - 1)] + [0]
                pl = [int(rng.integers(0, 300)) for _ in range(n * (n + 1) // 2)]
                my_vars[pos] = (alle[a], alle[b], dp, gq)
                lines.append((pos, f"{chrom}\t{pos}\t.\t{alle[0]}\t{','.join(alts + [sym])}\t{int(rng.integers(10, 500))}\t.\t.\t"
                                   f"GT:AD:DP:GQ:PL\t{gt}:{','.join(map(str, ad))}:{dp}:{gq}:{','.join(map(str, pl))}"))
        blocks.append(my_blocks)
        var_fields.append(my_vars)
        with open(os.path.join(args.out, f"{name}.g.vcf"), "w") as f:
            f.write("##fileformat=VCFv4.2\n")
            if gatk:
                f.write('##ALT=<ID=NON_REF,Description="Represents any possible alternative allele not already represented at this location by REF and ALT">\n')
            else:
                f.write('##ALT=<ID=*,Description="Represents allele(s) other than observed.">\n')
            f.write('##INFO=<ID=END,Number=1,Type=Integer,Description="Stop position of the interval">\n')
            f.write('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n')
            f.write('##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">\n')
            f.write('##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">\n')
            f.write('##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">\n')
            if gatk:
                f.write('##FORMAT=<ID=MIN_DP,Number=1,Type=Integer,Description="Minimum DP observed within the GVCF block">\n')
            f.write('##FORMAT=<ID=PL,Number=G,Type=Integer,Description="Phred-scaled genotype likelihoods">\n')
            f.write(f"##contig=<ID={chrom},length={L}>\n")
            f.write(f"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{name}\n")
            for _, line in sorted(lines, key=lambda t: t[0]):
                f.write(line + "\n")
        manifest["per_sample"].append({"name": name, "style": "gatk" if gatk else "bcftools", "variants": len(my_vars), "blocks": len(my_blocks), "gaps": gaps})

    # Truth: densified merge at the cohort's sites.
    sites = sorted({p for v in var_fields for p in v})
    manifest["sites"] = len(sites)
    with open(os.path.join(args.out, "truth.vcf"), "w") as f:
        f.write("##fileformat=VCFv4.2\n")
        f.write('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n')
        f.write('##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth (a reference block\'s MIN_DP)">\n')
        f.write('##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">\n')
        f.write(f"##contig=<ID={chrom},length={L}>\n")
        f.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + "\t".join(names) + "\n")
        for pos in sites:
            alle = site_alleles[pos]
            called = [x for x in alle[1:] if any(pos in v and x in v[pos][:2] for v in var_fields)]
            order = [alle[0]] + called
            cols = []
            for i in range(args.samples):
                if pos in var_fields[i]:
                    a, b, dp, gq = var_fields[i][pos]
                    ia, ib = sorted((order.index(a), order.index(b)))
                    cols.append(f"{ia}/{ib}:{dp}:{gq}")
                    continue
                cover = [blk for blk in blocks[i] if blk[0] <= pos <= blk[1]]
                if cover:
                    _, _, gq, dp = cover[0]
                    cols.append(f"0/0:{dp}:{gq}")
                else:
                    cols.append("./.:.:.")
            f.write(f"{chrom}\t{pos}\t.\t{alle[0]}\t{','.join(called)}\t.\t.\t.\tGT:DP:GQ\t" + "\t".join(cols) + "\n")
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
