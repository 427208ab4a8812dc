"""zarr-python (3.1.6, s3fs through fsspec) reads the store at URL (s3://,
endpoint from AWS_ENDPOINT_URL) and checks every array (names, dtypes,
shapes, attributes, values) and the root attributes equal REFERENCE's (a
local store). With --expect-missing, checks instead that URL does not open
as a Zarr group. Prints the number of arrays checked (or "missing")."""
import sys

import numpy as np
import zarr

url, reference = sys.argv[1], sys.argv[2]
if "--expect-missing" in sys.argv:
    try:
        zarr.open_group(url, mode="r")
    except Exception as e:  # zarr raises GroupNotFoundError / FileNotFoundError
        print("missing", type(e).__name__)
        sys.exit(0)
    sys.exit(f"{url} opened as a Zarr group")
g = zarr.open_group(url, mode="r")
h = zarr.open_group(reference, mode="r", use_consolidated=False)
assert dict(g.attrs) == dict(h.attrs), "root attributes differ"
names = sorted(k for k, _ in h.arrays())
assert sorted(k for k, _ in g.arrays()) == names, ("array names differ", sorted(k for k, _ in g.arrays()), names)
for n in names:
    a, b = g[n][...], h[n][...]
    assert a.dtype == b.dtype and a.shape == b.shape, (n, a.dtype, b.dtype, a.shape, b.shape)
    assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), n
    assert dict(g[n].attrs) == dict(h[n].attrs), n
print(len(names))
