"""Checks, with numpy, that LOCAL's call_LA, call_LAD, call_LPL follow from
DENSE's call_genotype, call_AD, call_PL (two exports of one depot, with and
without local alleles) by bio2zarr 0.2.1's rule, written here cell by cell:
LA = the distinct called alleles of GT, ascending, padded with -2;
LAD = AD at LA; LPL = PL at (a,a), (a,b), (b,b) with index b(b+1)/2 + a;
-2 where LA is -2 or the index is past the values. Also that every other
array is the same in both. Prints the number of cells checked."""
import sys

import numpy as np
import zarr

local, dense = zarr.open_group(sys.argv[1], mode="r"), zarr.open_group(sys.argv[2], mode="r")
gt, ad, pl = dense["call_genotype"][...], dense["call_AD"][...], dense["call_PL"][...]
la, lad, lpl = local["call_LA"][...], local["call_LAD"][...], local["call_LPL"][...]
assert la.dtype == np.int8 and lad.dtype == ad.dtype and lpl.dtype == pl.dtype
assert la.shape == gt.shape[:2] + (2,) and lad.shape == gt.shape[:2] + (2,) and lpl.shape == gt.shape[:2] + (3,)


def at(values, k):
    return int(values[k]) if 0 <= k < len(values) else -2


cells = 0
for v in range(gt.shape[0]):
    for s in range(gt.shape[1]):
        alleles = sorted({int(x) for x in gt[v, s] if x >= 0})
        want_la = (alleles + [-2, -2])[:2]
        assert la[v, s].tolist() == want_la, (v, s, la[v, s].tolist(), want_la)
        a, b = want_la
        want_lad = [at(ad[v, s], a) if a >= 0 else -2, at(ad[v, s], b) if b >= 0 else -2]
        assert lad[v, s].tolist() == want_lad, (v, s, "LAD", lad[v, s].tolist(), want_lad)
        idx = lambda x, y: y * (y + 1) // 2 + x  # noqa: E731
        want_lpl = [-2, -2, -2]
        if a >= 0:
            want_lpl[0] = at(pl[v, s], idx(a, a))
        if b >= 0:
            want_lpl[1], want_lpl[2] = at(pl[v, s], idx(a, b)), at(pl[v, s], idx(b, b))
        assert lpl[v, s].tolist() == want_lpl, (v, s, "LPL", lpl[v, s].tolist(), want_lpl)
        cells += 1
names = lambda g: sorted(k for k, _ in g.arrays())  # noqa: E731
assert names(local) == sorted(set(names(dense)) - {"call_AD", "call_PL"} | {"call_LA", "call_LAD", "call_LPL"})
for n in names(dense):
    if n not in ("call_AD", "call_PL"):
        x, y = local[n][...], dense[n][...]
        assert x.dtype == y.dtype and np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), n
print(cells)
