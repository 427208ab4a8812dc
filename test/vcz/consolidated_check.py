"""Opens STORE (whose per-array metadata files were deleted) through its
consolidated metadata only — zarr.open_consolidated (format 2) or
zarr.open_group(use_consolidated=True) (format 3) — and checks that every
array (names, dtypes, shapes, attributes, values) equals REFERENCE's, read
without consolidated metadata. Prints the number of arrays checked."""
import sys
from pathlib import Path

import zarr

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "helpers"))
from zarr_same import assert_same_group  # noqa: E402

store, reference, fmt = sys.argv[1], sys.argv[2], int(sys.argv[3])
g = zarr.open_consolidated(store, zarr_format=2) if fmt == 2 else zarr.open_group(store, mode="r", use_consolidated=True)
h = zarr.open_group(reference, mode="r", use_consolidated=False)
print(assert_same_group(g, h))
