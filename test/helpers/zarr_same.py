"""Shared by the test scripts that read a store back with zarr-python."""
import numpy as np


def assert_same_group(g, h, ignore_root_attrs=()):
    """Every array of group G (names, dtypes, shapes, attributes, values) and
    the root attributes (but IGNORE_ROOT_ATTRS) equal those of group H;
    returns the number of arrays."""
    root = lambda x: {k: v for k, v in x.attrs.items() if k not in ignore_root_attrs}  # noqa: E731
    assert root(g) == root(h), "root attributes differ"
    names = sorted(k for k, _ in h.arrays())
    assert sorted(k for k, _ in g.arrays()) == names, ("array names differ", sorted(k for k, _ in g.arrays()), names)
    for n in names:
        a, b = g[n][...], h[n][...]
        assert a.dtype == b.dtype and a.shape == b.shape, (n, a.dtype, b.dtype, a.shape, b.shape)
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), n
        assert dict(g[n].attrs) == dict(h[n].attrs), n
    return len(names)
