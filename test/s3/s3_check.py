"""zarr-python (3.1.6, s3fs through fsspec) reads the store at URL (s3://,
endpoint from AWS_ENDPOINT_URL) and checks every array (names, dtypes,
shapes, attributes, values) and the root attributes equal REFERENCE's (a
local store). With --expect-missing, checks instead that URL does not open
as a Zarr group. Prints the number of arrays checked (or "missing")."""
import sys
from pathlib import Path

import zarr

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "helpers"))
from zarr_same import assert_same_group  # noqa: E402

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
print(assert_same_group(g, h))
