"""Checks with zarr-python that OURS (a vczdepot export) and THEIRS
(vcf2zarr convert of the same VCF) hold the same arrays — names, dtypes,
shapes, attributes and values (test/helpers/zarr_same.py) — and the same
root attributes but `source` (vczdepot-… vs bio2zarr-…); prints the number
of arrays compared and the names of the call_* arrays as JSON."""
import json
import sys
from pathlib import Path

import zarr

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "helpers"))
from zarr_same import assert_same_group  # noqa: E402

ours, theirs = sys.argv[1], sys.argv[2]
g = zarr.open_group(ours, mode="r")
h = zarr.open_group(theirs, mode="r")
n = assert_same_group(g, h, ignore_root_attrs=("source",))
print(json.dumps({"arrays": n, "calls": sorted(k for k, _ in g.arrays() if k.startswith("call_"))}))
