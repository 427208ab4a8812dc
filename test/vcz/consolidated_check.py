"""Opens STORE (whose per-array metadata files were deleted) through its
consolidated metadata only — zarr.open_consolidated (format 2) or
zarr.open_group(use_consolidated=True) (format 3) — and checks that every
array (names, dtypes, shapes, attributes, values) equals REFERENCE's, read
without consolidated metadata. Prints the number of arrays checked."""
import sys

import numpy as np
import zarr

store, reference, fmt = sys.argv[1], sys.argv[2], int(sys.argv[3])
g = zarr.open_consolidated(store, zarr_format=2) if fmt == 2 else zarr.open_group(store, mode="r", use_consolidated=True)
h = zarr.open_group(reference, mode="r", use_consolidated=False)
assert dict(g.attrs) == dict(h.attrs), "root attributes differ"
names = sorted(k for k, _ in h.arrays())
assert sorted(k for k, _ in g.arrays()) == names, "array names differ"
for n in names:
    a, b = g[n][...], h[n][...]
    assert a.dtype == b.dtype and a.shape == b.shape, (n, a.dtype, b.dtype, a.shape, b.shape)
    assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), n
    assert dict(g[n].attrs) == dict(h[n].attrs), n
print(len(names))
