#!/usr/bin/env python3
"""Compares two VCF files the way vcztools' own tests compare vcztools with
bcftools (docs/vcz-format.md, "Comparing with bcftools"), using cyvcf2:

* INFO/FORMAT/FILTER/contig header entries equal, ignoring order and IDX;
  Number=. matches any Number;
* same samples;
* per record: CHROM POS ID REF ALT exact; QUAL close (rtol 1e-5, atol 1e-3,
  float32); FILTER as sets; INFO keys of both records, a key whose values are
  all missing counts as absent, floats close; for each FORMAT key of the
  first (reference) record: GT exact via `genotypes`, floats close, others
  exact; a key the second file omitted (vcztools omits a FORMAT key missing
  for every sample) is accepted only if it is all missing in the reference
  (stricter than vcztools' helper, which accepts any omission).

Usage: compare_vcfs.py REFERENCE OTHER [--allow-zero-variants]
Exit 0 when equivalent; 1 with the first difference on stderr.
"""
import sys
from itertools import zip_longest

import cyvcf2
import numpy as np

RTOL, ATOL = 1e-5, 1e-3


def header_dicts(vcf, kind):
    out = {}
    for h in vcf.header_iter():
        if h["HeaderType"] != kind:
            continue
        d = h.info(extra=True)
        d.pop(b"IDX", None)
        d.pop("IDX", None)
        for k in list(d):
            if isinstance(k, bytes) and k.decode() in d:
                del d[k]
        out[h["ID"]] = d
    return out


def compare_headers(a, b):
    for kind in ("INFO", "FORMAT", "FILTER", "CONTIG"):
        da, db = header_dicts(a, kind), header_dicts(b, kind)
        if set(da) != set(db):
            raise AssertionError(f"{kind} header ids differ: {sorted(set(da) ^ set(db))}")
        for id_, fa in da.items():
            fb = db[id_]
            if set(fa) != set(fb):
                raise AssertionError(f"{kind} {id_} header keys differ: {fa} vs {fb}")
            for k, v in fa.items():
                if k == "Number" and (v == "." or fb[k] == "."):
                    continue
                if v != fb[k]:
                    raise AssertionError(f"{kind} {id_} header {k}: {v!r} vs {fb[k]!r}")


def missing_info(v):
    if isinstance(v, tuple):
        return all(x is None for x in v)
    if isinstance(v, str):
        return all(x == "." for x in v.split(","))
    return v is None


def all_missing(e):
    if isinstance(e, bytes):
        e = e.decode()
    if isinstance(e, str):
        return all(p in (".", "") for p in e.split(","))
    if isinstance(e, (float, np.floating)):
        return bool(np.isnan(e))
    return int(e) in (-2147483648, -2147483647)


def close(x, y, what):
    np.testing.assert_allclose(np.array(x, dtype=np.float32), np.array(y, dtype=np.float32), rtol=RTOL, atol=ATOL, err_msg=what)


def compare(f1, f2, allow_zero):
    a, b = cyvcf2.VCF(f1), cyvcf2.VCF(f2)
    compare_headers(a, b)
    if a.samples != b.samples:
        raise AssertionError(f"samples differ: {a.samples} vs {b.samples}")
    n = 0
    for v1, v2 in zip_longest(a, b):
        if v1 is None or v2 is None:
            raise AssertionError(f"one file has an extra record: {v1 or v2}")
        n += 1
        where = f"record {n} ({v1.CHROM}:{v1.POS})"
        for attr in ("CHROM", "POS", "ID", "REF", "ALT"):
            if getattr(v1, attr) != getattr(v2, attr):
                raise AssertionError(f"{where}: {attr} {getattr(v1, attr)!r} vs {getattr(v2, attr)!r}")
        close(v1.QUAL, v2.QUAL, f"{where}: QUAL")
        if set(v1.FILTERS) != set(v2.FILTERS):
            raise AssertionError(f"{where}: FILTER {v1.FILTERS} vs {v2.FILTERS}")
        i1, i2 = dict(v1.INFO), dict(v2.INFO)
        for k in set(i1) | set(i2):
            x, y = i1.get(k), i2.get(k)
            x = None if missing_info(x) else x
            y = None if missing_info(y) else y
            if isinstance(x, float) or (isinstance(x, tuple) and any(isinstance(e, float) for e in x)):
                close(x, y, f"{where}: INFO {k}")
            elif x != y:
                raise AssertionError(f"{where}: INFO {k} {x!r} vs {y!r}")
        for k in v1.FORMAT:
            if k == "GT":
                if "GT" not in v2.FORMAT:
                    # vcztools omits a FORMAT key that is missing for every sample
                    if any(a >= 0 for g in v1.genotypes for a in g[:-1]):
                        raise AssertionError(f"{where}: GT omitted but reference has {v1.genotypes}")
                    continue
                if v1.genotypes != v2.genotypes:
                    raise AssertionError(f"{where}: GT {v1.genotypes} vs {v2.genotypes}")
                continue
            x, y = v1.format(k), v2.format(k)
            if y is None:
                if not all(all_missing(e) for e in np.ravel(x)):
                    raise AssertionError(f"{where}: FORMAT {k} omitted but reference has {x}")
            elif x.dtype.kind == "f":
                close(x, y, f"{where}: FORMAT {k}")
            else:
                np.testing.assert_array_equal(x, y, err_msg=f"{where}: FORMAT {k}")
    if n == 0 and not allow_zero:
        raise AssertionError("no variants in file")
    return n


if __name__ == "__main__":
    args = [x for x in sys.argv[1:] if not x.startswith("--")]
    try:
        n = compare(args[0], args[1], "--allow-zero-variants" in sys.argv)
    except AssertionError as e:
        print(f"VCFs differ: {e}", file=sys.stderr)
        sys.exit(1)
    print(f"equivalent: {n} records")
