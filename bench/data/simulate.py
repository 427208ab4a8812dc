#!/usr/bin/env python3
"""Simulates a cohort for vczdepot's peer benchmarks and writes bgzipped VCFs.

msprime (pinned in bench/requirements-bench.txt), fixed seeds, human-like
parameters: Ne 10,000, mutation and recombination rates 1e-8 per bp per
generation, diploid, the default JC69 mutation model on a discrete genome (so a
few sites are multi-allelic). The first N sites of the simulated sequence are
kept, so the variant count is exact.

FORMAT fields are added deterministically (numpy PCG64, fixed seed) so records
look like real calls:
  GT  unphased (a/b with a <= b), ~1% missing (./.)
  DP  Poisson around a per-sample mean depth of 15-45x
  GQ  99-capped, lower for hets and for low depth
  AD  Number=R: reads split between the called alleles (hets ~Binomial(DP, .5),
      homs with ~1% error reads on another allele), other alleles 0
A missing call is ./.:.:.:. .

Writes into --out:
  all.vcf.gz        the N + 101 simulated samples
  cohort.vcf.gz     the first N samples (bcftools view -S ... --no-update)
  extra1.vcf.gz     sample N (the one-sample append)
  extra100.vcf.gz   samples N+1 .. N+100 (the 100-sample append)
each with a .tbi index, all over the same variant set, and meta.json.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import msprime
import numpy as np
import tskit

SIZES = {
    # name: (cohort samples, variants, seed)
    "small": (1000, 50_000, 5001),
    "large": (10_000, 100_000, 5002),
    "tiny": (50, 2_000, 5003),  # for testing this script
}
EXTRA = 101  # 1 + 100 extra samples for the append cases
NE = 10_000
MU = 1e-8
RHO = 1e-8
CONTIG = "chr20"

# numbers 0..999 as ASCII, padded to 3 bytes, plus code 1000 = "."
_NUM_BYTES = np.zeros((1001, 3), dtype=np.uint8)
_NUM_LEN = np.zeros(1001, dtype=np.int64)
for _v in range(1001):
    _s = b"." if _v == 1000 else str(_v).encode()
    _NUM_BYTES[_v, : len(_s)] = np.frombuffer(_s, dtype=np.uint8)
    _NUM_LEN[_v] = len(_s)
MISSING_CODE = 1000


def harmonic(n):
    return float(np.sum(1.0 / np.arange(1, n)))


class CellWriter:
    """Builds the sample columns of one VCF line with numpy (no per-sample Python)."""

    def __init__(self, n):
        self.n = n

    def line(self, a1, a2, missing, dp, gq, ad):
        """a1 <= a2 allele indices (int, < 10), missing bool, dp/gq int, ad [n, alleles] int."""
        n = self.n
        n_alleles = ad.shape[1]
        dpc = np.where(missing, MISSING_CODE, np.minimum(dp, 999))
        gqc = np.where(missing, MISSING_CODE, np.minimum(gq, 99))
        adc = np.where(missing[:, None], MISSING_CODE, np.minimum(ad, 999))
        ok = (~missing).astype(np.int64)
        ad_len = _NUM_LEN[adc[:, 0]].copy()
        for k in range(1, n_alleles):
            ad_len += ok * (1 + _NUM_LEN[adc[:, k]])
        # GT(3) ':' DP ':' GQ ':' AD sep
        cell_len = 3 + 1 + _NUM_LEN[dpc] + 1 + _NUM_LEN[gqc] + 1 + ad_len + 1
        ends = np.cumsum(cell_len)
        pos = ends - cell_len
        out = np.empty(int(ends[-1]), dtype=np.uint8)
        dot, slash, colon, comma = ord("."), ord("/"), ord(":"), ord(",")
        out[pos] = np.where(missing, dot, a1 + 48)
        out[pos + 1] = slash
        out[pos + 2] = np.where(missing, dot, a2 + 48)
        pos += 3

        def num(codes, mask=None):
            b = _NUM_BYTES[codes]
            ln = _NUM_LEN[codes]
            if mask is not None:
                ln = ln * mask
            for j in range(3):
                m = ln > j
                out[pos[m] + j] = b[m, j]
            pos[:] += ln

        out[pos] = colon
        pos += 1
        num(dpc)
        out[pos] = colon
        pos += 1
        num(gqc)
        out[pos] = colon
        pos += 1
        num(adc[:, 0])
        for k in range(1, n_alleles):
            m = ok.astype(bool)
            out[pos[m]] = comma
            pos += ok
            num(adc[:, k], ok)
        out[pos] = ord("\t")
        out[-1] = ord("\n")
        return out.tobytes()


def simulate(n_total, n_variants, seed):
    # Expected segregating sites = 4 Ne mu L a_n; simulate 30% more and keep the first N.
    a_n = harmonic(2 * n_total)
    length = int(1.3 * n_variants / (4 * NE * MU * a_n))
    for attempt in range(4):
        ts = msprime.sim_ancestry(
            samples=n_total,
            population_size=NE,
            recombination_rate=RHO,
            sequence_length=length,
            ploidy=2,
            random_seed=seed,
        )
        ts = msprime.sim_mutations(ts, rate=MU, random_seed=seed + 1)
        if ts.num_sites >= n_variants:
            return ts, length
        length = int(length * 1.5)
    raise SystemExit(f"simulate: only {ts.num_sites} sites, wanted {n_variants}")


def write_vcf(ts, n_variants, names, path, seed, log):
    n = len(names)
    rng = np.random.Generator(np.random.PCG64(seed + 2))
    mean_depth = rng.uniform(15, 45, size=n)
    end_pos = int(ts.tables.sites.position[n_variants - 1]) + 1
    header = [
        "##fileformat=VCFv4.3",
        f"##source=vczdepot bench/data/simulate.py (msprime {msprime.__version__}, tskit {tskit.__version__})",
        f"##contig=<ID={CONTIG},length={int(ts.sequence_length)}>",
        '##FILTER=<ID=PASS,Description="All filters passed">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">',
        '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">',
        '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths for the ref and alt alleles in the order listed">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + "\t".join(names),
    ]
    cw = CellWriter(n)
    t0 = time.time()
    with open(path, "wb") as f:
        bg = subprocess.Popen(["bgzip", "-@", "2", "-c"], stdin=subprocess.PIPE, stdout=f)
        buf = [("\n".join(header) + "\n").encode()]
        size = 0
        for i, var in enumerate(ts.variants(copy=False)):
            if i >= n_variants:
                break
            g = var.genotypes.reshape(n, 2)
            alleles = var.alleles
            n_alleles = len(alleles)
            a1 = np.minimum(g[:, 0], g[:, 1]).astype(np.int64)
            a2 = np.maximum(g[:, 0], g[:, 1]).astype(np.int64)
            missing = rng.random(n) < 0.01
            dp = rng.poisson(mean_depth)
            het = a1 != a2
            # hets: Binomial(DP, 0.5) reads on a1; homs: ~1% error reads on another allele
            on_a1 = np.where(het, rng.binomial(dp, 0.5), dp - rng.binomial(dp, 0.01))
            other = np.where(het, a2, np.where(a1 == 0, 1, 0))
            other = np.minimum(other, n_alleles - 1)
            ad = np.zeros((n, n_alleles), dtype=np.int64)
            rows = np.arange(n)
            ad[rows, a1] += on_a1
            ad[rows, other] += dp - on_a1
            gq = np.where(het, 3 * dp // 2 + rng.integers(-5, 6, size=n), 3 * dp + rng.integers(0, 10, size=n))
            gq = np.clip(gq, 0, 99)
            qual = 30 + (i * 7919) % 970
            prefix = f"{CONTIG}\t{int(var.site.position) + 1}\t.\t{alleles[0]}\t{','.join(alleles[1:]) or '.'}\t{qual}\tPASS\t.\tGT:DP:GQ:AD\t"
            buf.append(prefix.encode())
            buf.append(cw.line(a1, a2, missing, dp, gq, ad))
            size += len(buf[-1])
            if size > 16 << 20:
                bg.stdin.write(b"".join(buf))
                buf, size = [], 0
            if (i + 1) % 10000 == 0:
                log(f"  {i + 1}/{n_variants} variants ({time.time() - t0:.0f} s)")
        bg.stdin.write(b"".join(buf))
        bg.stdin.close()
        if bg.wait() != 0:
            raise SystemExit("bgzip failed")
    return end_pos


def run(cmd, log):
    log("  $ " + " ".join(cmd if len(cmd) < 12 else cmd[:12] + ["..."]))
    subprocess.run(cmd, check=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", choices=sorted(SIZES), default="small")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    log = lambda s: print(f"simulate[{a.size}]: {s}", file=sys.stderr, flush=True)
    n, n_variants, seed = SIZES[a.size]
    n_total = n + EXTRA
    os.makedirs(a.out, exist_ok=True)
    t0 = time.time()
    log(f"msprime {msprime.__version__}: {n_total} diploid samples, Ne {NE}, mu {MU}, r {RHO}, seed {seed}")
    ts, length = simulate(n_total, n_variants, seed)
    log(f"  {ts.num_sites} sites on {length:,} bp, {ts.num_trees} trees ({time.time() - t0:.0f} s)")
    names = [f"S{i:05d}" for i in range(n_total)]
    all_vcf = os.path.join(a.out, "all.vcf.gz")
    write_vcf(ts, n_variants, names, all_vcf + ".part", seed, log)
    os.replace(all_vcf + ".part", all_vcf)
    run(["tabix", "-f", "-p", "vcf", all_vcf], log)
    parts = {"cohort": names[:n], "extra1": names[n : n + 1], "extra100": names[n + 1 :]}
    for part, ids in parts.items():
        lst = os.path.join(a.out, f"{part}.samples.txt")
        with open(lst, "w") as f:
            f.write("\n".join(ids) + "\n")
        out = os.path.join(a.out, f"{part}.vcf.gz")
        run(["bcftools", "view", "--threads", "2", "--no-update", "-S", lst, "-Oz", "-o", out + ".part", all_vcf], log)
        os.replace(out + ".part", out)
        run(["tabix", "-f", "-p", "vcf", out], log)
    multi = int(sum(1 for s in ts.sites() if s.id < n_variants and len(s.mutations) > 1))
    meta = {
        "size": a.size,
        "samples": n,
        "extraSamples": EXTRA,
        "variants": n_variants,
        "contig": CONTIG,
        "sequenceLength": length,
        "seed": seed,
        "ne": NE,
        "mutationRate": MU,
        "recombinationRate": RHO,
        "msprime": msprime.__version__,
        "tskit": tskit.__version__,
        "numpy": np.__version__,
        "sitesWithRecurrentMutations": multi,
        "files": {k: f"{k}.vcf.gz" for k in ["all", *parts]},
        "bytes": {k: os.path.getsize(os.path.join(a.out, f"{k}.vcf.gz")) for k in ["all", *parts]},
        "seconds": round(time.time() - t0, 1),
    }
    with open(os.path.join(a.out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    log(f"done in {meta['seconds']} s: {meta['bytes']}")


if __name__ == "__main__":
    main()
